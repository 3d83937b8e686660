// The server's scheduling, in process: a Server on port 0 with one I/O
// thread and one query thread, and an engine whose ops block until the test
// lets them run, so that what waits behind what is under the test's control.

#include "server/server.h"

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <iterator>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/applied_position.h"
#include "server/config.h"
#include "server/dispatcher.h"
#include "server/frame_codec.h"
#include "simdjson.h"
#include "tests/support/otterd_process.h"

namespace otter::server {
namespace {

using otter::testing::Client;
using otter::testing::Frame;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;
using Clock = std::chrono::steady_clock;

// An engine whose ops each wait for a permit from the test, recording the
// ids of the requests it ran in the order it ran them.
class GatedEngine final : public OpHandler {
 public:
  absl::Status Handle(const Request& request, ResponseWriter& writer, uint64_t* /*as_of*/) override {
    std::unique_lock<std::mutex> lock(mu_);
    ran_.push_back(request.id_json);
    ++running_;
    changed_.notify_all();
    changed_.wait(lock, [&] { return permits_ > 0; });
    --permits_;
    --running_;
    writer.Key("engine_op");
    writer.String(OpName(request.op));
    return absl::OkStatus();
  }

  // Lets `n` more ops finish.
  void Release(int64_t n) {
    std::lock_guard<std::mutex> lock(mu_);
    permits_ += n;
    changed_.notify_all();
  }
  void ReleaseAll() { Release(int64_t{1} << 40); }

  // Waits until `n` ops are blocked in Handle(); false after 5 s.
  bool WaitRunning(int n) {
    std::unique_lock<std::mutex> lock(mu_);
    return changed_.wait_for(lock, std::chrono::seconds(5), [&] { return running_ == n; });
  }

  std::vector<std::string> ran() const {
    std::lock_guard<std::mutex> lock(mu_);
    return ran_;
  }

 private:
  mutable std::mutex mu_;
  std::condition_variable changed_;
  int64_t permits_ = 0;
  int running_ = 0;
  std::vector<std::string> ran_;
};

// Ready, at the applied position.
class AppliedHealth final : public HealthProvider {
 public:
  explicit AppliedHealth(const AppliedPosition* applied) : applied_(applied) {}
  HealthReport Health() const override {
    HealthReport report;
    report.state = HealthState::kReady;
    report.as_of = applied_->current();
    return report;
  }

 private:
  const AppliedPosition* applied_;
};

// A Server with the gated engine on 127.0.0.1, run on its own thread. The
// engine's ops are all let through and the server drained on destruction.
class TestServer {
 public:
  explicit TestServer(std::vector<std::string> flags = {}) {
    std::vector<std::string> args = {"--listen", "127.0.0.1:0", "--threads", "1", "--query-threads", "1"};
    args.insert(args.end(), flags.begin(), flags.end());
    absl::StatusOr<Config> config = LoadConfig(args, [](const char*) -> const char* { return nullptr; });
    EXPECT_TRUE(config.ok()) << config.status();
    server_ = std::make_unique<Server>(*config, DispatcherParts{.health = &health_, .engine = &engine_},
                                       &applied_);
    const absl::Status started = server_->Start();
    EXPECT_TRUE(started.ok()) << started;
    const std::string address = server_->tcp_address();
    port_ = std::stoi(address.substr(address.rfind(':') + 1));
    thread_ = std::thread([this] { exit_code_ = server_->Run(); });
  }
  ~TestServer() { Destroy(); }

  Client Connect() const { return Client::Tcp(port_); }
  GatedEngine& engine() { return engine_; }
  AppliedPosition& applied() { return applied_; }
  Server& server() { return *server_; }
  // Waits for Run() to return; its exit code.
  int Join() {
    if (thread_.joinable()) thread_.join();
    return exit_code_;
  }
  // Lets every op through, drains, and destroys the server.
  void Destroy() {
    if (server_ == nullptr) return;
    engine_.ReleaseAll();
    server_->Drain();
    Join();
    server_.reset();
  }

