// sql/changes.sql against a real PostgreSQL: the change log written by the
// triggers, the wake-up notifications, otter_change_position() and the
// privileges of the roles.

#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "loader/pg_connection.h"
#include "tests/support/test_database.h"

namespace otter {
namespace {

using loader::PgConnection;
using loader::PgResult;
using testing::TestDatabase;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

constexpr char kUser1[] = "00000000-0000-4000-8000-000000000001";
constexpr char kUser2[] = "00000000-0000-4000-8000-000000000002";
constexpr char kLeader1[] = "10000000-0000-4000-8000-000000000001";
constexpr char kLeader2[] = "10000000-0000-4000-8000-000000000002";
constexpr char kTour1[] = "20000000-0000-4000-8000-000000000001";
constexpr char kTour2[] = "20000000-0000-4000-8000-000000000002";
constexpr char kSchedule1[] = "30000000-0000-4000-8000-000000000001";
constexpr char kType1[] = "40000000-0000-4000-8000-000000000001";

class ChangesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = TestDatabase::Create("otter_schema");
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = *std::move(db);
    auto conn = db_->Connect();
    ASSERT_TRUE(conn.ok()) << conn.status();
    conn_.emplace(*std::move(conn));
    Run(absl::StrCat(
        "INSERT INTO users (id, email, username, password_hash) VALUES "
        "('", kUser1, "', 'a@example.test', 'a', 'h'), ('", kUser2, "', 'b@example.test', 'b', 'h');"
        "INSERT INTO tour_leaders (id, user_id, display_name) VALUES "
        "('", kLeader1, "', '", kUser1, "', 'Ana'), ('", kLeader2, "', '", kUser2, "', 'Bo');"
        "INSERT INTO tours (id, leader_id, title, slug, category, price) VALUES "
        "('", kTour1, "', '", kLeader1, "', 'Kayak', 'kayak', 'water', 10), "
        "('", kTour2, "', '", kLeader2, "', 'Walk', 'walk', 'city', 20);"));
  }

  void Run(const std::string& sql, PgConnection* conn = nullptr) {
    absl::StatusOr<PgResult> r = (conn ? conn : &*conn_)->Exec(sql);
    ASSERT_TRUE(r.ok()) << sql << ": " << r.status();
  }

  std::string One(const std::string& sql, PgConnection* conn = nullptr) {
    absl::StatusOr<PgResult> r = (conn ? conn : &*conn_)->Exec(sql);
    EXPECT_TRUE(r.ok()) << sql << ": " << r.status();
    if (!r.ok() || r->rows() != 1) return "<none>";
    return std::string(r->Get(0, 0));
  }

  // Runs `sql` in a transaction and returns, read inside that transaction,
  // the log rows it wrote ("table op key[ parent]"), in log order.
  std::vector<std::string> LogOf(const std::string& sql) {
    std::vector<std::string> rows;
    Run("BEGIN");
    Run(sql);
    absl::StatusOr<PgResult> r = conn_->Exec(
        "SELECT table_name, op, row_key, parent_key FROM otter_change_log "
        "WHERE xid = pg_current_xact_id() ORDER BY id");
    EXPECT_TRUE(r.ok()) << r.status();
    for (int i = 0; r.ok() && i < r->rows(); ++i) {
      std::string row = absl::StrCat(std::string(r->Get(i, 0)), " ", std::string(r->Get(i, 1)), " ",
                                     std::string(r->Get(i, 2)));
      if (!r->IsNull(i, 3)) absl::StrAppend(&row, " ", std::string(r->Get(i, 3)));
      rows.push_back(row);
    }
    Run("COMMIT");
    return rows;
  }

  std::unique_ptr<TestDatabase> db_;
  std::optional<PgConnection> conn_;
};

