// The match-score recompute against the demo database, checked against
// PostgreSQL's own otter_compatibility(): every stored score is its rounded
// SQL score, every user's rows are its SQL top k (ties at the k-th score
// accepted either way), stale rows are gone, a list recomputes only its
// users, and a failed batch leaves its users' previous rows while earlier
// batches stay committed. Everything runs as a login role holding only
// otter_reader and otter_writer.

#include "loader/match_recompute.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "engine/engine_writer.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/test_database.h"

namespace otter::loader {
namespace {

using otter::testing::TestDatabase;
using ::testing::HasSubstr;

// The scorer is single precision, within 1e-4 of the formula: SQL scores
// closer than this to the k-th score may fall either side of the cut.
constexpr double kScoreTolerance = 1e-3;

struct StoredRow {
  int64_t cents = 0;
  std::string score;  // as the table holds it
  std::string computed_at;
  friend bool operator==(const StoredRow&, const StoredRow&) = default;
};
// user -> leader -> row
using Table = std::map<std::string, std::map<std::string, StoredRow>>;

struct SqlScore {
  std::string leader;
  double score = 0;     // otter_compatibility()
  int64_t cents = 0;    // round(score::numeric, 2) * 100
};
// user -> the SQL score of every active leader
using Oracle = std::map<std::string, std::vector<SqlScore>>;

int64_t Cents(std::string_view numeric) { return std::llround(std::stod(std::string(numeric)) * 100); }

// The URL of `db` for login role `role` (the test cluster trusts local
// connections).
std::string UrlAs(const std::string& url, const std::string& role) {
  const size_t scheme = url.find("://") + 3;
  return absl::StrCat(url.substr(0, scheme), role, url.substr(url.find('@', scheme)));
}

class MatchRecomputeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = TestDatabase::Create("otter_demo");
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = *std::move(db);
    auto admin = db_->Connect();
    ASSERT_TRUE(admin.ok()) << admin.status();
    admin_.emplace(*std::move(admin));

    // Least privilege: a login role with the daemon's two group roles only.
    role_ = absl::StrCat("recompute_", db_->name());
    Exec(absl::StrCat("CREATE ROLE ", role_, " LOGIN IN ROLE otter_reader, otter_writer"));
    auto conn = PgConnection::Connect(UrlAs(db_->url(), role_));
    ASSERT_TRUE(conn.ok()) << conn.status();
    conn_.emplace(*std::move(conn));

    // Leaders that must not be stored (inactive), an active leader without
    // traits (0.5 everywhere), a user with cached rows who no longer has
    // quiz results, and a cached row of an inactive leader.
    Exec("UPDATE tour_leaders SET is_active = false WHERE id IN (SELECT id FROM tour_leaders ORDER BY id LIMIT 3)");
    Exec("UPDATE tour_leaders SET personality_traits = '{}' "
         "WHERE id = (SELECT id FROM tour_leaders WHERE is_active ORDER BY id OFFSET 5 LIMIT 1)");
    dropped_user_ = One("SELECT min(user_id::text) FROM personality_match_scores");
    Exec("DELETE FROM user_quiz_results WHERE user_id = $1", {dropped_user_});
    Exec("INSERT INTO personality_match_scores (user_id, leader_id, score) "
         "SELECT (SELECT min(user_id::text) FROM user_current_traits)::uuid, "
         "(SELECT id FROM tour_leaders WHERE NOT is_active ORDER BY id LIMIT 1), 99.99 "
         "ON CONFLICT (user_id, leader_id) DO UPDATE SET score = 99.99");
    oracle_ = ReadOracle();
    ASSERT_GT(oracle_.size(), 200u);
  }

  void TearDown() override {
    conn_.reset();
    if (admin_.has_value() && !role_.empty()) Exec(absl::StrCat("DROP ROLE IF EXISTS ", role_));
  }

  void Exec(const std::string& sql, const std::vector<PgConnection::Param>& params = {}) {
    absl::StatusOr<PgResult> r = admin_->Exec(sql, params);
    EXPECT_TRUE(r.ok()) << sql << ": " << r.status();
  }
  std::string One(const std::string& sql, const std::vector<PgConnection::Param>& params = {}) {
    absl::StatusOr<PgResult> r = admin_->Exec(sql, params);
    EXPECT_TRUE(r.ok()) << sql << ": " << r.status();
    if (!r.ok() || r->rows() < 1) return "<none>";
    return std::string(r->Get(0, 0));
  }
  std::vector<std::string> Column(const std::string& sql) {
    std::vector<std::string> out;
    absl::StatusOr<PgResult> r = admin_->Exec(sql);
    EXPECT_TRUE(r.ok()) << sql << ": " << r.status();
    for (int i = 0; r.ok() && i < r->rows(); ++i) out.emplace_back(r->Get(i, 0));
    return out;
  }

