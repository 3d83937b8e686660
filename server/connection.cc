#include "server/connection.h"

#include <algorithm>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "absl/strings/str_cat.h"
#include "server/frame_codec.h"
#include "server/line_framer.h"
#include "server/log.h"
#include "server/status_mapping.h"

namespace otter::server {
namespace {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;
using Timer = asio::basic_waitable_timer<Clock, asio::wait_traits<Clock>,
                                         asio::io_context::executor_type>;
constexpr auto kAwait = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t kReadChunk = 4096;
constexpr std::size_t kKeepCapacity = 16 * 1024;  // buffers above this shrink when empty

enum class Mode { kUnknown, kJson, kBinary, kBinaryHandshake };

// A parsed request answered after a wait (for its "after" position, for a
// query thread), with what its reply needs (a binary reply's frame header is
// written when it is answered).
struct PendingRequest {
  Request request;
  bool binary = false;
  uint64_t frame_id = 0;
  uint16_t frame_op = 0;
  Clock::time_point received;      // when it had arrived in full
  bool wait_for_position = false;  // its "after" position was not applied yet
};

uint64_t MicrosSince(Clock::time_point start) {
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start).count());
}

enum class Phase { kIdle, kPartial, kWriting, kBusy };

template <typename Socket>
class Connection final : public ConnectionBase,
                         public std::enable_shared_from_this<Connection<Socket>> {
 public:
  Connection(Socket socket, Worker& worker)
      : socket_(std::move(socket)), worker_(worker), timer_(worker.io) {
    worker_.connections.push_front(this);
    registry_position = worker_.connections.begin();
  }
  ~Connection() override {
    worker_.connections.erase(registry_position);
    worker_.stats->ConnectionClosed();
  }

  // Serves the connection; the frame holds `self` so the connection lives
  // as long as the coroutine.
  static asio::awaitable<void> Serve(std::shared_ptr<Connection> self) { co_await self->Run(); }
  void Shutdown() override {
    draining_ = true;
    if (phase_ == Phase::kIdle || phase_ == Phase::kPartial) {
      boost::system::error_code ignored;
      socket_.cancel(ignored);
    }
  }

 private:
  asio::awaitable<void> Run();
  asio::awaitable<bool> Fill();
  asio::awaitable<bool> Flush();
  // Answers the pending request: once its "after" position is applied, and
  // on a query thread for an engine op.
  asio::awaitable<void> AnswerPending();
  // Waits for `request`'s "after" position; returns when it was applied, or
  // nullopt after writing the `unavailable` reply.
  asio::awaitable<std::optional<Clock::time_point>> WaitForPosition(const Request& request,
                                                                    const Limits& limits);
  // Answers an engine op on a query thread, or `overloaded`.
  asio::awaitable<void> AnswerOnQueryThread(const Request& request, Clock::time_point ready,
                                            const Limits& limits);
  void Process();
  bool ProcessJson(const RuntimeSettings& settings);
  bool ProcessBinary(const RuntimeSettings& settings);
  // Whether the client may send requests other than auth.
  bool Authorized(const RuntimeSettings& settings) const {
    return settings.auth_token.empty() || authenticated_;
  }
  // Whether `request` must wait for its "after" position before an answer.
  bool MustWait(const Request& request, const RuntimeSettings& settings) const;
  // When `request` is answered later rather than in Process() (it waits for
  // its position or for a query thread), moves it into the returned pending
  // request; nullopt otherwise.
  std::optional<PendingRequest> Defer(Request& request, const RuntimeSettings& settings);
  void Answer(Request& request, const RuntimeSettings& settings);
  void AnswerError(std::string_view id_json, const absl::Status& status);
  // Binary replies: a frame header before the JSON, its length patched after.
  std::size_t BeginReply(uint64_t id, uint16_t op);
  void EndReply(std::size_t header_at);
  void SetDeadline(Clock::time_point deadline);
  void OnTimer(const boost::system::error_code& ec);

  Socket socket_;
  Worker& worker_;
  Timer timer_;
  Clock::time_point deadline_{};
  Clock::time_point timer_expiry_ = Clock::time_point::max();
  std::optional<Clock::time_point> partial_since_;
  // When the last read completed: every whole request in in_ had arrived by
  // then (in_ is read again only once no whole request is left in it).
  Clock::time_point received_at_{};
  std::string in_;
  std::size_t in_pos_ = 0;  // bytes of in_ already consumed
  std::string out_;
  Request request_;
  std::optional<PendingRequest> pending_;  // input processing stops while set
  LineFramer framer_;
  FrameCodec codec_;
  Mode mode_ = Mode::kUnknown;
  Phase phase_ = Phase::kBusy;
  bool authenticated_ = false;
  bool closing_ = false;  // close once out_ is written
  bool draining_ = false;
  bool timed_out_ = false;
};