TEST_F(ChangesTest, ToursAndLeadersLogTheirIds) {
  EXPECT_THAT(LogOf(absl::StrCat("UPDATE tours SET price = 11 WHERE id = '", kTour1, "'")),
              ElementsAre(absl::StrCat("tours U ", kTour1)));
  EXPECT_THAT(LogOf(absl::StrCat("UPDATE tour_leaders SET bio = 'hi' WHERE id = '", kLeader2, "'")),
              ElementsAre(absl::StrCat("tour_leaders U ", kLeader2)));
  // One statement over two rows: two log rows.
  EXPECT_THAT(LogOf("UPDATE tours SET is_active = false"),
              UnorderedElementsAre(absl::StrCat("tours U ", kTour1), absl::StrCat("tours U ", kTour2)));
  EXPECT_THAT(LogOf(absl::StrCat("DELETE FROM tours WHERE id = '", kTour2, "'")),
              ElementsAre(absl::StrCat("tours D ", kTour2)));
  EXPECT_THAT(LogOf(absl::StrCat("INSERT INTO tours (id, leader_id, title, slug, category, price) VALUES ('",
                                 kTour2, "', '", kLeader1, "', 'Walk', 'walk', 'city', 20)")),
              ElementsAre(absl::StrCat("tours I ", kTour2)));
}

TEST_F(ChangesTest, LanguagesAndSpecialtiesLogTheLeader) {
  EXPECT_THAT(LogOf(absl::StrCat("INSERT INTO leader_languages VALUES ('", kLeader1, "', 'en', 'native'), ('",
                                 kLeader1, "', 'pt', 'fluent')")),
              ElementsAre(absl::StrCat("leader_languages I ", kLeader1)));  // once per leader
  EXPECT_THAT(LogOf(absl::StrCat("INSERT INTO leader_specialties VALUES ('", kLeader2, "', 'food')")),
              ElementsAre(absl::StrCat("leader_specialties I ", kLeader2)));
  // Moving a row to another leader logs both leaders.
  EXPECT_THAT(LogOf(absl::StrCat("UPDATE leader_languages SET leader_id = '", kLeader2,
                                 "' WHERE language_code = 'pt'")),
              UnorderedElementsAre(absl::StrCat("leader_languages U ", kLeader1),
                                   absl::StrCat("leader_languages U ", kLeader2)));
  EXPECT_THAT(LogOf("DELETE FROM leader_specialties"),
              ElementsAre(absl::StrCat("leader_specialties D ", kLeader2)));
}

TEST_F(ChangesTest, SchedulesLogTheirIdAndTour) {
  EXPECT_THAT(LogOf(absl::StrCat("INSERT INTO tour_schedules (id, tour_id, start_date, end_date, max_participants) "
                                 "VALUES ('", kSchedule1, "', '", kTour1, "', '2027-05-01', '2027-05-03', 8)")),
              ElementsAre(absl::StrCat("tour_schedules I ", kSchedule1, " ", kTour1)));
  EXPECT_THAT(LogOf(absl::StrCat("UPDATE tour_schedules SET tour_id = '", kTour2, "'")),
              UnorderedElementsAre(absl::StrCat("tour_schedules U ", kSchedule1, " ", kTour1),
                                   absl::StrCat("tour_schedules U ", kSchedule1, " ", kTour2)));
  EXPECT_THAT(LogOf("UPDATE tour_schedules SET status = 'full'"),
              ElementsAre(absl::StrCat("tour_schedules U ", kSchedule1, " ", kTour2)));
  // A cascade from the parent is logged too.
  EXPECT_THAT(LogOf(absl::StrCat("DELETE FROM tours WHERE id = '", kTour2, "'")),
              UnorderedElementsAre(absl::StrCat("tours D ", kTour2),
                                   absl::StrCat("tour_schedules D ", kSchedule1, " ", kTour2)));
}

