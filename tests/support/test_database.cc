#include "tests/support/test_database.h"

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <random>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "engine/status_macros.h"

namespace otter::testing {

namespace {

// The value of `key` (e.g. "OTTER_PG_URL") in the file that OTTER_TEST_PG_ENV
// names, which the ctest fixture writes.
absl::StatusOr<std::string> TestEnvValue(std::string_view key) {
  const char* env_file = std::getenv("OTTER_TEST_PG_ENV");
  if (env_file == nullptr || *env_file == '\0') {
    return absl::FailedPreconditionError(
        "OTTER_TEST_PG_ENV is not set: run this test through ctest, which starts the "
        "private PostgreSQL (fixture 'postgres')");
  }
  const std::string prefix = absl::StrCat(std::string(key), "=");
  std::ifstream in(env_file);
  std::string line;
  while (std::getline(in, line)) {
    if (absl::StartsWith(line, prefix)) return line.substr(prefix.size());
  }
  return absl::FailedPreconditionError(absl::StrCat(
      "no test PostgreSQL: ", env_file, " is missing or has no ", std::string(key),
      " (did the ctest fixture 'postgres' fail?)"));
}

}  // namespace

absl::StatusOr<std::string> TestClusterUrl() { return TestEnvValue("OTTER_PG_URL"); }

absl::StatusOr<std::string> TestClusterDir() {
  OTTER_ASSIGN_OR_RETURN(std::string dir, TestEnvValue("OTTER_PG_DIR"));
  return dir + "/pg";
}

absl::StatusOr<std::unique_ptr<TestDatabase>> TestDatabase::Create(std::string_view template_name) {
  OTTER_ASSIGN_OR_RETURN(std::string cluster_url, TestClusterUrl());
  static std::atomic<int> counter{0};
  const std::string name = absl::StrCat("test_", getpid(), "_", counter++, "_",
                                        std::random_device{}() % 1000000);
  OTTER_ASSIGN_OR_RETURN(loader::PgConnection admin,
                         loader::PgConnection::Connect(cluster_url + "postgres"));
  OTTER_RETURN_IF_ERROR(
      admin.Exec(absl::StrCat("CREATE DATABASE ", name, " TEMPLATE ", std::string(template_name))).status());
  return std::unique_ptr<TestDatabase>(new TestDatabase(cluster_url, name));
}

TestDatabase::TestDatabase(std::string cluster_url, std::string name)
    : cluster_url_(std::move(cluster_url)), name_(std::move(name)), url_(cluster_url_ + name_) {}

TestDatabase::~TestDatabase() {
  absl::StatusOr<loader::PgConnection> admin = loader::PgConnection::Connect(cluster_url_ + "postgres");
  if (admin.ok()) (void)admin->Exec(absl::StrCat("DROP DATABASE IF EXISTS ", name_, " WITH (FORCE)"));
}

absl::StatusOr<loader::PgConnection> TestDatabase::Connect() const {
  return loader::PgConnection::Connect(url_);
}

TestDatabase* DemoDatabaseTest::db_ = nullptr;

void DemoDatabaseTest::SetUpTestSuite() {
  auto db = TestDatabase::Create("otter_demo");
  ASSERT_TRUE(db.ok()) << db.status();
  db_ = db->release();
}

void DemoDatabaseTest::TearDownTestSuite() {
  delete db_;
  db_ = nullptr;
}

void DemoDatabaseTest::SetUp() {
  // Without the clone (SetUpTestSuite failed) every test fails here.
  ASSERT_NE(db_, nullptr);
  auto conn = db_->Connect();
  ASSERT_TRUE(conn.ok()) << conn.status();
  conn_.emplace(*std::move(conn));
}

}  // namespace otter::testing
