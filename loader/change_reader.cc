#include "loader/change_reader.h"

#include <algorithm>
#include <string>

#include "absl/strings/str_cat.h"
#include "engine/status_macros.h"
#include "loader/catalog_reader.h"
#include "loader/copy_decoder.h"

namespace otter::loader {
namespace {

using engine::Uuid;

// The fence and the log rows after the cursor and below the fence, in one
// statement: one snapshot for both. The LEFT JOIN returns the fence even
// when no row is left. (xid, id) > ($2, $3) is an index condition on the
// primary key (xid, id).
constexpr char kReadBatchSql[] =
    "WITH f AS (SELECT pg_snapshot_xmin(pg_current_snapshot()) AS fence) "
    "SELECT f.fence, c.xid, c.id, c.table_name, c.op, c.row_key, c.parent_key "
    "FROM f LEFT JOIN LATERAL ("
    "  SELECT l.xid, l.id, l.table_name, l.op, l.row_key, l.parent_key FROM otter_change_log AS l"
    "   WHERE l.xid >= $1::xid8 AND (l.xid, l.id) > ($2::xid8, $3::bigint) AND l.xid < f.fence"
    "   ORDER BY l.xid, l.id LIMIT $4::int) AS c ON true";

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

absl::Status AddRow(FieldRow row, ChangedKeys* keys) {
  OTTER_ASSIGN_OR_RETURN(std::string_view name, ReadText(row[3], "otter_change_log.table_name"));
  OTTER_ASSIGN_OR_RETURN(CatalogTable table, TableOf(name));
  OTTER_ASSIGN_OR_RETURN(std::string_view op, ReadText(row[4], "otter_change_log.op"));
  if (op == "T") {
    keys->truncated.insert(table);
    return absl::OkStatus();
  }
  OTTER_ASSIGN_OR_RETURN(Uuid key, ReadUuid(row[5], "otter_change_log.row_key"));
  switch (table) {
    case CatalogTable::kPersonalityTypes: keys->personality_types.insert(key); break;
    case CatalogTable::kLeaders: keys->leaders.insert(key); break;
    case CatalogTable::kTours: keys->tours.insert(key); break;
    case CatalogTable::kUserTraits: keys->users.insert(key); break;
    case CatalogTable::kSchedules: {
      std::vector<Uuid>& tours = keys->schedules[key];
      if (!row[6].is_null) {
        OTTER_ASSIGN_OR_RETURN(Uuid tour, ReadUuid(row[6], "otter_change_log.parent_key"));
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

// Fetches `keys` of `table` into `sink`; calls `on_missing` for each key
// without a row.
template <typename OnMissing>
absl::Status FetchTable(PgConnection& conn, CatalogTable table, const std::vector<Uuid>& keys,
                        ChangeSink& sink, OnMissing on_missing) {
  if (keys.empty()) return absl::OkStatus();
  OTTER_ASSIGN_OR_RETURN(absl::flat_hash_set<Uuid> found, FetchCatalogRows(conn, table, keys, sink));
  for (const Uuid& key : keys) {
    if (!found.contains(key)) OTTER_RETURN_IF_ERROR(on_missing(key));
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

absl::StatusOr<ChangeBatch> ReadChangeBatch(PgConnection& conn, const ChangeCursor& cursor, int max_rows) {
  if (max_rows <= 0) return absl::InvalidArgumentError(absl::StrCat("max_rows must be positive, got ", max_rows));
  const std::string fence = absl::StrCat(cursor.fence);
  const std::string last_xid = absl::StrCat(cursor.last_xid);
  const std::string last_id = absl::StrCat(cursor.last_id);
  const std::string limit = absl::StrCat(max_rows);
  OTTER_ASSIGN_OR_RETURN(PgResult result,
                         conn.ExecBinary(kReadBatchSql, {std::string_view(fence), std::string_view(last_xid),
                                                         std::string_view(last_id), std::string_view(limit)}));
  if (result.rows() < 1 || result.columns() != 7) {
    return absl::DataLossError("reading otter_change_log returned no fence");
  }
  ChangeBatch batch;
  batch.cursor = cursor;
  uint64_t current_fence = 0;
  std::vector<Field> fields(7);
  for (int r = 0; r < result.rows(); ++r) {
    for (int c = 0; c < 7; ++c) fields[static_cast<size_t>(c)] = Field{result.Get(r, c), result.IsNull(r, c)};
    if (r == 0) {
      OTTER_ASSIGN_OR_RETURN(current_fence, ReadXid8(fields[0], "fence"));
    }
    if (fields[1].is_null) continue;  // no log row left: the LEFT JOIN's empty side
    OTTER_ASSIGN_OR_RETURN(batch.cursor.last_xid, ReadXid8(fields[1], "otter_change_log.xid"));
    OTTER_ASSIGN_OR_RETURN(batch.cursor.last_id, ReadInt8(fields[2], "otter_change_log.id"));
    OTTER_RETURN_IF_ERROR(AddRow(fields, &batch.keys));
    ++batch.log_rows;
  }
  batch.caught_up = batch.log_rows < max_rows;
  // Caught up: everything below the current fence is read. Not yet: rows
  // come in xid order, so every xid below the last one read is complete.
  const uint64_t applied = batch.caught_up ? current_fence : batch.cursor.last_xid;
  batch.cursor.fence = std::max(cursor.fence, applied);
  return batch;
}

absl::Status FetchChangedRows(PgConnection& conn, const ChangedKeys& keys, ChangeSink& sink) {
  OTTER_RETURN_IF_ERROR(FetchTable(conn, CatalogTable::kPersonalityTypes, Sorted(keys.personality_types), sink,
                                   [&](const Uuid& id) { return sink.OnPersonalityTypeDeleted(id); }));
  OTTER_RETURN_IF_ERROR(FetchTable(conn, CatalogTable::kLeaders, Sorted(keys.leaders), sink,
                                   [&](const Uuid& id) { return sink.OnLeaderDeleted(id); }));
  OTTER_RETURN_IF_ERROR(FetchTable(conn, CatalogTable::kTours, Sorted(keys.tours), sink,
                                   [&](const Uuid& id) { return sink.OnTourDeleted(id); }));
  std::vector<Uuid> schedules;
  schedules.reserve(keys.schedules.size());
  for (const auto& [id, tours] : keys.schedules) schedules.push_back(id);
  std::sort(schedules.begin(), schedules.end());
  OTTER_RETURN_IF_ERROR(FetchTable(conn, CatalogTable::kSchedules, schedules, sink, [&](const Uuid& id) {
    return sink.OnScheduleDeleted(id, keys.schedules.at(id));
  }));
  return FetchTable(conn, CatalogTable::kUserTraits, Sorted(keys.users), sink,
                    [&](const Uuid& id) { return sink.OnUserTraitsDeleted(id); });
}

absl::StatusOr<CatchUpResult> CatchUp(PgConnection& conn, const ChangeCursor& cursor, ChangeSink& sink,
                                      int max_rows) {
  // One round trip to open the transaction; text is decoded as UTF-8.
  OTTER_RETURN_IF_ERROR(
      conn.Exec("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY; SET LOCAL client_encoding = 'UTF8'").status());
  auto step = [&]() -> absl::StatusOr<CatchUpResult> {
    OTTER_ASSIGN_OR_RETURN(ChangeBatch batch, ReadChangeBatch(conn, cursor, max_rows));
    OTTER_RETURN_IF_ERROR(FetchChangedRows(conn, batch.keys, sink));
    CatchUpResult result;
    result.cursor = batch.cursor;
    result.log_rows = batch.log_rows;
    result.caught_up = batch.caught_up;
    result.reload_required = !batch.keys.truncated.empty();
    result.keys = std::move(batch.keys);
    return result;
  };
  absl::StatusOr<CatchUpResult> result = step();
  if (!result.ok()) {
    (void)conn.Exec("ROLLBACK");  // best effort: the connection may be gone
    return result.status();
  }
  OTTER_RETURN_IF_ERROR(conn.Exec("COMMIT").status());
  return result;
}

}  // namespace otter::loader
