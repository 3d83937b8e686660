#include "loader/change_follower.h"

#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <initializer_list>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "engine/status_macros.h"
#include "loader/catalog_reader.h"
#include "loader/change_reader.h"
#include "loader/engine_feed.h"
#include "loader/pg_connection.h"

namespace otter::loader {
namespace {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr char kListenSql[] = "LISTEN otter_changes";
// Records the consumer $1's position: the fence $2, or before a bulk load
// the server's current fence (at most the fence the load will take).
constexpr char kAdvanceSql[] = "SELECT otter_change_consumer_advance($1, $2::xid8)";
constexpr char kRegisterSql[] = "SELECT otter_change_consumer_advance($1, pg_snapshot_xmin(pg_current_snapshot()))";
constexpr char kPruneSql[] = "SELECT otter_change_log_prune()";
constexpr size_t kMaxConsumerName = 200;  // otter_change_consumers_name_check

// A conninfo value, single-quoted with \ and ' escaped.
std::string Quoted(std::string_view value) {
  std::string out = "'";
  for (char c : value) {
    if (c == '\'' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('\'');
  return out;
}

// `conninfo` (key=value pairs or a URL) as key=value pairs, with the
// follower's session settings added where it sets none: an
// application_name to find the backend by, a connect timeout, and TCP
// keepalives so that a dead peer is noticed by an idle listener.
absl::StatusOr<std::string> FollowerConninfo(const std::string& conninfo, std::string_view field,
                                             const std::string& application_name) {
  if (conninfo.empty()) return absl::InvalidArgumentError(absl::StrCat(std::string(field), " must not be empty"));
  char* error = nullptr;
  PQconninfoOption* parsed = PQconninfoParse(conninfo.c_str(), &error);
  if (parsed == nullptr) {
    const std::string message =
        error != nullptr ? std::string(absl::StripTrailingAsciiWhitespace(error)) : "out of memory";
    PQfreemem(error);
    return absl::InvalidArgumentError(absl::StrCat(std::string(field), ": ", message));
  }
  std::vector<std::pair<std::string, std::string>> defaults = {
      {"application_name", application_name}, {"connect_timeout", "10"},  {"keepalives", "1"},
      {"keepalives_idle", "10"},              {"keepalives_interval", "5"}, {"keepalives_count", "3"}};
  std::string out;
  for (const PQconninfoOption* o = parsed; o->keyword != nullptr; ++o) {
    if (o->val == nullptr) continue;
    absl::StrAppend(&out, out.empty() ? "" : " ", o->keyword, "=", Quoted(o->val));
    std::erase_if(defaults, [&](const auto& d) { return d.first == o->keyword; });
  }
  PQconninfoFree(parsed);
  for (const auto& [key, value] : defaults) {
    if (!value.empty()) absl::StrAppend(&out, out.empty() ? "" : " ", key, "=", Quoted(value));
  }
  return out;
}

std::string Seconds(double seconds) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.3f", seconds);
  return buffer;
}

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

}  // namespace

std::string_view FollowerStateName(FollowerState state) {
  switch (state) {
    case FollowerState::kLoading: return "loading";
    case FollowerState::kReady: return "ready";
    case FollowerState::kDegraded: return "degraded";
  }
  return "unknown";
}

class ChangeFollower::Loop {
 public:
  Loop(ChangeFollowerOptions options, engine::SnapshotHolder& holder)
      : options_(std::move(options)), holder_(holder), backoff_(options_.reconnect_min) {}

  absl::Status Start();
  void Stop();
  FollowerStatus Status() const;
  bool WaitForAsOf(uint64_t position, milliseconds timeout) const;

 private:
  // What other threads read; guarded by mu_.
  struct Shared {
    FollowerState state = FollowerState::kLoading;
    std::string detail = "not started";
    uint64_t as_of = 0;
    uint64_t prune_below = 0;
    std::optional<Clock::time_point> lag_since;  // when the oldest pending change was made
    FollowerCounters counters;
    bool thread_done = false;
  };

