// Change following against a real PostgreSQL: out-of-order commits, roll
// backs, deletions, and many concurrent writers whose changes must all be
// found exactly once and converge to the database's final state.

#include "loader/change_reader.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "loader/catalog_reader.h"
#include "tests/support/test_database.h"

namespace otter::loader {
namespace {

using engine::Uuid;
using otter::testing::TestDatabase;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

using Traits = std::map<std::string, double>;

// The engine's state as far as these tests look at it, kept up to date by
// the bulk load and then by the change follower.
class MirrorSink : public ChangeSink {
 public:
  absl::Status OnPersonalityType(PersonalityTypeRow&& type) override {
    types.insert(type.id.ToString());
    return absl::OkStatus();
  }
  absl::Status OnLeader(engine::LeaderRecord&& l) override {
    std::vector<std::string> languages;
    for (const auto& lang : l.languages) {
      languages.push_back(absl::StrCat(lang.code, ":", std::string(engine::ProficiencyName(lang.proficiency))));
    }
    leaders[l.id.ToString()] = absl::StrCat(l.display_name, "|", l.bio, "|", l.is_active, "|",
                                            absl::StrJoin(languages, ","), "|", absl::StrJoin(l.specialties, ","));
    return absl::OkStatus();
  }
  absl::Status OnLeaderTraits(const Uuid&, absl::Span<const engine::NamedTrait>) override {
    return absl::OkStatus();
  }
  absl::Status OnTour(engine::TourRecord&& t) override {
    tours[t.id.ToString()] =
        absl::StrCat(std::string(t.title), "|", t.price_cents, "|", t.is_active, "|", t.updated_at_us);
    return absl::OkStatus();
  }
  absl::Status OnSchedule(engine::ScheduleRecord&& s) override {
    schedules[s.id.ToString()] = absl::StrCat(s.tour_id.ToString(), "|", s.start_date, "|", s.end_date, "|",
                                              s.max_participants, "|", std::string(engine::ScheduleStatusName(s.status)));
    return absl::OkStatus();
  }
  absl::Status OnUserTraits(const Uuid& user, absl::Span<const engine::NamedTrait> traits) override {
    Traits& t = users[user.ToString()];
    t.clear();
    for (const auto& nt : traits) t[std::string(nt.name)] = nt.value;
    return absl::OkStatus();
  }
  absl::Status OnPersonalityTypeDeleted(const Uuid& id) override {
    types.erase(id.ToString());
    return absl::OkStatus();
  }
  absl::Status OnLeaderDeleted(const Uuid& id) override {
    leaders.erase(id.ToString());
    return absl::OkStatus();
  }
  absl::Status OnTourDeleted(const Uuid& id) override {
    tours.erase(id.ToString());
    return absl::OkStatus();
  }
  absl::Status OnScheduleDeleted(const Uuid& id, absl::Span<const Uuid> tour_ids) override {
    schedules.erase(id.ToString());
    for (const Uuid& t : tour_ids) deleted_schedule_tours.push_back(t.ToString());
    return absl::OkStatus();
  }
  absl::Status OnUserTraitsDeleted(const Uuid& user) override {
    users.erase(user.ToString());
    deleted_users.push_back(user.ToString());
    return absl::OkStatus();
  }

  std::set<std::string> types;
  std::map<std::string, std::string> leaders, tours, schedules;
  std::map<std::string, Traits> users;
  std::vector<std::string> deleted_schedule_tours, deleted_users;
};

std::set<std::string> Strings(const absl::flat_hash_set<Uuid>& ids) {
  std::set<std::string> out;
  for (const Uuid& id : ids) out.insert(id.ToString());
  return out;
}

uint64_t ToU64(std::string_view text) {
  uint64_t v = 0;
  EXPECT_TRUE(absl::SimpleAtoi(std::string(text), &v)) << text;
  return v;
}

class ChangeReaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = TestDatabase::Create("otter_demo");
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = *std::move(db);
    reader_ = Connect();
    writer_ = Connect();
    // The engine's starting point: a bulk load and its fence.
    absl::StatusOr<CatalogReadResult> load = ReadCatalog(*reader_, mirror_);
    ASSERT_TRUE(load.ok()) << load.status();
    cursor_ = ChangeCursor::At(load->fence);
  }

  std::optional<PgConnection> Connect() {
    absl::StatusOr<PgConnection> conn = db_->Connect();
    EXPECT_TRUE(conn.ok()) << conn.status();
    if (!conn.ok()) return std::nullopt;
    return std::move(*conn);
  }