  // A number from the `stats` reply, e.g. {"queries", "waiting"}.
  uint64_t Stat(std::vector<std::string_view> path) {
    Client c = Connect();
    const std::string reply = c.Call(R"({"op":"stats"})");
    simdjson::dom::element e;
    if (json_.parse(reply).get(e) != simdjson::SUCCESS) {
      ADD_FAILURE() << "not JSON: " << reply;
      return 0;
    }
    for (std::string_view key : path) {
      if (e[key].get(e) != simdjson::SUCCESS) {
        ADD_FAILURE() << "no " << key << " in " << reply;
        return 0;
      }
    }
    uint64_t value = 0;
    EXPECT_EQ(e.get(value), simdjson::SUCCESS) << reply;
    return value;
  }

  // Polls stats until `n` engine ops wait for the query thread; false after 5 s.
  bool WaitQueued(uint64_t n) {
    const Clock::time_point give_up = Clock::now() + std::chrono::seconds(5);
    while (Clock::now() < give_up) {
      if (Stat({"queries", "waiting"}) == n) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }

 private:
  AppliedPosition applied_;
  AppliedHealth health_{&applied_};
  GatedEngine engine_;
  simdjson::dom::parser json_;
  std::unique_ptr<Server> server_;
  int port_ = 0;
  int exit_code_ = -1;
  std::thread thread_;
};

std::string Search(int id) { return absl::StrCat(R"({"id":)", id, R"(,"op":"search","q":"kayak"})", "\n"); }
std::string Ping(int id) { return absl::StrCat(R"({"id":)", id, R"(,"op":"ping"})", "\n"); }

// The number in `text` between `before` and `after`; -1 when absent.
int64_t NumberBetween(const std::string& text, std::string_view before, std::string_view after) {
  const std::size_t start = text.find(before);
  if (start == std::string::npos) return -1;
  const std::size_t from = start + before.size();
  const std::size_t end = text.find(after, from);
  if (end == std::string::npos) return -1;
  return std::stoll(text.substr(from, end - from));
}

TEST(ServerSchedulingTest, BuiltinOpsAnswerWhileAnEngineOpBlocksTheQueryThread) {
  TestServer server;
  Client a = server.Connect();
  a.Send(Search(1));
  ASSERT_TRUE(server.engine().WaitRunning(1));

  // The single I/O thread keeps serving other connections, pipelined too.
  Client b = server.Connect();
  b.Send(Ping(2) + R"({"id":3,"op":"health"})" + "\n" + R"({"id":4,"op":"stats"})" + "\n");
  EXPECT_THAT(b.ReadLine(), StartsWith(R"({"id":2,"ok":true,"pong":true)"));
  EXPECT_THAT(b.ReadLine(), StartsWith(R"({"id":3,"ok":true,"status":"ready")"));
  EXPECT_THAT(b.ReadLine(), StartsWith(R"({"id":4,"ok":true,"requests":)"));

  // Behind a queued engine op on its own connection, a ping waits its turn;
  // another connection's ping does not.
  Client c = server.Connect();
  c.Send(Search(5) + Ping(6));
  Client d = server.Connect();
  d.Send(Ping(7));
  EXPECT_THAT(d.ReadLine(), StartsWith(R"({"id":7,"ok":true,"pong":true)"));
  a.Send(Ping(8));
  EXPECT_EQ(a.ReadLine(200), "<timeout>");
  EXPECT_EQ(c.ReadLine(200), "<timeout>");
  EXPECT_THAT(server.engine().ran(), ElementsAre("1"));

  server.engine().ReleaseAll();
  EXPECT_THAT(a.ReadLine(), StartsWith(R"({"id":1,"ok":true,"engine_op":"search")"));
  EXPECT_THAT(a.ReadLine(), StartsWith(R"({"id":8,"ok":true,"pong":true)"));
  EXPECT_THAT(c.ReadLine(), StartsWith(R"({"id":5,"ok":true,"engine_op":"search")"));
  EXPECT_THAT(c.ReadLine(), StartsWith(R"({"id":6,"ok":true,"pong":true)"));
  EXPECT_THAT(server.engine().ran(), ElementsAre("1", "5"));
}

TEST(ServerSchedulingTest, AnOpPickedUpAfterItsDeadlineIsOverloadedAndNeverRuns) {
  TestServer server({"--query-deadline-ms", "100"});
  Client a = server.Connect();
  a.Send(Search(1));
  ASSERT_TRUE(server.engine().WaitRunning(1));
  Client b = server.Connect();
  const Clock::time_point sent = Clock::now();
  b.Send(Search(2));
  ASSERT_TRUE(server.WaitQueued(1));
  // b was received by now and waits at least until the release.
  const Clock::time_point seen = Clock::now();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const auto released = Clock::now();
  server.engine().ReleaseAll();

  EXPECT_THAT(a.ReadLine(), StartsWith(R"({"id":1,"ok":true,"engine_op":"search")"));
  const std::string reply = b.ReadLine();
  const auto answered = Clock::now();
  EXPECT_THAT(reply, StartsWith(R"({"id":2,"ok":false,"error":{"code":"overloaded","message":"the request waited )"));
  EXPECT_THAT(reply, HasSubstr(R"x( ms for a query thread (deadline 100 ms)"})x"));
  const int64_t waited_ms = NumberBetween(reply, "the request waited ", " ms");
  EXPECT_GE(waited_ms, std::chrono::duration_cast<std::chrono::milliseconds>(released - seen).count());
  EXPECT_LE(waited_ms, std::chrono::duration_cast<std::chrono::milliseconds>(answered - sent).count());
  // took_us counts the wait too.
  EXPECT_GE(NumberBetween(reply, R"("took_us":)", ","), waited_ms * 1000);
  EXPECT_THAT(server.engine().ran(), ElementsAre("1"));

  EXPECT_EQ(server.Stat({"queries", "overloaded_deadline"}), 1u);
  EXPECT_EQ(server.Stat({"queries", "overloaded_queue_full"}), 0u);
  EXPECT_EQ(server.Stat({"queries", "waiting"}), 0u);
  EXPECT_EQ(server.Stat({"requests", "search", "count"}), 2u);
  EXPECT_EQ(server.Stat({"requests", "search", "errors"}), 1u);
}

TEST(ServerSchedulingTest, TheDeadlineOfAnOpWithAfterStartsWhenItsPositionIsApplied) {
  TestServer server({"--query-deadline-ms", "500"});
  server.engine().ReleaseAll();
  Client c = server.Connect();
  c.Send(R"({"id":1,"op":"search","q":"kayak","after":5})" "\n");
  std::this_thread::sleep_for(std::chrono::milliseconds(1200));
  EXPECT_EQ(server.engine().ran().size(), 0u);
  server.applied().Advance(5);
  EXPECT_THAT(c.ReadLine(), StartsWith(R"({"id":1,"ok":true,"engine_op":"search")"));
  EXPECT_EQ(server.Stat({"queries", "overloaded_deadline"}), 0u);
}

TEST(ServerSchedulingTest, BeyondMaxQueuedQueriesAnOpIsOverloadedAtOnce) {
  TestServer server({"--max-queued-queries", "2", "--query-deadline-ms", "60000"});
  Client a = server.Connect();
  a.Send(Search(1));
  ASSERT_TRUE(server.engine().WaitRunning(1));
  Client b = server.Connect();
  b.Send(Search(2));
  Client c = server.Connect();
  c.Send(Search(3));
  ASSERT_TRUE(server.WaitQueued(2));
  const Clock::time_point queued = Clock::now();

  // Answered while the query thread is still blocked.
  Client d = server.Connect();
  d.Send(Search(4));
  EXPECT_THAT(d.ReadLine(), StartsWith(R"({"id":4,"ok":false,"error":{"code":"overloaded",)"
                                       R"x("message":"too many queries waiting: 2 (max_queued_queries 2)"})x"));
  EXPECT_EQ(server.Stat({"queries", "overloaded_queue_full"}), 1u);

  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  const auto min_wait_us = static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - queued).count());
  server.engine().ReleaseAll();
  EXPECT_THAT(a.ReadLine(), StartsWith(R"({"id":1,"ok":true,"engine_op":"search")"));
  EXPECT_THAT(b.ReadLine(), StartsWith(R"({"id":2,"ok":true,"engine_op":"search")"));
  EXPECT_THAT(c.ReadLine(), StartsWith(R"({"id":3,"ok":true,"engine_op":"search")"));
  EXPECT_THAT(server.engine().ran(), ElementsAre("1", "2", "3"));

