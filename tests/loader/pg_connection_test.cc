#include "loader/pg_connection.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/test_database.h"

namespace otter::loader {
namespace {

using ::testing::HasSubstr;
using otter::testing::TestDatabase;

class PgConnectionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = TestDatabase::Create();
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = *std::move(db);
    auto conn = db_->Connect();
    ASSERT_TRUE(conn.ok()) << conn.status();
    conn_.emplace(*std::move(conn));
  }

  std::unique_ptr<TestDatabase> db_;
  std::optional<PgConnection> conn_;
};

TEST_F(PgConnectionTest, PassesTextParametersAndNulls) {
  absl::StatusOr<PgResult> r =
      conn_->Exec("SELECT $1::int + 1, $2::text IS NULL, $3::text", {"41", std::nullopt, "café"});
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->rows(), 1);
  EXPECT_EQ(r->Get(0, 0), "42");
  EXPECT_EQ(r->Get(0, 1), "t");
  EXPECT_EQ(r->Get(0, 2), "café");
}

TEST_F(PgConnectionTest, ReportsSqlStateAndMapsItsClassToACode) {
  absl::StatusOr<PgResult> r = conn_->Exec("SELECT 1/0");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(SqlState(r.status()), "22012");
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr("division by zero"));

  r = conn_->Exec("INSERT INTO personality_types (code, name) VALUES (NULL, 'x')");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(SqlState(r.status()), "23502");
  EXPECT_EQ(r.status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST_F(PgConnectionTest, CountsAffectedRows) {
  ASSERT_TRUE(conn_->Exec("CREATE TEMP TABLE t (x int)").ok());
  absl::StatusOr<PgResult> r = conn_->Exec("INSERT INTO t SELECT generate_series(1, 7)");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->AffectedRows(), 7);
}

TEST_F(PgConnectionTest, CopiesRowsInAndRejectsABadRowWhole) {
  ASSERT_TRUE(conn_->Exec("CREATE TEMP TABLE t (x int, y text)").ok());
  std::string data;
  for (int i = 1; i <= 3000; ++i) data += std::to_string(i) + "\tcafé " + std::to_string(i) + "\n";
  ASSERT_TRUE(conn_->CopyIn("COPY t (x, y) FROM STDIN", data).ok());
  absl::StatusOr<PgResult> r = conn_->Exec("SELECT count(*), sum(x), max(y) FROM t");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->Get(0, 0), "3000");
  EXPECT_EQ(r->Get(0, 1), std::to_string(3000 * 3001 / 2));
  EXPECT_EQ(r->Get(0, 2), "café 999");

  const absl::Status bad = conn_->CopyIn("COPY t (x, y) FROM STDIN", "4\tok\nfive\tno\n");
  EXPECT_EQ(SqlState(bad), "22P02");
  r = conn_->Exec("SELECT count(*) FROM t");  // still usable, nothing of the bad COPY landed
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->Get(0, 0), "3000");

  EXPECT_EQ(conn_->CopyIn("SELECT 1", "").code(), absl::StatusCode::kInternal);
}

TEST(PgConnectionConnectTest, UnreachableServerIsUnavailable) {
  absl::StatusOr<PgConnection> conn =
      PgConnection::Connect("postgresql://nobody@127.0.0.1:1/none?connect_timeout=2");
  ASSERT_FALSE(conn.ok());
  EXPECT_EQ(conn.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(conn.status().message(), HasSubstr("cannot connect to PostgreSQL"));
}

}  // namespace
}  // namespace otter::loader