  Oracle ReadOracle() {
    Oracle oracle;
    absl::StatusOr<PgResult> r = admin_->Exec(
        "SELECT c.user_id, l.id, s.score, round(s.score::numeric, 2) "
        "FROM user_current_traits AS c CROSS JOIN tour_leaders AS l "
        "CROSS JOIN LATERAL (SELECT otter_compatibility(c.traits, l.personality_traits) AS score) AS s "
        "WHERE l.is_active");
    EXPECT_TRUE(r.ok()) << r.status();
    for (int i = 0; r.ok() && i < r->rows(); ++i) {
      oracle[std::string(r->Get(i, 0))].push_back(
          SqlScore{std::string(r->Get(i, 1)), std::stod(std::string(r->Get(i, 2))), Cents(r->Get(i, 3))});
    }
    return oracle;
  }

  Table ReadTable() {
    Table table;
    absl::StatusOr<PgResult> r =
        admin_->Exec("SELECT user_id, leader_id, score, computed_at FROM personality_match_scores");
    EXPECT_TRUE(r.ok()) << r.status();
    for (int i = 0; r.ok() && i < r->rows(); ++i) {
      table[std::string(r->Get(i, 0))][std::string(r->Get(i, 1))] =
          StoredRow{Cents(r->Get(i, 2)), std::string(r->Get(i, 2)), std::string(r->Get(i, 3))};
    }
    return table;
  }

  std::shared_ptr<const engine::Snapshot> Load() {
    absl::StatusOr<std::shared_ptr<const engine::Snapshot>> snapshot = LoadMatchSnapshot(*conn_);
    EXPECT_TRUE(snapshot.ok()) << snapshot.status();
    return snapshot.ok() ? *snapshot : nullptr;
  }

  // `rows` are exactly `user`'s SQL top k, each score the rounded SQL score
  // (within one cent, counted in off_by_one_cent_).
  void ExpectTopK(const std::string& user, const std::map<std::string, StoredRow>& rows, size_t k) {
    SCOPED_TRACE(::testing::Message() << "user " << user << " k " << k);
    auto it = oracle_.find(user);
    ASSERT_NE(it, oracle_.end()) << "a user without traits has rows";
    const std::vector<SqlScore>& all = it->second;
    std::vector<double> scores;
    for (const SqlScore& s : all) scores.push_back(s.score);
    std::sort(scores.rbegin(), scores.rend());
    const size_t n = std::min(k, all.size());
    ASSERT_EQ(rows.size(), n);
    const double kth = scores[n - 1];
    size_t known = 0;
    for (const SqlScore& s : all) {
      auto row = rows.find(s.leader);
      if (s.score > kth + kScoreTolerance) {
        EXPECT_NE(row, rows.end()) << "leader " << s.leader << " (" << s.score
                                   << ") beats the k-th score " << kth << " but is missing";
      }
      if (row == rows.end()) continue;
      ++known;
      ++rows_checked_;
      EXPECT_GE(s.score, kth - kScoreTolerance) << "leader " << s.leader << " is below the top k";
      EXPECT_LE(std::abs(row->second.cents - s.cents), 1)
          << "leader " << s.leader << " stored " << row->second.score << ", SQL " << s.score;
      if (row->second.cents != s.cents) ++off_by_one_cent_;
    }
    EXPECT_EQ(known, rows.size()) << "rows of leaders that are not active";
  }

  // Every user with traits has its top k and nobody else has rows.
  void ExpectTableIsTopK(const Table& table, size_t k) {
    for (const auto& [user, scores] : oracle_) {
      auto rows = table.find(user);
      ASSERT_NE(rows, table.end()) << "user " << user << " has no rows";
      ExpectTopK(user, rows->second, k);
    }
    for (const auto& [user, rows] : table) {
      EXPECT_TRUE(oracle_.contains(user)) << "user " << user << " has no traits but " << rows.size() << " rows";
    }
  }

