#pragma once
// Following the change log (sql/changes.sql) without losing a change: reads
// the log in (xid, id) order strictly below the current fence, collects the
// distinct changed keys per table, and re-fetches the current rows of those
// keys with the bulk load's SQL and decoders (loader/catalog_rows.h),
// reporting keys that no longer have a row as deletions.
//
//   ChangeCursor cursor = ChangeCursor::At(load.fence);
//   for (;;) {                     // on a notification, or a safety timer
//     OTTER_ASSIGN_OR_RETURN(CatchUpResult r, CatchUp(conn, cursor, sink));
//     if (r.reload_required) ...   // bulk-load again
//     cursor = r.cursor;           // as_of = cursor.fence
//     if (r.caught_up) break;
//   }
//
// Why a fence, not `id > last_id`: identity values (and xids) are taken when
// a row is written, not when its transaction commits. Transaction A writes
// log row 10, transaction B writes row 11 and commits first; a reader that
// saw 11 and moved past it would never see 10. So every read takes the
// fence F = pg_snapshot_xmin(pg_current_snapshot()) in the same snapshot as
// the log rows it reads, and reads only rows with xid < F: every
// transaction below F has committed or aborted for good, so its rows are all
// visible and no row can ever appear below F later. The cursor then moves to
// F. While A runs, F stays at or below A's xid and B's rows wait (delayed,
// never lost); once A ends, both are read. Rolled-back transactions leave no
// row. A long-running transaction anywhere holds the fence back: changes are
// delayed, never lost (report the lag).
//
// Why replays are harmless: the log names keys, never contents; the current
// row is re-read, so reading a change twice (after a crash before the cursor
// was persisted, or a row the bulk load already saw) converges to the
// database's state. Rows are re-read in the same REPEATABLE READ snapshot as
// the log rows, so one catch-up applies one consistent state.
//
// Pruning: otter_change_log_prune() deletes the rows below some bound and
// raises otter_change_log_horizon.pruned_below to it in one transaction.
// Each step reads the horizon in the snapshot it reads the log with; above
// the cursor's fence, rows the cursor still needs may be gone, and the step
// asks for a reload instead of applying an incomplete log.
//
// Round trips: a step costs two. The first opens the transaction and reads
// the batch, the horizon and the lag in one statement; the second fetches
// the changed rows of every table and commits. Both are libpq pipelines
// (PgConnection::ExecPipeline).
//
// The cursor's fence is the engine's applied position (`as_of`) for
// read-your-writes: see otter_change_position() in sql/changes.sql.
//
// Thread safety: the functions use the connection they are given, which
// must not be used by another thread meanwhile. Event-loop integration
// (LISTEN, readiness waits) is the caller's: these calls block.

#include <cstdint>
#include <optional>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "engine/uuid.h"
#include "loader/catalog_rows.h"
#include "loader/pg_connection.h"

namespace otter::loader {

// A position in the change log.
struct ChangeCursor {
  // Every transaction with xid < fence is applied (the engine's as_of).
  uint64_t fence = 0;
  // The last log row read, (xid, id); rows at or before it are applied. Only
  // meaningful at or above `fence` (mid-way through a catch-up).
  uint64_t last_xid = 0;
  int64_t last_id = 0;

  // The cursor right after a bulk load that returned `fence`.
  static ChangeCursor At(uint64_t fence) { return ChangeCursor{fence, 0, 0}; }
  friend bool operator==(const ChangeCursor&, const ChangeCursor&) = default;
};

// The distinct keys named by a run of log rows.
struct ChangedKeys {
  absl::flat_hash_set<engine::Uuid> personality_types;
  // tour_leaders, leader_languages and leader_specialties (by leader id).
  absl::flat_hash_set<engine::Uuid> leaders;
  absl::flat_hash_set<engine::Uuid> tours;
  // Schedule id → the tour ids the log named for it (old and new).
  absl::flat_hash_map<engine::Uuid, std::vector<engine::Uuid>> schedules;
  // user_quiz_results, by user id.
  absl::flat_hash_set<engine::Uuid> users;
  // Tables that were TRUNCATEd: the caller must reload them (everything).
  absl::flat_hash_set<CatalogTable> truncated;

  bool empty() const;
  size_t size() const;
  // Adds `other`'s keys to these.
  void Merge(const ChangedKeys& other);
};

// Receives the re-fetched state of changed keys: the CatalogSink calls for
// keys that have a row (upserts), these for keys that have none.
class ChangeSink : public CatalogSink {
 public:
  virtual absl::Status OnPersonalityTypeDeleted(const engine::Uuid& id) = 0;
  virtual absl::Status OnLeaderDeleted(const engine::Uuid& id) = 0;
  virtual absl::Status OnTourDeleted(const engine::Uuid& id) = 0;
  // `tour_ids`: the tours the log named for the schedule.
  virtual absl::Status OnScheduleDeleted(const engine::Uuid& id, absl::Span<const engine::Uuid> tour_ids) = 0;
  // The user has no quiz result any more.
  virtual absl::Status OnUserTraitsDeleted(const engine::Uuid& user_id) = 0;
};

struct CatchUpResult {
  // The position after this step: apply the sink's changes, then move to
  // it. The fence is the current fence when caught up, else the xid of the
  // last row read (every smaller xid has been read); it never moves
  // backwards. Unchanged when a reload is required.
  ChangeCursor cursor;
  ChangedKeys keys;        // what the log named (and was re-fetched)
  int64_t log_rows = 0;    // log rows read
  bool caught_up = false;  // no row below the fence is left unread; else call again at once
  // Reload everything: a followed table was truncated (keys.truncated), or
  // the log was pruned past the cursor (`pruned`). Nothing was fetched.
  bool reload_required = false;
  bool pruned = false;
  // How long (by the server's clock) the first committed log row at or
  // above the step's snapshot fence has waited: a change that an older
  // transaction still running holds back. nullopt when there is none.
  std::optional<int64_t> pending_age_ms;
};

// One step of change following, in one REPEATABLE READ READ ONLY
// transaction on `conn` (which must not be inside one): reads up to
// `max_rows` (> 0) log rows after `cursor` and below the current fence, in
// (xid, id) order, then re-reads the current rows of the keys they name
// into `sink` (personality types, leaders, tours, schedules, users, in that
// order), reporting keys with no row as deletions. The sink's changes and
// the returned cursor belong together: apply both or neither. Errors: the
// database's; kDataLoss for a log or catalog row that does not decode;
// kInvalidArgument for max_rows <= 0; the sink's. The transaction is then
// rolled back and `cursor` is still the one to resume from.
absl::StatusOr<CatchUpResult> CatchUp(PgConnection& conn, const ChangeCursor& cursor, ChangeSink& sink,
                                      int max_rows = 10000);

}  // namespace otter::loader
