// sql/schema.sql against a real PostgreSQL: the tables and the column
// contract of SPEC section 1, constraints, triggers, otter_compatibility()
// and row-level security.

#include <cmath>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

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
using loader::SqlState;
using ::testing::HasSubstr;
using testing::TestDatabase;

class SchemaTest : public ::testing::Test {
 protected:
  void Open(const char* template_name) {
    auto db = TestDatabase::Create(template_name);
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = *std::move(db);
    auto conn = db_->Connect();
    ASSERT_TRUE(conn.ok()) << conn.status();
    conn_.emplace(*std::move(conn));
  }
  void SetUp() override { Open("otter_schema"); }

  // Runs `sql`, failing the test when it fails.
  PgResult Run(const std::string& sql, std::initializer_list<PgConnection::Param> params = {}) {
    absl::StatusOr<PgResult> r = conn_->Exec(sql, params);
    EXPECT_TRUE(r.ok()) << sql << "\n" << r.status();
    return r.ok() ? *std::move(r) : PgResult(nullptr);
  }
  std::string Value(const std::string& sql, std::initializer_list<PgConnection::Param> params = {}) {
    PgResult r = Run(sql, params);
    if (r.get() == nullptr || r.rows() != 1) return "<no single row>";
    return std::string(r.Get(0, 0));
  }
  // The SQLSTATE `sql` fails with ("" when it succeeds).
  std::string FailureState(const std::string& sql) {
    absl::StatusOr<PgResult> r = conn_->Exec(sql);
    return r.ok() ? "" : SqlState(r.status());
  }

  // A user, a leader of that user and a tour of that leader; returns their ids.
  struct Fixture {
    std::string user, leader, tour, other_tour;
  };
  Fixture MakeTourWithLeader() {
    Fixture f;
    f.user = Value(
        "INSERT INTO users (email, username, password_hash) "
        "VALUES ('guide@example.com', 'guide', 'x') RETURNING id");
    f.leader = Value(
        "INSERT INTO tour_leaders (user_id, type, display_name) VALUES ($1, 'leader', 'Ana') "
        "RETURNING id",
        {f.user});
    f.tour = Value(
        "INSERT INTO tours (leader_id, title, slug, category, price) "
        "VALUES ($1, 'Sunset Kayak', 'sunset-kayak', 'water', 49.90) RETURNING id",
        {f.leader});
    f.other_tour = Value(
        "INSERT INTO tours (leader_id, title, slug, category, price) "
        "VALUES ($1, 'Old Town Walk', 'old-town-walk', 'culture', 20) RETURNING id",
        {f.leader});
    return f;
  }
  std::string MakeUser(const std::string& name) {
    return Value("INSERT INTO users (email, username, password_hash) VALUES ($1, $2, 'x') RETURNING id",
                 {name + "@example.com", name});
  }

  // Stats rows that differ from a fresh aggregate over active reviews.
  long StaleStats() {
    long tours = 0, leaders = 0;
    EXPECT_TRUE(absl::SimpleAtoi(Value(R"sql(
        SELECT count(*) FROM tours t
         CROSS JOIN LATERAL (SELECT count(*)::int AS n, coalesce(round(avg(r.rating), 2), 0) AS a
                               FROM reviews r WHERE r.tour_id = t.id AND r.is_active) s
         WHERE (t.total_reviews, t.average_rating) IS DISTINCT FROM (s.n, s.a))sql"),
                                 &tours));
    EXPECT_TRUE(absl::SimpleAtoi(Value(R"sql(
        SELECT count(*) FROM tour_leaders l
         CROSS JOIN LATERAL (SELECT count(*)::int AS n, coalesce(round(avg(r.rating), 2), 0) AS a
                               FROM reviews r
                              WHERE r.leader_id = l.id AND r.review_type = 'leader' AND r.is_active) s
         WHERE (l.total_reviews, l.average_rating) IS DISTINCT FROM (s.n, s.a))sql"),
                                 &leaders));
    return tours + leaders;
  }

  std::unique_ptr<TestDatabase> db_;
  std::optional<PgConnection> conn_;
};

