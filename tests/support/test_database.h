#pragma once
// Databases for tests that need PostgreSQL. The CTest fixture `postgres`
// (tests/support/test-cluster) starts a private cluster and a template
// database holding the schema; each TestDatabase is a fresh clone of it,
// dropped when the object goes away.
//
//   auto db = TestDatabase::Create();          // ASSERT_TRUE(db.ok())
//   auto conn = (*db)->Connect();
//
// A test that needs PostgreSQL fails, never skips, when the cluster is not
// there: the error says how to provide it.

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "gtest/gtest.h"
#include "loader/pg_connection.h"

namespace otter::testing {

// The URL (without a database name) of the test cluster, read from the file
// that OTTER_TEST_PG_ENV names. kFailedPrecondition when it is missing.
absl::StatusOr<std::string> TestClusterUrl();

// The folder of the test cluster (for `scripts/pg-cluster restart DIR`),
// read from the same file. kFailedPrecondition when it is missing.
absl::StatusOr<std::string> TestClusterDir();

class TestDatabase {
 public:
  // Creates a database cloned from `template_name` with a unique name.
  static absl::StatusOr<std::unique_ptr<TestDatabase>> Create(
      std::string_view template_name = "otter_schema");
  ~TestDatabase();
  TestDatabase(const TestDatabase&) = delete;
  TestDatabase& operator=(const TestDatabase&) = delete;

  // A libpq URL for this database.
  const std::string& url() const { return url_; }
  const std::string& name() const { return name_; }
  // A new connection to this database.
  absl::StatusOr<loader::PgConnection> Connect() const;

 private:
  TestDatabase(std::string cluster_url, std::string name);

  std::string cluster_url_;
  std::string name_;
  std::string url_;
};

// A suite whose tests read one clone of the demo database, made once per
// suite (cloning costs a few hundred milliseconds); each test gets its own
// connection in conn_. Tests must not change the data.
class DemoDatabaseTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite();
  static void TearDownTestSuite();
  void SetUp() override;

  static TestDatabase* db_;
  std::optional<loader::PgConnection> conn_;
};

}  // namespace otter::testing
