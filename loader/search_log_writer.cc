#include "loader/search_log_writer.h"

#include <simdjson.h>
#include <utf8proc.h>

#include <algorithm>
#include <limits>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

#include "engine/status_macros.h"
#include "engine/text/normalizer.h"

namespace otter::loader {
namespace {

using engine::text::AppendUtf8;
using engine::text::DecodeCodePoint;

constexpr char kSqlStateForeignKeyViolation[] = "23503";

// The batch's rows, emptied at every commit. `seq` is the row's place in
// the batch: it orders searches recorded in the same microsecond.
constexpr char kBeginAndStage[] =
    "BEGIN;"
    "SET LOCAL client_min_messages = warning;"  // no NOTICE that it exists
    "CREATE TEMP TABLE IF NOT EXISTS otter_search_log_batch ("
    "  seq integer NOT NULL, user_id uuid, search_type text NOT NULL, query text,"
    "  popular_query text, filters jsonb NOT NULL, results_count integer NOT NULL,"
    "  took_us integer NOT NULL, searched_at timestamptz NOT NULL) ON COMMIT DELETE ROWS";

constexpr char kCopyBatch[] =
    "COPY pg_temp.otter_search_log_batch (seq, user_id, search_type, query, popular_query,"
    " filters, results_count, took_us, searched_at) FROM STDIN";

// Keys are inserted in one fixed order, so that replicas upserting
// overlapping keys at once wait for each other instead of deadlocking.
constexpr char kUpsertPopular[] =
    "INSERT INTO popular_searches AS p"
    "  (search_type, query, search_count, last_results_count, last_searched_at)"
    " SELECT search_type, popular_query, count(*),"
    "   (array_agg(results_count ORDER BY searched_at DESC, seq DESC))[1], max(searched_at)"
    " FROM pg_temp.otter_search_log_batch WHERE popular_query IS NOT NULL"
    " GROUP BY search_type, popular_query ORDER BY search_type, popular_query"
    " ON CONFLICT (search_type, query) DO UPDATE SET"
    "   search_count = p.search_count + EXCLUDED.search_count,"
    "   last_results_count = CASE WHEN EXCLUDED.last_searched_at >= p.last_searched_at"
    "     THEN EXCLUDED.last_results_count ELSE p.last_results_count END,"
    "   last_searched_at = greatest(p.last_searched_at, EXCLUDED.last_searched_at),"
    "   updated_at = now()";

constexpr char kInsertHistory[] =
    "INSERT INTO search_history"
    "  (user_id, search_type, query, filters, results_count, took_us, created_at)"
    " SELECT user_id, search_type, query, filters, results_count, took_us, searched_at"
    " FROM pg_temp.otter_search_log_batch ORDER BY seq";

// Appends `text` with a cap on code points (none when max_chars is npos),
// as HistoryQuery describes.
void AppendStorableText(std::string_view text, size_t max_chars, std::string* out) {
  size_t chars = 0;
  for (size_t pos = 0; pos < text.size() && chars < max_chars;) {
    size_t length = 0;
    const char32_t cp = DecodeCodePoint(text, pos, &length);
    if (cp == engine::text::kReplacementCharacter) {
      AppendUtf8(cp, out);
      ++chars;
    } else if (cp != 0) {
      out->append(text.substr(pos, length));
      ++chars;
    }
    pos += length;
  }
}

bool IsSpaceOrControl(char32_t cp) {
  switch (utf8proc_category(static_cast<utf8proc_int32_t>(cp))) {
    case UTF8PROC_CATEGORY_ZS:
    case UTF8PROC_CATEGORY_ZL:
    case UTF8PROC_CATEGORY_ZP:
    case UTF8PROC_CATEGORY_CC:
      return true;
    default:
      return false;
  }
}

// True when jsonb has no NUL character in any key or string: PostgreSQL
// rejects "\u0000" where simdjson accepts it.
bool HasNoNul(simdjson::dom::element element) {
  simdjson::dom::object object;
  simdjson::dom::array array;
  std::string_view string;
  if (element.get(object) == simdjson::SUCCESS) {
    for (simdjson::dom::key_value_pair field : object) {
      if (field.key.find('\0') != std::string_view::npos || !HasNoNul(field.value)) return false;
    }
  } else if (element.get(array) == simdjson::SUCCESS) {
    for (simdjson::dom::element value : array) {
      if (!HasNoNul(value)) return false;
    }
  } else if (element.get(string) == simdjson::SUCCESS) {
    return string.find('\0') == std::string_view::npos;
  }
  return true;
}

// `filters` when it is a JSON object that jsonb accepts, else "{}". Big
// numbers simdjson cannot represent are refused too, although jsonb would
// take some of them: filters the daemon writes never hold such numbers.
std::string_view StorableFilters(std::string_view filters, simdjson::dom::parser& parser) {
  simdjson::dom::element root;
  if (parser.parse(filters.data(), filters.size()).get(root) != simdjson::SUCCESS ||
      root.type() != simdjson::dom::element_type::OBJECT || !HasNoNul(root)) {
    return "{}";
  }
  return filters;
}

// Appends `text` as one field of COPY's text format.
void AppendCopyField(std::string_view text, std::string* out) {
  for (const char c : text) {
    switch (c) {
      case '\\':
        out->append("\\\\");
        break;
      case '\t':
        out->append("\\t");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      default:
        out->push_back(c);
    }
  }
}

// Appends `text` as one field of COPY's text format, or NULL.
void AppendCopyFieldOrNull(const std::optional<std::string>& text, std::string* out) {
  if (text) {
    AppendCopyField(*text, out);
  } else {
    out->append("\\N");
  }
}

int64_t ClampToInt32(uint64_t value) {
  return static_cast<int64_t>(std::min<uint64_t>(value, std::numeric_limits<int32_t>::max()));
}

// `t` as a timestamptz literal in UTC, truncated to the microsecond.
std::string TimestampLiteral(std::chrono::system_clock::time_point t) {
  namespace chrono = std::chrono;
  const auto micros = chrono::floor<chrono::microseconds>(t);
  const auto day = chrono::floor<chrono::days>(micros);
  const chrono::year_month_day date{day};
  const chrono::hh_mm_ss time{micros - day};
  return absl::StrCat(absl::Dec(static_cast<int>(date.year()), absl::kZeroPad4), "-",
                      absl::Dec(static_cast<unsigned>(date.month()), absl::kZeroPad2), "-",
                      absl::Dec(static_cast<unsigned>(date.day()), absl::kZeroPad2), " ",
                      absl::Dec(time.hours().count(), absl::kZeroPad2), ":",
                      absl::Dec(time.minutes().count(), absl::kZeroPad2), ":",
                      absl::Dec(time.seconds().count(), absl::kZeroPad2), ".",
                      absl::Dec(time.subseconds().count(), absl::kZeroPad6), "+00");
}

std::string CopyData(absl::Span<const SearchLogRow> rows) {
  simdjson::dom::parser parser;
  std::string data;
  for (size_t i = 0; i < rows.size(); ++i) {
    const SearchLogRow& row = rows[i];
    absl::StrAppend(&data, i, "\t", row.user_id ? row.user_id->ToString() : "\\N", "\t",
                    std::string(SearchLogTypeName(row.type)), "\t");
    AppendCopyFieldOrNull(HistoryQuery(row.query), &data);
    data.push_back('\t');
    AppendCopyFieldOrNull(PopularQuery(row.query), &data);
    data.push_back('\t');
    AppendCopyField(StorableFilters(row.filters_json, parser), &data);
    absl::StrAppend(&data, "\t", ClampToInt32(row.results_count), "\t", ClampToInt32(row.took_us),
                    "\t", TimestampLiteral(row.searched_at), "\n");
  }
  return data;
}

// Finds the batch's user ids that are not in users and sets them to NULL in
// the staging table. otter_writer cannot read users, so each id is probed
// by an insert that the foreign key accepts or refuses, always rolled back.
// Returns how many ids were unknown.
absl::StatusOr<size_t> NullUnknownUsers(PgConnection& conn) {
  OTTER_ASSIGN_OR_RETURN(
      PgResult ids, conn.Exec("SELECT DISTINCT user_id::text FROM pg_temp.otter_search_log_batch"
                              " WHERE user_id IS NOT NULL"));
  std::vector<std::string> unknown;
  for (int i = 0; i < ids.rows(); ++i) {
    const std::string id(ids.Get(i, 0));
    OTTER_RETURN_IF_ERROR(conn.Exec("SAVEPOINT otter_user_probe").status());
    const absl::Status probe =
        conn.Exec("INSERT INTO search_history (user_id) VALUES ($1::uuid)", {id}).status();
    OTTER_RETURN_IF_ERROR(conn.Exec("ROLLBACK TO SAVEPOINT otter_user_probe").status());
    if (SqlState(probe) == kSqlStateForeignKeyViolation) {
      unknown.push_back(id);
    } else if (!probe.ok()) {
      return probe;
    }
  }
  if (!unknown.empty()) {
    const std::string array = absl::StrCat("{", absl::StrJoin(unknown, ","), "}");
    OTTER_RETURN_IF_ERROR(conn.Exec("UPDATE pg_temp.otter_search_log_batch SET user_id = NULL"
                                    " WHERE user_id = ANY($1::uuid[])",
                                    {array})
                              .status());
  }
  return unknown.size();
}

// Inserts the staged rows into search_history. The common case is one
// statement; only when the foreign key refuses a user id are the unknown
// ids found and nulled, and the statement repeated.
absl::Status InsertHistory(PgConnection& conn, SearchLogWriteResult* result) {
  OTTER_RETURN_IF_ERROR(conn.Exec("SAVEPOINT otter_history").status());
  absl::StatusOr<PgResult> inserted = conn.Exec(kInsertHistory);
  if (!inserted.ok()) {
    if (SqlState(inserted.status()) != kSqlStateForeignKeyViolation) return inserted.status();
    OTTER_RETURN_IF_ERROR(conn.Exec("ROLLBACK TO SAVEPOINT otter_history").status());
    OTTER_ASSIGN_OR_RETURN(result->unknown_users, NullUnknownUsers(conn));
    inserted = conn.Exec(kInsertHistory);
    if (!inserted.ok()) return inserted.status();
  }
  result->history_rows = static_cast<size_t>(inserted->AffectedRows());
  return absl::OkStatus();
}

absl::Status WriteInTransaction(PgConnection& conn, absl::Span<const SearchLogRow> rows,
                                const std::string& data, SearchLogWriteResult* result) {
  OTTER_RETURN_IF_ERROR(conn.Exec(kBeginAndStage).status());
  OTTER_RETURN_IF_ERROR(conn.CopyIn(kCopyBatch, data));
  OTTER_ASSIGN_OR_RETURN(PgResult popular, conn.Exec(kUpsertPopular));
  result->popular_queries = static_cast<size_t>(popular.AffectedRows());
  OTTER_RETURN_IF_ERROR(InsertHistory(conn, result));
  if (result->history_rows != rows.size()) {
    return absl::InternalError(absl::StrCat("search_history took ", result->history_rows,
                                            " rows of a batch of ", rows.size()));
  }
  return conn.Exec("COMMIT").status();
}

}  // namespace

std::string_view SearchLogTypeName(SearchLogType type) {
  switch (type) {
    case SearchLogType::kTours:
      return "tours";
    case SearchLogType::kLeaders:
      return "leaders";
  }
  return "tours";
}

std::optional<SearchLogType> ParseSearchLogType(std::string_view name) {
  if (name == "tours") return SearchLogType::kTours;
  if (name == "leaders") return SearchLogType::kLeaders;
  return std::nullopt;
}

std::optional<std::string> HistoryQuery(std::string_view query) {
  std::string out;
  AppendStorableText(query, kMaxHistoryQueryChars, &out);
  if (out.empty()) return std::nullopt;
  return out;
}

std::optional<std::string> PopularQuery(std::string_view query) {
  std::string valid;
  AppendStorableText(query, std::string_view::npos, &valid);
  const std::string folded = engine::text::DisplayForm(valid);
  std::string out;
  size_t chars = 0;
  bool pending_space = false;
  for (size_t pos = 0; pos < folded.size();) {
    size_t length = 0;
    const char32_t cp = DecodeCodePoint(folded, pos, &length);
    if (IsSpaceOrControl(cp)) {
      pending_space = !out.empty();
    } else {
      if (pending_space) {
        out.push_back(' ');
        ++chars;
        pending_space = false;
      }
      out.append(folded, pos, length);
      if (++chars > kMaxPopularQueryChars) return std::nullopt;
    }
    pos += length;
  }
  if (out.empty()) return std::nullopt;
  return out;
}

absl::StatusOr<SearchLogWriteResult> WriteSearchLog(PgConnection& conn,
                                                    absl::Span<const SearchLogRow> rows) {
  SearchLogWriteResult result;
  if (rows.empty()) return result;
  const absl::Status written = WriteInTransaction(conn, rows, CopyData(rows), &result);
  if (!written.ok()) {
    // A failed COMMIT has already ended the transaction; a ROLLBACK then
    // would only warn.
    const PGTransactionStatusType state = PQtransactionStatus(conn.get());
    if (state == PQTRANS_INTRANS || state == PQTRANS_INERROR) (void)conn.Exec("ROLLBACK");
    return written;
  }
  return result;
}

}  // namespace otter::loader