TEST_F(SchemaTest, HasEveryTableOfTheSpecification) {
  for (const char* table :
       {"users", "tour_leaders", "leader_languages", "leader_specialties", "certifications", "tours",
        "tour_itinerary", "tour_schedules", "bookings", "payments", "reviews", "travel_stories",
        "story_likes", "user_favorites", "messages", "notifications", "search_history",
        "popular_searches", "personality_types", "user_quiz_results", "personality_match_scores",
        "promo_codes", "invitation_codes"}) {
    EXPECT_EQ(Value("SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tablename = $1",
                    {table}),
              "1")
        << table;
  }
}

// The column contract of SPEC section 1, in format_type() spelling.
TEST_F(SchemaTest, ContractColumnsHaveTheContractTypes) {
  const std::map<std::string, std::vector<std::pair<std::string, std::string>>> contract = {
      {"users",
       {{"id", "uuid"}, {"email", "text"}, {"username", "text"}, {"password_hash", "text"},
        {"first_name", "text"}, {"last_name", "text"}, {"preferences", "jsonb"},
        {"interests", "jsonb"}, {"is_active", "boolean"},
        {"created_at", "timestamp with time zone"}, {"updated_at", "timestamp with time zone"}}},
      {"tour_leaders",
       {{"id", "uuid"}, {"user_id", "uuid"}, {"type", "text"}, {"display_name", "text"},
        {"bio", "text"}, {"city", "text"}, {"country", "text"},
        {"coordinates", "geography(Point,4326)"}, {"hourly_rate", "numeric(10,2)"},
        {"personality_traits", "jsonb"}, {"is_verified", "boolean"},
        {"average_rating", "numeric(3,2)"}, {"total_reviews", "integer"},
        {"followers_count", "integer"}, {"is_active", "boolean"},
        {"created_at", "timestamp with time zone"}, {"updated_at", "timestamp with time zone"}}},
      {"leader_languages",
       {{"leader_id", "uuid"}, {"language_code", "text"}, {"proficiency", "text"}}},
      {"leader_specialties", {{"leader_id", "uuid"}, {"specialty", "text"}}},
      {"tours",
       {{"id", "uuid"}, {"leader_id", "uuid"}, {"title", "text"}, {"slug", "text"},
        {"description", "text"}, {"category", "text"}, {"tags", "jsonb"},
        {"price", "numeric(10,2)"}, {"currency", "character(3)"}, {"duration_days", "integer"},
        {"duration_hours", "numeric"}, {"max_participants", "integer"}, {"city", "text"},
        {"country", "text"}, {"coordinates", "geography(Point,4326)"}, {"images", "jsonb"},
        {"inclusions", "jsonb"}, {"availability_start", "date"}, {"availability_end", "date"},
        {"blackout_dates", "jsonb"}, {"total_reviews", "integer"},
        {"average_rating", "numeric(3,2)"}, {"is_active", "boolean"},
        {"created_at", "timestamp with time zone"}, {"updated_at", "timestamp with time zone"}}},
      {"tour_schedules",
       {{"id", "uuid"}, {"tour_id", "uuid"}, {"start_date", "date"}, {"end_date", "date"},
        {"max_participants", "integer"}, {"current_participants", "integer"},
        {"status", "text"}}},
      {"reviews",
       {{"id", "uuid"}, {"user_id", "uuid"}, {"booking_id", "uuid"}, {"review_type", "text"},
        {"tour_id", "uuid"}, {"leader_id", "uuid"}, {"rating", "integer"}, {"content", "text"},
        {"is_active", "boolean"}, {"created_at", "timestamp with time zone"}}},
      {"personality_types",
       {{"id", "uuid"}, {"code", "text"}, {"name", "text"}, {"description", "text"},
        {"traits", "jsonb"}}},
      {"user_quiz_results",
       {{"id", "uuid"}, {"user_id", "uuid"}, {"personality_type_id", "uuid"},
        {"answers", "jsonb"}, {"traits", "jsonb"}, {"completed_at", "timestamp with time zone"}}},
      {"personality_match_scores",
       {{"user_id", "uuid"}, {"leader_id", "uuid"}, {"score", "numeric(5,2)"},
        {"computed_at", "timestamp with time zone"}}},
  };
  for (const auto& [table, columns] : contract) {
    for (const auto& [column, type] : columns) {
      EXPECT_EQ(Value("SELECT format_type(atttypid, atttypmod) FROM pg_attribute "
                      "WHERE attrelid = $1::regclass AND attname = $2 AND NOT attisdropped",
                      {table, column}),
                type)
          << table << "." << column;
    }
  }
}

