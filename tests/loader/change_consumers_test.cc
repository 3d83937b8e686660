// The change log's consumers and pruning (sql/changes.sql) against a real
// PostgreSQL, as followers use them: otter_change_consumer_advance() never
// moves a position backwards and rejects bad arguments by name;
// otter_change_log_prune() deletes only below the smallest position of the
// consumers that reported within its retention window, never at or above
// the current fence, and raises the horizon; the roles can do exactly what
// they are granted. The oracle is the log itself, read by the table's owner.

#include <cstdint>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "loader/pg_connection.h"
#include "tests/support/test_database.h"

namespace otter::loader {
namespace {

using otter::testing::TestDatabase;
using ::testing::HasSubstr;

constexpr char kUser[] = "10000000-0000-4000-8000-000000000001";
constexpr char kLeader[] = "20000000-0000-4000-8000-000000000001";
constexpr char kTour[] = "30000000-0000-4000-8000-000000000001";

class ChangeConsumersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = TestDatabase::Create("otter_schema");
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = *std::move(db);
    auto conn = db_->Connect();
    ASSERT_TRUE(conn.ok()) << conn.status();
    conn_.emplace(*std::move(conn));
    Run(absl::StrCat("INSERT INTO users (id, email, username, password_hash) VALUES ('", kUser,
                     "', 'a@example.test', 'a', 'h');"
                     "INSERT INTO tour_leaders (id, user_id, display_name) VALUES ('", kLeader, "', '", kUser,
                     "', 'Ana');"
                     "INSERT INTO tours (id, leader_id, title, slug, category, price) VALUES ('", kTour, "', '",
                     kLeader, "', 'Kayak', 'kayak', 'water', 10)"));
  }

  void Run(const std::string& sql) {
    absl::StatusOr<PgResult> r = conn_->Exec(sql);
    ASSERT_TRUE(r.ok()) << sql << ": " << r.status();
  }
  std::string One(const std::string& sql) {
    absl::StatusOr<PgResult> r = conn_->Exec(sql);
    EXPECT_TRUE(r.ok()) << sql << ": " << r.status();
    if (!r.ok() || r->rows() != 1) return "<none>";
    return std::string(r->Get(0, 0));
  }
  uint64_t Xid(const std::string& sql) {
    uint64_t v = 0;
    const std::string text = One(sql);
    EXPECT_TRUE(absl::SimpleAtoi(text, &v)) << sql << ": " << text;
    return v;
  }
  // Commits one change to the tour and returns its transaction's xid.
  uint64_t Change(int price) {
    Run("BEGIN");
    const uint64_t xid = Xid("SELECT pg_current_xact_id()");
    Run(absl::StrCat("UPDATE tours SET price = ", price, " WHERE id = '", kTour, "'"));
    Run("COMMIT");
    return xid;
  }
  std::string Advance(const std::string& consumer, uint64_t fence) {
    return One(absl::StrCat("SELECT otter_change_consumer_advance('", consumer, "', '", fence, "')"));
  }
  std::string Count(const std::string& where) { return One("SELECT count(*) FROM otter_change_log WHERE " + where); }

  std::unique_ptr<TestDatabase> db_;
  std::optional<PgConnection> conn_;
};

TEST_F(ChangeConsumersTest, AdvanceRecordsAPositionThatNeverMovesBackwards) {
  const uint64_t older = Change(11);
  const uint64_t newer = Change(12);
  EXPECT_EQ(Advance("a", newer), absl::StrCat(newer));
  const std::string first_report = One("SELECT updated_at FROM otter_change_consumers WHERE name = 'a'");
  // Backwards: the stored position stays, the report time moves.
  EXPECT_EQ(Advance("a", older), absl::StrCat(newer));
  EXPECT_EQ(One("SELECT as_of FROM otter_change_consumers WHERE name = 'a'"), absl::StrCat(newer));
  EXPECT_EQ(One(absl::StrCat("SELECT updated_at > '", first_report, "' FROM otter_change_consumers WHERE name = 'a'")),
            "t");
  EXPECT_EQ(Advance("a", newer + 1), absl::StrCat(newer + 1));
  EXPECT_EQ(One("SELECT count(*) FROM otter_change_consumers"), "1");
}