  std::string One(PgConnection& conn, const std::string& sql) {
    absl::StatusOr<PgResult> r = conn.Exec(sql);
    EXPECT_TRUE(r.ok()) << sql << ": " << r.status();
    if (!r.ok() || r->rows() < 1) return "<none>";
    return std::string(r->Get(0, 0));
  }
  std::vector<std::string> Column(const std::string& sql) {
    std::vector<std::string> out;
    absl::StatusOr<PgResult> r = writer_->Exec(sql);
    EXPECT_TRUE(r.ok()) << sql << ": " << r.status();
    for (int i = 0; r.ok() && i < r->rows(); ++i) out.emplace_back(r->Get(i, 0));
    return out;
  }

  // One CatchUp step; the cursor moves on.
  CatchUpResult Step(int max_rows = 10000) {
    const auto start = std::chrono::steady_clock::now();
    absl::StatusOr<CatchUpResult> r = CatchUp(*reader_, cursor_, mirror_, max_rows);
    step_seconds_.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    EXPECT_TRUE(r.ok()) << r.status();
    if (!r.ok()) {
      CatchUpResult unchanged;
      unchanged.cursor = cursor_;
      return unchanged;
    }
    EXPECT_GE(r->cursor.fence, cursor_.fence) << "the fence moved backwards";
    cursor_ = r->cursor;
    return *std::move(r);
  }

  std::unique_ptr<TestDatabase> db_;
  std::optional<PgConnection> reader_;
  std::optional<PgConnection> writer_;
  MirrorSink mirror_;
  ChangeCursor cursor_;
  std::vector<double> step_seconds_;  // how long each CatchUp took
};

TEST_F(ChangeReaderTest, NothingChangedReadsNothing) {
  const CatchUpResult r = Step();
  EXPECT_TRUE(r.caught_up);
  EXPECT_EQ(r.log_rows, 0);  // the demo data's own log rows lie below the load's fence
  EXPECT_TRUE(r.keys.empty());
}

TEST_F(ChangeReaderTest, WaitsForAnOlderTransactionThatCommitsLate) {
  const std::vector<std::string> tours = Column("SELECT id FROM tours ORDER BY id LIMIT 2");
  ASSERT_EQ(tours.size(), 2u);
  std::optional<PgConnection> a = Connect();
  ASSERT_TRUE(a.has_value());

  // A takes the lower xid and stays open; B writes and commits.
  ASSERT_TRUE(a->Exec("BEGIN").ok());
  const uint64_t xid_a = ToU64(One(*a, "SELECT pg_current_xact_id()"));
  ASSERT_TRUE(a->Exec(absl::StrCat("UPDATE tours SET price = price + 1 WHERE id = '", tours[0], "'")).ok());
  ASSERT_TRUE(writer_->Exec("BEGIN").ok());
  const uint64_t xid_b = ToU64(One(*writer_, "SELECT pg_current_xact_id()"));
  ASSERT_TRUE(writer_->Exec(absl::StrCat("UPDATE tours SET price = price + 2 WHERE id = '", tours[1], "'")).ok());
  ASSERT_TRUE(writer_->Exec("COMMIT").ok());
  ASSERT_LT(xid_a, xid_b);
  EXPECT_EQ(One(*writer_, absl::StrCat("SELECT count(*) FROM otter_change_log WHERE xid = '", xid_b, "'")), "1");

  // B's row is committed, but the reader must not read it, nor move past A.
  CatchUpResult r = Step();
  EXPECT_TRUE(r.caught_up);
  EXPECT_TRUE(r.keys.empty());
  EXPECT_LE(cursor_.fence, xid_a);

  ASSERT_TRUE(a->Exec("COMMIT").ok());
  r = Step();
  EXPECT_TRUE(r.caught_up);
  EXPECT_EQ(Strings(r.keys.tours), (std::set<std::string>{tours[0], tours[1]}));
  EXPECT_GT(cursor_.fence, xid_b);
  // The re-fetched rows carry both transactions' writes.
  for (const std::string& id : tours) {
    const std::string cents = One(*writer_, absl::StrCat("SELECT (price * 100)::bigint FROM tours WHERE id = '", id, "'"));
    EXPECT_THAT(mirror_.tours.at(id), ::testing::HasSubstr(absl::StrCat("|", cents, "|")));
  }
  // Nothing is read twice.
  EXPECT_TRUE(Step().keys.empty());
}

TEST_F(ChangeReaderTest, RollbackLeavesNoTrace) {
  const std::string tour = One(*writer_, "SELECT id FROM tours LIMIT 1");
  const std::string user = One(*writer_, "SELECT id FROM users LIMIT 1");
  ASSERT_TRUE(writer_->Exec(absl::StrCat("BEGIN; UPDATE tours SET price = 1 WHERE id = '", tour,
                                         "'; INSERT INTO user_quiz_results (user_id, traits) VALUES ('", user,
                                         "', '{\"social\": 0.1}'); ROLLBACK"))
                  .ok());
  const uint64_t after = ToU64(One(*writer_, "SELECT otter_change_position()"));
  const CatchUpResult r = Step();
  EXPECT_EQ(r.log_rows, 0);
  EXPECT_TRUE(r.keys.empty());
  EXPECT_GE(cursor_.fence, after);  // the position still moves past the aborted xid
}

