#include "server/search_recorder.h"

#include <algorithm>
#include <chrono>
#include <limits>
#include <utility>

#include "absl/strings/str_cat.h"

#include "engine/status_macros.h"
#include "server/log.h"

namespace otter::server {
namespace {

constexpr char kApplicationName[] = "otterd search recorder";

// Now plus `d`, with `d` capped at a year so that the sum cannot overflow
// (an infinite stop_timeout or flush_interval).
std::chrono::steady_clock::time_point SteadyAfter(absl::Duration d) {
  return std::chrono::steady_clock::now() +
         absl::ToChronoNanoseconds(std::min(d, absl::Hours(24 * 365)));
}

absl::Status Positive(absl::Duration d, std::string_view name) {
  if (d > absl::ZeroDuration()) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat(std::string(name), " must be positive, not ", absl::FormatDuration(d)));
}

absl::Status Validate(const PgSearchRecorderOptions& o) {
  if (o.conninfo.empty()) return absl::InvalidArgumentError("conninfo must not be empty");
  if (o.capacity == 0) return absl::InvalidArgumentError("capacity must be at least 1");
  if (o.batch_size == 0) return absl::InvalidArgumentError("batch_size must be at least 1");
  OTTER_RETURN_IF_ERROR(Positive(o.flush_interval, "flush_interval"));
  OTTER_RETURN_IF_ERROR(Positive(o.statement_timeout, "statement_timeout"));
  OTTER_RETURN_IF_ERROR(Positive(o.min_backoff, "min_backoff"));
  if (o.max_backoff < o.min_backoff) {
    return absl::InvalidArgumentError(absl::StrCat(
        "max_backoff (", absl::FormatDuration(o.max_backoff), ") must not be below min_backoff (",
        absl::FormatDuration(o.min_backoff), ")"));
  }
  if (o.stop_timeout < absl::ZeroDuration()) {
    return absl::InvalidArgumentError(absl::StrCat("stop_timeout must not be negative, not ",
                                                   absl::FormatDuration(o.stop_timeout)));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<PgSearchRecorder>> PgSearchRecorder::Start(
    PgSearchRecorderOptions options) {
  OTTER_RETURN_IF_ERROR(Validate(options));
  std::unique_ptr<PgSearchRecorder> recorder(new PgSearchRecorder(std::move(options)));
  recorder->thread_ = std::thread([r = recorder.get()] { r->Run(); });
  return recorder;
}

PgSearchRecorder::PgSearchRecorder(PgSearchRecorderOptions options)
    : options_(std::move(options)), backoff_(options_.min_backoff) {}

PgSearchRecorder::~PgSearchRecorder() { Stop(); }

void PgSearchRecorder::Record(SearchRecord record) {
  const std::optional<loader::SearchLogType> type = loader::ParseSearchLogType(record.search_type);
  loader::SearchLogRow row{.type = type.value_or(loader::SearchLogType::kTours),
                           .query = std::move(record.query),
                           .filters_json = std::move(record.filters_json),
                           .results_count = record.results_count,
                           .took_us = record.took_us,
                           .user_id = record.user_id,
                           .searched_at = std::chrono::system_clock::now()};
  bool batch_full = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++stats_.recorded;
    if (!type) {
      ++stats_.dropped_invalid;
    } else if (stopping_ || queue_.size() >= options_.capacity) {
      ++stats_.dropped_queue_full;
    } else {
      queue_.push_back(std::move(row));
      batch_full = queue_.size() == options_.batch_size;
    }
  }
  if (batch_full) wake_.notify_one();
}

void PgSearchRecorder::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!stopping_) {
      stopping_ = true;
      stop_deadline_ = SteadyAfter(options_.stop_timeout);
    }
  }
  wake_.notify_one();
  std::call_once(joined_, [this] {
    thread_.join();
    const SearchRecorderStats s = stats();
    Log(LogLevel::kInfo, "search_log_stopped",
        {{"recorded", std::to_string(s.recorded)},
         {"written", std::to_string(s.written)},
         {"dropped_queue_full", std::to_string(s.dropped_queue_full)},
         {"dropped_invalid", std::to_string(s.dropped_invalid)},
         {"dropped_write_failed", std::to_string(s.dropped_write_failed)}});
  });
}

SearchRecorderStats PgSearchRecorder::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  SearchRecorderStats s = stats_;
  s.queued = queue_.size();
  return s;
}

