#include "bench/load/load_worker.h"

#include <algorithm>
#include <utility>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "absl/strings/str_cat.h"
#include "bench/load/rate_scheduler.h"
#include "bench/load/reply.h"
#include "bench/load/request_json.h"
#include "server/frame_codec.h"
#include "server/response_writer.h"

namespace otter::load {
namespace {

namespace asio = boost::asio;
constexpr auto kAwait = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t kReadChunk = 4096;
constexpr std::size_t kMaxReplyBytes = std::size_t{64} << 20;
constexpr auto kDrainPoll = std::chrono::milliseconds(5);
// Connection attempts in flight per thread: well under the listen backlog.
constexpr int kConnectLanes = 256;

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::chrono::steady_clock::time_point TimeOfNs(int64_t ns) {
  return std::chrono::steady_clock::time_point(std::chrono::nanoseconds(ns));
}

int64_t SecondsToNs(double seconds) { return static_cast<int64_t>(seconds * 1e9); }

}  // namespace

LoadWorker::LoadWorker(int index, const LoadOptions& options, const RequestPool& pool,
                       Coordination* coordination, const SocketAddress& address, int connections)
    : index_(index),
      options_(options),
      pool_(pool),
      coordination_(coordination),
      address_(address),
      next_request_(pool.size() * static_cast<std::size_t>(index) /
                    static_cast<std::size_t>(options.threads)) {
  connections_.reserve(static_cast<std::size_t>(connections));
  for (int i = 0; i < connections; ++i) connections_.push_back(std::make_unique<Connection>(io_));
}

LoadWorker::~LoadWorker() = default;

void LoadWorker::Run() {
  asio::co_spawn(io_, ConnectAll(), asio::detached);
  io_.run();
  io_.restart();
  coordination_->connected.count_down();
  coordination_->go.wait();
  for (auto& c : connections_) {
    if (c->open) asio::co_spawn(io_, Read(*c), asio::detached);
  }
  asio::co_spawn(io_, Drive(), asio::detached);
  io_.run();
}

void LoadWorker::CountConnectFailure(std::string message) {
  ++stats_.connect_failures;
  ++stats_.connection_events[std::move(message)];
}

asio::awaitable<void> LoadWorker::ConnectAll() {
  if (connections_.empty()) co_return;
  Timer deadline(io_);
  deadline.expires_after(std::chrono::nanoseconds(SecondsToNs(options_.connect_timeout_s)));
  connect_deadline_ = &deadline;
  lanes_left_ = std::min<int>(kConnectLanes, static_cast<int>(connections_.size()));
  for (int i = 0; i < lanes_left_; ++i) asio::co_spawn(io_, ConnectLane(), asio::detached);
  auto [ec] = co_await deadline.async_wait(kAwait);
  connect_deadline_ = nullptr;
  if (ec) co_return;  // cancelled: every lane finished
  // Abort the attempts in progress; the lanes count them and stop.
  connect_timed_out_ = true;
  for (auto& c : connections_) {
    if (!c->open) {
      boost::system::error_code ignored;
      c->socket.close(ignored);
    }
  }
}

asio::awaitable<void> LoadWorker::ConnectLane() {
  while (next_to_connect_ < connections_.size()) {
    Connection& c = *connections_[next_to_connect_++];
    if (connect_timed_out_) {
      CountConnectFailure("connect: timed out");
      continue;
    }
    if (co_await Connect(c)) {
      c.open = true;
      const int open = coordination_->open.fetch_add(1, std::memory_order_relaxed) + 1;
      int seen = coordination_->max_open.load(std::memory_order_relaxed);
      while (open > seen && !coordination_->max_open.compare_exchange_weak(seen, open)) {
      }
    } else {
      boost::system::error_code ignored;
      c.socket.close(ignored);
    }
  }
  if (--lanes_left_ == 0 && connect_deadline_ != nullptr) connect_deadline_->cancel();
}

asio::awaitable<bool> LoadWorker::Connect(Connection& c) {
  auto [ec] = co_await c.socket.async_connect(address_, kAwait);
  if (ec) {
    CountConnectFailure(connect_timed_out_ ? "connect: timed out"
                                           : absl::StrCat("connect: ", ec.message()));
    co_return false;
  }
  if (options_.endpoint.unix_path.empty()) {
    boost::system::error_code ignored;
    c.socket.set_option(asio::ip::tcp::no_delay(true), ignored);
  }
  if (options_.encoding == Encoding::kBinary) {
    const std::string hello = server::EncodeHandshake(options_.auth_token);
    auto [write_ec, written] = co_await asio::async_write(c.socket, asio::buffer(hello), kAwait);
    std::string reply(server::kHandshakeHeaderBytes, '\0');
    auto [read_ec, read] = co_await asio::async_read(c.socket, asio::buffer(reply), kAwait);
    if (write_ec || read_ec) {
      CountConnectFailure(absl::StrCat("handshake: ", (write_ec ? write_ec : read_ec).message()));
      co_return false;
    }
    if (reply != server::EncodeHandshakeReply()) {
      CountConnectFailure("handshake: refused");
      co_return false;
    }
  } else if (!options_.auth_token.empty()) {
    std::string auth = "{\"op\":\"auth\",\"token\":";
    server::ResponseWriter::AppendEscaped(auth, options_.auth_token);
    auth += "}\n";
    auto [write_ec, written] = co_await asio::async_write(c.socket, asio::buffer(auth), kAwait);
    auto [read_ec, read] =
        co_await asio::async_read_until(c.socket, asio::dynamic_buffer(c.in), '\n', kAwait);
    if (write_ec || read_ec) {
      CountConnectFailure(absl::StrCat("auth: ", (write_ec ? write_ec : read_ec).message()));
      co_return false;
    }
    if (!ScanReplyStatus(std::string_view(c.in).substr(0, read)).ok) {
      CountConnectFailure("auth: refused");
      co_return false;
    }
    c.in.erase(0, read);
  }
  co_return true;
}

LoadWorker::Connection* LoadWorker::NextOpen() {
  for (std::size_t tried = 0; tried < connections_.size(); ++tried) {
    Connection& c = *connections_[round_robin_];
    round_robin_ = (round_robin_ + 1) % connections_.size();
    if (c.open) return &c;
  }
  return nullptr;
}

void LoadWorker::Send(Connection& c, int64_t start_ns) {
  const PooledRequest& request = pool_[next_request_];
  next_request_ = (next_request_ + 1) % pool_.size();
  const uint64_t id = ++c.next_id;
  if (options_.encoding == Encoding::kBinary) {
    AppendFrame(c.out, request.op, request.fields, id);
  } else {
    c.out += request.line;
  }
  const bool measured = Measured(start_ns);
  c.in_flight.push_back(InFlight{id, start_ns, request.kind, measured});
  ++in_flight_;
  if (measured) ++stats_.requests;
  if (!c.write_active) StartWrite(c);
}

void LoadWorker::StartWrite(Connection& c) {
  c.writing.swap(c.out);
  c.out.clear();
  c.write_active = true;
  asio::async_write(c.socket, asio::buffer(c.writing),
                    [this, &c](const boost::system::error_code& ec, std::size_t) {
                      c.write_active = false;
                      c.writing.clear();
                      if (!c.open) return;
                      if (ec) {
                        Close(c, absl::StrCat("write: ", ec.message()), "connection_lost");
                      } else if (!c.out.empty()) {
                        StartWrite(c);
                      }
                    });
}

void LoadWorker::Close(Connection& c, std::string_view event, std::string_view cause) {
  if (!c.open) return;
  c.open = false;
  coordination_->open.fetch_sub(1, std::memory_order_relaxed);
  if (!event.empty()) {
    ++stats_.connections_lost;
    ++stats_.connection_events[std::string(event)];
  }
  for (const InFlight& request : c.in_flight) {
    if (request.measured) ++stats_.errors[std::string(cause)];
  }
  in_flight_ -= c.in_flight.size();
  c.in_flight.clear();
  boost::system::error_code ignored;
  c.socket.shutdown(asio::socket_base::shutdown_both, ignored);
  c.socket.close(ignored);
}

void LoadWorker::OnReply(Connection& c, std::string_view reply, uint64_t frame_id, int64_t now_ns) {
  auto it = c.in_flight.begin();
  if (options_.encoding == Encoding::kBinary) {
    // Replies may come out of order; today they do not, so the first entry
    // is almost always the one.
    it = std::find_if(c.in_flight.begin(), c.in_flight.end(),
                      [frame_id](const InFlight& r) { return r.id == frame_id; });
  }
  const ReplyStatus status = ScanReplyStatus(reply);
  if (it == c.in_flight.end()) {
    ++stats_.connection_events[absl::StrCat("unsolicited: ",
                                            status.ok ? "ok" : std::string(status.code))];
    return;
  }
  const InFlight request = *it;
  c.in_flight.erase(it);
  --in_flight_;
  if (now_ns >= measure_start_ns_ && now_ns < measure_end_ns_) ++stats_.replies_in_window;
  if (request.measured) {
    const uint64_t latency = static_cast<uint64_t>(std::max<int64_t>(0, now_ns - request.start_ns));
    KindStats& kind = stats_.kinds[static_cast<std::size_t>(request.kind)];
    stats_.latency.Record(latency);
    kind.latency.Record(latency);
    if (status.ok) {
      ++kind.ok;
    } else {
      ++kind.errors;
      ++stats_.errors[std::string(status.code)];
    }
  }
  if (options_.rate == 0 && now_ns < measure_end_ns_) Send(c, now_ns);
}

asio::awaitable<void> LoadWorker::Read(Connection& c) {
  const server::FrameCodec codec(kMaxReplyBytes);
  const bool binary = options_.encoding == Encoding::kBinary;
  while (c.open) {
    const std::size_t old_size = c.in.size();
    c.in.resize(old_size + std::max(kReadChunk, c.in.capacity() - old_size));
    auto [ec, n] = co_await c.socket.async_read_some(
        asio::buffer(c.in.data() + old_size, c.in.size() - old_size), kAwait);
    c.in.resize(old_size + n);
    if (ec) {
      Close(c, ec == asio::error::eof ? "closed_by_server" : absl::StrCat("read: ", ec.message()),
            "connection_lost");
      co_return;
    }
    const int64_t now_ns = NowNs();
    for (;;) {
      const std::string_view unread = std::string_view(c.in).substr(c.in_pos);
      if (binary) {
        const server::BinaryFrame frame = codec.Next(unread);
        if (frame.status == server::FrameStatus::kNeedMore) break;
        if (frame.status == server::FrameStatus::kError) {
          Close(c, absl::StrCat("bad reply frame: ", std::string(frame.error)), "connection_lost");
          co_return;
        }
        c.in_pos += frame.consumed;
        OnReply(c, frame.payload, frame.id, now_ns);
      } else {
        const server::LineFrame line = c.framer.Next(unread);
        c.in_pos += line.consumed;
        if (line.status == server::FrameStatus::kNeedMore) break;
        if (line.status == server::FrameStatus::kError) {
          Close(c, "reply line too long", "connection_lost");
          co_return;
        }
        OnReply(c, line.line, 0, now_ns);
      }
      if (!c.open) co_return;
    }
    c.in.erase(0, c.in_pos);
    c.in_pos = 0;
  }
}

asio::awaitable<void> LoadWorker::Drive() {
  const int64_t start_ns = coordination_->start_ns.load();
  measure_start_ns_ = start_ns + SecondsToNs(options_.warmup_s);
  measure_end_ns_ = measure_start_ns_ + SecondsToNs(options_.duration_s);
  Timer timer(io_);
  timer.expires_at(TimeOfNs(start_ns));
  co_await timer.async_wait(kAwait);

  if (options_.rate > 0) {
    const double threads = options_.threads;
    RateScheduler schedule(options_.rate / threads, TimeOfNs(start_ns), index_ / threads);
    const auto tick = std::chrono::microseconds(options_.tick_us);
    for (bool running = true; running;) {
      const Clock::time_point now = Clock::now();
      while (const std::optional<Clock::time_point> due = schedule.PopDue(now)) {
        const int64_t due_ns =
            std::chrono::duration_cast<std::chrono::nanoseconds>(due->time_since_epoch()).count();
        if (due_ns >= measure_end_ns_) {
          running = false;
          break;
        }
        if (Connection* c = NextOpen()) {
          Send(*c, due_ns);
        } else if (Measured(due_ns)) {
          ++stats_.requests;
          ++stats_.errors["no_connection"];
        }
      }
      if (!running) break;
      // Sleeping at least a tick lets sends due close together go out in one
      // wake-up: a timer per request costs the generator more CPU than the
      // sends. The wait shows in the latency, which starts at the schedule.
      timer.expires_at(std::max(schedule.next(), now + tick));
      co_await timer.async_wait(kAwait);
    }
  } else {
    const int64_t now_ns = NowNs();
    for (auto& c : connections_) {
      for (int i = 0; i < options_.pipeline && c->open; ++i) Send(*c, now_ns);
    }
    timer.expires_at(TimeOfNs(measure_end_ns_));
    co_await timer.async_wait(kAwait);
  }

  for (const auto& c : connections_) stats_.open_at_end += c->open ? 1 : 0;
  const int64_t drain_end_ns = NowNs() + SecondsToNs(options_.drain_timeout_s);
  while (in_flight_ > 0 && NowNs() < drain_end_ns) {
    timer.expires_after(kDrainPoll);
    co_await timer.async_wait(kAwait);
  }
  for (auto& c : connections_) Close(*c, "", "unanswered");
}

}  // namespace otter::load