  // Three ops were picked up, two of them after waiting at least min_wait_us:
  // the median and the 99th percentile of the waits are at least that, and
  // the search latency figures include the wait.
  EXPECT_EQ(server.Stat({"queries", "waiting"}), 0u);
  EXPECT_EQ(server.Stat({"queries", "overloaded_deadline"}), 0u);
  EXPECT_EQ(server.Stat({"queries", "overloaded_queue_full"}), 1u);
  EXPECT_GE(server.Stat({"queries", "wait_us", "p50"}), min_wait_us);
  EXPECT_GE(server.Stat({"queries", "wait_us", "p99"}), min_wait_us);
  EXPECT_GE(server.Stat({"queries", "wait_us", "max"}), min_wait_us);
  EXPECT_EQ(server.Stat({"requests", "search", "count"}), 4u);
  EXPECT_EQ(server.Stat({"requests", "search", "errors"}), 1u);
  EXPECT_GE(server.Stat({"requests", "search", "latency_us", "max"}), min_wait_us);
}

// Random pipelines of engine ops and built-in ops on one connection.
std::vector<Op> RandomOps(std::mt19937& rng, int n) {
  const Op ops[] = {Op::kSearch, Op::kGet, Op::kSuggest, Op::kPing, Op::kHealth, Op::kPing};
  std::vector<Op> out;
  for (int i = 0; i < n; ++i) out.push_back(ops[rng() % std::size(ops)]);
  return out;
}

// The fields an op needs to pass the request parser.
std::string Fields(Op op) {
  switch (op) {
    case Op::kSearch: return R"("q":"kayak")";
    case Op::kGet: return R"("doc_id":"70000000-0000-0001-0000-000000000007")";
    case Op::kSuggest: return R"("prefix":"ka")";
    default: return "";
  }
}

// What the reply to `op` must contain.
std::string Expected(Op op) {
  if (IsEngineOp(op)) return absl::StrCat(R"("engine_op":")", std::string(OpName(op)), "\"");
  return op == Op::kPing ? R"("pong":true)" : R"("status":"ready")";
}

TEST(ServerSchedulingTest, JsonRepliesKeepRequestOrderAcrossEngineAndBuiltinOps) {
  const unsigned seed = std::random_device()();
  std::printf("seed %u\n", seed);
  std::mt19937 rng(seed);
  TestServer server;
  Client c = server.Connect();
  const std::vector<Op> ops = RandomOps(rng, 300);
  std::string batch;
  for (std::size_t i = 0; i < ops.size(); ++i) {
    const std::string fields = Fields(ops[i]);
    absl::StrAppend(&batch, R"({"id":)", i, R"(,"op":")", std::string(OpName(ops[i])), "\"",
                    fields.empty() ? "" : ",", fields, "}\n");
  }
  c.Send(batch);
  // Let the ops through a few at a time while the replies come back.
  int released = 0;
  for (std::size_t i = 0; i < ops.size(); ++i) {
    if (IsEngineOp(ops[i])) {
      server.engine().Release(1);
      ++released;
    }
    const std::string reply = c.ReadLine();
    ASSERT_THAT(reply, StartsWith(absl::StrCat(R"({"id":)", i, R"(,"ok":true,)"))) << "seed " << seed;
    ASSERT_THAT(reply, HasSubstr(Expected(ops[i]))) << "seed " << seed;
  }
  EXPECT_EQ(server.engine().ran().size(), static_cast<std::size_t>(released));
}