template <typename Socket>
asio::awaitable<void> Connection<Socket>::Run() {
  while (!closing_) {
    if (!co_await Fill()) break;
    Process();
    // Replies written so far go out before a pending request waits.
    while (!out_.empty() || (pending_ && !closing_)) {
      if (!out_.empty()) {
        if (!co_await Flush()) {
          closing_ = true;
          break;
        }
      } else {
        co_await AnswerPending();
      }
      if (!closing_) Process();
    }
    if (draining_) break;
  }
  boost::system::error_code ignored;
  socket_.shutdown(asio::socket_base::shutdown_both, ignored);
  socket_.close(ignored);
  timer_.cancel();
}

template <typename Socket>
asio::awaitable<bool> Connection<Socket>::Fill() {
  if (in_pos_ > 0) {
    in_.erase(0, in_pos_);
    in_pos_ = 0;
  }
  if (draining_) co_return false;
  // A copy: another connection may reload the settings while this one reads.
  const Limits limits = worker_.settings().limits;
  const Clock::time_point now = Clock::now();
  if (in_.empty()) {
    partial_since_.reset();
    phase_ = Phase::kIdle;
    SetDeadline(now + std::chrono::milliseconds(limits.idle_timeout_ms));
    // Idle connections hold no buffers: they are allocated again on demand.
    std::string().swap(in_);
    std::string().swap(out_);
    // Wait for readability before touching a buffer: idle connections hold none.
    auto [ec] = co_await socket_.async_wait(asio::socket_base::wait_read, kAwait);
    if (ec) co_return false;
  } else {
    if (!partial_since_) partial_since_ = now;
    phase_ = Phase::kPartial;
    SetDeadline(*partial_since_ + std::chrono::milliseconds(limits.request_timeout_ms));
  }
  const std::size_t old_size = in_.size();
  in_.resize(old_size + std::max(kReadChunk, in_.capacity() - old_size));
  auto [ec, n] = co_await socket_.async_read_some(
      asio::buffer(in_.data() + old_size, in_.size() - old_size), kAwait);
  in_.resize(old_size + n);
  received_at_ = Clock::now();
  phase_ = Phase::kBusy;
  if (ec) {
    if (timed_out_ && !in_.empty() && !draining_) {
      // A request started but did not arrive in time: say so before closing.
      const bool binary = mode_ == Mode::kBinary || mode_ == Mode::kBinaryHandshake;
      const std::size_t at = binary ? BeginReply(0, 0) : 0;
      AnswerError("null", absl::DeadlineExceededError(absl::StrCat(
                              "request not received in full within ", limits.request_timeout_ms, " ms")));
      if (binary) {
        EndReply(at);
      } else {
        out_.push_back('\n');
      }
      closing_ = true;
      in_.clear();
      co_await Flush();
    }
    co_return false;
  }
  co_return true;
}