TEST_F(SchemaTest, RowsGivingOnlyContractColumnsInsert) {
  const Fixture f = MakeTourWithLeader();
  Run("INSERT INTO leader_languages (leader_id, language_code, proficiency) VALUES ($1, 'pt', 'native')",
      {f.leader});
  Run("INSERT INTO leader_specialties (leader_id, specialty) VALUES ($1, 'kayaking')", {f.leader});
  Run("INSERT INTO tour_schedules (tour_id, start_date, end_date, max_participants, "
      "current_participants, status) VALUES ($1, '2027-05-01', '2027-05-01', 10, 2, 'open')",
      {f.tour});
  Run("INSERT INTO reviews (user_id, review_type, tour_id, rating) VALUES ($1, 'tour', $2, 5)",
      {f.user, f.tour});
  const std::string type = Value(
      "INSERT INTO personality_types (code, name, traits) VALUES ('tester', 'Tester', "
      "'{\"social\": 0.4}') RETURNING id");
  Run("INSERT INTO user_quiz_results (user_id, personality_type_id, traits) "
      "VALUES ($1, $2, '{\"social\": 0.9}')",
      {f.user, type});
  Run("INSERT INTO personality_match_scores (user_id, leader_id, score) VALUES ($1, $2, 87.5)",
      {f.user, f.leader});
}

TEST_F(SchemaTest, ConstraintsRejectBadRowsWithTheDatabasesError) {
  const Fixture f = MakeTourWithLeader();
  const std::string u = f.user, l = f.leader, t = f.tour;
  // A tour review must name its tour (and only its tour).
  EXPECT_EQ(FailureState(absl::StrCat("INSERT INTO reviews (user_id, review_type, leader_id, rating) "
                                      "VALUES ('", u, "', 'tour', '", l, "', 4)")),
            "23514");
  EXPECT_EQ(FailureState(absl::StrCat("INSERT INTO reviews (user_id, review_type, tour_id, rating) "
                                      "VALUES ('", u, "', 'tour', '", t, "', 6)")),
            "23514");
  EXPECT_EQ(FailureState(absl::StrCat("INSERT INTO user_favorites (user_id, favorite_type, tour_id, "
                                      "leader_id) VALUES ('", u, "', 'tour', '", t, "', '", l, "')")),
            "23514");
  EXPECT_EQ(FailureState(absl::StrCat("INSERT INTO tours (leader_id, title, slug, category, price) "
                                      "VALUES ('", l, "', 'Cheap', 'cheap', 'food', -1)")),
            "23514");
  EXPECT_EQ(FailureState(absl::StrCat("INSERT INTO tour_leaders (user_id, type, display_name) "
                                      "VALUES ('", MakeUser("other"), "', 'wizard', 'Merlin')")),
            "23514");
  EXPECT_EQ(FailureState("INSERT INTO users (email, username, password_hash) "
                         "VALUES ('guide@example.com', 'someone_else', 'x')"),
            "23505");
  // And the valid forms of the same rows go in.
  EXPECT_EQ(FailureState(absl::StrCat("INSERT INTO user_favorites (user_id, favorite_type, tour_id) "
                                      "VALUES ('", u, "', 'tour', '", t, "')")),
            "");
}

TEST_F(SchemaTest, UpdatedAtMovesOnUpdate) {
  const Fixture f = MakeTourWithLeader();
  Run("UPDATE tours SET updated_at = now() - interval '1 day' WHERE id = $1", {f.tour});
  const std::string before = Value("SELECT updated_at FROM tours WHERE id = $1", {f.tour});
  Run("UPDATE tours SET price = 55 WHERE id = $1", {f.tour});
  const std::string after = Value("SELECT updated_at FROM tours WHERE id = $1", {f.tour});
  EXPECT_NE(before, after);
  EXPECT_EQ(Value("SELECT $1::timestamptz < $2::timestamptz", {before, after}), "t");
  EXPECT_EQ(Value("SELECT updated_at > now() - interval '1 minute' FROM tours WHERE id = $1", {f.tour}),
            "t");
}

