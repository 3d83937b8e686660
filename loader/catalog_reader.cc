#include "loader/catalog_reader.h"

#include <chrono>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "engine/status_macros.h"
#include "loader/copy_decoder.h"

namespace otter::loader {
namespace {

using Clock = std::chrono::steady_clock;

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Streams one table through binary COPY into `rows`.
absl::StatusOr<TableProgress> CopyTable(PgConnection& conn, CatalogTable table, CatalogRowDecoder& rows,
                                        const ProgressCallback& progress) {
  TableProgress p{table};
  const Clock::time_point start = Clock::now();
  CopyDecoder decoder(CatalogColumnCount(table));
  const std::string sql = absl::StrCat("COPY (", CatalogSelectSql(table, /*by_ids=*/false),
                                       ") TO STDOUT (FORMAT binary)");
  OTTER_RETURN_IF_ERROR(conn.CopyOut(sql, [&](std::string_view chunk) {
    p.bytes += static_cast<int64_t>(chunk.size());
    return decoder.Feed(chunk, [&](FieldRow row) {
      OTTER_RETURN_IF_ERROR(rows.Decode(table, row));
      if (++p.rows % kProgressEveryRows == 0 && progress) {
        p.seconds = SecondsSince(start);
        progress(p);
      }
      return absl::OkStatus();
    });
  }));
  OTTER_RETURN_IF_ERROR(decoder.Finish());
  p.seconds = SecondsSince(start);
  p.done = true;
  if (progress) progress(p);
  return p;
}

absl::StatusOr<CatalogReadResult> ReadInTransaction(PgConnection& conn, CatalogSink& sink,
                                                    const ProgressCallback& progress) {
  // The first query takes the snapshot every COPY below reads.
  OTTER_ASSIGN_OR_RETURN(PgResult fence, conn.Exec("SELECT pg_snapshot_xmin(pg_current_snapshot())"));
  CatalogReadResult result;
  if (fence.rows() != 1 || !absl::SimpleAtoi(std::string(fence.Get(0, 0)), &result.fence)) {
    return absl::InternalError("pg_snapshot_xmin returned no transaction id");
  }
  CatalogRowDecoder rows(sink);
  for (CatalogTable table : kAllCatalogTables) {
    OTTER_ASSIGN_OR_RETURN(TableProgress p, CopyTable(conn, table, rows, progress));
    result.tables.push_back(p);
  }
  return result;
}

}  // namespace

absl::StatusOr<CatalogReadResult> ReadCatalog(PgConnection& conn, CatalogSink& sink,
                                              const ProgressCallback& progress) {
  // Text is decoded as UTF-8 whatever the role's default encoding is.
  OTTER_RETURN_IF_ERROR(
      conn.Exec("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY; SET LOCAL client_encoding = 'UTF8'").status());
  absl::StatusOr<CatalogReadResult> result = ReadInTransaction(conn, sink, progress);
  if (!result.ok()) {
    (void)conn.Exec("ROLLBACK");  // best effort: the connection may be gone
    return result.status();
  }
  OTTER_RETURN_IF_ERROR(conn.Exec("COMMIT").status());
  return result;
}

PgStatement CatalogFetchStatement(CatalogTable table, absl::Span<const engine::Uuid> keys) {
  // The uuid[] parameter in its text form: {k1,k2,...}.
  std::string array = "{";
  array.reserve(keys.size() * 37 + 2);
  for (size_t i = 0; i < keys.size(); ++i) {
    if (i > 0) array.push_back(',');
    array += keys[i].ToString();
  }
  array.push_back('}');
  return {.sql = CatalogSelectSql(table, /*by_ids=*/true), .params = {std::move(array)}, .binary_results = true};
}

absl::StatusOr<absl::flat_hash_set<engine::Uuid>> DecodeFetchedRows(const PgResult& result, CatalogTable table,
                                                                    CatalogSink& sink) {
  const int columns = result.columns();
  if (columns != CatalogColumnCount(table)) {
    return absl::DataLossError(absl::StrCat(std::string(CatalogTableName(table)), ": the query returned ",
                                            columns, " columns, expected ", CatalogColumnCount(table)));
  }
  absl::flat_hash_set<engine::Uuid> found;
  CatalogRowDecoder rows(sink);
  std::vector<Field> fields(static_cast<size_t>(columns));
  for (int r = 0; r < result.rows(); ++r) {
    for (int c = 0; c < columns; ++c) {
      fields[static_cast<size_t>(c)] = Field{result.Get(r, c), result.IsNull(r, c)};
    }
    OTTER_RETURN_IF_ERROR(rows.Decode(table, fields));
    OTTER_ASSIGN_OR_RETURN(engine::Uuid key, ReadUuid(fields[0], "key"));
    found.insert(key);
  }
  return found;
}

}  // namespace otter::loader
