#pragma once
// RecomputeService: otterd's MatchRecomputer. Enqueue() puts a job in a
// bounded queue and returns at once; one background thread with its own
// PostgreSQL connection runs the jobs one after another, each against the
// snapshot current when it starts (loader::RecomputeMatches), and keeps a
// status for the daemon's stats.
//
//   RecomputeService service(&holder, {.conninfo = db_url});
//   absl::StatusOr<RecomputeTicket> t = service.Enqueue({alice, bob}, 50);
//   RecomputeServiceStatus s = service.Status();   // for `stats`
//   service.Stop();                                // at shutdown
//
// Connections: opened when the first job runs and kept. A job that fails
// because the connection was lost (or could not be opened) is retried once,
// from the start, on a new connection after options.retry_delay; a second
// failure is reported. Batches committed by the failed attempt are simply
// written again.
//
// Stop() cancels: jobs still queued are dropped (counted in
// jobs_cancelled), the running job stops before its next batch (its
// committed batches stay; it is reported as cancelled), and the thread is
// joined. Enqueue() after Stop() answers kUnavailable.
//
// Thread safety: Enqueue(), Status() and Stop() may be called from any
// thread at once.

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "engine/snapshot.h"
#include "engine/uuid.h"
#include "loader/match_recompute.h"
#include "loader/pg_connection.h"
#include "server/engine_services.h"

namespace otter::server {

struct RecomputeServiceOptions {
  // libpq conninfo or URL of the database to write.
  std::string conninfo;
  // Jobs waiting (not counting the running one) before Enqueue() answers
  // kResourceExhausted.
  size_t max_queued_jobs = 16;
  // Users per transaction and scoring threads (0: one per core), as in
  // loader::RecomputeOptions.
  size_t batch_users = 5000;
  int threads = 0;
  // The wait before retrying a job whose connection was lost.
  std::chrono::milliseconds retry_delay{500};
};

// A job as Status() shows it.
struct RecomputeJobStatus {
  uint64_t job = 0;
  size_t users_requested = 0;  // 0: every user with traits
  size_t k = 0;
  size_t users_done = 0;   // committed so far (of the current attempt)
  size_t users_total = 0;  // 0 until the attempt knows
  int64_t rows_written = 0;
  int attempts = 0;
};

// A job that ended: its report when `status` is OK.
struct RecomputeJobResult {
  RecomputeJobStatus job;
  absl::Status status;
  loader::RecomputeReport report;
  double seconds = 0;  // from start to end, all attempts
};

struct RecomputeServiceStatus {
  size_t queued = 0;  // waiting, not counting the running job
  std::optional<RecomputeJobStatus> running;
  std::optional<RecomputeJobResult> last_finished;
  uint64_t jobs_succeeded = 0;
  uint64_t jobs_failed = 0;
  uint64_t jobs_cancelled = 0;  // dropped or stopped by Stop()
  uint64_t reconnects = 0;      // connections opened after the first
};

class RecomputeService final : public MatchRecomputer {
 public:
  // Starts the background thread. `snapshots` must outlive the service; a
  // job that starts while it holds no snapshot fails with kUnavailable.
  RecomputeService(const engine::SnapshotHolder* snapshots, RecomputeServiceOptions options);
  // Stop().
  ~RecomputeService() override;
  RecomputeService(const RecomputeService&) = delete;
  RecomputeService& operator=(const RecomputeService&) = delete;

  // Queues a recompute of `users` (empty: every user with traits), keeping
  // `k` leaders each. kInvalidArgument for k outside [1, 1000] (naming k);
  // kResourceExhausted when max_queued_jobs jobs are waiting; kUnavailable
  // after Stop().
  absl::StatusOr<RecomputeTicket> Enqueue(std::vector<engine::Uuid> users, size_t k) override;

  // A consistent copy of the queue's and the jobs' state.
  RecomputeServiceStatus Status() const;

  // Cancels queued and running work (see the file comment) and joins the
  // thread. Idempotent.
  void Stop();

 private:
  struct Job {
    RecomputeJobStatus status;
    std::vector<engine::Uuid> users;
  };

  void Run();
  // Runs one job to its end (with the one retry) and returns its result.
  RecomputeJobResult RunJob(Job job);
  // Opens the connection if there is none or it is broken.
  absl::Status EnsureConnected();
  bool stopping() const;

  const engine::SnapshotHolder* const snapshots_;
  const RecomputeServiceOptions options_;
  std::optional<loader::PgConnection> conn_;  // the worker thread's only
  bool connected_before_ = false;             // the worker thread's only

  // A std::mutex rather than absl::Mutex: ThreadSanitizer sees its
  // ordering, not that of the system's uninstrumented Abseil.
  mutable std::mutex mu_;
  std::condition_variable wake_;  // a job was queued, or Stop()
  bool stop_ = false;             // guarded by mu_, as are the three below
  uint64_t next_job_ = 1;
  std::deque<Job> queue_;
  RecomputeServiceStatus status_;  // its `queued` is queue_.size()
  std::once_flag joined_;
  std::thread thread_;  // last: starts after everything above
};

}  // namespace otter::server
