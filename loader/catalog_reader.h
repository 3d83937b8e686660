#pragma once
// The bulk load: reads every table the engine needs from PostgreSQL at
// database speed (binary COPY, streamed, decoded as it arrives) inside ONE
// `REPEATABLE READ READ ONLY` transaction, and returns the change-log fence
// that snapshot corresponds to. Also the change follower's re-fetch of given
// keys, with the same SQL and decoders (see loader/catalog_rows.h).
//
//   OTTER_ASSIGN_OR_RETURN(CatalogReadResult r, ReadCatalog(conn, sink, progress));
//   ChangeCursor cursor = ChangeCursor::At(r.fence);  // follow from there
//
// The fence: the transaction's first statement is
// `SELECT pg_snapshot_xmin(pg_current_snapshot())`. Every transaction with
// an xid below it had finished when the snapshot was taken, so the COPYs
// see all their effects; transactions at or above it may or may not be
// visible, and their change-log rows (xid >= fence) are read by the change
// follower afterwards. Re-reading a row the snapshot already showed is
// harmless (current state is re-read), so nothing is lost or misapplied.
//
// Thread safety: the functions use the connection they are given, which
// must not be used by another thread meanwhile.

#include <cstdint>
#include <functional>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "engine/uuid.h"
#include "loader/catalog_rows.h"
#include "loader/pg_connection.h"

namespace otter::loader {

// Progress of one table of the bulk load.
struct TableProgress {
  CatalogTable table;
  int64_t rows = 0;        // rows decoded so far
  int64_t bytes = 0;       // COPY bytes received so far
  double seconds = 0;      // since the table's COPY started
  bool done = false;       // the table is complete
};

// Called every kProgressEveryRows rows of a table and once when it is done.
using ProgressCallback = std::function<void(const TableProgress&)>;
inline constexpr int64_t kProgressEveryRows = 100000;

struct CatalogReadResult {
  // pg_snapshot_xmin of the load's snapshot: the change follower's start.
  uint64_t fence = 0;
  // One entry per table, in load order, each with done = true.
  std::vector<TableProgress> tables;
};

// Loads personality types, leaders (with languages, specialties and
// traits), tours, schedules and users' current traits into `sink`, in that
// order, inside one REPEATABLE READ READ ONLY transaction on `conn` (which
// must not be inside a transaction). Returns the fence and the per-table
// counts. Errors: the database's (kUnavailable for a lost connection, ...),
// a decoding error naming the column and row, or the sink's first error;
// the transaction is then rolled back.
absl::StatusOr<CatalogReadResult> ReadCatalog(PgConnection& conn, CatalogSink& sink,
                                              const ProgressCallback& progress = nullptr);

// The statement that re-reads the current rows of `table` whose key is in
// `keys` (see CatalogSelectSql), for PgConnection::ExecPipeline; its result
// goes to DecodeFetchedRows.
PgStatement CatalogFetchStatement(CatalogTable table, absl::Span<const engine::Uuid> keys);

// Decodes the result of CatalogFetchStatement(table, …) into `sink` and
// returns the keys found: a key not found has no row (deleted, or never
// existed). Errors: a decoding error naming the column and row, or the
// sink's first error.
absl::StatusOr<absl::flat_hash_set<engine::Uuid>> DecodeFetchedRows(const PgResult& result,
                                                                    CatalogTable table,
                                                                    CatalogSink& sink);

}  // namespace otter::loader