  // The steps below run on the follower's thread. Those returning bool
  // return false after a failure, which they have handled (Fail()).
  void Connect();
  // Closes the connection, reports `status` and schedules a reconnect.
  void Fail(const absl::Status& status, std::string_view event);
  void CloseConnection();
  bool Load(std::string reason);
  bool CatchUpAll();
  void FollowCatchUp();
  void StartFollowing();
  void ArmWatch();
  bool DrainNotifications();
  void ScheduleCatchUp();
  void ArmSafetyTimer();
  void ArmPruneTimer();
  // Records this follower's position in otter_change_consumers: `fence`,
  // or the server's current fence when nullopt (before a bulk load); then,
  // when `prune`, prunes the log. Does nothing when prune_interval is 0. A
  // failure is counted and logged; returns false only when it broke the
  // follower's own connection (handled by Fail()).
  bool Record(std::optional<uint64_t> fence, bool prune);
  void PublishSnapshot(std::shared_ptr<const engine::Snapshot> snapshot, std::vector<engine::Uuid> users,
                       bool full_load);
  void SetState(FollowerState state, std::string detail);
  void SetDetail(std::string detail);
  void SetCancel(PGcancel* cancel);
  void Log(FollowerLogLevel level, std::string_view event, std::initializer_list<FollowerLogField> fields) const;
  static void OnNotice(void* self, const char* message);

  const ChangeFollowerOptions options_;
  engine::SnapshotHolder& holder_;
  std::string conninfo_;
  std::string prune_conninfo_;

  asio::io_context io_{1};
  asio::executor_work_guard<asio::io_context::executor_type> work_{io_.get_executor()};
  asio::steady_timer reconnect_timer_{io_};
  asio::steady_timer debounce_timer_{io_};
  asio::steady_timer safety_timer_{io_};
  asio::steady_timer prune_timer_{io_};
  std::thread thread_;
  std::atomic<bool> stopping_{false};

  // Follower thread only.
  std::optional<PgConnection> conn_;
  std::optional<PgConnection> prune_conn_;
  std::optional<asio::posix::stream_descriptor> watch_;  // conn_'s socket; never closes it
  // Incremented when the connection closes: handlers of an older one return.
  uint64_t generation_ = 0;
  bool connected_before_ = false;
  bool has_snapshot_ = false;
  bool debounce_pending_ = false;
  Clock::time_point last_catch_up_;  // when the last catch-up started
  milliseconds backoff_;
  // Set while a bulk load is due (the first, or a reload): why.
  std::optional<std::string> load_reason_ = "start";
  std::unique_ptr<engine::EngineWriter> writer_;
  std::unique_ptr<EngineFeed> feed_;  // feeds writer_
  ChangeCursor cursor_;

  mutable std::mutex mu_;
  mutable std::condition_variable changed_;  // as_of advanced, or the thread ended
  Shared shared_;                             // guarded by mu_