TEST_F(ChangeReaderTest, DeletionsAreReportedWithTheirKeys) {
  const std::string schedule = One(*writer_,
      "SELECT s.id FROM tour_schedules AS s WHERE NOT EXISTS "
      "(SELECT 1 FROM bookings AS b WHERE b.schedule_id = s.id) ORDER BY s.id LIMIT 1");
  const std::string tour = One(*writer_, absl::StrCat("SELECT tour_id FROM tour_schedules WHERE id = '", schedule, "'"));
  const std::string user = One(*writer_, "SELECT user_id FROM user_quiz_results ORDER BY user_id LIMIT 1");
  ASSERT_TRUE(mirror_.schedules.contains(schedule));
  ASSERT_TRUE(mirror_.users.contains(user));
  ASSERT_TRUE(writer_->Exec(absl::StrCat("DELETE FROM tour_schedules WHERE id = '", schedule, "'")).ok());
  ASSERT_TRUE(writer_->Exec(absl::StrCat("DELETE FROM user_quiz_results WHERE user_id = '", user, "'")).ok());
  const CatchUpResult r = Step();
  EXPECT_FALSE(mirror_.schedules.contains(schedule));
  EXPECT_THAT(mirror_.deleted_schedule_tours, UnorderedElementsAre(tour));
  EXPECT_FALSE(mirror_.users.contains(user));
  EXPECT_THAT(mirror_.deleted_users, UnorderedElementsAre(user));
}

TEST_F(ChangeReaderTest, SmallBatchesAdvanceTheCursorWithinATransaction) {
  // One transaction of many rows read three at a time: the cursor moves
  // through it by (xid, id) and ends past it; every key arrives once.
  ASSERT_TRUE(writer_->Exec("UPDATE tours SET price = price + 1 WHERE id IN (SELECT id FROM tours ORDER BY id LIMIT 10)").ok());
  std::set<std::string> seen;
  int steps = 0;
  for (CatchUpResult r = Step(3);; r = Step(3)) {
    ++steps;
    for (const std::string& id : Strings(r.keys.tours)) EXPECT_TRUE(seen.insert(id).second) << id;
    if (r.caught_up) break;
    ASSERT_LT(steps, 10);
  }
  EXPECT_EQ(seen.size(), 10u);
  EXPECT_EQ(steps, 4);  // 3 + 3 + 3 + 1
}

// What committed writers changed, by table.
struct Changed {
  std::set<std::string> tours, leaders, schedules, users;
  void Merge(const Changed& o) {
    tours.insert(o.tours.begin(), o.tours.end());
    leaders.insert(o.leaders.begin(), o.leaders.end());
    schedules.insert(o.schedules.begin(), o.schedules.end());
    users.insert(o.users.begin(), o.users.end());
  }
};

