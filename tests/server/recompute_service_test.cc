// RecomputeService against the demo database: tickets, jobs that leave the
// listed users' rows equal to PostgreSQL's own top k by
// otter_compatibility(), a bounded queue, argument errors, a retry on a new
// connection after the old one was terminated, and Stop() while a job runs.

#include "server/recompute_service.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "loader/match_recompute.h"
#include "tests/support/test_database.h"

namespace otter::server {
namespace {

using loader::PgConnection;
using loader::PgResult;
using otter::testing::TestDatabase;
using ::testing::HasSubstr;

constexpr char kApplicationName[] = "recompute-service-test";
// The scorer is single precision, within 1e-4 of the SQL formula.
constexpr double kScoreTolerance = 1e-3;

class RecomputeServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = TestDatabase::Create("otter_demo");
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = *std::move(db);
    auto admin = db_->Connect();
    ASSERT_TRUE(admin.ok()) << admin.status();
    admin_.emplace(*std::move(admin));
    auto snapshot = loader::LoadMatchSnapshot(*admin_);
    ASSERT_TRUE(snapshot.ok()) << snapshot.status();
    holder_.Publish(*snapshot);
    users_ = Column("SELECT user_id FROM user_current_traits ORDER BY user_id");
    ASSERT_GE(users_.size(), 100u);
  }

  RecomputeServiceOptions Options() const {
    RecomputeServiceOptions options;
    options.conninfo = absl::StrCat(db_->url(), "?application_name=", kApplicationName);
    options.batch_users = 10;
    options.retry_delay = std::chrono::milliseconds(10);
    return options;
  }

  std::vector<std::string> Column(const std::string& sql, const std::vector<PgConnection::Param>& params = {}) {
    std::vector<std::string> out;
    absl::StatusOr<PgResult> r = admin_->Exec(sql, params);
    EXPECT_TRUE(r.ok()) << sql << ": " << r.status();
    for (int i = 0; r.ok() && i < r->rows(); ++i) out.emplace_back(r->Get(i, 0));
    return out;
  }

  static std::vector<engine::Uuid> Uuids(const std::vector<std::string>& texts) {
    std::vector<engine::Uuid> out;
    for (const std::string& t : texts) out.push_back(*engine::Uuid::Parse(t));
    return out;
  }

  // Waits until `done(status)` holds; false after 30 s.
  static bool WaitFor(const RecomputeService& service,
                      const std::function<bool(const RecomputeServiceStatus&)>& done) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (std::chrono::steady_clock::now() < deadline) {
      if (done(service.Status())) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return false;
  }

  // The user's stored rows are its top k by PostgreSQL's otter_compatibility
  // over the active leaders, each score the SQL score rounded (within a cent).
  void ExpectTopK(const std::string& user, size_t k) {
    SCOPED_TRACE(::testing::Message() << "user " << user);
    absl::StatusOr<PgResult> sql = admin_->Exec(
        "SELECT l.id, otter_compatibility(c.traits, l.personality_traits) "
        "FROM user_current_traits AS c CROSS JOIN tour_leaders AS l WHERE c.user_id = $1 AND l.is_active",
        {user});
    ASSERT_TRUE(sql.ok()) << sql.status();
    absl::StatusOr<PgResult> stored =
        admin_->Exec("SELECT leader_id, score FROM personality_match_scores WHERE user_id = $1", {user});
    ASSERT_TRUE(stored.ok()) << stored.status();
    std::map<std::string, double> rows;
    for (int i = 0; i < stored->rows(); ++i) {
      rows[std::string(stored->Get(i, 0))] = std::stod(std::string(stored->Get(i, 1)));
    }
    std::vector<double> scores;
    for (int i = 0; i < sql->rows(); ++i) scores.push_back(std::stod(std::string(sql->Get(i, 1))));
    std::sort(scores.rbegin(), scores.rend());
    const size_t n = std::min(k, scores.size());
    ASSERT_EQ(rows.size(), n);
    const double kth = scores[n - 1];
    for (int i = 0; i < sql->rows(); ++i) {
      const std::string leader(sql->Get(i, 0));
      const double score = std::stod(std::string(sql->Get(i, 1)));
      auto row = rows.find(leader);
      if (score > kth + kScoreTolerance) {
        EXPECT_NE(row, rows.end()) << "missing leader " << leader;
      }
      if (row == rows.end()) continue;
      EXPECT_GE(score, kth - kScoreTolerance) << "leader " << leader << " is below the top k";
      EXPECT_LE(std::abs(row->second - std::round(score * 100) / 100), 0.0100001) << leader;
      rows.erase(row);
    }
    EXPECT_TRUE(rows.empty()) << rows.size() << " rows of leaders that are not active";
  }