void PgSearchRecorder::Run() {
  std::vector<loader::SearchLogRow> taken;
  for (;;) {
    bool stopping = false;
    SteadyTime deadline;
    {
      std::unique_lock<std::mutex> lock(mu_);
      wake_.wait_until(lock, SteadyAfter(options_.flush_interval),
                       [this] { return stopping_ || queue_.size() >= options_.batch_size; });
      stopping = stopping_;
      deadline = stop_deadline_;
      taken.swap(queue_);
    }
    Flush(taken, deadline, stopping);
    taken.clear();
    if (stopping) return;
  }
}

void PgSearchRecorder::Flush(absl::Span<const loader::SearchLogRow> rows, SteadyTime deadline,
                             bool stopping) {
  uint64_t queue_full = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    queue_full = stats_.dropped_queue_full;
  }
  if (queue_full > queue_full_logged_) {
    Log(LogLevel::kWarn, "search_log_queue_full",
        {{"dropped", std::to_string(queue_full - queue_full_logged_)}});
    queue_full_logged_ = queue_full;
  }
  if (rows.empty()) return;
  if (!EnsureConnected(stopping)) {
    CountDropped(rows.size());
    return;
  }
  for (size_t at = 0; at < rows.size(); at += options_.batch_size) {
    if (std::chrono::steady_clock::now() >= deadline) {
      Log(LogLevel::kWarn, "search_log_stop_timeout",
          {{"dropped", std::to_string(rows.size() - at)}});
      CountDropped(rows.size() - at);
      return;
    }
    const absl::Span<const loader::SearchLogRow> batch = rows.subspan(at, options_.batch_size);
    const absl::StatusOr<loader::SearchLogWriteResult> written =
        loader::WriteSearchLog(*conn_, batch);
    if (!written.ok()) {
      // Later batches would most likely fail the same way: bounded memory
      // beats completeness for analytics.
      CountError(written.status());
      CountDropped(rows.size() - at);
      Log(LogLevel::kWarn, "search_log_write_failed",
          {{"error", std::string(written.status().message())},
           {"dropped", std::to_string(rows.size() - at)},
           {"retry_in", absl::FormatDuration(backoff_)}});
      BackOff();
      return;
    }
    backoff_ = options_.min_backoff;
    std::lock_guard<std::mutex> lock(mu_);
    stats_.written += written->history_rows;
    ++stats_.batches;
  }
}

bool PgSearchRecorder::EnsureConnected(bool stopping) {
  if (conn_ && conn_->ok()) return true;
  conn_.reset();
  if (!stopping && std::chrono::steady_clock::now() < next_connect_) return false;

  absl::StatusOr<loader::PgConnection> conn = loader::PgConnection::Connect(options_.conninfo);
  absl::Status status = conn.status();
  if (status.ok()) {
    // PostgreSQL takes 1 ms to INT_MAX ms; 0 would mean no limit at all.
    const std::string timeout_ms = std::to_string(std::clamp<int64_t>(
        absl::ToInt64Milliseconds(options_.statement_timeout), 1, std::numeric_limits<int>::max()));
    status = conn->Exec(
                     "SELECT set_config('statement_timeout', $1, false),"
                     " set_config('application_name', $2, false)",
                     {timeout_ms, kApplicationName})
                 .status();
  }
  if (!status.ok()) {
    CountError(status);
    Log(LogLevel::kWarn, "search_log_connect_failed",
        {{"error", std::string(status.message())}, {"retry_in", absl::FormatDuration(backoff_)}});
    BackOff();
    return false;
  }
  conn_.emplace(*std::move(conn));
  Log(LogLevel::kInfo, "search_log_connected");
  return true;
}

void PgSearchRecorder::BackOff() {
  conn_.reset();
  next_connect_ = SteadyAfter(backoff_);
  backoff_ = std::min(backoff_ * 2, options_.max_backoff);
}

void PgSearchRecorder::CountError(const absl::Status& error) {
  std::lock_guard<std::mutex> lock(mu_);
  ++stats_.errors;
  stats_.last_error = std::string(error.message());
}

void PgSearchRecorder::CountDropped(size_t rows) {
  std::lock_guard<std::mutex> lock(mu_);
  stats_.dropped_write_failed += rows;
}

}  // namespace otter::server
