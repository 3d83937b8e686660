#pragma once
// The side-by-side benchmark's PostgreSQL/PostGIS side: the SQL the main
// API would run without otterd for each query kind, with the same
// parameters otterd gets, returning the exact total and the top hits.
//
//   OTTER_ASSIGN_OR_RETURN(SqlSide sql, SqlSide::Connect(url));
//   OTTER_ASSIGN_OR_RETURN(bool created, sql.EnsureTextIndex());
//   OTTER_ASSIGN_OR_RETURN(SearchReply r, sql.Run(query));   // r.total, r.hits[i].distance_km
//
// Thread safety: one thread uses a SqlSide.

#include <string>

#include "absl/status/statusor.h"
#include "bench/load/query.h"
#include "bench/load/reply.h"
#include "loader/pg_connection.h"

namespace otter::side_by_side {

// The full-text index the text queries need. The schema has none (search is
// otterd's job), so without it PostgreSQL would scan every tour; the
// benchmark creates it to compare against PostgreSQL at its best.
inline constexpr const char* kTextIndexName = "idx_tours_title_description_fts";

class SqlSide {
 public:
  static absl::StatusOr<SqlSide> Connect(const std::string& url);

  // Creates kTextIndexName (a GIN index on the english tsvector of title and
  // description) unless it exists; returns whether it created it.
  absl::StatusOr<bool> EnsureTextIndex();

  // Runs the SQL of q.kind (geo, text, combined or personality) and returns
  // its total and top q.limit hits: tour or leader ids with distance_km
  // (geo), score (ts_rank_cd: text, combined) or compatibility
  // (personality). kInvalidArgument for another kind; the database's error
  // otherwise.
  absl::StatusOr<load::SearchReply> Run(const load::Query& q);

  // One line: the server's version and PostGIS's.
  absl::StatusOr<std::string> Versions();
  // One line: the counts of tours, active tours, leaders and users with
  // quiz traits.
  absl::StatusOr<std::string> DataSize();

 private:
  explicit SqlSide(loader::PgConnection conn) : conn_(std::move(conn)) {}
  loader::PgConnection conn_;
};

}  // namespace otter::side_by_side
