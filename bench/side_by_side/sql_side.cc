#include "bench/side_by_side/sql_side.h"

#include <charconv>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "bench/load/request_json.h"
#include "engine/status_macros.h"

namespace otter::side_by_side {
namespace {

// Every query counts only active tours of active leaders (active leaders
// for personality), as otterd does, and totals with count(*) OVER (): the
// exact number of matches, computed with the page in one round trip.
// Distances are PostGIS's spheroid distances, ties broken by id.
constexpr const char* kGeoSql = R"sql(
WITH center AS (SELECT ST_SetSRID(ST_MakePoint($2::float8, $1::float8), 4326)::geography AS g)
SELECT t.id, ST_Distance(t.coordinates, c.g) / 1000.0 AS km, count(*) OVER () AS total
FROM tours AS t JOIN tour_leaders AS l ON l.id = t.leader_id, center AS c
WHERE t.is_active AND l.is_active AND ST_DWithin(t.coordinates, c.g, $3::float8 * 1000.0)
ORDER BY km, t.id
LIMIT $4)sql";

// The tsvector expression must be the indexed one, word for word.
#define OTTER_TOUR_TSVECTOR "to_tsvector('english', t.title || ' ' || coalesce(t.description, ''))"

constexpr const char* kTextSql = "SELECT t.id, ts_rank_cd(" OTTER_TOUR_TSVECTOR
                                 ", q) AS rank, count(*) OVER () AS total\n"
                                 "FROM tours AS t JOIN tour_leaders AS l ON l.id = t.leader_id, "
                                 "plainto_tsquery('english', $1) AS q\n"
                                 "WHERE t.is_active AND l.is_active AND " OTTER_TOUR_TSVECTOR
                                 " @@ q\n"
                                 "ORDER BY rank DESC, t.id\n"
                                 "LIMIT $2";

constexpr const char* kCombinedSql =
    "WITH center AS (SELECT ST_SetSRID(ST_MakePoint($3::float8, $2::float8), 4326)::geography AS "
    "g)\n"
    "SELECT t.id, ts_rank_cd(" OTTER_TOUR_TSVECTOR
    ", q) AS rank, count(*) OVER () AS total\n"
    "FROM tours AS t JOIN tour_leaders AS l ON l.id = t.leader_id, center AS c,\n"
    "     plainto_tsquery('english', $1) AS q\n"
    "WHERE t.is_active AND l.is_active AND " OTTER_TOUR_TSVECTOR
    " @@ q\n"
    "  AND ST_DWithin(t.coordinates, c.g, $4::float8 * 1000.0)\n"
    "  AND t.category = $5 AND t.price <= $6::numeric\n"
    "ORDER BY rank DESC, t.id\n"
    "LIMIT $7";

constexpr const char* kCreateTextIndexSql =
    "CREATE INDEX IF NOT EXISTS idx_tours_title_description_fts ON tours\n"
    "USING gin (to_tsvector('english', title || ' ' || coalesce(description, '')))";

#undef OTTER_TOUR_TSVECTOR

// The compatibility of every active leader with the user's current traits,
// by the reference formula; a leader without traits counts 0.5 per trait,
// as in otterd.
constexpr const char* kPersonalitySql = R"sql(
SELECT l.id, otter_compatibility(u.traits, l.personality_traits) AS compatibility,
       count(*) OVER () AS total
FROM tour_leaders AS l, user_current_traits AS u
WHERE u.user_id = $1 AND l.is_active
ORDER BY compatibility DESC, l.id
LIMIT $2)sql";

absl::StatusOr<double> Number(std::string_view text) {
  double value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) {
    return absl::InternalError(absl::StrCat("not a number: \"", std::string(text), "\""));
  }
  return value;
}

}  // namespace

absl::StatusOr<SqlSide> SqlSide::Connect(const std::string& url) {
  OTTER_ASSIGN_OR_RETURN(loader::PgConnection conn, loader::PgConnection::Connect(url));
  return SqlSide(std::move(conn));
}

absl::StatusOr<bool> SqlSide::EnsureTextIndex() {
  OTTER_ASSIGN_OR_RETURN(loader::PgResult exists,
                         conn_.Exec("SELECT to_regclass($1) IS NOT NULL", {kTextIndexName}));
  if (exists.Get(0, 0) == "t") return false;
  OTTER_RETURN_IF_ERROR(conn_.Exec(kCreateTextIndexSql).status());
  OTTER_RETURN_IF_ERROR(conn_.Exec("ANALYZE tours").status());
  return true;
}

absl::StatusOr<load::SearchReply> SqlSide::Run(const load::Query& q) {
  const std::string limit = std::to_string(q.limit);
  std::string lat, lon, radius;
  if (q.point) {
    lat = load::FormatDouble(q.point->lat);
    lon = load::FormatDouble(q.point->lon);
    radius = load::FormatDouble(q.radius_km);
  }
  absl::StatusOr<loader::PgResult> rows = absl::InvalidArgumentError(
      absl::StrCat("no SQL for query kind ", std::string(load::QueryKindName(q.kind))));
  switch (q.kind) {
    case load::QueryKind::kGeo:
      rows = conn_.Exec(kGeoSql, {lat, lon, radius, limit});
      break;
    case load::QueryKind::kText:
      rows = conn_.Exec(kTextSql, {q.text, limit});
      break;
    case load::QueryKind::kCombined:
      rows = conn_.Exec(kCombinedSql, {q.text, lat, lon, radius, q.category, q.price_max, limit});
      break;
    case load::QueryKind::kPersonality:
      rows = conn_.Exec(kPersonalitySql, {q.user_id, limit});
      break;
    default:
      break;
  }
  if (!rows.ok()) return rows.status();
  load::SearchReply reply;
  for (int r = 0; r < rows->rows(); ++r) {
    load::ReplyHit hit;
    hit.id = std::string(rows->Get(r, 0));
    OTTER_ASSIGN_OR_RETURN(const double value, Number(rows->Get(r, 1)));
    switch (q.kind) {
      case load::QueryKind::kGeo:
        hit.distance_km = value;
        break;
      case load::QueryKind::kPersonality:
        hit.compatibility = value;
        break;
      default:
        hit.score = value;
        break;
    }
    OTTER_ASSIGN_OR_RETURN(const double total, Number(rows->Get(r, 2)));
    reply.total = static_cast<uint64_t>(total);
    reply.hits.push_back(std::move(hit));
  }
  return reply;
}

absl::StatusOr<std::string> SqlSide::Versions() {
  OTTER_ASSIGN_OR_RETURN(loader::PgResult r, conn_.Exec("SELECT version(), postgis_lib_version()"));
  return absl::StrCat(std::string(r.Get(0, 0)), "; PostGIS ", std::string(r.Get(0, 1)));
}

absl::StatusOr<std::string> SqlSide::DataSize() {
  OTTER_ASSIGN_OR_RETURN(loader::PgResult r, conn_.Exec(R"sql(
SELECT (SELECT count(*) FROM tours),
       (SELECT count(*) FROM tours WHERE is_active),
       (SELECT count(*) FROM tour_leaders),
       (SELECT count(*) FROM user_current_traits))sql"));
  return absl::StrCat(std::string(r.Get(0, 0)), " tours (", std::string(r.Get(0, 1)), " active), ",
                      std::string(r.Get(0, 2)), " leaders, ", std::string(r.Get(0, 3)),
                      " users with quiz traits");
}

}  // namespace otter::side_by_side