template <typename Socket>
asio::awaitable<bool> Connection<Socket>::Flush() {
  phase_ = Phase::kWriting;
  SetDeadline(Clock::now() + std::chrono::milliseconds(worker_.settings().limits.idle_timeout_ms));
  auto [ec, n] = co_await asio::async_write(socket_, asio::buffer(out_), kAwait);
  phase_ = Phase::kBusy;
  out_.clear();
  if (out_.capacity() > kKeepCapacity) std::string().swap(out_);
  co_return !ec;
}

template <typename Socket>
asio::awaitable<void> Connection<Socket>::AnswerPending() {
  PendingRequest pending = *std::move(pending_);
  pending_.reset();
  // A copy: a reload may replace the settings while this waits.
  const Limits limits = worker_.settings().limits;
  const std::size_t at = pending.binary ? BeginReply(pending.frame_id, pending.frame_op) : 0;
  std::optional<Clock::time_point> ready = pending.received;
  if (pending.wait_for_position) ready = co_await WaitForPosition(pending.request, limits);
  // Without `ready`, WaitForPosition() answered `unavailable`.
  if (ready && worker_.dispatcher->RunsEngineOp(pending.request)) {
    co_await AnswerOnQueryThread(pending.request, *ready, limits);
  } else if (ready) {
    ResponseWriter w(&out_);
    worker_.dispatcher->Handle(pending.request, w, Clock::now());
  }
  if (pending.binary) {
    EndReply(at);
  } else {
    out_.push_back('\n');
  }
}

template <typename Socket>
asio::awaitable<std::optional<Clock::time_point>> Connection<Socket>::WaitForPosition(
    const Request& request, const Limits& limits) {
  const auto timeout = std::chrono::milliseconds(limits.after_timeout_ms);
  // The idle timer must not close the connection while it waits.
  SetDeadline(Clock::now() + timeout + std::chrono::milliseconds(limits.idle_timeout_ms));
  const auto start = Clock::now();
  const uint64_t after = *request.after;
  if (co_await worker_.applied->WaitFor(after, timeout)) co_return Clock::now();
  AnswerError(request.id_json,
              absl::UnavailableError(absl::StrCat("position ", after, " was not applied within ",
                                                  limits.after_timeout_ms, " ms (as_of ",
                                                  worker_.applied->current(), ")")));
  worker_.stats->RecordRequest(request.op, MicrosSince(start), false);
  co_return std::nullopt;
}

template <typename Socket>
asio::awaitable<void> Connection<Socket>::AnswerOnQueryThread(const Request& request,
                                                              Clock::time_point ready,
                                                              const Limits& limits) {
  SetDeadline(Clock::now() + std::chrono::milliseconds(limits.idle_timeout_ms));
  ResponseWriter w(&out_);
  // The query thread appends the reply to out_ while this coroutine is
  // suspended. Nothing else touches out_ meanwhile (the timer and Shutdown()
  // touch only the socket and flags), and the pool posts the resumption
  // after the reply is written, which orders the write before what follows.
  const absl::Status status = co_await worker_.queries->Run(
      [&] { worker_.dispatcher->Handle(request, w, ready); },
      {.ready = ready,
       .deadline = std::chrono::milliseconds(limits.query_deadline_ms),
       .max_queued = limits.max_queued_queries});
  if (!status.ok()) {
    const uint64_t waited_us = MicrosSince(ready);
    WriteError(w, request.id_json, status, waited_us, worker_.dispatcher->AppliedPosition());
    worker_.stats->RecordRequest(request.op, waited_us, false);
  }
}

template <typename Socket>
void Connection<Socket>::Process() {
  if (pending_) return;
  const RuntimeSettings& settings = worker_.settings();
  if (mode_ == Mode::kUnknown && in_pos_ < in_.size()) {
    mode_ = IsBinaryFirstByte(static_cast<unsigned char>(in_[in_pos_])) ? Mode::kBinaryHandshake
                                                                         : Mode::kJson;
  }
  framer_.set_max_line_bytes(settings.limits.max_request_bytes);
  codec_.set_max_payload_bytes(settings.limits.max_request_bytes);
  bool answered = false;
  // Stop at the output bound: the rest waits in in_ until out_ is written.
  while (!closing_ && out_.size() < settings.limits.max_output_bytes) {
    const bool more = mode_ == Mode::kJson ? ProcessJson(settings) : ProcessBinary(settings);
    if (!more) break;
    answered = true;
  }
  if (answered) partial_since_.reset();
}

