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
//     cursor = r.cursor;           // persist it; as_of = cursor.fence
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
// The cursor's fence is the engine's applied position (`as_of`) for
// read-your-writes: see otter_change_position() in sql/changes.sql.
//
// Thread safety: the functions use the connection they are given, which
// must not be used by another thread meanwhile. Event-loop integration
// (LISTEN, readiness waits) is the caller's: these calls block.

#include <cstdint>
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

struct ChangeBatch {
  ChangedKeys keys;
  ChangeCursor cursor;     // the position after this batch
  int64_t log_rows = 0;    // log rows read
  bool caught_up = false;  // no row below the fence is left unread
};

// Reads up to `max_rows` (> 0) log rows after `cursor` and below the current
// fence, in (xid, id) order, in one statement (one snapshot). The returned
// cursor has moved past them; its fence is the current fence when caught
// up, else the xid of the last row read (every smaller xid has been read).
// The fence never moves backwards. Errors: the database's; kDataLoss for a
// log row that does not decode.
absl::StatusOr<ChangeBatch> ReadChangeBatch(PgConnection& conn, const ChangeCursor& cursor, int max_rows);

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

// Re-reads the current rows of `keys` (personality types, leaders, tours,
// schedules, users, in that order) into `sink`, and reports the keys with
// no row as deletions. Runs in the caller's transaction, if any. Errors as
// FetchCatalogRows', or the sink's.
absl::Status FetchChangedRows(PgConnection& conn, const ChangedKeys& keys, ChangeSink& sink);

struct CatchUpResult {
  ChangeCursor cursor;     // persist it once the sink's changes are applied
  ChangedKeys keys;        // what was re-fetched
  int64_t log_rows = 0;
  bool caught_up = false;  // call again at once when false
  // A followed table was truncated: reload everything (keys.truncated).
  bool reload_required = false;
};

// One step of change following: in one REPEATABLE READ READ ONLY
// transaction on `conn` (which must not be inside one), ReadChangeBatch
// then FetchChangedRows. The sink's changes and the returned cursor belong
// together: apply both or neither. Errors: as the two steps'; the
// transaction is rolled back and `cursor` is still the one to resume from.
absl::StatusOr<CatchUpResult> CatchUp(PgConnection& conn, const ChangeCursor& cursor, ChangeSink& sink,
                                      int max_rows = 10000);

}  // namespace otter::loader