TEST(ServerSchedulingTest, BinaryRepliesKeepRequestOrderAndIds) {
  const unsigned seed = std::random_device()();
  std::printf("seed %u\n", seed);
  std::mt19937 rng(seed);
  TestServer server;
  server.engine().ReleaseAll();
  Client c = server.Connect();
  c.Send(EncodeHandshake(""));
  ASSERT_EQ(c.ReadBytes(kHandshakeHeaderBytes), EncodeHandshakeReply());
  const std::vector<Op> ops = RandomOps(rng, 300);
  std::string batch;
  for (std::size_t i = 0; i < ops.size(); ++i) {
    const std::string fields = Fields(ops[i]);
    batch += Frame(1000 + i, static_cast<uint16_t>(ops[i]), fields.empty() ? "" : "{" + fields + "}");
  }
  c.Send(batch);
  for (std::size_t i = 0; i < ops.size(); ++i) {
    auto [id, payload] = c.ReadFrame();
    ASSERT_EQ(id, 1000 + i) << "seed " << seed;
    ASSERT_THAT(payload, StartsWith(absl::StrCat(R"({"id":)", 1000 + i, R"(,"ok":true,)"))) << "seed " << seed;
    ASSERT_THAT(payload, HasSubstr(Expected(ops[i]))) << "seed " << seed;
  }
}