template <typename Socket>
bool Connection<Socket>::ProcessJson(const RuntimeSettings& settings) {
  LineFrame f = framer_.Next(std::string_view(in_).substr(in_pos_));
  in_pos_ += f.consumed;
  if (f.status == FrameStatus::kNeedMore) return false;
  if (f.status == FrameStatus::kError) {
    AnswerError("null", absl::InvalidArgumentError(absl::StrCat(
                            "line exceeds ", settings.limits.max_request_bytes, " bytes")));
    out_.push_back('\n');
    return true;
  }
  if (f.line.find_first_not_of(" \t\r") == std::string_view::npos) return true;  // blank line
  absl::Status s = worker_.parser.ParseLine(f.line, &request_);
  if (!s.ok()) {
    worker_.stats->RecordRejected();
    AnswerError(request_.id_json, s);
  } else if ((pending_ = Defer(request_, settings))) {
    return false;
  } else {
    Answer(request_, settings);
  }
  out_.push_back('\n');
  return true;
}

template <typename Socket>
bool Connection<Socket>::ProcessBinary(const RuntimeSettings& settings) {
  std::string_view rest = std::string_view(in_).substr(in_pos_);
  if (mode_ == Mode::kBinaryHandshake) {
    Handshake h = ParseHandshake(rest);
    if (h.status == FrameStatus::kNeedMore) return false;
    if (h.status == FrameStatus::kError) {
      const std::size_t at = BeginReply(0, 0);
      AnswerError("null", absl::InvalidArgumentError(std::string(h.error)));
      EndReply(at);
      closing_ = true;
      return false;
    }
    in_pos_ += h.consumed;
    if (!settings.auth_token.empty()) {
      if (!TokensEqual(h.token, settings.auth_token)) {
        const std::size_t at = BeginReply(0, static_cast<uint16_t>(Op::kAuth));
        AnswerError("null", absl::UnauthenticatedError("invalid auth token"));
        EndReply(at);
        closing_ = true;
        return false;
      }
      authenticated_ = true;
    }
    out_.append(EncodeHandshakeReply());
    mode_ = Mode::kBinary;
    return true;
  }
  BinaryFrame f = codec_.Next(rest);
  if (f.status == FrameStatus::kNeedMore) return false;
  if (f.status == FrameStatus::kError) {
    const std::size_t at = BeginReply(0, 0);
    AnswerError("null", absl::InvalidArgumentError(std::string(f.error)));
    EndReply(at);
    closing_ = true;  // a frame stream cannot resynchronise after a bad length
    return false;
  }
  in_pos_ += f.consumed;
  // The payload view stays valid: in_ is not touched until the reply is written.
  const std::size_t at = BeginReply(f.id, f.op);
  absl::Status s = worker_.parser.ParseFrame(f.id, f.op, f.payload, &request_);
  if (!s.ok()) {
    worker_.stats->RecordRejected();
    AnswerError(request_.id_json, s);
  } else if ((pending_ = Defer(request_, settings))) {
    out_.resize(at);  // AnswerPending() writes the header again
    pending_->binary = true;
    pending_->frame_id = f.id;
    pending_->frame_op = f.op;
    return false;
  } else {
    Answer(request_, settings);
  }
  EndReply(at);
  return true;
}

template <typename Socket>
bool Connection<Socket>::MustWait(const Request& request, const RuntimeSettings& settings) const {
  if (worker_.applied == nullptr || !request.after || !IsEngineOp(request.op)) return false;
  // An unauthenticated request is refused at once, not after a wait.
  if (!Authorized(settings)) return false;
  return *request.after > worker_.applied->current();
}