  std::mutex cancel_mu_;
  PGcancel* cancel_ = nullptr;  // for conn_; guarded by cancel_mu_
};

absl::Status ChangeFollower::Loop::Start() {
  if (thread_.joinable() || stopping_) {
    return absl::FailedPreconditionError("the change follower was started already");
  }
  const ChangeFollowerOptions& o = options_;
  if (o.debounce.count() < 0) return absl::InvalidArgumentError("debounce must not be negative");
  if (o.safety_interval.count() <= 0) return absl::InvalidArgumentError("safety_interval must be positive");
  if (o.reconnect_min.count() <= 0) return absl::InvalidArgumentError("reconnect_min must be positive");
  if (o.reconnect_max < o.reconnect_min) {
    return absl::InvalidArgumentError(absl::StrCat("reconnect_max (", o.reconnect_max.count(),
                                                   " ms) must not be less than reconnect_min (",
                                                   o.reconnect_min.count(), " ms)"));
  }
  if (o.prune_interval.count() < 0) return absl::InvalidArgumentError("prune_interval must not be negative");
  if (o.batch_rows <= 0) {
    return absl::InvalidArgumentError(absl::StrCat("batch_rows must be positive, got ", o.batch_rows));
  }
  if (o.prune_interval.count() > 0 && (o.consumer_name.empty() || o.consumer_name.size() > kMaxConsumerName)) {
    return absl::InvalidArgumentError(absl::StrCat("consumer_name must have 1 to ", kMaxConsumerName,
                                                   " characters while prune_interval is set, got ",
                                                   o.consumer_name.size()));
  }
  OTTER_ASSIGN_OR_RETURN(conninfo_, FollowerConninfo(o.conninfo, "conninfo", o.application_name));
  if (!o.prune_conninfo.empty()) {
    OTTER_ASSIGN_OR_RETURN(prune_conninfo_,
                           FollowerConninfo(o.prune_conninfo, "prune_conninfo", o.application_name + "-prune"));
  }
  SetState(FollowerState::kLoading, "connecting");
  thread_ = std::thread([this] {
    asio::post(io_, [this] { Connect(); });
    io_.run();
    {
      std::lock_guard<std::mutex> lock(mu_);
      shared_.thread_done = true;
    }
    changed_.notify_all();
  });
  return absl::OkStatus();
}

void ChangeFollower::Loop::Stop() {
  if (!thread_.joinable()) return;
  stopping_ = true;
  io_.stop();
  // io_.stop() ends the loop after the step under way; a long query (the
  // bulk load) is cancelled on the server. A cancel that arrives between
  // two queries is lost, hence the repetition.
  for (milliseconds wait{50};; wait = milliseconds{500}) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      if (changed_.wait_for(lock, wait, [&] { return shared_.thread_done; })) break;
    }
    std::lock_guard<std::mutex> lock(cancel_mu_);
    if (cancel_ != nullptr) {
      char error[256];
      (void)PQcancel(cancel_, error, sizeof error);
    }
  }
  thread_.join();
  CloseConnection();
  SetDetail("stopped");
}

FollowerStatus ChangeFollower::Loop::Status() const {
  std::lock_guard<std::mutex> lock(mu_);
  FollowerStatus status;
  status.state = shared_.state;
  status.as_of = shared_.as_of;
  status.prune_below = shared_.prune_below;
  status.detail = shared_.detail;
  status.counters = shared_.counters;
  if (shared_.lag_since) {
    const auto lag = std::chrono::duration_cast<milliseconds>(Clock::now() - *shared_.lag_since);
    status.lag_ms = std::max<int64_t>(0, lag.count());
  }
  return status;
}

bool ChangeFollower::Loop::WaitForAsOf(uint64_t position, milliseconds timeout) const {
  std::unique_lock<std::mutex> lock(mu_);
  return changed_.wait_for(lock, timeout, [&] { return shared_.as_of >= position; });
}

void ChangeFollower::Loop::Connect() {
  if (stopping_) return;
  absl::StatusOr<PgConnection> conn = PgConnection::Connect(conninfo_);
  if (!conn.ok()) {
    Fail(conn.status(), "connect_failed");
    return;
  }
  conn_.emplace(*std::move(conn));
  PQsetNoticeProcessor(conn_->get(), &Loop::OnNotice, this);
  SetCancel(PQgetCancel(conn_->get()));
  if (connected_before_) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      ++shared_.counters.reconnects;
    }
    Log(FollowerLogLevel::kInfo, "reconnected", {});
  }
  connected_before_ = true;
  // LISTEN before reading anything: a commit after this point notifies us,
  // one before it is read by the load or catch-up below.
  if (options_.listen) {
    if (absl::StatusOr<PgResult> r = conn_->Exec(kListenSql); !r.ok()) {
      Fail(r.status(), "listen_failed");
      return;
    }
  }
  if (!(load_reason_ ? Load(*load_reason_) : CatchUpAll())) return;
  backoff_ = options_.reconnect_min;
  StartFollowing();
}

