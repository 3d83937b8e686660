#pragma once
// ChangeFollower: keeps the engine equal to PostgreSQL. It bulk-loads the
// catalog into an engine::EngineWriter, publishes the first Snapshot, then
// follows the change log (loader/change_reader.h) and publishes one Snapshot
// per catch-up step, until Stop().
//
//   engine::SnapshotHolder holder;
//   ChangeFollower follower({.conninfo = url, .log = MyLog}, holder);
//   OTTER_RETURN_IF_ERROR(follower.Start());   // returns at once
//   follower.WaitForAsOf(position, 5000ms);    // or poll Status()
//   follower.Stop();
//
// Threads. The follower runs on its own thread with its own io_context, and
// only that thread touches its connection, its EngineWriter and its timers;
// the libpq calls (the load, a catch-up, a prune) block that thread, never
// an I/O thread of the daemon. Other threads read the published Snapshots
// (SnapshotHolder), Status() and WaitForAsOf(), and call Stop().
//
// Waking up. The connection LISTENs on otter_changes before it loads or
// catches up, so no commit after that point goes unnoticed. While idle, the
// io_context waits for the connection's socket to become readable
// (posix::stream_descriptor::async_wait, not a sleeping poll); then
// PQconsumeInput and PQnotifies read the notifications. The wait is re-armed
// before the socket is read, and libpq's queue is drained again after every
// catch-up and every prune on this connection (their queries may have
// absorbed notifications), so none is left unseen. A notification starts a
// catch-up at once, or, within `debounce` of the start of the previous one,
// when that time is up: a burst of commits becomes a few batches, and a
// lone commit waits for nothing. A safety timer starts one
// `safety_interval` after the last, so a missed notification only delays a
// change.
//
// The fence. A catch-up calls CatchUp() until it is caught up and publishes
// a Snapshot after each step with the step's cursor fence as `as_of`
// (every transaction below it is applied). A step that fails leaves its
// rows in the EngineWriter unpublished and the cursor where it was; the
// next attempt re-reads the same keys from the same cursor and re-fetches
// their current rows, so publishing only cursors whose step finished is
// enough (replays are harmless). A TRUNCATE or a log pruned past the cursor
// (CatchUpResult::reload_required) or a failed Publish() makes the follower
// bulk-load again into a fresh EngineWriter, published when complete; the
// old Snapshot serves meanwhile.
//
// Connection loss (the backend terminated, a server restart, the network):
// any failed query or connect, a socket error, or PQconsumeInput failing
// closes the connection; the state becomes `degraded` (or stays `loading`
// before the first Snapshot), the last Snapshot keeps serving, and the
// follower reconnects after an exponential backoff (reconnect_min doubling
// up to reconnect_max, reset once a connection has loaded or caught up),
// LISTENs again and catches up from its cursor. Other errors of a step (a
// row that does not decode, a failed Publish()) take the same path, so the
// detail says why and the step is retried. After a reconnect the log still
// holds the rows the follower needs, unless they were pruned:
//
// The persisted position, and pruning. The follower is a consumer of the
// log named `consumer_name` (sql/changes.sql). Every `prune_interval`, and
// right after each bulk load, it records its cursor's fence in
// otter_change_consumers (otter_change_consumer_advance) and then runs
// otter_change_log_prune(), which deletes only the rows below the smallest
// position of the consumers that reported within the last hour: several
// replicas on one database each prune, and none removes what another live
// one still needs. Before a bulk load it registers with the server's
// current fence, which is at most the fence the load takes, so that
// others do not prune past a load under way. These run on the
// prune_conninfo connection (a role granted otter_writer), or on the
// follower's own; a failure is counted and logged, never fatal. A follower
// that does not record (prune_interval 0, or a read-only role) does not
// hold the log back.
//
// Pruned past. A consumer silent for longer than the hour no longer holds
// the log back, so a follower that comes back (or never recorded) may miss
// rows. Each CatchUp step reads the log's horizon (how far it was pruned)
// in the step's own snapshot; when it exceeds the cursor's fence, the step
// applies nothing and the follower bulk-loads again instead.
//
// Lag. Status().lag_ms is how long the oldest known-but-unapplied change
// has waited. Each CatchUp step reads, in the same statement as the log
// rows, the age (by the server's clock) of the first committed log row at
// or above its fence: one held back by an older transaction still running.
// A notification received while no change is known counts from its
// arrival; a lost connection counts from the loss (changes may be waiting).
// 0 when nothing is known to be pending.
//
// Thread safety: Start() and Stop() from one thread (the owner's);
// Status() and WaitForAsOf() from any thread. Callbacks run on the
// follower's thread.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/types/span.h"
#include "engine/engine_writer.h"
#include "engine/snapshot.h"
#include "engine/uuid.h"