  // Rows of `before` that `after` no longer has.
  static int64_t Removed(const Table& before, const Table& after) {
    int64_t removed = 0;
    for (const auto& [user, rows] : before) {
      auto now = after.find(user);
      for (const auto& [leader, row] : rows) {
        if (now == after.end() || !now->second.contains(leader)) ++removed;
      }
    }
    return removed;
  }

  static size_t RowCount(const Table& table) {
    size_t n = 0;
    for (const auto& [user, rows] : table) n += rows.size();
    return n;
  }

  std::unique_ptr<TestDatabase> db_;
  std::optional<PgConnection> admin_;
  std::optional<PgConnection> conn_;  // as role_
  std::string role_;
  std::string dropped_user_;
  Oracle oracle_;
  size_t rows_checked_ = 0;
  size_t off_by_one_cent_ = 0;
};

TEST_F(MatchRecomputeTest, TheRoleHasNoMoreThanTheDaemonsPrivileges) {
  absl::StatusOr<PgResult> r = conn_->Exec("UPDATE tour_leaders SET bio = bio");
  EXPECT_EQ(r.status().code(), absl::StatusCode::kPermissionDenied) << r.status();
  r = conn_->Exec("SELECT email FROM users LIMIT 1");
  EXPECT_EQ(r.status().code(), absl::StatusCode::kPermissionDenied) << r.status();
}

TEST_F(MatchRecomputeTest, EveryUserGetsTheSqlTopKAndStaleRowsGo) {
  std::shared_ptr<const engine::Snapshot> snapshot = Load();
  ASSERT_NE(snapshot, nullptr);
  const size_t cached_without_traits = static_cast<size_t>(std::stoul(One(
      "SELECT count(DISTINCT p.user_id) FROM personality_match_scores AS p "
      "WHERE NOT EXISTS (SELECT 1 FROM user_current_traits AS c WHERE c.user_id = p.user_id)")));
  ASSERT_EQ(cached_without_traits, 1u);
  const size_t active_leaders = static_cast<size_t>(std::stoul(One("SELECT count(*) FROM tour_leaders WHERE is_active")));

  // k above the number of active leaders keeps them all; then k = 5 trims
  // every user's rows to its best five.
  for (size_t k : {size_t{100}, size_t{5}}) {
    SCOPED_TRACE(::testing::Message() << "k " << k);
    const Table before = ReadTable();
    std::vector<RecomputeProgress> progress;
    RecomputeOptions options;
    options.k = k;
    options.batch_users = 40;
    options.progress = [&](const RecomputeProgress& p) { progress.push_back(p); };
    absl::StatusOr<RecomputeReport> report = RecomputeMatches(*conn_, *snapshot, options);
    ASSERT_TRUE(report.ok()) << report.status();
    const Table after = ReadTable();
    ExpectTableIsTopK(after, k);

    const size_t users_in_run = oracle_.size() + (k == 100 ? cached_without_traits : 0);
    EXPECT_EQ(report->users, oracle_.size());
    EXPECT_EQ(report->users_without_traits, users_in_run - oracle_.size());
    EXPECT_EQ(report->rows_written, static_cast<int64_t>(RowCount(after)));
    EXPECT_EQ(report->rows_written, static_cast<int64_t>(oracle_.size() * std::min(k, active_leaders)));
    EXPECT_EQ(report->rows_deleted, Removed(before, after));
    EXPECT_EQ(report->batches, (users_in_run + 39) / 40);
    ASSERT_EQ(progress.size(), report->batches);
    EXPECT_EQ(progress.back().users_done, users_in_run);
    EXPECT_EQ(progress.back().users_total, users_in_run);
    EXPECT_EQ(progress.back().rows_written, report->rows_written);
    EXPECT_GT(report->scoring_seconds, 0);
    EXPECT_GT(report->writing_seconds, 0);
  }
  EXPECT_EQ(One("SELECT count(*) FROM personality_match_scores WHERE user_id = $1", {dropped_user_}), "0");
  EXPECT_EQ(One("SELECT count(*) FROM personality_match_scores AS p JOIN tour_leaders AS l "
                "ON l.id = p.leader_id WHERE NOT l.is_active"),
            "0");
  // Rounding differs from SQL's only for scores within the scorer's error
  // of a .xx5 boundary: rare.
  std::printf("%zu rows checked, %zu one cent off SQL's rounding\n", rows_checked_, off_by_one_cent_);
  EXPECT_LE(off_by_one_cent_ * 100, rows_checked_);
}