TEST_F(ChangeConsumersTest, AdvanceRejectsBadArgumentsByName) {
  struct Case {
    std::string sql, sqlstate, message;
  };
  const std::string long_name(201, 'n');
  for (const Case& c : {
           Case{"SELECT otter_change_consumer_advance('', '1')", "22023", "consumer must be a name"},
           Case{"SELECT otter_change_consumer_advance('  ', '1')", "22023", "consumer must be a name"},
           Case{"SELECT otter_change_consumer_advance(NULL, '1')", "22023", "got NULL"},
           Case{"SELECT otter_change_consumer_advance('" + long_name + "', '1')", "22023", "1 to 200 characters"},
           Case{"SELECT otter_change_consumer_advance('a', NULL)", "22004", "fence must not be NULL"},
           Case{"SELECT otter_change_consumer_advance('a', '18446744073709551615')", "22023",
                "beyond the current fence"},
           Case{"SELECT otter_change_log_prune(interval '0')", "22023", "retention must be a positive interval"},
           Case{"SELECT otter_change_log_prune(NULL)", "22023", "retention must be a positive interval"},
       }) {
    const absl::Status status = conn_->Exec(c.sql).status();
    EXPECT_EQ(SqlState(status), c.sqlstate) << c.sql << ": " << status;
    EXPECT_THAT(status.message(), HasSubstr(c.message)) << c.sql;
  }
  EXPECT_EQ(One("SELECT count(*) FROM otter_change_consumers"), "0");
}

TEST_F(ChangeConsumersTest, PruneDeletesOnlyBelowTheSmallestLivePosition) {
  const uint64_t t1 = Change(11);
  const uint64_t t2 = Change(12);
  const uint64_t t3 = Change(13);
  Advance("slow", t2);
  Advance("fast", t3 + 1);
  const std::string below = Count(absl::StrCat("xid < '", t2, "'"));
  ASSERT_NE(below, "0");  // the seed rows and t1's
  EXPECT_EQ(One("SELECT otter_change_log_prune()"), below);
  EXPECT_EQ(Count(absl::StrCat("xid < '", t2, "'")), "0");
  EXPECT_EQ(Count(absl::StrCat("xid IN ('", t2, "', '", t3, "')")), "2");
  EXPECT_EQ(One("SELECT pruned_below FROM otter_change_log_horizon"), absl::StrCat(t2));
  EXPECT_GT(t2, t1);

  // "slow" silent for two hours: a three-hour window still counts it, the
  // default hour does not.
  Run("UPDATE otter_change_consumers SET updated_at = clock_timestamp() - interval '2 hours' WHERE name = 'slow'");
  EXPECT_EQ(One("SELECT otter_change_log_prune(interval '3 hours')"), "0");
  EXPECT_EQ(One("SELECT otter_change_log_prune()"), "2");
  EXPECT_EQ(Count("true"), "0");
  EXPECT_EQ(One("SELECT pruned_below FROM otter_change_log_horizon"), absl::StrCat(t3 + 1));

  // Nobody reported within the window: nothing is pruned, the horizon stays.
  const uint64_t t4 = Change(14);
  Run("UPDATE otter_change_consumers SET updated_at = clock_timestamp() - interval '2 hours'");
  EXPECT_EQ(One("SELECT otter_change_log_prune()"), "0");
  EXPECT_EQ(Count(absl::StrCat("xid = '", t4, "'")), "1");
  EXPECT_EQ(One("SELECT pruned_below FROM otter_change_log_horizon"), absl::StrCat(t3 + 1));
}

TEST_F(ChangeConsumersTest, PruneStopsBelowTheCurrentFence) {
  // A transaction still running holds the fence at its xid; a consumer
  // position beyond it (written by hand) must not let the prune reach it.
  absl::StatusOr<PgConnection> other = db_->Connect();
  ASSERT_TRUE(other.ok()) << other.status();
  ASSERT_TRUE(other->Exec("BEGIN").ok());
  absl::StatusOr<PgResult> running = other->Exec(absl::StrCat(
      "UPDATE tour_leaders SET bio = 'running' WHERE id = '", kLeader, "' RETURNING pg_current_xact_id()"));
  ASSERT_TRUE(running.ok()) << running.status();
  const std::string running_xid(running->Get(0, 0));
  const uint64_t later = Change(21);  // commits above the fence
  Run("INSERT INTO otter_change_consumers (name, as_of) VALUES ('ahead', '18446744073709551615')");
  EXPECT_NE(One("SELECT otter_change_log_prune()"), "0");
  EXPECT_EQ(One("SELECT pruned_below FROM otter_change_log_horizon"), running_xid);
  ASSERT_TRUE(other->Exec("COMMIT").ok());
  EXPECT_EQ(Count(absl::StrCat("xid = '", running_xid, "'")), "1");
  EXPECT_EQ(Count(absl::StrCat("xid = '", later, "'")), "1");
}