template <typename Socket>
std::optional<PendingRequest> Connection<Socket>::Defer(Request& request,
                                                        const RuntimeSettings& settings) {
  const bool wait = MustWait(request, settings);
  if (!wait && !(Authorized(settings) && worker_.dispatcher->RunsEngineOp(request))) {
    return std::nullopt;
  }
  return PendingRequest{
      .request = std::move(request), .received = received_at_, .wait_for_position = wait};
}

template <typename Socket>
void Connection<Socket>::Answer(Request& request, const RuntimeSettings& settings) {
  const bool need_auth = !Authorized(settings);
  if (request.op == Op::kAuth && !settings.auth_token.empty()) {
    if (!TokensEqual(request.token, settings.auth_token)) {
      AnswerError(request.id_json, absl::UnauthenticatedError("invalid auth token"));
      closing_ = true;
      Log(LogLevel::kWarn, "auth_failed");
      return;
    }
    authenticated_ = true;
    ResponseWriter w(&out_);
    w.BeginResponse(request.id_json, true);
    w.Finish(0, worker_.dispatcher->AppliedPosition());
    return;
  }
  if (need_auth) {
    AnswerError(request.id_json, absl::UnauthenticatedError(
                                     "authenticate first: send {\"op\":\"auth\",\"token\":\"…\"}"));
    return;
  }
  ResponseWriter w(&out_);
  worker_.dispatcher->Handle(request, w, Clock::now());
}

template <typename Socket>
void Connection<Socket>::AnswerError(std::string_view id_json, const absl::Status& status) {
  ResponseWriter w(&out_);
  WriteError(w, id_json, status, 0, worker_.dispatcher->AppliedPosition());
}

template <typename Socket>
std::size_t Connection<Socket>::BeginReply(uint64_t id, uint16_t op) {
  const std::size_t at = out_.size();
  AppendFrameHeader(out_, id, op, 0);
  return at;
}

template <typename Socket>
void Connection<Socket>::EndReply(std::size_t header_at) {
  PatchFrameLength(out_, header_at);
}

template <typename Socket>
void Connection<Socket>::SetDeadline(Clock::time_point deadline) {
  deadline_ = deadline;
  if (deadline_ >= timer_expiry_) return;  // the timer fires first and re-arms
  timer_expiry_ = deadline_;
  timer_.expires_at(deadline_);
  timer_.async_wait([weak = this->weak_from_this()](const boost::system::error_code& ec) {
    if (auto self = weak.lock()) self->OnTimer(ec);
  });
}

template <typename Socket>
void Connection<Socket>::OnTimer(const boost::system::error_code& ec) {
  if (ec == asio::error::operation_aborted) return;
  timer_expiry_ = Clock::time_point::max();
  if (Clock::now() < deadline_) {
    SetDeadline(deadline_);
    return;
  }
  timed_out_ = true;
  boost::system::error_code ignored;
  socket_.cancel(ignored);
}

template <typename Socket>
void Start(Socket socket, Worker& worker) {
  auto connection = std::make_shared<Connection<Socket>>(std::move(socket), worker);
  asio::co_spawn(worker.io, Connection<Socket>::Serve(std::move(connection)), asio::detached);
}

}  // namespace

void StartConnection(TcpSocket socket, Worker& worker) {
  boost::system::error_code ignored;
  socket.set_option(asio::ip::tcp::no_delay(true), ignored);
  Start(std::move(socket), worker);
}

void StartConnection(UnixSocket socket, Worker& worker) { Start(std::move(socket), worker); }

bool TokensEqual(std::string_view given, std::string_view expected) {
  unsigned diff = given.size() == expected.size() ? 0 : 1;
  for (std::size_t i = 0; i < expected.size(); ++i) {
    const unsigned char g = i < given.size() ? static_cast<unsigned char>(given[i]) : 0;
    diff |= g ^ static_cast<unsigned char>(expected[i]);
  }
  return diff == 0;
}

}  // namespace otter::server