TEST_F(ChangesTest, QuizResultsLogTheUserAndPersonalityTypesTheirId) {
  EXPECT_THAT(LogOf(absl::StrCat("INSERT INTO user_quiz_results (user_id, traits) VALUES ('", kUser1,
                                 "', '{\"social\": 0.5}'), ('", kUser1, "', '{\"social\": 0.7}')")),
              ElementsAre(absl::StrCat("user_quiz_results I ", kUser1)));
  EXPECT_THAT(LogOf(absl::StrCat("DELETE FROM user_quiz_results WHERE user_id = '", kUser1, "'")),
              ElementsAre(absl::StrCat("user_quiz_results D ", kUser1)));
  EXPECT_THAT(LogOf(absl::StrCat("INSERT INTO personality_types (id, code, name, traits) VALUES ('", kType1,
                                 "', 'tester', 'Tester', '{\"planner\": 1}')")),
              ElementsAre(absl::StrCat("personality_types I ", kType1)));
  EXPECT_THAT(LogOf(absl::StrCat("UPDATE personality_types SET name = 'T' WHERE id = '", kType1, "'")),
              ElementsAre(absl::StrCat("personality_types U ", kType1)));
}

TEST_F(ChangesTest, TruncateLogsAReloadMarker) {
  EXPECT_THAT(LogOf("TRUNCATE leader_specialties"), ElementsAre("leader_specialties T "));
}

TEST_F(ChangesTest, RollbackLeavesNoLogRow) {
  const std::string before = One("SELECT count(*) FROM otter_change_log");
  Run("BEGIN");
  Run(absl::StrCat("UPDATE tours SET price = 99 WHERE id = '", kTour1, "'"));
  EXPECT_EQ(One("SELECT count(*) FROM otter_change_log WHERE xid = pg_current_xact_id()"), "1");
  Run("ROLLBACK");
  EXPECT_EQ(One("SELECT count(*) FROM otter_change_log"), before);
}

TEST_F(ChangesTest, NotifiesOncePerStatementWithAnEmptyPayload) {
  absl::StatusOr<PgConnection> listener = db_->Connect();
  ASSERT_TRUE(listener.ok()) << listener.status();
  Run("LISTEN otter_changes", &*listener);

  auto drain = [&] {
    std::vector<std::string> payloads;
    EXPECT_EQ(PQconsumeInput(listener->get()), 1);
    while (PGnotify* n = PQnotifies(listener->get())) {
      EXPECT_STREQ(n->relname, "otter_changes");
      payloads.emplace_back(n->extra);
      PQfreemem(n);
    }
    return payloads;
  };
  // The notifications are delivered at commit, before the writer's COMMIT
  // returns; a round trip on the listener makes sure they have arrived.
  auto settle = [&] { Run("SELECT 1", &*listener); };

  Run("UPDATE tours SET price = price + 1");  // two rows, one statement
  Run(absl::StrCat("UPDATE tour_leaders SET bio = 'x' WHERE id = '", kLeader1, "'"));
  Run("UPDATE tours SET price = 1 WHERE false");  // changes nothing: silent
  settle();
  EXPECT_THAT(drain(), ElementsAre("", ""));

  // One transaction of several statements: one notification at commit.
  Run(absl::StrCat("BEGIN; UPDATE tours SET price = 5; UPDATE tour_leaders SET bio = 'y';"
                   "INSERT INTO leader_specialties VALUES ('", kLeader2, "', 'art'); COMMIT"));
  settle();
  EXPECT_THAT(drain(), ElementsAre(""));

  // A rolled-back transaction notifies no one.
  Run("BEGIN; UPDATE tours SET price = 6; ROLLBACK");
  settle();
  EXPECT_THAT(drain(), IsEmpty());
}

uint64_t ToXid(const std::string& text) {
  uint64_t v = 0;
  EXPECT_TRUE(absl::SimpleAtoi(text, &v)) << text;
  return v;
}