TEST_F(SchemaTest, ReviewStatisticsFollowInsertUpdateSoftDeleteMoveAndDelete) {
  const Fixture f = MakeTourWithLeader();
  std::vector<std::string> users;
  for (int i = 0; i < 5; ++i) users.push_back(MakeUser(absl::StrCat("reviewer", i)));
  std::vector<std::string> reviews;
  const int ratings[] = {5, 4, 4, 2, 1};
  for (int i = 0; i < 5; ++i) {
    reviews.push_back(Value("INSERT INTO reviews (user_id, review_type, tour_id, rating) "
                            "VALUES ($1, 'tour', $2, $3) RETURNING id",
                            {users[i], f.tour, absl::StrCat(ratings[i])}));
  }
  Run("INSERT INTO reviews (user_id, review_type, leader_id, rating) VALUES ($1, 'leader', $2, 3)",
      {users[0], f.leader});
  EXPECT_EQ(StaleStats(), 0);
  EXPECT_EQ(Value("SELECT total_reviews || ' ' || average_rating FROM tours WHERE id = $1", {f.tour}),
            "5 3.20");
  EXPECT_EQ(Value("SELECT total_reviews || ' ' || average_rating FROM tour_leaders WHERE id = $1",
                  {f.leader}),
            "1 3.00");

  Run("UPDATE reviews SET rating = 5 WHERE id = $1", {reviews[4]});
  EXPECT_EQ(StaleStats(), 0);
  Run("UPDATE reviews SET is_active = false WHERE id = $1", {reviews[3]});
  EXPECT_EQ(StaleStats(), 0);
  EXPECT_EQ(Value("SELECT total_reviews || ' ' || average_rating FROM tours WHERE id = $1", {f.tour}),
            "4 4.50");
  Run("UPDATE reviews SET tour_id = $1 WHERE id = $2", {f.other_tour, reviews[0]});
  EXPECT_EQ(StaleStats(), 0);
  EXPECT_EQ(Value("SELECT total_reviews FROM tours WHERE id = $1", {f.other_tour}), "1");
  Run("DELETE FROM reviews WHERE id = ANY($1::uuid[])",
      {absl::StrCat("{", reviews[1], ",", reviews[2], "}")});
  EXPECT_EQ(StaleStats(), 0);
  // A multi-row statement recomputes every target it touched.
  Run("UPDATE reviews SET rating = 1");
  EXPECT_EQ(StaleStats(), 0);
  Run("DELETE FROM reviews");
  EXPECT_EQ(StaleStats(), 0);
  EXPECT_EQ(Value("SELECT total_reviews || ' ' || average_rating FROM tours WHERE id = $1", {f.tour}),
            "0 0.00");
}

// The SPEC formula written out: 100 * (1 - sqrt(sum over the user's traits of
// (u - l)^2 / |U|)), a leader's missing trait counting as 0.5.
double ReferenceCompatibility(const std::map<std::string, double>& user,
                              const std::map<std::string, double>& leader) {
  double sum = 0;
  for (const auto& [name, u] : user) {
    const auto it = leader.find(name);
    const double l = it == leader.end() ? 0.5 : it->second;
    sum += (u - l) * (u - l);
  }
  return 100 * (1 - std::sqrt(sum / user.size()));
}

TEST_F(SchemaTest, CompatibilityFollowsTheFormulaWithMissingTraitsAtHalf) {
  struct Case {
    const char* user;
    const char* leader;
    std::map<std::string, double> u, l;
  };
  const Case cases[] = {
      {R"({"a": 1, "b": 0})", R"({"a": 0.5})", {{"a", 1}, {"b", 0}}, {{"a", 0.5}}},
      {R"({"social": 0.9})", R"({"social": 0.9, "foodie": 0.1})", {{"social", 0.9}}, {{"social", 0.9}, {"foodie", 0.1}}},
      {R"({"x": 0, "y": 1})", R"({"x": 1, "y": 0})", {{"x", 0}, {"y", 1}}, {{"x", 1}, {"y", 0}}},
      {R"({"x": 0.2, "y": 0.7, "z": 0.5})", R"({})", {{"x", 0.2}, {"y", 0.7}, {"z", 0.5}}, {}},
  };
  for (const Case& c : cases) {
    double got = 0;
    ASSERT_TRUE(absl::SimpleAtod(
        Value("SELECT otter_compatibility($1::jsonb, $2::jsonb)", {c.user, c.leader}), &got));
    EXPECT_NEAR(got, ReferenceCompatibility(c.u, c.l), 1e-9) << c.user << " vs " << c.leader;
  }
  // Hand-computed: sqrt((0.25 + 0.25) / 2) = 0.5, so 50; identical vectors 100; opposite 0.
  EXPECT_EQ(Value(R"(SELECT otter_compatibility('{"a": 1, "b": 0}', '{"a": 0.5}'))"), "50");
  EXPECT_EQ(Value(R"(SELECT otter_compatibility('{"x": 0, "y": 1}', '{"x": 1, "y": 0}'))"), "0");
}