  std::unique_ptr<TestDatabase> db_;
  std::optional<PgConnection> admin_;
  engine::SnapshotHolder holder_;
  std::vector<std::string> users_;  // with traits, by uuid
};

TEST_F(RecomputeServiceTest, JobsRunInOrderAndLeaveTheSqlTopK) {
  RecomputeService service(&holder_, Options());
  const std::vector<std::string> listed = {users_[3], users_[50], users_[77]};
  absl::StatusOr<RecomputeTicket> first = service.Enqueue(Uuids(listed), 7);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->job, 1u);
  EXPECT_EQ(first->users, 3u);
  EXPECT_EQ(first->k, 7u);
  ASSERT_TRUE(WaitFor(service, [](const RecomputeServiceStatus& s) { return s.jobs_succeeded == 1; }));
  RecomputeServiceStatus status = service.Status();
  ASSERT_TRUE(status.last_finished.has_value());
  EXPECT_TRUE(status.last_finished->status.ok()) << status.last_finished->status;
  EXPECT_EQ(status.last_finished->job.job, 1u);
  EXPECT_EQ(status.last_finished->report.users, 3u);
  EXPECT_EQ(status.last_finished->report.rows_written, 21);
  EXPECT_EQ(status.last_finished->job.users_done, 3u);
  EXPECT_EQ(status.last_finished->job.users_total, 3u);
  EXPECT_EQ(status.last_finished->job.attempts, 1);
  for (const std::string& user : listed) ExpectTopK(user, 7);

  // Every user with traits.
  absl::StatusOr<RecomputeTicket> second = service.Enqueue({}, 4);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(second->job, 2u);
  EXPECT_EQ(second->users, 0u);
  ASSERT_TRUE(WaitFor(service, [](const RecomputeServiceStatus& s) { return s.jobs_succeeded == 2; }));
  status = service.Status();
  EXPECT_EQ(status.last_finished->report.users, users_.size());
  EXPECT_EQ(status.jobs_failed, 0u);
  EXPECT_EQ(status.queued, 0u);
  EXPECT_FALSE(status.running.has_value());
  for (size_t i = 0; i < users_.size(); i += 25) ExpectTopK(users_[i], 4);
}