TEST_F(ChangesTest, PositionCoversTheCallersCommittedWriteUnlikeXmin) {
  absl::StatusOr<PgConnection> older = db_->Connect();
  absl::StatusOr<PgConnection> api = db_->Connect();
  ASSERT_TRUE(older.ok() && api.ok());

  // A transaction that started earlier and is still running.
  Run("BEGIN", &*older);
  const uint64_t older_xid = ToXid(One("SELECT pg_current_xact_id()", &*older));
  Run(absl::StrCat("UPDATE tours SET price = 3 WHERE id = '", kTour2, "'"), &*older);

  // The API's write W commits; then it asks for the position.
  Run("BEGIN", &*api);
  const uint64_t w = ToXid(One("SELECT pg_current_xact_id()", &*api));
  Run(absl::StrCat("UPDATE tours SET price = 4 WHERE id = '", kTour1, "'"), &*api);
  Run("COMMIT", &*api);
  const uint64_t position = ToXid(One("SELECT otter_change_position()", &*api));
  EXPECT_GT(position, w);

  // A follower's fence now: below W (the older transaction holds it back),
  // so it must not claim W yet; xmin would have been a wrong position.
  const uint64_t fence = ToXid(One("SELECT pg_snapshot_xmin(pg_current_snapshot())"));
  EXPECT_LE(fence, older_xid);
  EXPECT_LT(fence, position);

  Run("COMMIT", &*older);
  // Nothing runs: the fence reaches the position, and W's log row lies
  // below it (readable by the follower).
  const uint64_t caught_up = ToXid(One("SELECT pg_snapshot_xmin(pg_current_snapshot())"));
  EXPECT_GE(caught_up, position);
  EXPECT_EQ(One(absl::StrCat("SELECT count(*) FROM otter_change_log WHERE xid = '", w, "' AND xid < '",
                             caught_up, "'")),
            "1");
}

TEST_F(ChangesTest, RolesReadAskAndPruneAsGranted) {
  // The main API writes through the triggers without any right on the log.
  Run("SET ROLE otter_app");
  Run(absl::StrCat("UPDATE tours SET price = 12 WHERE id = '", kTour1, "'"));
  EXPECT_FALSE(conn_->Exec("SELECT count(*) FROM otter_change_log").ok());
  EXPECT_FALSE(One("SELECT otter_change_position()").empty());
  absl::StatusOr<PgResult> forged = conn_->Exec(
      "INSERT INTO otter_change_log (table_name, row_key, op) VALUES ('tours', gen_random_uuid(), 'D')");
  ASSERT_FALSE(forged.ok());
  EXPECT_EQ(loader::SqlState(forged.status()), "42501");
  Run("RESET ROLE");

  Run("SET ROLE otter_reader");
  EXPECT_NE(One("SELECT count(*) FROM otter_change_log"), "0");
  EXPECT_FALSE(One("SELECT otter_change_position()").empty());
  EXPECT_EQ(loader::SqlState(conn_->Exec("SELECT otter_change_log_prune('1')").status()), "42501");
  Run("RESET ROLE");

  Run("SET ROLE otter_writer");
  EXPECT_EQ(loader::SqlState(conn_->Exec("DELETE FROM otter_change_log").status()), "42501");
  // A consumer at the current fence: everything written so far is below it.
  EXPECT_FALSE(One("SELECT otter_change_consumer_advance('c', pg_snapshot_xmin(pg_current_snapshot()))").empty());
  EXPECT_NE(One("SELECT otter_change_log_prune()"), "0");
  Run("RESET ROLE");
  EXPECT_EQ(One("SELECT count(*) FROM otter_change_log"), "0");
}

TEST_F(ChangesTest, PruneKeepsRowsAtOrAboveThePosition) {
  const uint64_t first = ToXid(One("SELECT min(xid) FROM otter_change_log"));
  Run(absl::StrCat("UPDATE tours SET price = 13 WHERE id = '", kTour1, "'"));
  const std::string kept = One("SELECT count(*) FROM otter_change_log WHERE xid > '" + std::to_string(first) + "'");
  Run(absl::StrCat("SELECT otter_change_consumer_advance('c', '", first + 1, "')"));
  EXPECT_EQ(One("SELECT otter_change_log_prune()"), "4");  // the seed's leaders and tours
  EXPECT_EQ(One("SELECT count(*) FROM otter_change_log"), kept);
}

}  // namespace
}  // namespace otter