TEST(ServerSchedulingTest, ConnectionsOnTwoIoThreadsAndTwoQueryThreadsEachGetTheirRepliesInOrder) {
  const unsigned seed = std::random_device()();
  std::printf("seed %u\n", seed);
  std::mt19937 rng(seed);
  TestServer server({"--threads", "2", "--query-threads", "2"});
  server.engine().ReleaseAll();
  constexpr int kConnections = 8;
  std::vector<Client> clients;
  std::vector<std::vector<Op>> sent;
  std::size_t engine_ops = 0;
  for (int c = 0; c < kConnections; ++c) {
    clients.push_back(server.Connect());
    sent.push_back(RandomOps(rng, 200));
    std::string batch;
    for (std::size_t i = 0; i < sent.back().size(); ++i) {
      const Op op = sent.back()[i];
      const std::string fields = Fields(op);
      absl::StrAppend(&batch, R"({"id":)", i, R"(,"op":")", std::string(OpName(op)), "\"",
                      fields.empty() ? "" : ",", fields, "}\n");
      engine_ops += IsEngineOp(op) ? 1 : 0;
    }
    clients.back().Send(batch);
  }
  for (int c = 0; c < kConnections; ++c) {
    for (std::size_t i = 0; i < sent[static_cast<std::size_t>(c)].size(); ++i) {
      const std::string reply = clients[static_cast<std::size_t>(c)].ReadLine();
      ASSERT_THAT(reply, StartsWith(absl::StrCat(R"({"id":)", i, R"(,"ok":true,)"))) << "seed " << seed;
      ASSERT_THAT(reply, HasSubstr(Expected(sent[static_cast<std::size_t>(c)][i]))) << "seed " << seed;
    }
  }
  EXPECT_EQ(server.engine().ran().size(), engine_ops);
}

TEST(ServerSchedulingTest, DrainAnswersRunningAndQueuedEngineOps) {
  TestServer server;
  Client idle = server.Connect();
  Client a = server.Connect();
  a.Send(Search(1));
  ASSERT_TRUE(server.engine().WaitRunning(1));
  Client b = server.Connect();
  b.Send(Search(2) + Ping(3));
  ASSERT_TRUE(server.WaitQueued(1));
  server.server().Drain();
  EXPECT_TRUE(idle.AtEof());
  server.engine().ReleaseAll();
  EXPECT_THAT(a.ReadLine(), StartsWith(R"({"id":1,"ok":true,"engine_op":"search")"));
  EXPECT_THAT(b.ReadLine(), StartsWith(R"({"id":2,"ok":true,"engine_op":"search")"));
  EXPECT_THAT(b.ReadLine(), StartsWith(R"({"id":3,"ok":true,"pong":true)"));
  EXPECT_TRUE(a.AtEof());
  EXPECT_TRUE(b.AtEof());
  EXPECT_EQ(server.Join(), 0);
}

TEST(ServerSchedulingTest, ADrainThatTimesOutWhileAnOpRunsStillEndsCleanly) {
  TestServer server({"--drain-timeout-ms", "100"});
  Client a = server.Connect();
  a.Send(Search(1));
  ASSERT_TRUE(server.engine().WaitRunning(1));
  server.server().Drain();
  // The drain gives up on the connection; Run() then waits for the op.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  server.engine().ReleaseAll();
  EXPECT_EQ(server.Join(), 0);
  // The reply was never written: the I/O threads had stopped. Destroying the
  // server closes the connection it still held.
  server.Destroy();
  EXPECT_TRUE(a.AtEof());
}

}  // namespace
}  // namespace otter::server
