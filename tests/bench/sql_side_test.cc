// The side-by-side benchmark's SQL against the demo data: geo answers
// checked against a brute-force scan with the engine's geodesic distance,
// and the full-text index created once.

#include <algorithm>
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "bench/side_by_side/sql_side.h"
#include "engine/geodesy.h"
#include "gtest/gtest.h"
#include "loader/pg_connection.h"
#include "tests/support/test_database.h"

namespace otter::side_by_side {
namespace {

using testing::TestDatabase;

struct Tour {
  std::string id;
  engine::LatLon at;
};

TEST(SqlSideTest, GeoTotalsAndNearestToursMatchABruteForceScan) {
  auto db = TestDatabase::Create("otter_demo");
  ASSERT_TRUE(db.ok()) << db.status();
  absl::StatusOr<SqlSide> sql = SqlSide::Connect((*db)->url());
  ASSERT_TRUE(sql.ok()) << sql.status();
  auto conn = (*db)->Connect();
  ASSERT_TRUE(conn.ok()) << conn.status();
  absl::StatusOr<loader::PgResult> rows = conn->Exec(
      "SELECT t.id, ST_Y(t.coordinates::geometry), ST_X(t.coordinates::geometry) "
      "FROM tours t JOIN tour_leaders l ON l.id = t.leader_id "
      "WHERE t.is_active AND l.is_active AND t.coordinates IS NOT NULL");
  ASSERT_TRUE(rows.ok()) << rows.status();
  std::vector<Tour> tours;
  for (int r = 0; r < rows->rows(); ++r) {
    Tour t{std::string(rows->Get(r, 0)), {}};
    ASSERT_TRUE(absl::SimpleAtod(std::string(rows->Get(r, 1)), &t.at.lat));
    ASSERT_TRUE(absl::SimpleAtod(std::string(rows->Get(r, 2)), &t.at.lon));
    tours.push_back(t);
  }
  ASSERT_FALSE(tours.empty());

  const unsigned seed = std::random_device{}();
  SCOPED_TRACE(::testing::Message() << "seed " << seed);
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> jitter(-0.2, 0.2);
  for (int i = 0; i < 20; ++i) {
    const Tour& near = tours[rng() % tours.size()];
    load::Query q;
    q.kind = load::QueryKind::kGeo;
    q.point = load::GeoPoint{std::round((near.at.lat + jitter(rng)) * 1e6) / 1e6,
                             std::round((near.at.lon + jitter(rng)) * 1e6) / 1e6};
    q.radius_km = i % 2 == 0 ? 25 : 60;
    q.limit = 5;
    absl::StatusOr<load::SearchReply> reply = sql->Run(q);
    ASSERT_TRUE(reply.ok()) << reply.status();

    std::vector<std::pair<double, std::string>> inside;
    for (const Tour& t : tours) {
      const double km = engine::GeodesicDistance({q.point->lat, q.point->lon}, t.at) / 1000;
      if (km <= q.radius_km) inside.emplace_back(km, t.id);
    }
    std::sort(inside.begin(), inside.end());
    EXPECT_EQ(reply->total, inside.size());
    ASSERT_EQ(reply->hits.size(), std::min<std::size_t>(5, inside.size()));
    for (std::size_t h = 0; h < reply->hits.size(); ++h) {
      EXPECT_NEAR(*reply->hits[h].distance_km, inside[h].first, 1e-6) << h;
      EXPECT_EQ(reply->hits[h].id, inside[h].second) << h;
    }
  }
}

TEST(SqlSideTest, CreatesTheTextIndexOnceAndTextQueriesFindTheirWords) {
  auto db = TestDatabase::Create("otter_demo");
  ASSERT_TRUE(db.ok()) << db.status();
  absl::StatusOr<SqlSide> sql = SqlSide::Connect((*db)->url());
  ASSERT_TRUE(sql.ok()) << sql.status();
  absl::StatusOr<bool> created = sql->EnsureTextIndex();
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_TRUE(*created);
  created = sql->EnsureTextIndex();
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_FALSE(*created);

  auto conn = (*db)->Connect();
  ASSERT_TRUE(conn.ok()) << conn.status();
  absl::StatusOr<loader::PgResult> word = conn->Exec(
      "SELECT lower(split_part(title, ' ', 1)) FROM tours WHERE is_active ORDER BY id LIMIT 1");
  ASSERT_TRUE(word.ok()) << word.status();
  load::Query q;
  q.kind = load::QueryKind::kText;
  q.text = std::string(word->Get(0, 0));
  absl::StatusOr<load::SearchReply> reply = sql->Run(q);
  ASSERT_TRUE(reply.ok()) << reply.status();
  // Every tour whose title or description holds the word, by a scan that
  // does not use the index.
  ASSERT_TRUE(conn->Exec("SET enable_bitmapscan = off").ok());
  ASSERT_TRUE(conn->Exec("SET enable_indexscan = off").ok());
  absl::StatusOr<loader::PgResult> expected = conn->Exec(
      "SELECT count(*) FROM tours t JOIN tour_leaders l ON l.id = t.leader_id "
      "WHERE t.is_active AND l.is_active AND "
      "to_tsvector('english', t.title || ' ' || coalesce(t.description, '')) @@ "
      "plainto_tsquery('english', $1)",
      {q.text});
  ASSERT_TRUE(expected.ok()) << expected.status();
  EXPECT_EQ(std::to_string(reply->total), expected->Get(0, 0)) << q.text;
  EXPECT_GT(reply->total, 0u) << q.text;
  EXPECT_LE(reply->hits.size(), 20u);
}

}  // namespace
}  // namespace otter::side_by_side
