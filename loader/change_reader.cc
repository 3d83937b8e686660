#include "loader/change_reader.h"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "engine/status_macros.h"
#include "loader/catalog_reader.h"
#include "loader/copy_decoder.h"

namespace otter::loader {
namespace {

using engine::Uuid;

constexpr char kBeginSql[] = "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY";
constexpr char kUtf8Sql[] = "SET LOCAL client_encoding = 'UTF8'";  // text is decoded as UTF-8
constexpr char kCommitSql[] = "COMMIT";

// In one statement (one snapshot): the fence, the horizon below which the
// log may have been pruned, how long the first committed row at or above
// the fence has waited, and the log rows after the cursor and below the
// fence. MATERIALIZED keeps the scalar subqueries from running once per
// log row; the LEFT JOIN returns the first three even when no row is left.
// (xid, id) > ($2, $3) is an index condition on the primary key (xid, id).
constexpr char kReadBatchSql[] =
    "WITH s AS MATERIALIZED ("
    "  SELECT f.fence, (SELECT h.pruned_below FROM otter_change_log_horizon AS h) AS pruned_below,"
    "   (SELECT (extract(epoch FROM clock_timestamp() - p.changed_at) * 1000)::bigint"
    "      FROM otter_change_log AS p WHERE p.xid >= f.fence ORDER BY p.xid, p.id LIMIT 1) AS pending_ms"
    "  FROM (SELECT pg_snapshot_xmin(pg_current_snapshot()) AS fence) AS f) "
    "SELECT s.fence, s.pruned_below, s.pending_ms, c.xid, c.id, c.table_name, c.op, c.row_key, c.parent_key "
    "FROM s LEFT JOIN LATERAL ("
    "  SELECT l.xid, l.id, l.table_name, l.op, l.row_key, l.parent_key FROM otter_change_log AS l"
    "   WHERE l.xid >= $1::xid8 AND (l.xid, l.id) > ($2::xid8, $3::bigint) AND l.xid < s.fence"
    "   ORDER BY l.xid, l.id LIMIT $4::int) AS c ON true";
constexpr int kReadBatchColumns = 9;
constexpr int kFirstLogColumn = 3;  // c.xid

// The fetches in table order: leaders before the tours that name them.
constexpr CatalogTable kFetchOrder[] = {CatalogTable::kPersonalityTypes, CatalogTable::kLeaders,
                                        CatalogTable::kTours, CatalogTable::kSchedules,
                                        CatalogTable::kUserTraits};

// Which catalog table a change-log table name feeds.
absl::StatusOr<CatalogTable> TableOf(std::string_view name) {
  if (name == "tours") return CatalogTable::kTours;
  if (name == "tour_leaders" || name == "leader_languages" || name == "leader_specialties") {
    return CatalogTable::kLeaders;
  }
  if (name == "tour_schedules") return CatalogTable::kSchedules;
  if (name == "user_quiz_results") return CatalogTable::kUserTraits;
  if (name == "personality_types") return CatalogTable::kPersonalityTypes;
  return absl::DataLossError(absl::StrCat("otter_change_log.table_name: unknown table \"", std::string(name), "\""));
}

// `row`: xid, id, table_name, op, row_key, parent_key.
absl::Status AddRow(FieldRow row, ChangedKeys* keys) {
  OTTER_ASSIGN_OR_RETURN(std::string_view name, ReadText(row[2], "otter_change_log.table_name"));
  OTTER_ASSIGN_OR_RETURN(CatalogTable table, TableOf(name));
  OTTER_ASSIGN_OR_RETURN(std::string_view op, ReadText(row[3], "otter_change_log.op"));
  if (op == "T") {
    keys->truncated.insert(table);
    return absl::OkStatus();
  }
  OTTER_ASSIGN_OR_RETURN(Uuid key, ReadUuid(row[4], "otter_change_log.row_key"));
  switch (table) {
    case CatalogTable::kPersonalityTypes: keys->personality_types.insert(key); break;
    case CatalogTable::kLeaders: keys->leaders.insert(key); break;
    case CatalogTable::kTours: keys->tours.insert(key); break;
    case CatalogTable::kUserTraits: keys->users.insert(key); break;
    case CatalogTable::kSchedules: {
      std::vector<Uuid>& tours = keys->schedules[key];
      if (!row[5].is_null) {
        OTTER_ASSIGN_OR_RETURN(Uuid tour, ReadUuid(row[5], "otter_change_log.parent_key"));
        if (std::find(tours.begin(), tours.end(), tour) == tours.end()) tours.push_back(tour);
      }
      break;
    }
  }
  return absl::OkStatus();
}

std::vector<Uuid> Sorted(const absl::flat_hash_set<Uuid>& set) {
  std::vector<Uuid> v(set.begin(), set.end());
  std::sort(v.begin(), v.end());
  return v;
}

// Decodes the batch statement's result into `step` (cursor, keys, counts).
absl::Status DecodeBatch(const PgResult& result, const ChangeCursor& cursor, int max_rows, CatchUpResult* step) {
  if (result.rows() < 1 || result.columns() != kReadBatchColumns) {
    return absl::DataLossError("reading otter_change_log returned no fence");
  }
  std::vector<Field> fields(kReadBatchColumns);
  auto load = [&](int r) {
    for (int c = 0; c < kReadBatchColumns; ++c) {
      fields[static_cast<size_t>(c)] = Field{result.Get(r, c), result.IsNull(r, c)};
    }
  };
  load(0);
  OTTER_ASSIGN_OR_RETURN(const uint64_t current_fence, ReadXid8(fields[0], "fence"));
  if (fields[1].is_null) return absl::DataLossError("otter_change_log_horizon has no row");
  OTTER_ASSIGN_OR_RETURN(const uint64_t pruned_below, ReadXid8(fields[1], "otter_change_log_horizon.pruned_below"));
  if (!fields[2].is_null) {
    OTTER_ASSIGN_OR_RETURN(const int64_t age_ms, ReadInt8(fields[2], "pending_ms"));
    step->pending_age_ms = std::max<int64_t>(0, age_ms);
  }
  step->cursor = cursor;
  // Rows the cursor still needs (xid >= its fence) may be gone.
  if (pruned_below > cursor.fence) {
    step->pruned = true;
    step->reload_required = true;
    return absl::OkStatus();
  }
  ChangeCursor next = cursor;
  for (int r = 0; r < result.rows(); ++r) {
    if (r > 0) load(r);
    if (fields[kFirstLogColumn].is_null) continue;  // no log row left: the LEFT JOIN's empty side
    const FieldRow row = FieldRow(fields).subspan(kFirstLogColumn);
    OTTER_ASSIGN_OR_RETURN(next.last_xid, ReadXid8(row[0], "otter_change_log.xid"));
    OTTER_ASSIGN_OR_RETURN(next.last_id, ReadInt8(row[1], "otter_change_log.id"));
    OTTER_RETURN_IF_ERROR(AddRow(row, &step->keys));
    ++step->log_rows;
  }
  step->caught_up = step->log_rows < max_rows;
  // Caught up: everything below the current fence is read. Not yet: rows
  // come in xid order, so every xid below the last one read is complete.
  next.fence = std::max(cursor.fence, step->caught_up ? current_fence : next.last_xid);
  if (!step->keys.truncated.empty()) {
    step->reload_required = true;
    return absl::OkStatus();
  }
  step->cursor = next;
  return absl::OkStatus();
}

// The keys of `table` to re-fetch, sorted.
std::vector<Uuid> KeysOf(const ChangedKeys& keys, CatalogTable table) {
  switch (table) {
    case CatalogTable::kPersonalityTypes: return Sorted(keys.personality_types);
    case CatalogTable::kLeaders: return Sorted(keys.leaders);
    case CatalogTable::kTours: return Sorted(keys.tours);
    case CatalogTable::kUserTraits: return Sorted(keys.users);
    case CatalogTable::kSchedules: {
      std::vector<Uuid> ids;
      ids.reserve(keys.schedules.size());
      for (const auto& [id, tours] : keys.schedules) ids.push_back(id);
      std::sort(ids.begin(), ids.end());
      return ids;
    }
  }
  return {};
}

// Decodes the re-fetched rows of `table` into `sink` and reports the keys
// without a row as deletions.
absl::Status ApplyFetched(const PgResult& result, CatalogTable table, const std::vector<Uuid>& keys,
                          const ChangedKeys& changed, ChangeSink& sink) {
  OTTER_ASSIGN_OR_RETURN(const absl::flat_hash_set<Uuid> found, DecodeFetchedRows(result, table, sink));
  for (const Uuid& key : keys) {
    if (found.contains(key)) continue;
    switch (table) {
      case CatalogTable::kPersonalityTypes: OTTER_RETURN_IF_ERROR(sink.OnPersonalityTypeDeleted(key)); break;
      case CatalogTable::kLeaders: OTTER_RETURN_IF_ERROR(sink.OnLeaderDeleted(key)); break;
      case CatalogTable::kTours: OTTER_RETURN_IF_ERROR(sink.OnTourDeleted(key)); break;
      case CatalogTable::kSchedules:
        OTTER_RETURN_IF_ERROR(sink.OnScheduleDeleted(key, changed.schedules.at(key)));
        break;
      case CatalogTable::kUserTraits: OTTER_RETURN_IF_ERROR(sink.OnUserTraitsDeleted(key)); break;
    }
  }
  return absl::OkStatus();
}

// Round trip 2: the changed rows of every table that has keys, and COMMIT.
absl::Status FetchAndCommit(PgConnection& conn, const ChangedKeys& keys, ChangeSink& sink) {
  std::vector<PgStatement> statements;
  std::vector<std::pair<CatalogTable, std::vector<Uuid>>> fetches;
  for (CatalogTable table : kFetchOrder) {
    std::vector<Uuid> ids = KeysOf(keys, table);
    if (ids.empty()) continue;
    statements.push_back(CatalogFetchStatement(table, ids));
    fetches.emplace_back(table, std::move(ids));
  }
  statements.push_back({.sql = kCommitSql});
  OTTER_ASSIGN_OR_RETURN(std::vector<PgResult> results, conn.ExecPipeline(statements));
  for (size_t i = 0; i < fetches.size(); ++i) {
    OTTER_RETURN_IF_ERROR(ApplyFetched(results[i], fetches[i].first, fetches[i].second, keys, sink));
  }
  return absl::OkStatus();
}

}  // namespace

bool ChangedKeys::empty() const { return size() == 0; }

size_t ChangedKeys::size() const {
  return personality_types.size() + leaders.size() + tours.size() + schedules.size() + users.size() +
         truncated.size();
}

void ChangedKeys::Merge(const ChangedKeys& other) {
  personality_types.insert(other.personality_types.begin(), other.personality_types.end());
  leaders.insert(other.leaders.begin(), other.leaders.end());
  tours.insert(other.tours.begin(), other.tours.end());
  users.insert(other.users.begin(), other.users.end());
  truncated.insert(other.truncated.begin(), other.truncated.end());
  for (const auto& [id, tour_ids] : other.schedules) {
    std::vector<Uuid>& mine = schedules[id];
    for (const Uuid& t : tour_ids) {
      if (std::find(mine.begin(), mine.end(), t) == mine.end()) mine.push_back(t);
    }
  }
}

absl::StatusOr<CatchUpResult> CatchUp(PgConnection& conn, const ChangeCursor& cursor, ChangeSink& sink,
                                      int max_rows) {
  if (max_rows <= 0) return absl::InvalidArgumentError(absl::StrCat("max_rows must be positive, got ", max_rows));
  auto step = [&]() -> absl::StatusOr<CatchUpResult> {
    // Round trip 1: the transaction, the batch, the horizon and the lag.
    OTTER_ASSIGN_OR_RETURN(
        std::vector<PgResult> opened,
        conn.ExecPipeline({{.sql = kBeginSql},
                           {.sql = kUtf8Sql},
                           {.sql = kReadBatchSql,
                            .params = {absl::StrCat(cursor.fence), absl::StrCat(cursor.last_xid),
                                       absl::StrCat(cursor.last_id), absl::StrCat(max_rows)},
                            .binary_results = true}}));
    CatchUpResult result;
    OTTER_RETURN_IF_ERROR(DecodeBatch(opened[2], cursor, max_rows, &result));
    if (result.reload_required) {
      OTTER_RETURN_IF_ERROR(conn.Exec(kCommitSql).status());
      return result;
    }
    OTTER_RETURN_IF_ERROR(FetchAndCommit(conn, result.keys, sink));
    return result;
  };
  absl::StatusOr<CatchUpResult> result = step();
  // Best effort (the connection may be gone); not when no transaction is
  // open, which would only draw a warning.
  if (!result.ok() && PQtransactionStatus(conn.get()) != PQTRANS_IDLE) (void)conn.Exec("ROLLBACK");
  return result;
}

}  // namespace otter::loader
