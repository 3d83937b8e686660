#pragma once
// The search recorder otterd gives the engine ops: Record() stamps the time
// and appends the search to a bounded queue; one background thread with its
// own database connection takes what is queued every flush_interval (sooner
// when batch_size searches wait) and writes it in batches of batch_size,
// one transaction each (loader/search_log_writer.h).
//
// Bounded rather than complete: analytics must cost the queries neither
// time nor memory. When the queue is full, Record() drops the search. When
// a write or a connection attempt fails (the database is down, refuses us,
// or is slower than statement_timeout), what the thread had taken from the
// queue is dropped too, and the thread closes the connection and opens a
// new one after a backoff (min_backoff, doubling up to max_backoff, back to
// min_backoff after a committed batch); meanwhile each flush drops what it
// takes. Every drop is counted, so that after Stop(): recorded == written +
// dropped_queue_full + dropped_invalid + dropped_write_failed. At most
// 2 * capacity searches are held at once (the queue and the batches being
// written).
//
//   PgSearchRecorderOptions options;
//   options.conninfo = db;
//   OTTER_ASSIGN_OR_RETURN(std::unique_ptr<PgSearchRecorder> recorder,
//                          PgSearchRecorder::Start(std::move(options)));
//   recorder->Record(std::move(record));  // any thread; never blocks
//   recorder->Stop();                     // writes what is queued, joins
//
// Thread safety: Record(), stats() and Stop() may be called from any thread
// at once. The mutex is held only to append, to swap the queue out and to
// update counters, never during database work. It is a std::mutex, not an
// absl::Mutex: the system's Abseil is not built for ThreadSanitizer, which
// then cannot see absl::Mutex's ordering and reports races that are not.

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/span.h"

#include "loader/pg_connection.h"
#include "loader/search_log_writer.h"
#include "server/engine_services.h"

namespace otter::server {

struct PgSearchRecorderOptions {
  // libpq conninfo or URL of a role granted otter_writer. Include
  // connect_timeout when the host may be unreachable: a connection attempt
  // cannot be interrupted, not even by Stop().
  std::string conninfo;
  size_t capacity = 10000;   // searches queued at most; beyond, Record() drops
  size_t batch_size = 1000;  // searches per transaction; this many queued start a flush
  absl::Duration flush_interval = absl::Milliseconds(200);
  // The longest one statement of a write may run (a lock wait included)
  // before the write fails and its batch is dropped.
  absl::Duration statement_timeout = absl::Seconds(5);
  absl::Duration min_backoff = absl::Milliseconds(100);  // first wait to reconnect
  absl::Duration max_backoff = absl::Seconds(30);        // the wait doubles up to this
  // How long Stop() keeps writing what is queued; a statement running at
  // the deadline still finishes (see statement_timeout).
  absl::Duration stop_timeout = absl::Seconds(5);
};

struct SearchRecorderStats {
  uint64_t recorded = 0;              // Record() calls
  uint64_t written = 0;               // searches committed to search_history
  uint64_t dropped_queue_full = 0;    // the queue was full, or Stop() had been called
  uint64_t dropped_invalid = 0;       // search_type neither "tours" nor "leaders"
  uint64_t dropped_write_failed = 0;  // no connection, a failed write, or Stop()'s deadline
  uint64_t batches = 0;               // transactions committed
  uint64_t errors = 0;                // failed writes and connection attempts
  uint64_t queued = 0;                // waiting in the queue now
  std::string last_error;             // the latest error's message; "" when none
};

class PgSearchRecorder final : public SearchRecorder {
 public:
  // Starts the background thread; it connects when it first has something
  // to write, so a database that is down does not prevent the start.
  // kInvalidArgument naming the option when one is out of range: conninfo
  // empty, capacity or batch_size 0, a duration not positive, max_backoff
  // below min_backoff, stop_timeout negative.
  static absl::StatusOr<std::unique_ptr<PgSearchRecorder>> Start(PgSearchRecorderOptions options);

  // Stop()s.
  ~PgSearchRecorder() override;
  PgSearchRecorder(const PgSearchRecorder&) = delete;
  PgSearchRecorder& operator=(const PgSearchRecorder&) = delete;

  // Queues `record`, stamped with the current time. Never blocks on the
  // database and never fails: a record that cannot be queued is counted.
  void Record(SearchRecord record) override;

  // Stops taking records, writes what is queued (for up to stop_timeout)
  // and joins the thread. Later calls return at once.
  void Stop();

  SearchRecorderStats stats() const;

 private:
  explicit PgSearchRecorder(PgSearchRecorderOptions options);

  using SteadyTime = std::chrono::steady_clock::time_point;

  void Run();
  // Writes `rows` in batches; drops what it cannot write by `deadline`.
  void Flush(absl::Span<const loader::SearchLogRow> rows, SteadyTime deadline, bool stopping);
  // Opens the connection unless one is open; false when none can be had
  // (yet: while backing off, unless `stopping`).
  bool EnsureConnected(bool stopping);
  // Closes the connection; the next attempt waits for the backoff, which
  // doubles.
  void BackOff();
  void CountError(const absl::Status& error);
  void CountDropped(size_t rows);

  const PgSearchRecorderOptions options_;

  mutable std::mutex mu_;
  std::condition_variable wake_;  // a batch is full, or Stop() was called
  // Guarded by mu_:
  std::vector<loader::SearchLogRow> queue_;
  bool stopping_ = false;
  SteadyTime stop_deadline_ = SteadyTime::max();
  SearchRecorderStats stats_;

  // Only the background thread touches these.
  std::optional<loader::PgConnection> conn_;
  absl::Duration backoff_;
  SteadyTime next_connect_ = SteadyTime::min();
  uint64_t queue_full_logged_ = 0;  // dropped_queue_full when last logged

  std::once_flag joined_;
  std::thread thread_;
};

}  // namespace otter::server