TEST_F(RecomputeServiceTest, AFullQueueAnswersResourceExhausted) {
  RecomputeServiceOptions options = Options();
  options.max_queued_jobs = 2;
  RecomputeService service(&holder_, options);
  const std::string start = Column("SELECT now()")[0];
  // Hold the table so that the first job waits inside the database.
  ASSERT_TRUE(admin_->Exec("BEGIN; LOCK TABLE personality_match_scores IN ACCESS EXCLUSIVE MODE").ok());
  ASSERT_TRUE(service.Enqueue(Uuids({users_[0]}), 5).ok());
  ASSERT_TRUE(WaitFor(service, [](const RecomputeServiceStatus& s) { return s.running.has_value(); }));
  absl::StatusOr<RecomputeTicket> second = service.Enqueue(Uuids({users_[1]}), 5);
  absl::StatusOr<RecomputeTicket> third = service.Enqueue(Uuids({users_[2]}), 5);
  ASSERT_TRUE(second.ok() && third.ok());
  EXPECT_EQ(second->queued_before, 1u);
  EXPECT_EQ(third->queued_before, 2u);
  absl::StatusOr<RecomputeTicket> fourth = service.Enqueue(Uuids({users_[3]}), 5);
  EXPECT_EQ(fourth.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(fourth.status().message(), HasSubstr("queue is full"));
  EXPECT_EQ(service.Status().queued, 2u);

  ASSERT_TRUE(admin_->Exec("ROLLBACK").ok());
  ASSERT_TRUE(WaitFor(service, [](const RecomputeServiceStatus& s) { return s.jobs_succeeded == 3; }));
  for (size_t i = 0; i < 3; ++i) ExpectTopK(users_[i], 5);
  EXPECT_TRUE(
      Column("SELECT 1 FROM personality_match_scores WHERE user_id = $1 AND computed_at >= $2", {users_[3], start})
          .empty())
      << "the refused job ran";
}

TEST_F(RecomputeServiceTest, RejectsKOutOfRange) {
  RecomputeService service(&holder_, Options());
  absl::StatusOr<RecomputeTicket> zero = service.Enqueue({}, 0);
  EXPECT_EQ(zero.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(zero.status().message(), HasSubstr("k must be in [1, 1000], got 0"));
  absl::StatusOr<RecomputeTicket> big = service.Enqueue({}, 1001);
  EXPECT_EQ(big.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(big.status().message(), HasSubstr("got 1001"));
  EXPECT_EQ(service.Status().queued, 0u);
}

TEST_F(RecomputeServiceTest, RetriesOnANewConnectionAfterTheOldOneIsTerminated) {
  RecomputeService service(&holder_, Options());
  ASSERT_TRUE(service.Enqueue(Uuids({users_[10]}), 5).ok());
  ASSERT_TRUE(WaitFor(service, [](const RecomputeServiceStatus& s) { return s.jobs_succeeded == 1; }));
  const std::vector<std::string> killed = Column(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
      "WHERE application_name = $1 AND datname = current_database()",
      {kApplicationName});
  ASSERT_EQ(killed.size(), 1u);

  ASSERT_TRUE(service.Enqueue(Uuids({users_[11], users_[12]}), 5).ok());
  ASSERT_TRUE(WaitFor(service, [](const RecomputeServiceStatus& s) {
    return s.jobs_succeeded + s.jobs_failed == 2;
  }));
  const RecomputeServiceStatus status = service.Status();
  EXPECT_EQ(status.jobs_succeeded, 2u) << status.last_finished->status;
  EXPECT_EQ(status.last_finished->job.attempts, 2);
  EXPECT_EQ(status.reconnects, 1u);
  ExpectTopK(users_[11], 5);
  ExpectTopK(users_[12], 5);
}

TEST_F(RecomputeServiceTest, AJobWithoutASnapshotFails) {
  engine::SnapshotHolder empty;
  RecomputeService service(&empty, Options());
  ASSERT_TRUE(service.Enqueue({}, 5).ok());
  ASSERT_TRUE(WaitFor(service, [](const RecomputeServiceStatus& s) { return s.jobs_failed == 1; }));
  const RecomputeServiceStatus status = service.Status();
  EXPECT_EQ(status.last_finished->status.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(status.last_finished->status.message(), HasSubstr("no engine snapshot"));
}

TEST_F(RecomputeServiceTest, StopWhileAJobRunsCancelsItAndTheQueue) {
  RecomputeService service(&holder_, Options());
  const std::string start = Column("SELECT now()")[0];
  ASSERT_TRUE(admin_->Exec("BEGIN; LOCK TABLE personality_match_scores IN ACCESS EXCLUSIVE MODE").ok());
  ASSERT_TRUE(service.Enqueue({}, 5).ok());  // 26 batches of 10 users
  ASSERT_TRUE(WaitFor(service, [](const RecomputeServiceStatus& s) { return s.running.has_value(); }));
  ASSERT_TRUE(service.Enqueue({}, 5).ok());
  ASSERT_TRUE(service.Enqueue(Uuids({users_[0]}), 5).ok());
  // The running job is blocked in the database: Stop() waits for it to get
  // to its next batch, which it can once the lock goes.
  std::thread unlock([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    EXPECT_TRUE(admin_->Exec("ROLLBACK").ok());
  });
  service.Stop();
  unlock.join();
  const RecomputeServiceStatus status = service.Status();
  EXPECT_EQ(status.jobs_cancelled, 3u);
  EXPECT_EQ(status.jobs_succeeded, 0u);
  EXPECT_FALSE(status.running.has_value());
  EXPECT_EQ(status.queued, 0u);
  ASSERT_TRUE(status.last_finished.has_value());
  EXPECT_EQ(status.last_finished->status.code(), absl::StatusCode::kCancelled);
  EXPECT_EQ(service.Enqueue({}, 5).status().code(), absl::StatusCode::kUnavailable);
  service.Stop();  // idempotent
  // At most the batch that was under way was written.
  EXPECT_LE(Column("SELECT DISTINCT user_id FROM personality_match_scores WHERE computed_at >= $1", {start}).size(),
            10u);
}

}  // namespace
}  // namespace otter::server