TEST_F(MatchRecomputeTest, AListRecomputesOnlyItsUsers) {
  std::shared_ptr<const engine::Snapshot> snapshot = Load();
  ASSERT_NE(snapshot, nullptr);
  RecomputeOptions options;
  options.k = 5;
  ASSERT_TRUE(RecomputeMatches(*conn_, *snapshot, options).ok());

  // Every row gets a score no recompute writes; user A a stale extra row;
  // user B (no traits) a cached row.
  Exec("UPDATE personality_match_scores SET score = 0.5");
  const std::vector<std::string> users = Column("SELECT user_id FROM user_current_traits ORDER BY user_id");
  ASSERT_GE(users.size(), 10u);
  const std::string a = users[1];
  const std::string c = users[4];
  const std::string d = users.back();
  Exec("INSERT INTO personality_match_scores (user_id, leader_id, score) "
       "SELECT $1::uuid, l.id, 0.5 FROM tour_leaders AS l WHERE l.is_active AND NOT EXISTS ("
       " SELECT 1 FROM personality_match_scores AS p WHERE p.user_id = $1::uuid AND p.leader_id = l.id) "
       "ORDER BY l.id LIMIT 1",
       {a});
  const std::string b = One(
      "SELECT min(u.id::text) FROM users AS u WHERE NOT EXISTS ("
      " SELECT 1 FROM user_current_traits AS c WHERE c.user_id = u.id)");
  Exec("INSERT INTO personality_match_scores (user_id, leader_id, score) "
       "SELECT $1::uuid, min(id::text)::uuid, 0.5 FROM tour_leaders",
       {b});
  const Table before = ReadTable();

  const engine::Uuid unknown = *engine::Uuid::Parse("00000000-0000-4000-8000-000000000001");
  options.users = {*engine::Uuid::Parse(a), *engine::Uuid::Parse(c), *engine::Uuid::Parse(d),
                   *engine::Uuid::Parse(b), unknown, *engine::Uuid::Parse(a)};
  absl::StatusOr<RecomputeReport> report = RecomputeMatches(*conn_, *snapshot, options);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->users, 3u);
  EXPECT_EQ(report->users_without_traits, 2u);
  EXPECT_EQ(report->rows_written, 15);
  EXPECT_EQ(report->rows_deleted, 2);  // A's stale row and B's row
  EXPECT_EQ(report->batches, 1u);

  const Table after = ReadTable();
  for (const std::string& user : {a, c, d}) {
    ASSERT_TRUE(after.contains(user));
    ExpectTopK(user, after.at(user), 5);
    for (const auto& [leader, row] : after.at(user)) {
      EXPECT_GT(row.computed_at, before.at(user).at(leader).computed_at) << user << " " << leader;
    }
  }
  EXPECT_FALSE(after.contains(b));
  Table others_before = before;
  Table others_after = after;
  for (const std::string& user : {a, b, c, d}) {
    others_before.erase(user);
    others_after.erase(user);
  }
  EXPECT_EQ(others_after, others_before) << "rows of users not listed changed";
}