void ChangeFollower::Loop::Fail(const absl::Status& status, std::string_view event) {
  CloseConnection();
  if (stopping_) return;
  const milliseconds delay = backoff_;
  backoff_ = std::min(backoff_ * 2, options_.reconnect_max);
  const std::string error(status.message());
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++shared_.counters.failures;
    shared_.state = has_snapshot_ ? FollowerState::kDegraded : FollowerState::kLoading;
    shared_.detail = absl::StrCat(std::string(event), ": ", error, "; retrying in ", delay.count(), " ms");
    // Changes may be waiting while we are away.
    if (has_snapshot_ && !shared_.lag_since) shared_.lag_since = Clock::now();
  }
  Log(FollowerLogLevel::kWarn, event, {{"error", error}, {"retry_ms", absl::StrCat(delay.count())}});
  reconnect_timer_.expires_after(delay);
  reconnect_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) Connect();
  });
}

void ChangeFollower::Loop::CloseConnection() {
  ++generation_;
  debounce_pending_ = false;
  debounce_timer_.cancel();
  safety_timer_.cancel();
  prune_timer_.cancel();
  if (watch_) {
    // libpq owns the socket: stop watching it without closing it.
    watch_->cancel();
    (void)watch_->release();
    watch_.reset();
  }
  SetCancel(nullptr);
  conn_.reset();
  prune_conn_.reset();
}

bool ChangeFollower::Loop::Load(std::string reason) {
  load_reason_ = reason;
  SetDetail(absl::StrCat("bulk load (", reason, ")"));
  Log(FollowerLogLevel::kInfo, "load_start", {{"reason", reason}});
  const Clock::time_point start = Clock::now();
  // Live replicas must not prune past the fence this load is about to take.
  if (!Record(std::nullopt, /*prune=*/false)) return false;
  auto writer = std::make_unique<engine::EngineWriter>(options_.writer);
  auto feed = std::make_unique<EngineFeed>(*writer);
  const ProgressCallback progress = [this](const TableProgress& p) {
    const std::string table(CatalogTableName(p.table));
    const std::string rows = absl::StrCat(p.rows);
    const std::string rate = absl::StrCat(p.seconds > 0 ? static_cast<int64_t>(double(p.rows) / p.seconds) : 0);
    Log(p.done ? FollowerLogLevel::kInfo : FollowerLogLevel::kDebug, "load_table",
        {{"table", table}, {"rows", rows}, {"seconds", Seconds(p.seconds)}, {"rows_per_s", rate},
         {"done", p.done ? "true" : "false"}});
    SetDetail(absl::StrCat("bulk load: ", table, " ", rows, " rows"));
  };
  absl::StatusOr<CatalogReadResult> load = ReadCatalog(*conn_, *feed, progress);
  if (!load.ok()) {
    Fail(load.status(), "load_failed");
    return false;
  }
  const Clock::time_point publish_start = Clock::now();
  absl::StatusOr<std::shared_ptr<const engine::Snapshot>> snapshot = writer->Publish(load->fence);
  if (!snapshot.ok()) {
    Fail(snapshot.status(), "load_failed");
    return false;
  }
  const double index_seconds = SecondsSince(publish_start);
  const double seconds = SecondsSince(start);
  int64_t rows = 0;
  for (const TableProgress& t : load->tables) rows += t.rows;

  // A full load names every user with traits; the publication says "full"
  // instead of listing them.
  (void)feed->DrainChangedUsers();
  feed_ = std::move(feed);  // before writer_: the old feed refers to the old writer
  writer_ = std::move(writer);
  cursor_ = ChangeCursor::At(load->fence);
  load_reason_.reset();
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (has_snapshot_) ++shared_.counters.reloads;
    shared_.counters.last_load_seconds = seconds;
    shared_.counters.last_load_rows = rows;
    shared_.lag_since.reset();
  }
  PublishSnapshot(*std::move(snapshot), {}, /*full_load=*/true);
  Log(FollowerLogLevel::kInfo, "load_done",
      {{"reason", reason}, {"rows", absl::StrCat(rows)}, {"seconds", Seconds(seconds)},
       {"index_seconds", Seconds(index_seconds)}, {"as_of", absl::StrCat(load->fence)}});
  return Record(cursor_.fence, /*prune=*/true);
}

