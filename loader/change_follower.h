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
// catch-up (its queries may have absorbed notifications), so none is left
// unseen. A notification starts a catch-up after `debounce` (a burst of
// commits becomes one batch); a safety timer starts one `safety_interval`
// after the last, so a missed notification only delays a change.
//
// The fence. A catch-up calls CatchUp() until it is caught up and publishes
// a Snapshot after each step with the step's cursor fence as `as_of`
// (every transaction below it is applied). A step that fails leaves its
// rows in the EngineWriter unpublished and the cursor where it was; the
// next attempt re-reads the same keys from the same cursor and re-fetches
// their current rows, so publishing only cursors whose step finished is
// enough (replays are harmless). A TRUNCATE (reload_required) or a failed
// Publish() makes the follower bulk-load again into a fresh EngineWriter,
// published when complete; the old Snapshot serves meanwhile.
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
// Pruning, and the anchor. The follower keeps an anchor: the last log row
// it applied (or, after a load, the newest row below the load's fence). It
// prunes only below the anchor's xid (every `prune_interval`, with
// otter_change_log_prune), so the anchor row stays. A prune removes every
// row below some xid; one that removed a row the follower still needs
// (xid >= the anchor's) removed the anchor too. So after each CatchUp step
// the follower checks that the anchor row is still there; if not, it
// reloads. The check follows the step's snapshot, so a prune committed
// before that snapshot is seen. With several replicas on one database,
// disable pruning in them and prune with the smallest of their
// Status().prune_below. Until the follower knows an anchor (the log was
// empty below its load fence and nothing has changed since), pruning past
// it cannot be detected; it prunes nothing then.
//
// Lag. Status().lag_ms is how long the oldest known-but-unapplied change
// has waited. After each catch-up the follower reads, in the same round
// trip as the anchor check, the age (by the server's clock) of the first
// committed log row in (xid, id) order that it has not applied: one at or
// above its fence, held back by an older transaction still running, or
// committed since the catch-up's snapshot. A notification received while
// no change is known counts from its arrival; a lost connection counts from
// the loss (changes may be waiting). 0 when nothing is known to be pending.
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
  // Wait after a notification before catching up.
  std::chrono::milliseconds debounce{2};
  // A catch-up runs at the latest this long after the previous one.
  std::chrono::milliseconds safety_interval{1000};
  // Reconnect backoff: the first retry waits reconnect_min, each further
  // one twice as long, at most reconnect_max.
  std::chrono::milliseconds reconnect_min{100};
  std::chrono::milliseconds reconnect_max{10000};
  // How often to prune the log below the anchor; 0 never prunes.
  std::chrono::milliseconds prune_interval{10000};
  // Where to prune: a role allowed to run otter_change_log_prune(). Empty:
  // the follower's own connection.
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
  uint64_t prune_failures = 0;
  uint64_t rejected_traits = 0;  // trait objects the current engine refused (EngineFeed)
  double last_load_seconds = 0;  // the last bulk load, to its Snapshot published
  int64_t last_load_rows = 0;
};

struct FollowerStatus {
  FollowerState state = FollowerState::kLoading;
  uint64_t as_of = 0;   // the published Snapshot's position (0 before one)
  int64_t lag_ms = 0;   // see "Lag" above
  // The xid below which this follower allows the log to be pruned (its
  // anchor); 0 when it knows none.
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
  // reconnect_min, batch_rows <= 0), kFailedPrecondition when called twice.
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
