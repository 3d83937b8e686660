#include "server/daemon.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "engine/status_macros.h"
#include "server/log.h"

namespace otter::server {
namespace {

LogLevel ToLogLevel(loader::FollowerLogLevel level) {
  switch (level) {
    case loader::FollowerLogLevel::kDebug: return LogLevel::kDebug;
    case loader::FollowerLogLevel::kInfo: return LogLevel::kInfo;
    case loader::FollowerLogLevel::kWarn: return LogLevel::kWarn;
    case loader::FollowerLogLevel::kError: return LogLevel::kError;
  }
  return LogLevel::kInfo;
}

// The follower's log events as otterd's log lines. Log() takes its fields
// as an initializer list, so the event's fields are folded into one.
void LogFollowerEvent(loader::FollowerLogLevel level, std::string_view event,
                      absl::Span<const loader::FollowerLogField> fields) {
  const LogLevel mapped = ToLogLevel(level);
  if (!LogEnabled(mapped)) return;
  std::string details;
  for (const auto& [key, value] : fields) {
    absl::StrAppend(&details, details.empty() ? "" : " ", std::string(key), "=", std::string(value));
  }
  Log(mapped, event, {{"details", details}});
}

}  // namespace

HealthReport FollowerHealth::Health() const {
  const loader::FollowerStatus status = follower_->Status();
  HealthReport report;
  switch (status.state) {
    case loader::FollowerState::kLoading: report.state = HealthState::kLoading; break;
    case loader::FollowerState::kReady: report.state = HealthState::kReady; break;
    case loader::FollowerState::kDegraded: report.state = HealthState::kDegraded; break;
  }
  report.as_of = status.as_of;
  report.change_lag_ms = static_cast<uint64_t>(std::max<int64_t>(0, status.lag_ms));
  report.detail = status.detail;
  return report;
}

absl::StatusOr<std::unique_ptr<Daemon>> Daemon::Create(Config config) {
  std::unique_ptr<Daemon> d(new Daemon(std::move(config)));
  const Config& c = d->config_;
  if (c.db.empty()) {
    d->health_ = std::make_unique<LoadingHealth>();
    d->server_ = std::make_unique<Server>(c, DispatcherParts{.health = d->health_.get()});
    return d;
  }
  if (c.record_searches) {
    PgSearchRecorderOptions record;
    record.conninfo = c.db;
    OTTER_ASSIGN_OR_RETURN(d->recorder_, PgSearchRecorder::Start(std::move(record)));
  }
  RecomputeServiceOptions recompute;
  recompute.conninfo = c.db;
  d->recompute_ = std::make_unique<RecomputeService>(&d->snapshots_, std::move(recompute));

  loader::ChangeFollowerOptions follow;
  follow.conninfo = c.db;
  follow.prune_interval = std::chrono::milliseconds(c.prune_interval_ms);
  follow.consumer_name = c.consumer_name;
  follow.log = LogFollowerEvent;
  follow.on_publish = [daemon = d.get()](const loader::FollowerPublication& p) { daemon->OnPublish(p); };
  d->follower_ = std::make_unique<loader::ChangeFollower>(std::move(follow), d->snapshots_);
  d->health_ = std::make_unique<FollowerHealth>(d->follower_.get());
  d->ops_ = std::make_unique<EngineOps>(&d->snapshots_, d->recorder_.get(), d->recompute_.get());
  d->server_ = std::make_unique<Server>(
      c, DispatcherParts{.health = d->health_.get(), .engine = d->ops_.get(), .stats = d.get()},
      &d->applied_);
  return d;
}

Daemon::~Daemon() = default;

absl::Status Daemon::Start() {
  OTTER_RETURN_IF_ERROR(server_->Start());
  if (follower_ != nullptr) OTTER_RETURN_IF_ERROR(follower_->Start());
  return absl::OkStatus();
}

int Daemon::Run() {
  const int code = server_->Run();
  if (follower_ != nullptr) follower_->Stop();
  if (recorder_ != nullptr) recorder_->Stop();
  if (recompute_ != nullptr) recompute_->Stop();
  return code;
}

void Daemon::OnPublish(const loader::FollowerPublication& publication) {
  applied_.Advance(publication.snapshot->as_of());
  if (!config_.recompute_on_quiz || publication.full_load || publication.changed_users.empty()) {
    return;
  }
  absl::StatusOr<RecomputeTicket> ticket =
      recompute_->Enqueue(publication.changed_users, config_.match_k);
  if (!ticket.ok()) {
    Log(LogLevel::kWarn, "recompute_on_quiz_refused",
        {{"users", std::to_string(publication.changed_users.size())},
         {"error", std::string(ticket.status().message())}});
  }
}

void Daemon::WriteStats(ResponseWriter& w) const {
  if (follower_ == nullptr) return;
  w.Key("engine");
  w.BeginObject();
  if (std::shared_ptr<const engine::Snapshot> snapshot = snapshots_.Acquire()) {
    const engine::Catalog& catalog = snapshot->catalog();
    w.Key("as_of");
    w.Uint(snapshot->as_of());
    w.Key("active_tours");
    w.Uint(catalog.active_tour_count());
    w.Key("tour_ids");
    w.Uint(catalog.tour_id_limit());
    w.Key("leader_ids");
    w.Uint(catalog.leader_id_limit());
    w.Key("delta_documents");
    w.Uint(snapshot->tours().delta_size() + snapshot->leaders().delta_size());
    w.Key("index_bytes");
    w.Uint(snapshot->tours().MemoryBytes() + snapshot->leaders().MemoryBytes());
  }
  w.Key("waiting_for_position");
  w.Uint(applied_.waiting());
  w.EndObject();

  const loader::FollowerStatus follower = follower_->Status();
  const loader::FollowerCounters& f = follower.counters;
  w.Key("follower");
  w.BeginObject();
  w.Key("state");
  w.String(loader::FollowerStateName(follower.state));
  w.Key("lag_ms");
  w.Int(follower.lag_ms);
  w.Key("prune_below");  // the position recorded in otter_change_consumers
  w.Uint(follower.prune_below);
  for (const auto& [key, value] :
       {std::pair<std::string_view, uint64_t>{"catch_ups", f.catch_ups}, {"log_rows", f.log_rows},
        {"notifications", f.notifications}, {"publishes", f.publishes}, {"failures", f.failures},
        {"reconnects", f.reconnects}, {"reloads", f.reloads}, {"prunes", f.prunes},
        {"pruned_rows", f.pruned_rows}, {"rejected_traits", f.rejected_traits}}) {
    w.Key(key);
    w.Uint(value);
  }
  w.Key("last_load_seconds");
  w.Double(f.last_load_seconds);
  w.Key("last_load_rows");
  w.Int(f.last_load_rows);
  w.EndObject();

  if (recorder_ != nullptr) {
    const SearchRecorderStats r = recorder_->stats();
    w.Key("search_recording");
    w.BeginObject();
    for (const auto& [key, value] :
         {std::pair<std::string_view, uint64_t>{"recorded", r.recorded}, {"written", r.written},
          {"dropped_queue_full", r.dropped_queue_full}, {"dropped_invalid", r.dropped_invalid},
          {"dropped_write_failed", r.dropped_write_failed}, {"batches", r.batches},
          {"errors", r.errors}, {"queued", r.queued}}) {
      w.Key(key);
      w.Uint(value);
    }
    w.EndObject();
  }

  const RecomputeServiceStatus r = recompute_->Status();
  w.Key("recompute");
  w.BeginObject();
  w.Key("queued");
  w.Uint(r.queued);
  w.Key("succeeded");
  w.Uint(r.jobs_succeeded);
  w.Key("failed");
  w.Uint(r.jobs_failed);
  w.Key("cancelled");
  w.Uint(r.jobs_cancelled);
  if (r.running) {
    w.Key("running");
    w.BeginObject();
    w.Key("job");
    w.Uint(r.running->job);
    w.Key("users_done");
    w.Uint(r.running->users_done);
    w.Key("users_total");
    w.Uint(r.running->users_total);
    w.EndObject();
  }
  if (r.last_finished) {
    w.Key("last");
    w.BeginObject();
    w.Key("job");
    w.Uint(r.last_finished->job.job);
    w.Key("seconds");
    w.Double(r.last_finished->seconds);
    w.Key("users");
    w.Uint(r.last_finished->report.users);
    w.Key("rows_written");
    w.Int(r.last_finished->report.rows_written);
    if (!r.last_finished->status.ok()) {
      w.Key("error");
      w.String(std::string(r.last_finished->status.message()));
    }
    w.EndObject();
  }
  w.EndObject();
}

}  // namespace otter::server
