// End to end: the real otterd binary as a child process on port 0, spoken
// to over TCP and its unix socket, in JSON lines and binary frames.

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <arpa/inet.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/frame_codec.h"
#include "tests/support/otterd_process.h"

#ifndef OTTERD_PATH
#error "OTTERD_PATH must name the otterd binary"
#endif

namespace otter::server {
namespace {

using otter::testing::Client;
using otter::testing::Frame;
using otter::testing::TempDir;
using ::testing::HasSubstr;
using ::testing::StartsWith;

// otterd with the test's settings.
class Otterd : public otter::testing::Otterd {
 public:
  explicit Otterd(std::vector<std::string> extra = {}) : otter::testing::Otterd(OTTERD_PATH, std::move(extra)) {}
};

class OtterdTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    daemon_ = new Otterd({"--max-request-bytes", "4096", "--request-timeout-ms", "500"});
  }
  static void TearDownTestSuite() {
    delete daemon_;
    daemon_ = nullptr;
  }
  static Otterd* daemon_;
};
Otterd* OtterdTest::daemon_ = nullptr;

TEST_F(OtterdTest, PingOverJsonLinesOnTcpAndUnixSocket) {
  Client tcp = Client::Tcp(daemon_->port());
  ASSERT_TRUE(tcp.connected());
  tcp.Send("{\"id\":1,\"op\":\"ping\"}\n");
  EXPECT_THAT(tcp.ReadLine(), StartsWith(R"({"id":1,"ok":true,"pong":true,"took_us":)"));

  Client local = Client::Unix(daemon_->unix_path());
  ASSERT_TRUE(local.connected());
  local.Send("{\"id\":\"u\",\"op\":\"ping\"}\r\n");
  EXPECT_THAT(local.ReadLine(), StartsWith(R"({"id":"u","ok":true,"pong":true,)"));
  struct stat st;
  ASSERT_EQ(stat(daemon_->unix_path().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0660u);
}

TEST_F(OtterdTest, HealthSaysLoadingAndEngineOpsAreUnavailable) {
  Client c = Client::Tcp(daemon_->port());
  c.Send("{\"id\":1,\"op\":\"health\"}\n{\"id\":2,\"op\":\"search\",\"q\":\"kayak\"}\n");
  EXPECT_THAT(c.ReadLine(), HasSubstr(R"("status":"loading")"));
  EXPECT_THAT(c.ReadLine(), HasSubstr(
      R"({"code":"unavailable","message":"op \"search\" is not available: the engine is still loading"})"));
}

TEST_F(OtterdTest, PingOverBinaryFrames) {
  for (bool unix_socket : {false, true}) {
    Client c = unix_socket ? Client::Unix(daemon_->unix_path()) : Client::Tcp(daemon_->port());
    c.Send(EncodeHandshake(""));
    EXPECT_EQ(c.ReadBytes(kHandshakeHeaderBytes), EncodeHandshakeReply());
    c.Send(Frame(42, 1, "") + Frame(43, 2, "{}") + Frame(44, 77, ""));
    auto [id, payload] = c.ReadFrame();
    EXPECT_EQ(id, 42u);
    EXPECT_THAT(payload, StartsWith(R"({"id":42,"ok":true,"pong":true,)"));
    std::tie(id, payload) = c.ReadFrame();
    EXPECT_EQ(id, 43u);
    EXPECT_THAT(payload, HasSubstr(R"("status":"loading")"));
    std::tie(id, payload) = c.ReadFrame();
    EXPECT_EQ(id, 44u);
    EXPECT_THAT(payload, HasSubstr(R"("message":"unknown op code 77")"));
  }
}

TEST_F(OtterdTest, PipelinesAThousandRequestsInOrder) {
  Client c = Client::Tcp(daemon_->port());
  std::string batch;
  for (int i = 0; i < 1000; ++i) batch += "{\"id\":" + std::to_string(i) + ",\"op\":\"ping\"}\n";
  const auto start = std::chrono::steady_clock::now();
  constexpr int kRounds = 20;
  for (int round = 0; round < kRounds; ++round) {
    c.Send(batch);
    for (int i = 0; i < 1000; ++i) {
      ASSERT_THAT(c.ReadLine(), StartsWith("{\"id\":" + std::to_string(i) + ",\"ok\":true"));
    }
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  RecordProperty("pipelined_pings_per_second", static_cast<int>(kRounds * 1000 / seconds));
  std::printf("pipelined pings on one connection: %.0f/s\n", kRounds * 1000 / seconds);
}

TEST_F(OtterdTest, BadInputGetsAClearErrorAndTheDaemonKeepsServing) {
  Client c = Client::Tcp(daemon_->port());
  const std::pair<std::string, std::string> cases[] = {
      {"{\"id\":1,\"op\":\"ping\"", R"("message":"malformed JSON: )"},
      {"{\"id\":2,\"op\":\"ping\",}", R"("message":"malformed JSON: )"},
      {"not json", R"("message":"request must be a JSON object")"},
      {"{\"id\":3,\"op\":\"search\",\"q\":" + std::string(100, '['), R"("message":"JSON nesting exceeds 16 levels")"},
      {"{\"id\":[4],\"op\":\"ping\"}", R"("message":"id must be a number or a string")"},
      {"{\"id\":5,\"op\":\"ping\",\"after\":\"x\"}", R"("message":"after must be a non-negative integer")"},
      {"{\"id\":6,\"op\":\"serch\"}", R"({"id":6,"ok":false,"error":{"code":"bad_request","message":"unknown op \"serch\""})"},
      {"{\"id\":7,\"op\":\"search\",\"limt\":5}", R"("message":"unknown field \"limt\" for op \"search\"")"},
      {std::string(10000, 'x'), R"({"id":null,"ok":false,"error":{"code":"bad_request","message":"line exceeds 4096 bytes"})"},
      {"{\"id\":8,\"op\":\"ping\"}", R"({"id":8,"ok":true,"pong":true)"},
  };
  for (const auto& [line, expected] : cases) {
    c.Send(line + "\n");
    EXPECT_THAT(c.ReadLine(), HasSubstr(expected)) << line.substr(0, 60);
  }
  c.Send("\x01\x02\xff\n{\"id\":9,\"op\":\"ping\"}\n");
  EXPECT_THAT(c.ReadLine(), HasSubstr("request must be a JSON object"));
  EXPECT_THAT(c.ReadLine(), HasSubstr(R"({"id":9,"ok":true)"));
}

TEST_F(OtterdTest, BinaryFrameWithALyingLengthIsRefusedAndClosed) {
  for (std::string header : {std::string("\xF0\xFF\xFF\xFF", 4), std::string("\x03\x00\x00\x00", 4)}) {
    Client c = Client::Tcp(daemon_->port());
    c.Send(EncodeHandshake(""));
    ASSERT_EQ(c.ReadBytes(kHandshakeHeaderBytes), EncodeHandshakeReply());
    c.Send(header + std::string(10, '\0'));
    auto [id, payload] = c.ReadFrame();
    EXPECT_EQ(id, 0u);
    EXPECT_THAT(payload, HasSubstr(R"("code":"bad_request")"));
    EXPECT_TRUE(c.AtEof());
  }
  Client bad_magic = Client::Tcp(daemon_->port());
  bad_magic.Send(std::string("\xF9OTRX\x00\x00\x00", 8));
  auto [id, payload] = bad_magic.ReadFrame();
  EXPECT_THAT(payload, HasSubstr("unsupported protocol version"));
  Client c = Client::Tcp(daemon_->port());
  c.Send("{\"id\":1,\"op\":\"ping\"}\n");
  EXPECT_THAT(c.ReadLine(), HasSubstr("\"pong\":true"));
}

TEST_F(OtterdTest, HalfARequestThenSilenceTimesOutWithAnError) {
  {
    Client vanishing = Client::Tcp(daemon_->port());
    vanishing.Send("{\"id\":1,\"op\":\"pi");
  }
  Client slow = Client::Tcp(daemon_->port());
  slow.Send("{\"id\":1,\"op\":\"pi");
  EXPECT_THAT(slow.ReadLine(3000),
              HasSubstr(R"("code":"unavailable","message":"request not received in full within 500 ms")"));
  EXPECT_TRUE(slow.AtEof());
  Client c = Client::Tcp(daemon_->port());
  c.Send("{\"id\":2,\"op\":\"ping\"}\n");
  EXPECT_THAT(c.ReadLine(), HasSubstr("\"pong\":true"));
}

TEST_F(OtterdTest, TwoThousandConcurrentConnectionsEachPing) {
  rlimit limit;
  getrlimit(RLIMIT_NOFILE, &limit);
  limit.rlim_cur = limit.rlim_max;
  setrlimit(RLIMIT_NOFILE, &limit);
  ASSERT_GE(limit.rlim_cur, 2100u) << "the hard open-file limit is too low for this test";

  const uint64_t rss_before = daemon_->Rss();
  constexpr int kConnections = 2000;
  std::vector<Client> clients;
  clients.reserve(kConnections);
  for (int i = 0; i < kConnections; ++i) {
    clients.push_back(Client::Tcp(daemon_->port()));
    ASSERT_TRUE(clients.back().connected()) << i;
  }
  for (int i = 0; i < kConnections; ++i) {
    clients[static_cast<std::size_t>(i)].Send("{\"id\":" + std::to_string(i) + ",\"op\":\"ping\"}\n");
  }
  for (int i = 0; i < kConnections; ++i) {
    ASSERT_THAT(clients[static_cast<std::size_t>(i)].ReadLine(),
                StartsWith("{\"id\":" + std::to_string(i) + ",\"ok\":true"));
  }
  const uint64_t rss_after = daemon_->Rss();
  Client probe = Client::Tcp(daemon_->port());
  probe.Send("{\"op\":\"stats\"}\n");
  EXPECT_THAT(probe.ReadLine(), HasSubstr("\"open\":" + std::to_string(kConnections + 1)));
  const double per_connection =
      rss_after > rss_before ? static_cast<double>(rss_after - rss_before) / kConnections : 0;
  RecordProperty("rss_bytes_per_idle_connection", static_cast<int>(per_connection));
  std::printf("daemon RSS %.1f MiB -> %.1f MiB with %d idle connections: %.0f bytes each\n",
              static_cast<double>(rss_before) / (1 << 20), static_cast<double>(rss_after) / (1 << 20),
              kConnections, per_connection);
}

TEST(OtterdLimitsTest, ConnectionCapRefusesPolitely) {
  Otterd daemon({"--max-connections", "3"});
  std::vector<Client> clients;
  for (int i = 0; i < 3; ++i) {
    clients.push_back(Client::Tcp(daemon.port()));
    clients.back().Send("{\"op\":\"ping\"}\n");
    ASSERT_THAT(clients.back().ReadLine(), HasSubstr("\"pong\":true"));
  }
  Client refused = Client::Tcp(daemon.port());
  EXPECT_EQ(refused.ReadLine(),
            R"({"id":null,"ok":false,"error":{"code":"overloaded","message":"connection limit of 3 reached"},"took_us":0,"as_of":0})");
  EXPECT_TRUE(refused.AtEof());
  clients.pop_back();
  // The slot frees once the daemon sees the close.
  for (int attempt = 0; attempt < 100; ++attempt) {
    Client again = Client::Tcp(daemon.port());
    again.Send("{\"op\":\"ping\"}\n");
    if (again.ReadLine().find("\"pong\":true") != std::string::npos) return;
    usleep(20000);
  }
  ADD_FAILURE() << "a freed slot was never reused";
}

TEST(OtterdLimitsTest, SharedSecretAuthentication) {
  const TempDir temp;
  const std::string& dir = temp.path();
  { std::ofstream(dir + "/token") << "s3cret\n"; }
  Otterd daemon({"--auth-token-file", dir + "/token"});
  Client c = Client::Tcp(daemon.port());
  c.Send("{\"id\":1,\"op\":\"ping\"}\n{\"id\":2,\"op\":\"auth\",\"token\":\"s3cret\"}\n{\"id\":3,\"op\":\"ping\"}\n");
  EXPECT_THAT(c.ReadLine(), HasSubstr(R"({"id":1,"ok":false,"error":{"code":"unauthorized")"));
  EXPECT_THAT(c.ReadLine(), StartsWith(R"({"id":2,"ok":true)"));
  EXPECT_THAT(c.ReadLine(), HasSubstr("\"pong\":true"));

  Client wrong = Client::Tcp(daemon.port());
  wrong.Send("{\"id\":1,\"op\":\"auth\",\"token\":\"guess\"}\n");
  EXPECT_THAT(wrong.ReadLine(), HasSubstr(R"("code":"unauthorized","message":"invalid auth token")"));
  EXPECT_TRUE(wrong.AtEof());

  Client binary = Client::Tcp(daemon.port());
  binary.Send(EncodeHandshake("s3cret") + Frame(5, 1, ""));
  EXPECT_EQ(binary.ReadBytes(kHandshakeHeaderBytes), EncodeHandshakeReply());
  EXPECT_THAT(binary.ReadFrame().second, HasSubstr("\"pong\":true"));

  Client binary_wrong = Client::Tcp(daemon.port());
  binary_wrong.Send(EncodeHandshake("nope"));
  EXPECT_THAT(binary_wrong.ReadFrame().second, HasSubstr("\"unauthorized\""));
  EXPECT_TRUE(binary_wrong.AtEof());
}

TEST(OtterdLimitsTest, SighupReloadsLimitsFromTheConfigFile) {
  const TempDir temp;
  const std::string& dir = temp.path();
  { std::ofstream(dir + "/otterd.conf") << "# limits\nmax_connections = 100\n"; }
  Otterd daemon({"--config", dir + "/otterd.conf"});
  { std::ofstream(dir + "/otterd.conf") << "max_connections = 1\nlog_level = debug\n"; }
  kill(daemon.pid(), SIGHUP);
  for (int attempt = 0; attempt < 100 && daemon.Stderr().find("event=reloaded") == std::string::npos; ++attempt) {
    usleep(20000);
  }
  Client first = Client::Tcp(daemon.port());
  first.Send("{\"op\":\"ping\"}\n");
  EXPECT_THAT(first.ReadLine(), HasSubstr("\"pong\":true"));
  Client second = Client::Tcp(daemon.port());
  EXPECT_THAT(second.ReadLine(), HasSubstr("\"overloaded\""));
}

TEST(OtterdLimitsTest, SigtermDrainsAndExitsZero) {
  Otterd daemon;
  Client idle = Client::Tcp(daemon.port());
  Client busy = Client::Tcp(daemon.port());
  std::string batch;
  for (int i = 0; i < 200; ++i) batch += "{\"id\":" + std::to_string(i) + ",\"op\":\"ping\"}\n";
  busy.Send(batch);
  ASSERT_THAT(busy.ReadLine(), StartsWith("{\"id\":0,"));
  ASSERT_EQ(kill(daemon.pid(), SIGTERM), 0);
  for (int i = 1; i < 200; ++i) ASSERT_THAT(busy.ReadLine(), StartsWith("{\"id\":" + std::to_string(i) + ","));
  EXPECT_TRUE(idle.AtEof());
  const int status = daemon.WaitExit(std::chrono::seconds(10));
  ASSERT_TRUE(WIFEXITED(status)) << status;
  EXPECT_EQ(WEXITSTATUS(status), 0);
  struct stat st;
  EXPECT_NE(stat(daemon.unix_path().c_str(), &st), 0) << "the unix socket file was left behind";
}

TEST(OtterdConfigTest, BadSettingsExitWithAClearMessage) {
  const TempDir temp;
  const std::string& dir = temp.path();
  const std::string command = std::string(OTTERD_PATH) + " --threads x 2>" + dir + "/err";
  const int status = std::system(command.c_str());
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 2);
  std::ifstream in(dir + "/err");
  std::string message(std::istreambuf_iterator<char>(in), {});
  EXPECT_EQ(message, "otterd: --threads: must be an integer within [0, 1024], not \"x\"\n");
}