TEST_F(MatchRecomputeTest, AFailedBatchKeepsItsUsersRowsAndEarlierBatchesStay) {
  std::shared_ptr<const engine::Snapshot> snapshot = Load();
  ASSERT_NE(snapshot, nullptr);
  // The order of a recompute of everyone: users with traits and users with
  // cached rows, by uuid (PostgreSQL orders uuids bytewise, as the engine).
  const std::vector<std::string> order = Column(
      "SELECT user_id FROM user_current_traits UNION SELECT user_id FROM personality_match_scores ORDER BY 1");
  constexpr size_t kBatch = 20;
  const size_t failing = 5 * kBatch + 7;  // in the sixth batch
  ASSERT_GT(order.size(), failing + kBatch);
  ASSERT_TRUE(oracle_.contains(order[failing]));
  Exec("CREATE TABLE recompute_fail_user (user_id uuid PRIMARY KEY)");
  Exec("INSERT INTO recompute_fail_user VALUES ($1)", {order[failing]});
  Exec("CREATE FUNCTION recompute_fail() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER AS $$ "
       "BEGIN IF EXISTS (SELECT 1 FROM recompute_fail_user AS f WHERE f.user_id = NEW.user_id) THEN "
       "RAISE EXCEPTION 'forced failure for user %', NEW.user_id; END IF; RETURN NEW; END $$");
  Exec("CREATE TRIGGER recompute_fail BEFORE INSERT OR UPDATE ON personality_match_scores "
       "FOR EACH ROW EXECUTE FUNCTION recompute_fail()");
  const Table before = ReadTable();

  RecomputeOptions options;
  options.k = 5;
  options.batch_users = kBatch;
  std::vector<RecomputeProgress> progress;
  options.progress = [&](const RecomputeProgress& p) { progress.push_back(p); };
  absl::StatusOr<RecomputeReport> report = RecomputeMatches(*conn_, *snapshot, options);
  ASSERT_FALSE(report.ok());
  EXPECT_THAT(report.status().message(), HasSubstr("batch 6 of "));
  EXPECT_THAT(report.status().message(), HasSubstr("5 batches committed before it"));
  EXPECT_THAT(report.status().message(), HasSubstr("forced failure for user " + order[failing]));
  EXPECT_EQ(SqlState(report.status()), "P0001");
  ASSERT_EQ(progress.size(), 5u);
  EXPECT_EQ(progress.back().users_done, 5 * kBatch);

  const Table after = ReadTable();
  for (size_t i = 0; i < order.size(); ++i) {
    const std::string& user = order[i];
    SCOPED_TRACE(::testing::Message() << "user " << i << " " << user);
    if (i < 5 * kBatch) {
      if (oracle_.contains(user)) {
        ASSERT_TRUE(after.contains(user));
        ExpectTopK(user, after.at(user), 5);
      } else {
        EXPECT_FALSE(after.contains(user));
      }
    } else {
      auto was = before.find(user);
      auto now = after.find(user);
      if (was == before.end()) {
        EXPECT_EQ(now, after.end());
      } else {
        ASSERT_NE(now, after.end());
        EXPECT_EQ(now->second, was->second) << "a user of a failed or later batch changed";
      }
    }
  }
  // The connection is usable again: with the trigger gone the same run succeeds.
  Exec("DROP TRIGGER recompute_fail ON personality_match_scores");
  report = RecomputeMatches(*conn_, *snapshot, options);
  ASSERT_TRUE(report.ok()) << report.status();
  ExpectTableIsTopK(ReadTable(), 5);
}

TEST_F(MatchRecomputeTest, CancellingStopsBetweenBatches) {
  std::shared_ptr<const engine::Snapshot> snapshot = Load();
  ASSERT_NE(snapshot, nullptr);
  const Table before = ReadTable();
  RecomputeOptions options;
  options.k = 5;
  options.batch_users = 30;
  int batches = 0;
  options.progress = [&](const RecomputeProgress&) { ++batches; };
  options.cancelled = [&] { return batches == 2; };
  absl::StatusOr<RecomputeReport> report = RecomputeMatches(*conn_, *snapshot, options);
  EXPECT_EQ(report.status().code(), absl::StatusCode::kCancelled) << report.status();
  EXPECT_THAT(report.status().message(), HasSubstr("after 2 of "));
  const Table after = ReadTable();
  EXPECT_NE(after, before);
  // Only the first 60 users (by uuid) changed.
  const std::vector<std::string> order = Column(
      "SELECT user_id FROM user_current_traits UNION SELECT user_id FROM personality_match_scores ORDER BY 1");
  for (size_t i = 60; i < order.size(); ++i) {
    auto was = before.find(order[i]);
    auto now = after.find(order[i]);
    ASSERT_EQ(was == before.end(), now == after.end()) << order[i];
    if (was != before.end()) {
      EXPECT_EQ(now->second, was->second) << order[i];
    }
  }
}

TEST_F(MatchRecomputeTest, RejectsOptionsOutOfRange) {
  engine::EngineWriter writer;
  absl::StatusOr<std::shared_ptr<const engine::Snapshot>> empty = writer.Publish(1);
  ASSERT_TRUE(empty.ok());
  RecomputeOptions options;
  options.k = 0;
  absl::StatusOr<RecomputeReport> r = RecomputeMatches(*conn_, **empty, options);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr("k must be in [1, 1000], got 0"));
  options.k = 1001;
  r = RecomputeMatches(*conn_, **empty, options);
  EXPECT_THAT(r.status().message(), HasSubstr("got 1001"));
  options.k = 50;
  options.batch_users = 0;
  r = RecomputeMatches(*conn_, **empty, options);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr("batch_users"));
  options.batch_users = 10;
  options.threads = -1;
  r = RecomputeMatches(*conn_, **empty, options);
  EXPECT_THAT(r.status().message(), HasSubstr("threads"));
}

}  // namespace
}  // namespace otter::loader