bool ChangeFollower::Loop::CatchUpAll() {
  for (;;) {
    if (stopping_) return false;
    absl::StatusOr<CatchUpResult> step = CatchUp(*conn_, cursor_, *feed_, options_.batch_rows);
    if (!step.ok()) {
      Fail(step.status(), "catch_up_failed");
      return false;
    }
    if (step->pruned) {
      Log(FollowerLogLevel::kWarn, "reload", {{"reason", "pruned"}, {"fence", absl::StrCat(cursor_.fence)}});
      return Load("the change log was pruned past this follower's position");
    }
    if (step->reload_required) {
      std::vector<std::string> tables;
      for (CatalogTable t : step->keys.truncated) tables.emplace_back(CatalogTableName(t));
      std::sort(tables.begin(), tables.end());
      Log(FollowerLogLevel::kWarn, "reload", {{"reason", "truncated"}, {"tables", absl::StrJoin(tables, ",")}});
      return Load(absl::StrCat("truncated: ", absl::StrJoin(tables, ", ")));
    }
    if (step->log_rows > 0 || step->cursor.fence != cursor_.fence) {
      absl::StatusOr<std::shared_ptr<const engine::Snapshot>> snapshot = writer_->Publish(step->cursor.fence);
      if (!snapshot.ok()) {
        // The writer's catalog moved on without its indexes: start afresh.
        load_reason_ = "publish failed";
        Fail(snapshot.status(), "publish_failed");
        return false;
      }
      cursor_ = step->cursor;
      {
        std::lock_guard<std::mutex> lock(mu_);
        ++shared_.counters.catch_ups;
        shared_.counters.log_rows += static_cast<uint64_t>(step->log_rows);
      }
      PublishSnapshot(*std::move(snapshot), feed_->DrainChangedUsers(), /*full_load=*/false);
    } else {
      std::lock_guard<std::mutex> lock(mu_);
      ++shared_.counters.catch_ups;
    }
    if (step->caught_up) {
      std::lock_guard<std::mutex> lock(mu_);
      shared_.lag_since.reset();
      if (step->pending_age_ms) shared_.lag_since = Clock::now() - milliseconds(*step->pending_age_ms);
      break;
    }
  }
  SetState(FollowerState::kReady, "following");
  return true;
}

void ChangeFollower::Loop::FollowCatchUp() {
  last_catch_up_ = Clock::now();
  if (!CatchUpAll()) return;
  ArmSafetyTimer();
  // The catch-up's queries may have read notifications into libpq's queue.
  if (options_.listen) DrainNotifications();
}

void ChangeFollower::Loop::StartFollowing() {
  if (options_.listen) {
    boost::system::error_code ec;
    watch_.emplace(io_);
    watch_->assign(PQsocket(conn_->get()), ec);
    if (ec) {
      Fail(absl::UnavailableError(absl::StrCat("cannot watch the connection's socket: ", ec.message())),
           "connection_lost");
      return;
    }
    ArmWatch();
  }
  ArmSafetyTimer();
  ArmPruneTimer();
  if (options_.listen) DrainNotifications();
}

void ChangeFollower::Loop::ArmWatch() {
  watch_->async_wait(asio::posix::descriptor_base::wait_read,
                     [this, generation = generation_](const boost::system::error_code& ec) {
                       if (generation != generation_ || ec == asio::error::operation_aborted) return;
                       if (ec) {
                         Fail(absl::UnavailableError(absl::StrCat("waiting on the socket: ", ec.message())),
                              "connection_lost");
                         return;
                       }
                       // Re-armed before reading: bytes that arrive from now on wake us again.
                       ArmWatch();
                       DrainNotifications();
                     });
}

