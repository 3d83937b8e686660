#include "loader/pg_connection.h"

#include "absl/strings/str_cat.h"
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

TEST_F(PgConnectionTest, PipelineReturnsEveryResultInOrder) {
  absl::StatusOr<std::vector<PgResult>> r = conn_->ExecPipeline({
      {.sql = "CREATE TEMP TABLE t (x int)"},
      {.sql = "INSERT INTO t SELECT generate_series(1, $1::int)", .params = {"5"}},
      {.sql = "SELECT sum(x), $1::text IS NULL FROM t", .params = {std::nullopt}},
      {.sql = "SELECT 7::int8", .binary_results = true},
  });
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->size(), 4u);
  EXPECT_EQ((*r)[1].AffectedRows(), 5);
  EXPECT_EQ((*r)[2].Get(0, 0), "15");
  EXPECT_EQ((*r)[2].Get(0, 1), "t");
  EXPECT_EQ((*r)[3].Get(0, 0), std::string("\0\0\0\0\0\0\0\x07", 8));  // int8send
  // Back in the ordinary mode: a plain statement works.
  absl::StatusOr<PgResult> after = conn_->Exec("SELECT count(*) FROM t");
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_EQ(after->Get(0, 0), "5");
}

TEST_F(PgConnectionTest, PipelineStopsAtTheFirstErrorAndRollsItsImplicitTransactionBack) {
  ASSERT_TRUE(conn_->Exec("CREATE TEMP TABLE t (x int)").ok());
  absl::StatusOr<std::vector<PgResult>> r = conn_->ExecPipeline({
      {.sql = "INSERT INTO t VALUES (1)"},
      {.sql = "SELECT 1/0"},
      {.sql = "INSERT INTO t VALUES (2)"},
  });
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(SqlState(r.status()), "22012");
  absl::StatusOr<PgResult> count = conn_->Exec("SELECT count(*) FROM t");
  ASSERT_TRUE(count.ok()) << count.status();
  EXPECT_EQ(count->Get(0, 0), "0") << "the statements before the error shared its implicit transaction";

  // With BEGIN in the pipeline the failed transaction stays open until the
  // caller ends it.
  r = conn_->ExecPipeline({{.sql = "BEGIN"}, {.sql = "SELECT 1/0"}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(PQtransactionStatus(conn_->get()), PQTRANS_INERROR);
  ASSERT_TRUE(conn_->Exec("ROLLBACK").ok());
  r = conn_->ExecPipeline({{.sql = "BEGIN"}, {.sql = "INSERT INTO t VALUES (3)"}});
  ASSERT_TRUE(r.ok()) << r.status();
  r = conn_->ExecPipeline({{.sql = "SELECT count(*) FROM t"}, {.sql = "COMMIT"}});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ((*r)[0].Get(0, 0), "1");
  EXPECT_EQ(PQtransactionStatus(conn_->get()), PQTRANS_IDLE);
}

TEST_F(PgConnectionTest, PipelineWithLargeParametersAndResultsDoesNotDeadlock) {
  // Each statement returns more than the socket buffers hold while the
  // next ones are still being sent with large parameters.
  const std::string big(1 << 20, 'x');
  std::vector<PgStatement> statements;
  for (int i = 0; i < 8; ++i) {
    statements.push_back({.sql = "SELECT repeat($1, 8) || $2", .params = {big, absl::StrCat(i)}});
  }
  absl::StatusOr<std::vector<PgResult>> r = conn_->ExecPipeline(statements);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->size(), 8u);
  for (int i = 0; i < 8; ++i) {
    const std::string_view value = (*r)[static_cast<size_t>(i)].Get(0, 0);
    EXPECT_EQ(value.size(), 8 * big.size() + 1);
    EXPECT_EQ(value.back(), '0' + i);
  }
}

TEST_F(PgConnectionTest, PipelineOnATerminatedBackendIsUnavailable) {
  absl::StatusOr<PgConnection> admin = db_->Connect();
  ASSERT_TRUE(admin.ok()) << admin.status();
  const std::string pid = absl::StrCat(PQbackendPID(conn_->get()));
  ASSERT_TRUE(admin->Exec("SELECT pg_terminate_backend($1::int, 5000)", {pid}).ok());
  absl::StatusOr<std::vector<PgResult>> r = conn_->ExecPipeline({{.sql = "SELECT 1"}, {.sql = "SELECT 2"}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable) << r.status();
  EXPECT_FALSE(conn_->ok());
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