TEST_F(ChangeReaderTest, ConcurrentWritersCommittingOutOfOrderAreAllFoundExactly) {
  const std::vector<std::string> tours = Column("SELECT id FROM tours");
  const std::vector<std::string> leaders = Column("SELECT id FROM tour_leaders");
  const std::vector<std::string> users = Column("SELECT id FROM users");
  ASSERT_FALSE(tours.empty() || leaders.empty() || users.empty());
  const uint32_t seed = std::random_device{}();
  SCOPED_TRACE(::testing::Message() << "seed " << seed);

  constexpr int kWriters = 8;
  constexpr int kTransactionsPerWriter = 40;
  std::vector<Changed> committed(kWriters);
  std::atomic<int> commits{0}, rollbacks{0}, writers_left{kWriters};

  auto writer = [&](int w) {
    std::mt19937 rng(seed + static_cast<uint32_t>(w));
    absl::StatusOr<PgConnection> conn = db_->Connect();
    if (!conn.ok()) {
      ADD_FAILURE() << conn.status();
      --writers_left;
      return;
    }
    auto pick = [&](const std::vector<std::string>& v) { return v[rng() % v.size()]; };
    for (int t = 0; t < kTransactionsPerWriter; ++t) {
      Changed mine;
      bool ok = conn->Exec("BEGIN").ok();
      const int ops = 1 + static_cast<int>(rng() % 3);
      for (int op = 0; ok && op < ops; ++op) {
        absl::StatusOr<PgResult> r;
        switch (rng() % 6) {
          case 0: {
            const std::string id = pick(tours);
            r = conn->Exec("UPDATE tours SET price = price + 1 WHERE id = $1", {id});
            if (r.ok()) mine.tours.insert(id);
            break;
          }
          case 1: {
            const std::string id = pick(leaders);
            r = conn->Exec("UPDATE tour_leaders SET bio = $2 WHERE id = $1", {id, absl::StrCat("bio ", rng())});
            if (r.ok()) mine.leaders.insert(id);
            break;
          }
          case 2: {
            const std::string id = pick(leaders);
            r = conn->Exec("INSERT INTO leader_specialties VALUES ($1, $2) ON CONFLICT DO NOTHING",
                           {id, absl::StrCat("spec", rng() % 50)});
            if (r.ok() && r->AffectedRows() == 1) mine.leaders.insert(id);
            break;
          }
          case 3: {
            r = conn->Exec(
                "INSERT INTO tour_schedules (tour_id, start_date, end_date, max_participants) "
                "VALUES ($1, '2027-06-01', '2027-06-03', 9) RETURNING id",
                {pick(tours)});
            if (r.ok()) mine.schedules.insert(std::string(r->Get(0, 0)));
            break;
          }
          case 4: {
            r = conn->Exec(
                "DELETE FROM tour_schedules WHERE id = (SELECT id FROM tour_schedules WHERE tour_id = $1 "
                "AND start_date = '2027-06-01' ORDER BY id LIMIT 1) RETURNING id",
                {pick(tours)});
            if (r.ok() && r->rows() == 1) mine.schedules.insert(std::string(r->Get(0, 0)));
            break;
          }
          default: {
            const std::string id = pick(users);
            r = conn->Exec("INSERT INTO user_quiz_results (user_id, traits) VALUES ($1, $2::jsonb)",
                           {id, absl::StrCat("{\"social\": 0.", rng() % 10, "}")});
            if (r.ok()) mine.users.insert(id);
            break;
          }
        }
        ok = r.ok();  // deadlocks and lost races roll the transaction back
      }
      std::this_thread::sleep_for(std::chrono::microseconds(rng() % 4000));
      if (ok && rng() % 5 != 0 && conn->Exec("COMMIT").ok()) {
        committed[static_cast<size_t>(w)].Merge(mine);
        ++commits;
      } else {
        (void)conn->Exec("ROLLBACK");
        ++rollbacks;
      }
    }
    --writers_left;
  };

  std::vector<std::thread> threads;
  for (int w = 0; w < kWriters; ++w) threads.emplace_back(writer, w);
  // Follow while they write, in small batches.
  ChangedKeys reported;
  while (writers_left.load() > 0) {
    reported.Merge(Step(7).keys);
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  for (std::thread& t : threads) t.join();

  // Everything is committed: catch up to the position of the last write.
  const uint64_t position = ToU64(One(*writer_, "SELECT otter_change_position()"));
  for (int i = 0; i < 1000; ++i) {
    const CatchUpResult r = Step(7);
    reported.Merge(r.keys);
    if (r.caught_up && cursor_.fence >= position) break;
  }
  ASSERT_GE(cursor_.fence, position);
  std::sort(step_seconds_.begin(), step_seconds_.end());
  std::printf("%d commits, %d rollbacks; %zu catch-ups of <= 7 log rows: median %.2f ms, max %.2f ms\n",
              commits.load(), rollbacks.load(), step_seconds_.size(),
              1e3 * step_seconds_[step_seconds_.size() / 2], 1e3 * step_seconds_.back());
  ASSERT_GT(commits.load(), 0);

  Changed expected;
  for (const Changed& c : committed) expected.Merge(c);
  EXPECT_EQ(Strings(reported.tours), expected.tours);
  EXPECT_EQ(Strings(reported.leaders), expected.leaders);
  std::set<std::string> schedules;
  for (const auto& [id, tour_ids] : reported.schedules) schedules.insert(id.ToString());
  EXPECT_EQ(schedules, expected.schedules);
  EXPECT_EQ(Strings(reported.users), expected.users);
  EXPECT_THAT(reported.truncated, IsEmpty());

  // The followed state equals a fresh load of the final database.
  MirrorSink truth;
  absl::StatusOr<CatalogReadResult> load = ReadCatalog(*writer_, truth);
  ASSERT_TRUE(load.ok()) << load.status();
  EXPECT_EQ(mirror_.tours, truth.tours);
  EXPECT_EQ(mirror_.leaders, truth.leaders);
  EXPECT_EQ(mirror_.schedules, truth.schedules);
  EXPECT_EQ(mirror_.users, truth.users);
  EXPECT_EQ(mirror_.types, truth.types);
}

}  // namespace
}  // namespace otter::loader