// Runs otter-cli with `args` (and `input` on stdin); returns its exit
// status and stdout.
std::pair<int, std::string> RunCli(const std::string& args, const std::string& input = "") {
  const TempDir temp;
  const std::string& dir = temp.path();
  {
    std::ofstream in(dir + "/in");
    in << input;
  }
  const std::string command = std::string(OTTER_CLI_PATH) + " " + args + " <" + dir + "/in >" + dir + "/out 2>&1";
  const int status = std::system(command.c_str());
  std::ifstream out(dir + "/out");
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, std::string(std::istreambuf_iterator<char>(out), {})};
}

TEST_F(OtterdTest, CliSendsArgumentsOrStdinAndReportsFailureInItsStatus) {
  const std::string tcp = "--connect 127.0.0.1:" + std::to_string(daemon_->port());
  auto [status, out] = RunCli(tcp + R"( '{"id":1,"op":"ping"}' '{"id":2,"op":"health"}')");
  EXPECT_EQ(status, 0) << out;
  EXPECT_THAT(out, StartsWith("{\"id\":1,\"ok\":true,\"pong\":true"));
  EXPECT_THAT(out, HasSubstr("{\"id\":2,\"ok\":true,\"status\":"));

  std::tie(status, out) = RunCli("--connect unix:" + daemon_->unix_path(), "{\"op\":\"ping\"}\n\n{\"op\":\"serch\"}\n");
  EXPECT_EQ(status, 1) << out;
  EXPECT_THAT(out, HasSubstr("\"pong\":true"));
  EXPECT_THAT(out, HasSubstr("unknown op \\\"serch\\\""));

  std::tie(status, out) = RunCli("--connect 127.0.0.1:1 '{\"op\":\"ping\"}'");
  EXPECT_EQ(status, 2);
  EXPECT_THAT(out, HasSubstr("cannot connect to 127.0.0.1:1"));
}

}  // namespace
}  // namespace otter::server