bool ChangeFollower::Loop::DrainNotifications() {
  PGconn* conn = conn_->get();
  int received = 0;
  // Readiness is edge-triggered: read until the socket is empty (or at its
  // end), since bytes left behind would not wake us again.
  for (;;) {
    if (PQconsumeInput(conn) == 0 || PQstatus(conn) != CONNECTION_OK) {
      Fail(absl::UnavailableError(absl::StrCat("connection lost: ",
                                               absl::StripTrailingAsciiWhitespace(PQerrorMessage(conn)))),
           "connection_lost");
      return false;
    }
    while (PGnotify* note = PQnotifies(conn)) {
      ++received;
      PQfreemem(note);
    }
    char byte;
    const ssize_t more = recv(PQsocket(conn), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    if (more > 0) continue;
    if (more == 0) {
      Fail(absl::UnavailableError("connection lost: the server closed the connection"), "connection_lost");
      return false;
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) break;
    Fail(absl::UnavailableError(absl::StrCat("connection lost: ", std::strerror(errno))), "connection_lost");
    return false;
  }
  if (received > 0) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      shared_.counters.notifications += static_cast<uint64_t>(received);
      if (!shared_.lag_since) shared_.lag_since = Clock::now();
    }
    ScheduleCatchUp();
  }
  return true;
}

void ChangeFollower::Loop::ScheduleCatchUp() {
  if (debounce_pending_) return;
  debounce_pending_ = true;
  // At most one catch-up per `debounce`: at once after a quiet spell, else
  // once `debounce` has passed since the last one started.
  debounce_timer_.expires_at(last_catch_up_ + options_.debounce);
  debounce_timer_.async_wait([this, generation = generation_](const boost::system::error_code& ec) {
    if (generation != generation_) return;
    debounce_pending_ = false;
    if (!ec) FollowCatchUp();
  });
}

void ChangeFollower::Loop::ArmSafetyTimer() {
  safety_timer_.expires_after(options_.safety_interval);
  safety_timer_.async_wait([this, generation = generation_](const boost::system::error_code& ec) {
    if (!ec && generation == generation_) FollowCatchUp();
  });
}

void ChangeFollower::Loop::ArmPruneTimer() {
  if (options_.prune_interval.count() == 0) return;
  prune_timer_.expires_after(options_.prune_interval);
  prune_timer_.async_wait([this, generation = generation_](const boost::system::error_code& ec) {
    if (ec || generation != generation_) return;
    if (!Record(cursor_.fence, /*prune=*/true)) return;
    // Queries on the listening connection may have read notifications.
    if (prune_conninfo_.empty() && options_.listen && !DrainNotifications()) return;
    ArmPruneTimer();
  });
}

bool ChangeFollower::Loop::Record(std::optional<uint64_t> fence, bool prune) {
  if (options_.prune_interval.count() == 0) return true;
  const bool separate = !prune_conninfo_.empty();
  absl::Status status;
  if (separate && !prune_conn_) {
    absl::StatusOr<PgConnection> conn = PgConnection::Connect(prune_conninfo_);
    if (conn.ok()) {
      prune_conn_.emplace(*std::move(conn));
      PQsetNoticeProcessor(prune_conn_->get(), &Loop::OnNotice, this);
    } else {
      status = conn.status();
    }
  }
  const std::string position = fence ? absl::StrCat(*fence) : "current fence";
  std::vector<PgStatement> statements;
  if (fence) {
    statements.push_back({.sql = kAdvanceSql, .params = {options_.consumer_name, position}});
  } else {
    statements.push_back({.sql = kRegisterSql, .params = {options_.consumer_name}});
  }
  if (prune) statements.push_back({.sql = kPruneSql});
  uint64_t recorded = 0;
  int64_t deleted = 0;
  if (status.ok()) {
    // One round trip, one implicit transaction.
    absl::StatusOr<std::vector<PgResult>> r = (separate ? *prune_conn_ : *conn_).ExecPipeline(statements);
    if (!r.ok()) {
      status = r.status();
    } else if ((*r)[0].rows() != 1 || !absl::SimpleAtoi(std::string((*r)[0].Get(0, 0)), &recorded) ||
               (prune && ((*r)[1].rows() != 1 || !absl::SimpleAtoi(std::string((*r)[1].Get(0, 0)), &deleted)))) {
      status = absl::DataLossError("otter_change_consumer_advance or otter_change_log_prune returned no value");
    }
  }
  if (!status.ok()) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      ++shared_.counters.prune_failures;
    }
    Log(FollowerLogLevel::kWarn, "prune_failed",
        {{"consumer", options_.consumer_name}, {"position", position}, {"error", std::string(status.message())}});
    if (separate) {
      prune_conn_.reset();
    } else if (!conn_->ok()) {
      Fail(status, "connection_lost");
      return false;
    }
    return true;
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    shared_.prune_below = recorded;
    if (prune) {
      ++shared_.counters.prunes;
      shared_.counters.pruned_rows += static_cast<uint64_t>(deleted);
    }
  }
  Log(FollowerLogLevel::kDebug, prune ? "prune" : "position_recorded",
      {{"consumer", options_.consumer_name}, {"position", absl::StrCat(recorded)}, {"rows", absl::StrCat(deleted)}});
  return true;
}