namespace otter::loader {

enum class FollowerState { kLoading, kReady, kDegraded };
// "loading", "ready" or "degraded".
std::string_view FollowerStateName(FollowerState state);

enum class FollowerLogLevel { kDebug, kInfo, kWarn, kError };
using FollowerLogField = std::pair<std::string_view, std::string_view>;
// One log event (e.g. "load_table" with table, rows, seconds, rows_per_s);
// the fields are valid during the call only.
using FollowerLog =
    std::function<void(FollowerLogLevel level, std::string_view event, absl::Span<const FollowerLogField> fields)>;

// What one Publish() brought.
struct FollowerPublication {
  std::shared_ptr<const engine::Snapshot> snapshot;
  // Users whose traits were set or removed since the previous publication,
  // sorted. Empty for a full load.
  std::vector<engine::Uuid> changed_users;
  // The Snapshot comes from a bulk load (the first, or a reload): anything
  // may have changed.
  bool full_load = false;
};
// Called on the follower's thread after each publication; must not block
// long (it delays following).
using FollowerPublishCallback = std::function<void(const FollowerPublication&)>;

struct ChangeFollowerOptions {
  // libpq conninfo or URL. Unless it sets them, the follower adds
  // application_name (below), connect_timeout and TCP keepalives.
  std::string conninfo;
  std::string application_name = "otterd-follower";
  // The shortest time between the starts of two catch-ups that
  // notifications start.
  std::chrono::milliseconds debounce{2};
  // A catch-up runs at the latest this long after the previous one.
  std::chrono::milliseconds safety_interval{1000};
  // Reconnect backoff: the first retry waits reconnect_min, each further
  // one twice as long, at most reconnect_max.
  std::chrono::milliseconds reconnect_min{100};
  std::chrono::milliseconds reconnect_max{10000};
  // How often to record the position and prune the log (see above); 0
  // does neither.
  std::chrono::milliseconds prune_interval{10000};
  // This follower's name in otter_change_consumers, 1 to 200 characters;
  // each replica of a database needs its own.
  std::string consumer_name = "otterd";
  // Where to record and prune: a role granted otter_writer. Empty: the
  // follower's own connection.
  std::string prune_conninfo;
  // LISTEN for notifications. When false only the safety timer wakes the
  // follower (for tests of a missed notification).
  bool listen = true;
  // Log rows per CatchUp step.
  int batch_rows = 10000;
  engine::EngineWriterOptions writer;
  FollowerLog log;                     // may be empty
  FollowerPublishCallback on_publish;  // may be empty
};

struct FollowerCounters {
  uint64_t catch_ups = 0;        // CatchUp steps completed
  uint64_t log_rows = 0;         // change-log rows applied
  uint64_t notifications = 0;    // notifications received
  uint64_t publishes = 0;        // Snapshots published
  uint64_t failures = 0;         // failed connects, lost connections, failed steps
  uint64_t reconnects = 0;       // connections made after the first
  uint64_t reloads = 0;          // bulk loads after the first
  uint64_t prunes = 0;           // otter_change_log_prune calls that succeeded
  uint64_t pruned_rows = 0;      // rows they deleted
  uint64_t prune_failures = 0;   // failed position records or prunes
  uint64_t rejected_traits = 0;  // trait objects the current engine refused (EngineFeed)
  double last_load_seconds = 0;  // the last bulk load, to its Snapshot published
  int64_t last_load_rows = 0;
};

struct FollowerStatus {
  FollowerState state = FollowerState::kLoading;
  uint64_t as_of = 0;   // the published Snapshot's position (0 before one)
  int64_t lag_ms = 0;   // see "Lag" above
  // This follower's position as otter_change_consumers last stored it:
  // the log may be pruned below it. 0 before the first record.
  uint64_t prune_below = 0;
  std::string detail;   // why loading or degraded; what it is doing
  FollowerCounters counters;
};

class ChangeFollower {
 public:
  // `holder` must outlive the follower.
  ChangeFollower(ChangeFollowerOptions options, engine::SnapshotHolder& holder);
  // Stops.
  ~ChangeFollower();
  ChangeFollower(const ChangeFollower&) = delete;
  ChangeFollower& operator=(const ChangeFollower&) = delete;

  // Starts the follower's thread, which connects, loads and follows; an
  // unreachable database is retried with backoff (Status() says why).
  // Returns kInvalidArgument naming the option for invalid options (an
  // empty or unparsable conninfo, non-positive intervals, reconnect_max <
  // reconnect_min, batch_rows <= 0, a consumer_name empty or longer than
  // 200 characters while prune_interval is set), kFailedPrecondition when
  // called twice.
  absl::Status Start();

  // Cancels what runs (a query is cancelled on the server), joins the
  // thread and closes the connection. The published Snapshot stays in the
  // holder. Safe to call twice, and when Start() failed or was not called.
  // A connect under way is not interrupted (bounded by connect_timeout).
  void Stop();

  // The current state; lag_ms is computed at the call.
  FollowerStatus Status() const;

  // Blocks until a Snapshot with as_of >= `position` is published (true)
  // or `timeout` passes (false).
  bool WaitForAsOf(uint64_t position, std::chrono::milliseconds timeout) const;

 private:
  class Loop;
  std::unique_ptr<Loop> loop_;
};

}  // namespace otter::loader
