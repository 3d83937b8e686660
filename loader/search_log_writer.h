#pragma once
// Writing executed searches into search_history and popular_searches
// (sql/schema.sql), one batch per transaction: the rows go by COPY into a
// temporary staging table, then one INSERT ... SELECT fills search_history
// and one set-based upsert adds the batch's counts per (search_type,
// normalized query) to popular_searches. COPY cannot write search_history
// itself: the table has row-level security, and PostgreSQL refuses COPY FROM
// into such a table for every role the policies apply to (otter_writer).
//
//   std::vector<SearchLogRow> rows = ...;
//   OTTER_ASSIGN_OR_RETURN(SearchLogWriteResult r, WriteSearchLog(conn, rows));
//
// A row is made to fit the tables rather than rejected, so that one odd
// search cannot cost a whole batch: queries become valid UTF-8 without NUL
// characters and are cut to kMaxHistoryQueryChars; filters that PostgreSQL
// would not take as a jsonb object are stored as {}; counts beyond the
// integer columns are clamped; a user_id that is not in users is stored as
// NULL. otter_writer is all the role needs (it holds TEMPORARY on the
// database, for the staging table).
//
// Thread safety: WriteSearchLog uses the connection it is given, which must
// not be used by another thread meanwhile; the other functions are pure.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/types/span.h"

#include "engine/uuid.h"
#include "loader/pg_connection.h"

namespace otter::loader {

// search_history.search_type and popular_searches.search_type.
enum class SearchLogType { kTours, kLeaders };

// "tours" or "leaders".
std::string_view SearchLogTypeName(SearchLogType type);
// The type named `name` ("tours", "leaders"); nullopt for any other name.
std::optional<SearchLogType> ParseSearchLogType(std::string_view name);

// One executed search.
struct SearchLogRow {
  SearchLogType type = SearchLogType::kTours;
  std::string query;                // the text query as asked; "" when none
  std::string filters_json = "{}";  // the request's filters, a JSON object
  uint64_t results_count = 0;
  uint64_t took_us = 0;
  std::optional<engine::Uuid> user_id;                // the searching user, when known
  std::chrono::system_clock::time_point searched_at;  // when it was recorded
};

// search_history.query holds at most this many characters (code points).
inline constexpr size_t kMaxHistoryQueryChars = 1000;
// popular_searches.query holds at most this many characters (code points).
inline constexpr size_t kMaxPopularQueryChars = 200;

// What search_history.query stores for `query`: invalid UTF-8 sequences
// replaced by U+FFFD, NUL characters removed (PostgreSQL text cannot hold
// them), then cut after kMaxHistoryQueryChars code points. nullopt when
// nothing is left (no text query).
std::optional<std::string> HistoryQuery(std::string_view query);

// The key under which `query` is counted in popular_searches: lowercase
// (Unicode case folding, NFC, accents kept, default-ignorable code points
// such as soft hyphens dropped: engine/text/normalizer.h's DisplayForm),
// with leading and trailing whitespace and control characters removed and
// every inner run of them replaced by one space. nullopt when that leaves
// nothing or more than kMaxPopularQueryChars code points: such queries are
// kept in search_history only.
std::optional<std::string> PopularQuery(std::string_view query);

struct SearchLogWriteResult {
  size_t history_rows = 0;     // rows inserted into search_history
  size_t popular_queries = 0;  // (search_type, query) keys inserted or updated
  size_t unknown_users = 0;    // distinct user ids not in users, stored as NULL
};

// Writes `rows` in one transaction: every row into search_history (times
// from searched_at, to the microsecond), and per (type, PopularQuery) key
// search_count += the number of rows, last_searched_at = the latest of the
// stored and the batch's times, last_results_count = the results_count of
// the latest search. An empty batch does nothing. Returns the database's
// error (see PgConnection::Exec; kUnavailable when the connection is lost,
// kPermissionDenied without otter_writer) with the transaction rolled back.
absl::StatusOr<SearchLogWriteResult> WriteSearchLog(PgConnection& conn,
                                                    absl::Span<const SearchLogRow> rows);

}  // namespace otter::loader
