#include "server/recompute_service.h"

#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "server/log.h"

namespace otter::server {
namespace {

using Clock = std::chrono::steady_clock;

std::string UsersText(size_t users) { return users == 0 ? "all" : std::to_string(users); }

}  // namespace

RecomputeService::RecomputeService(const engine::SnapshotHolder* snapshots,
                                   RecomputeServiceOptions options)
    : snapshots_(snapshots), options_(std::move(options)) {
  thread_ = std::thread([this] { Run(); });
}

RecomputeService::~RecomputeService() { Stop(); }

absl::StatusOr<RecomputeTicket> RecomputeService::Enqueue(std::vector<engine::Uuid> users, size_t k) {
  if (k < 1 || k > loader::kMaxRecomputeK) {
    return absl::InvalidArgumentError(
        absl::StrCat("k must be in [1, ", loader::kMaxRecomputeK, "], got ", k));
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (stop_) return absl::UnavailableError("the recompute service is stopped");
  if (queue_.size() >= options_.max_queued_jobs) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "the recompute queue is full (", options_.max_queued_jobs, " jobs waiting); try again later"));
  }
  RecomputeTicket ticket;
  ticket.job = next_job_++;
  ticket.users = users.size();
  ticket.k = k;
  ticket.queued_before = queue_.size() + (status_.running.has_value() ? 1 : 0);
  Job job;
  job.status.job = ticket.job;
  job.status.users_requested = users.size();
  job.status.k = k;
  job.users = std::move(users);
  queue_.push_back(std::move(job));
  wake_.notify_one();
  return ticket;
}

RecomputeServiceStatus RecomputeService::Status() const {
  std::lock_guard<std::mutex> lock(mu_);
  RecomputeServiceStatus status = status_;
  status.queued = queue_.size();
  return status;
}

void RecomputeService::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!stop_) {
      stop_ = true;
      status_.jobs_cancelled += queue_.size();
      queue_.clear();
      wake_.notify_all();
    }
  }
  std::call_once(joined_, [this] { thread_.join(); });
}

bool RecomputeService::stopping() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stop_;
}

void RecomputeService::Run() {
  for (;;) {
    Job job;
    {
      std::unique_lock<std::mutex> lock(mu_);
      wake_.wait(lock, [this] { return stop_ || !queue_.empty(); });
      if (stop_) return;
      job = std::move(queue_.front());
      queue_.pop_front();
      status_.running = job.status;
    }
    Log(LogLevel::kInfo, "recompute_started",
        {{"job", std::to_string(job.status.job)},
         {"users", UsersText(job.status.users_requested)},
         {"k", std::to_string(job.status.k)}});
    RecomputeJobResult result = RunJob(std::move(job));
    if (result.status.ok()) {
      Log(LogLevel::kInfo, "recompute_finished",
          {{"job", std::to_string(result.job.job)},
           {"users", std::to_string(result.report.users)},
           {"users_without_traits", std::to_string(result.report.users_without_traits)},
           {"rows_written", std::to_string(result.report.rows_written)},
           {"rows_deleted", std::to_string(result.report.rows_deleted)},
           {"scoring_s", absl::StrFormat("%.3f", result.report.scoring_seconds)},
           {"writing_s", absl::StrFormat("%.3f", result.report.writing_seconds)}});
    } else {
      Log(result.status.code() == absl::StatusCode::kCancelled ? LogLevel::kWarn : LogLevel::kError,
          "recompute_failed",
          {{"job", std::to_string(result.job.job)},
           {"attempts", std::to_string(result.job.attempts)},
           {"error", std::string(result.status.message())}});
    }
    std::lock_guard<std::mutex> lock(mu_);
    status_.running.reset();
    if (result.status.ok()) {
      ++status_.jobs_succeeded;
    } else if (result.status.code() == absl::StatusCode::kCancelled) {
      ++status_.jobs_cancelled;
    } else {
      ++status_.jobs_failed;
    }
    status_.last_finished = std::move(result);
  }
}

RecomputeJobResult RecomputeService::RunJob(Job job) {
  const Clock::time_point start = Clock::now();
  RecomputeJobResult result;
  const uint64_t id = job.status.job;
  loader::RecomputeOptions options;
  options.users = std::move(job.users);
  options.k = job.status.k;
  options.batch_users = options_.batch_users;
  options.threads = options_.threads;
  options.progress = [this, id](const loader::RecomputeProgress& p) {
    std::lock_guard<std::mutex> lock(mu_);
    if (status_.running.has_value() && status_.running->job == id) {
      status_.running->users_done = p.users_done;
      status_.running->users_total = p.users_total;
      status_.running->rows_written = p.rows_written;
    }
  };
  options.cancelled = [this] { return stopping(); };

  constexpr int kAttempts = 2;
  for (int attempt = 1; attempt <= kAttempts; ++attempt) {
    job.status.attempts = attempt;
    {
      std::unique_lock<std::mutex> lock(mu_);
      if (attempt > 1) {
        // Wait before reconnecting, unless Stop() comes first.
        wake_.wait_for(lock, options_.retry_delay, [this] { return stop_; });
        if (stop_) {
          result.status = absl::CancelledError("the recompute service stopped before the retry");
          break;
        }
      }
      if (status_.running.has_value()) status_.running->attempts = attempt;
    }
    result.status = EnsureConnected();
    if (result.status.ok()) {
      std::shared_ptr<const engine::Snapshot> snapshot = snapshots_->Acquire();
      if (snapshot == nullptr) {
        result.status = absl::UnavailableError("no engine snapshot has been published yet");
        break;
      }
      absl::StatusOr<loader::RecomputeReport> report =
          loader::RecomputeMatches(*conn_, *snapshot, options);
      result.status = report.status();
      if (report.ok()) {
        result.report = *report;
        break;
      }
    }
    const bool connection_lost = !conn_.has_value() || !conn_->ok();
    if (result.status.code() == absl::StatusCode::kCancelled || !connection_lost) break;
    if (attempt < kAttempts) {
      Log(LogLevel::kWarn, "recompute_retry",
          {{"job", std::to_string(id)}, {"error", std::string(result.status.message())}});
    }
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (status_.running.has_value()) job.status = *status_.running;
  }
  result.job = job.status;
  result.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return result;
}

absl::Status RecomputeService::EnsureConnected() {
  if (conn_.has_value() && conn_->ok()) return absl::OkStatus();
  conn_.reset();
  absl::StatusOr<loader::PgConnection> conn = loader::PgConnection::Connect(options_.conninfo);
  if (!conn.ok()) return conn.status();
  conn_.emplace(*std::move(conn));
  if (connected_before_) {
    std::lock_guard<std::mutex> lock(mu_);
    ++status_.reconnects;
  }
  connected_before_ = true;
  return absl::OkStatus();
}

}  // namespace otter::server