TEST_F(SchemaTest, CompatibilityOfEmptyUserTraitsIsAnError) {
  absl::StatusOr<PgResult> r = conn_->Exec("SELECT otter_compatibility('{}', '{\"a\": 0.5}')");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(SqlState(r.status()), "22023");
}

TEST_F(SchemaTest, ApplyingTheSchemaTwiceFailsAndChangesNothing) {
  std::ifstream in(OTTER_SOURCE_DIR "/sql/schema.sql");
  std::stringstream text;
  text << in.rdbuf();
  ASSERT_GT(text.str().size(), 1000u);
  const std::string tables_before = Value("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'");
  const std::string seeds_before = Value("SELECT count(*) FROM personality_types");
  absl::StatusOr<PgResult> again = conn_->Exec(text.str());
  EXPECT_FALSE(again.ok());
  ASSERT_TRUE(conn_->Exec("ROLLBACK").ok());  // leave the failed transaction block, if any
  EXPECT_EQ(Value("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"), tables_before);
  EXPECT_EQ(Value("SELECT count(*) FROM personality_types"), seeds_before);
  EXPECT_GE(std::stoi(seeds_before), 8);
}

class RowLevelSecurityTest : public SchemaTest {
 protected:
  void SetUp() override { Open("otter_demo"); }

  // A user who has bookings, notifications and messages, and another one.
  void PickTwoUsers() {
    PgResult r = Run(R"sql(
        SELECT u.id FROM users u
         WHERE EXISTS (SELECT 1 FROM bookings b WHERE b.user_id = u.id)
           AND EXISTS (SELECT 1 FROM notifications n WHERE n.user_id = u.id)
           AND EXISTS (SELECT 1 FROM messages m WHERE m.sender_id = u.id OR m.recipient_id = u.id)
         ORDER BY u.id LIMIT 2)sql");
    ASSERT_EQ(r.rows(), 2);
    me_ = std::string(r.Get(0, 0));
    other_ = std::string(r.Get(1, 0));
  }
  void ActAs(const std::string& user) {
    Run("SET ROLE otter_app");
    Run("SELECT set_config('app.user_id', $1, false)", {user});
  }

  std::string me_, other_;
};

TEST_F(RowLevelSecurityTest, AUserSeesOnlyTheirOwnPrivateRows) {
  PickTwoUsers();
  ActAs(me_);
  EXPECT_EQ(Value("SELECT count(*) FROM bookings WHERE user_id = $1", {other_}), "0");
  EXPECT_EQ(Value("SELECT count(*) FROM notifications WHERE user_id <> $1", {me_}), "0");
  EXPECT_EQ(Value("SELECT count(*) FROM messages WHERE sender_id <> $1 AND recipient_id <> $1", {me_}),
            "0");
  EXPECT_NE(Value("SELECT count(*) FROM notifications"), "0");
  EXPECT_NE(Value("SELECT count(*) FROM messages"), "0");
}

TEST_F(RowLevelSecurityTest, AUserCannotUpdateAnotherUsersRows) {
  PickTwoUsers();
  ActAs(me_);
  absl::StatusOr<PgResult> r =
      conn_->Exec("UPDATE notifications SET is_read = true, read_at = now() WHERE user_id = $1", {other_});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->AffectedRows(), 0);
  r = conn_->Exec("UPDATE bookings SET special_requests = 'hacked' WHERE user_id = $1", {other_});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->AffectedRows(), 0);
  r = conn_->Exec(
      "UPDATE messages SET content = 'hacked' WHERE sender_id <> $1 AND recipient_id <> $1", {me_});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->AffectedRows(), 0);
  // Back as the owner: the other user's rows are untouched.
  Run("RESET ROLE");
  EXPECT_EQ(Value("SELECT count(*) FROM bookings WHERE special_requests = 'hacked'"), "0");
  EXPECT_EQ(Value("SELECT count(*) FROM messages WHERE content = 'hacked'"), "0");
}

}  // namespace
}  // namespace otter