TEST_F(ChangeConsumersTest, RemovedConsumerNoLongerHoldsTheLogBack) {
  const uint64_t t1 = Change(11);
  const uint64_t t2 = Change(12);
  Advance("retired", t1);
  Advance("live", t2 + 1);
  EXPECT_EQ(One("SELECT otter_change_consumer_remove('retired')"), "t");
  EXPECT_EQ(One("SELECT otter_change_consumer_remove('retired')"), "f");
  EXPECT_NE(One("SELECT otter_change_log_prune()"), "0");
  EXPECT_EQ(Count("true"), "0");
}

TEST_F(ChangeConsumersTest, RolesRecordAndPruneOnlyThroughTheFunctions) {
  const uint64_t t1 = Change(11);
  Run("SET ROLE otter_writer");
  EXPECT_EQ(Advance("w", t1 + 1), absl::StrCat(t1 + 1));
  EXPECT_NE(One("SELECT otter_change_log_prune()"), "<none>");
  for (const char* sql : {
           "INSERT INTO otter_change_consumers (name, as_of) VALUES ('forged', '1')",
           "UPDATE otter_change_consumers SET as_of = '1'",
           "DELETE FROM otter_change_consumers",
           "SELECT * FROM otter_change_consumers",
           "UPDATE otter_change_log_horizon SET pruned_below = '1'",
       }) {
    EXPECT_EQ(SqlState(conn_->Exec(sql).status()), "42501") << sql;
  }
  EXPECT_EQ(One("SELECT otter_change_consumer_remove('w')"), "t");
  Run("RESET ROLE");

  for (const char* role : {"otter_reader", "otter_app"}) {
    Run(absl::StrCat("SET ROLE ", role));
    for (const char* sql : {
             "SELECT otter_change_consumer_advance('r', '1')",
             "SELECT otter_change_consumer_remove('r')",
             "SELECT otter_change_log_prune()",
             "SELECT * FROM otter_change_consumers",
         }) {
      EXPECT_EQ(SqlState(conn_->Exec(sql).status()), "42501") << role << ": " << sql;
    }
    Run("RESET ROLE");
  }
  // Followers read the horizon with the read-only role.
  Run("SET ROLE otter_reader");
  EXPECT_EQ(One("SELECT pruned_below FROM otter_change_log_horizon"), absl::StrCat(t1 + 1));
  Run("RESET ROLE");
}

TEST_F(ChangeConsumersTest, TemporaryTablesCannotStandInForTheLogOrTheConsumers) {
  // Both roles may create temporary tables; the SECURITY DEFINER functions
  // must still use the real ones.
  Run("SET ROLE otter_app");
  Run("CREATE TEMP TABLE otter_change_log (id bigint GENERATED ALWAYS AS IDENTITY, "
      "xid xid8 DEFAULT pg_current_xact_id(), table_name text, row_key uuid, parent_key uuid, op \"char\", "
      "changed_at timestamptz DEFAULT clock_timestamp())");
  Run(absl::StrCat("UPDATE tours SET price = 31 WHERE id = '", kTour, "'"));
  Run("RESET ROLE");
  EXPECT_EQ(One("SELECT count(*) FROM pg_temp.otter_change_log"), "0");
  EXPECT_EQ(One("SELECT count(*) FROM public.otter_change_log "
                "WHERE xid = (SELECT max(xid) FROM public.otter_change_log)"),
            "1");
  Run("DROP TABLE pg_temp.otter_change_log");

  const uint64_t fence = Xid("SELECT pg_snapshot_xmin(pg_current_snapshot())");
  Run("SET ROLE otter_writer");
  Run("CREATE TEMP TABLE otter_change_consumers (name text CONSTRAINT otter_change_consumers_pkey PRIMARY KEY, "
      "as_of xid8, updated_at timestamptz)");
  EXPECT_EQ(Advance("w", fence), absl::StrCat(fence));
  EXPECT_EQ(One("SELECT count(*) FROM otter_change_consumers"), "0");
  Run("RESET ROLE");
  EXPECT_EQ(One("SELECT as_of FROM public.otter_change_consumers WHERE name = 'w'"), absl::StrCat(fence));
}

}  // namespace
}  // namespace otter::loader
