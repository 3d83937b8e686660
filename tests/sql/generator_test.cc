// The data generator (sql/generate.sql) at the demo scale, as the test
// cluster's template database otter_demo holds it.

#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "loader/pg_connection.h"
#include "tests/support/test_database.h"

namespace otter {
namespace {

using loader::PgConnection;
using loader::PgResult;
using testing::TestDatabase;

class GeneratorTest : public otter::testing::DemoDatabaseTest {
 protected:
  // The single integer that `sql` returns.
  long Count(const std::string& sql) {
    absl::StatusOr<PgResult> r = conn_->Exec(sql);
    EXPECT_TRUE(r.ok()) << sql << ": " << r.status();
    if (!r.ok() || r->rows() != 1) return -1;
    long value = -1;
    EXPECT_TRUE(absl::SimpleAtoi(std::string(r->Get(0, 0)), &value)) << sql;
    return value;
  }

};

TEST_F(GeneratorTest, MeetsTheDesignsMinimumCounts) {
  EXPECT_GE(Count("SELECT count(*) FROM users"), 100);
  EXPECT_GE(Count("SELECT count(*) FROM tour_leaders"), 50);
  EXPECT_GE(Count("SELECT count(*) FROM tours"), 200);
  EXPECT_GE(Count("SELECT count(*) FROM bookings"), 500);
  EXPECT_GE(Count("SELECT count(*) FROM reviews"), 1000);
}

TEST_F(GeneratorTest, FillsEveryTableOfTheSchema) {
  absl::StatusOr<PgResult> tables = conn_->Exec(
      "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
      "WHERE n.nspname = 'public' AND c.relkind = 'r' "
      "AND c.relname NOT IN ('spatial_ref_sys', 'otter_change_log', 'otter_change_consumers') ORDER BY 1");
  ASSERT_TRUE(tables.ok()) << tables.status();
  ASSERT_GE(tables->rows(), 23);
  for (int i = 0; i < tables->rows(); ++i) {
    const std::string table(tables->Get(i, 0));
    EXPECT_GT(Count(absl::StrCat("SELECT count(*) FROM ", table)), 0) << table << " is empty";
  }
}

// Generated rows reach a daemon through its bulk load, so the generator
// leaves the engine's change log empty.
TEST_F(GeneratorTest, LeavesTheChangeLogEmpty) {
  EXPECT_EQ(Count("SELECT count(*) FROM otter_change_log"), 0);
}

TEST_F(GeneratorTest, CoversEveryStateAndKind) {
  EXPECT_EQ(Count("SELECT count(DISTINCT status) FROM bookings"), 5);
  EXPECT_EQ(Count("SELECT count(DISTINCT booking_type) FROM bookings"), 2);
  EXPECT_GE(Count("SELECT count(DISTINCT status) FROM payments"), 4);
  EXPECT_EQ(Count("SELECT count(DISTINCT review_type) FROM reviews"), 2);
  EXPECT_EQ(Count("SELECT count(DISTINCT rating) FROM reviews"), 5);
  EXPECT_EQ(Count("SELECT count(DISTINCT type) FROM tour_leaders"), 3);
  EXPECT_GE(Count("SELECT count(DISTINCT status) FROM tour_schedules"), 3);
  EXPECT_EQ(Count("SELECT count(DISTINCT favorite_type) FROM user_favorites"), 3);
  EXPECT_GT(Count("SELECT count(*) FROM reviews WHERE is_verified_booking"), 0);
  EXPECT_GT(Count("SELECT count(*) FROM messages WHERE parent_message_id IS NOT NULL"), 0);
  // Ratings are J-shaped, as on real platforms: 5 is the most common.
  EXPECT_EQ(Count("SELECT rating FROM reviews GROUP BY rating ORDER BY count(*) DESC LIMIT 1"), 5);
}

// Every foreign key of the schema, checked by an anti-join built from the
// catalog: independent of the triggers that enforce it during the load.
TEST_F(GeneratorTest, EveryForeignKeyHolds) {
  absl::StatusOr<PgResult> fks = conn_->Exec(R"sql(
      SELECT c.conname, c.conrelid::regclass::text, c.confrelid::regclass::text,
             (SELECT string_agg(format('x.%I = y.%I', a.attname, b.attname), ' AND ')
                FROM unnest(c.conkey, c.confkey) AS k (l, r)
                JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.l
                JOIN pg_attribute b ON b.attrelid = c.confrelid AND b.attnum = k.r),
             (SELECT string_agg(format('x.%I IS NOT NULL', a.attname), ' AND ')
                FROM unnest(c.conkey) AS k (l)
                JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.l)
        FROM pg_constraint c
       WHERE c.contype = 'f' AND c.connamespace = 'public'::regnamespace)sql");
  ASSERT_TRUE(fks.ok()) << fks.status();
  ASSERT_GE(fks->rows(), 20);
  for (int i = 0; i < fks->rows(); ++i) {
    const std::string sql = absl::StrCat(
        "SELECT count(*) FROM ", std::string(fks->Get(i, 1)), " x WHERE ", std::string(fks->Get(i, 4)),
        " AND NOT EXISTS (SELECT 1 FROM ", std::string(fks->Get(i, 2)), " y WHERE ",
        std::string(fks->Get(i, 3)), ")");
    EXPECT_EQ(Count(sql), 0) << fks->Get(i, 0) << ": " << sql;
  }
}

TEST_F(GeneratorTest, ReviewStatisticsEqualAFreshAggregate) {
  EXPECT_EQ(Count(R"sql(
      SELECT count(*) FROM tours t
       CROSS JOIN LATERAL (SELECT count(*)::int AS n, coalesce(round(avg(r.rating), 2), 0) AS avg
                             FROM reviews r WHERE r.tour_id = t.id AND r.is_active) a
       WHERE (t.total_reviews, t.average_rating) IS DISTINCT FROM (a.n, a.avg))sql"),
            0);
  EXPECT_GT(Count("SELECT count(*) FROM tours WHERE total_reviews > 0"), 0);
}

TEST_F(GeneratorTest, LeaderTraitsAndQuizTraitsAreValidTraitObjects) {
  EXPECT_EQ(Count("SELECT count(*) FROM tour_leaders WHERE personality_traits = '{}'"), 0);
  EXPECT_GT(Count("SELECT count(DISTINCT user_id) FROM user_quiz_results"), 0);
  // Cached scores are what the reference formula gives, rounded to 2 places.
  EXPECT_EQ(Count(R"sql(
      SELECT count(*) FROM personality_match_scores s
        JOIN tour_leaders l ON l.id = s.leader_id
       CROSS JOIN LATERAL (SELECT q.traits FROM user_quiz_results q WHERE q.user_id = s.user_id
                            ORDER BY q.completed_at DESC LIMIT 1) q
       WHERE s.score <> round(otter_compatibility(q.traits, l.personality_traits)::numeric, 2))sql"),
            0);
}

// The same scale gives the same rows: generate again and compare digests.
TEST_F(GeneratorTest, IsDeterministic) {
  const char* kDigest = R"sql(
      SELECT md5(string_agg(concat_ws('|', id, leader_id, title, slug, description, tags, price,
                                      ST_AsText(coordinates), total_reviews, average_rating), ',' ORDER BY id))
        FROM tours)sql";
  absl::StatusOr<PgResult> first = conn_->Exec(kDigest);
  ASSERT_TRUE(first.ok()) << first.status();

  auto fresh = TestDatabase::Create("otter_schema");
  ASSERT_TRUE(fresh.ok()) << fresh.status();
  const std::string command =
      absl::StrCat(OTTER_SOURCE_DIR, "/scripts/generate-data '", (*fresh)->url(),
                   "' --scale demo > /dev/null");
  ASSERT_EQ(std::system(command.c_str()), 0) << command;
  auto conn = (*fresh)->Connect();
  ASSERT_TRUE(conn.ok()) << conn.status();
  absl::StatusOr<PgResult> second = conn->Exec(kDigest);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(first->Get(0, 0), second->Get(0, 0));
}

}  // namespace
}  // namespace otter