void ChangeFollower::Loop::PublishSnapshot(std::shared_ptr<const engine::Snapshot> snapshot,
                                           std::vector<engine::Uuid> users, bool full_load) {
  holder_.Publish(snapshot);
  has_snapshot_ = true;
  {
    std::lock_guard<std::mutex> lock(mu_);
    // A Snapshot published means following works again: ready at once.
    shared_.state = FollowerState::kReady;
    shared_.detail = "following";
    shared_.as_of = snapshot->as_of();
    ++shared_.counters.publishes;
    shared_.counters.rejected_traits = feed_->rejected_traits();
  }
  changed_.notify_all();
  if (options_.on_publish) {
    options_.on_publish(FollowerPublication{std::move(snapshot), std::move(users), full_load});
  }
}

void ChangeFollower::Loop::SetState(FollowerState state, std::string detail) {
  std::lock_guard<std::mutex> lock(mu_);
  shared_.state = state;
  shared_.detail = std::move(detail);
}

void ChangeFollower::Loop::SetDetail(std::string detail) {
  std::lock_guard<std::mutex> lock(mu_);
  shared_.detail = std::move(detail);
}

void ChangeFollower::Loop::SetCancel(PGcancel* cancel) {
  std::lock_guard<std::mutex> lock(cancel_mu_);
  if (cancel_ != nullptr) PQfreeCancel(cancel_);
  cancel_ = cancel;
}

void ChangeFollower::Loop::Log(FollowerLogLevel level, std::string_view event,
                               std::initializer_list<FollowerLogField> fields) const {
  if (options_.log) options_.log(level, event, absl::Span<const FollowerLogField>(fields.begin(), fields.size()));
}

// Server messages outside a query (e.g. "terminating connection due to
// administrator command") would otherwise go to stderr.
void ChangeFollower::Loop::OnNotice(void* self, const char* message) {
  static_cast<const Loop*>(self)->Log(FollowerLogLevel::kWarn, "postgres_notice",
                                      {{"message", std::string(absl::StripTrailingAsciiWhitespace(message))}});
}

ChangeFollower::ChangeFollower(ChangeFollowerOptions options, engine::SnapshotHolder& holder)
    : loop_(std::make_unique<Loop>(std::move(options), holder)) {}

ChangeFollower::~ChangeFollower() { Stop(); }

absl::Status ChangeFollower::Start() { return loop_->Start(); }

void ChangeFollower::Stop() { loop_->Stop(); }

FollowerStatus ChangeFollower::Status() const { return loop_->Status(); }

bool ChangeFollower::WaitForAsOf(uint64_t position, std::chrono::milliseconds timeout) const {
  return loop_->WaitForAsOf(position, timeout);
}

}  // namespace otter::loader
