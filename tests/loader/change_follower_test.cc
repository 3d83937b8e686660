// The change follower against a real PostgreSQL. The oracle is always the
// database itself: once the follower has published a position taken after
// the writes (otter_change_position()), its Snapshot must equal one
// bulk-loaded afresh from the same database: every tour, leader (languages,
// specialties, traits), schedule and user's traits, field by field, and what
// the geo and text indexes return. Cases: ordinary writes, concurrent
// writers committing out of order, a rollback, a terminated backend, a
// server restart, a missed notification, TRUNCATE, pruning by one replica
// and by two, a replica silent past the retention window, and least
// privilege.

#include "loader/change_follower.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "engine/engine_writer.h"
#include "engine/geo_index.h"
#include "engine/text/text_query.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "loader/catalog_reader.h"
#include "loader/engine_feed.h"
#include "tests/support/test_database.h"

namespace otter::loader {
namespace {

using engine::Uuid;
using otter::testing::TestDatabase;
using std::chrono::milliseconds;
using std::chrono::seconds;
using ::testing::HasSubstr;

constexpr seconds kSettle{30};  // how long a test waits for the follower at most

std::string Num(double v) {
  char buffer[40];
  std::snprintf(buffer, sizeof buffer, "%.17g", v);
  return buffer;
}

template <typename T>
std::string Opt(const std::optional<T>& v) {
  return v ? absl::StrCat(*v) : "null";
}

std::string Location(const std::optional<engine::LatLon>& p) {
  return p ? absl::StrCat(Num(p->lat), ",", Num(p->lon)) : "null";
}

std::string Describe(const engine::TourRecord& t) {
  std::vector<std::string> blackout;
  for (engine::CivilDay d : t.blackout_dates) blackout.push_back(absl::StrCat(d));
  return absl::StrJoin(
      {t.leader_id.ToString(), t.title, t.slug, t.description, t.category, absl::StrJoin(t.tags, ","),
       absl::StrCat(t.price_cents), t.currency, absl::StrCat(t.duration_days),
       t.duration_hours ? Num(*t.duration_hours) : "null", Opt(t.max_participants), t.city, t.country,
       Location(t.location), absl::StrJoin(t.images, ","), Opt(t.availability_start), Opt(t.availability_end),
       absl::StrJoin(blackout, ","), absl::StrCat(t.total_reviews), absl::StrCat(t.average_rating_x100),
       absl::StrCat(t.is_active), absl::StrCat(t.created_at_us), absl::StrCat(t.updated_at_us)},
      "|");
}

// A leader's traits as the matrix serves them: name=value for the values
// that differ from the 0.5 a missing trait reads.
std::string LeaderTraits(const engine::Snapshot& snap, uint32_t leader) {
  const engine::LeaderTraitMatrix& matrix = snap.leader_traits();
  if (!matrix.Contains(leader)) return "none";
  std::vector<std::string> traits;
  for (int slot = 0; slot < matrix.registry().size(); ++slot) {
    const float v = matrix.Value(leader, slot);
    if (v != engine::kMissingTraitValue) traits.push_back(absl::StrCat(matrix.registry().name(slot), "=", Num(v)));
  }
  std::sort(traits.begin(), traits.end());
  return absl::StrJoin(traits, ",");
}

std::string Describe(const engine::LeaderRecord& l) {
  std::vector<std::string> languages;
  for (const engine::LeaderLanguage& lang : l.languages) {
    languages.push_back(absl::StrCat(lang.code, ":", std::string(engine::ProficiencyName(lang.proficiency))));
  }
  return absl::StrJoin(
      {l.user_id.ToString(), std::string(engine::LeaderTypeName(l.type)), l.display_name, l.bio, l.city, l.country,
       Location(l.location), absl::StrCat(l.hourly_rate_cents), absl::StrCat(l.is_verified),
       absl::StrCat(l.average_rating_x100), absl::StrCat(l.total_reviews), absl::StrCat(l.followers_count),
       absl::StrCat(l.is_active), absl::StrCat(l.created_at_us), absl::StrJoin(languages, ","),
       absl::StrJoin(l.specialties, ",")},
      "|");
}

std::string Describe(const engine::ScheduleRecord& s) {
  return absl::StrJoin({s.tour_id.ToString(), absl::StrCat(s.start_date), absl::StrCat(s.end_date),
                        absl::StrCat(s.max_participants), absl::StrCat(s.current_participants),
                        std::string(engine::ScheduleStatusName(s.status))},
                       "|");
}

// Words the text index is asked about (some from the tests' own titles).
constexpr std::string_view kWords[] = {"tour", "walk", "food", "city", "quetzalcoatl", "xylophone"};

// What a Snapshot serves, keyed by Uuid.
struct View {
  std::map<std::string, std::string> tours, leaders, schedules, users;
  // Matchable documents anywhere on earth, from the geo indexes.
  std::map<std::string, std::string> geo_tours, geo_leaders;
  // word -> the tours the text index matches.
  std::map<std::string, std::string> text;
};

View ViewOf(const engine::Snapshot& snap) {
  View v;
  const engine::Catalog& catalog = snap.catalog();
  for (uint32_t d = 0; d < catalog.tour_id_limit(); ++d) {
    if (const engine::TourRecord* t = catalog.tour(d)) v.tours[t->id.ToString()] = Describe(*t);
    // Schedules are listed under their tour's dense id, whatever its state.
    for (const engine::ScheduleRecord& s : catalog.tour_schedules(d)) v.schedules[s.id.ToString()] = Describe(s);
  }
  for (uint32_t d = 0; d < catalog.leader_id_limit(); ++d) {
    if (const engine::LeaderRecord* l = catalog.leader(d)) {
      v.leaders[l->id.ToString()] = absl::StrCat(Describe(*l), "|traits:", LeaderTraits(snap, d));
    }
  }
  snap.ForEachUserTraits([&](const Uuid& user, const engine::StoredUserTraits& traits) {
    std::vector<std::string> entries;
    for (const auto& [name, value] : traits.traits) entries.push_back(absl::StrCat(name, "=", Num(value)));
    std::sort(entries.begin(), entries.end());
    v.users[user.ToString()] = absl::StrJoin(entries, ",");
  });
  const engine::GeoBox earth{-90, -180, 90, 180};
  absl::StatusOr<std::vector<uint32_t>> tours = snap.tours().Box(earth);
  absl::StatusOr<std::vector<uint32_t>> leaders = snap.leaders().Box(earth);
  EXPECT_TRUE(tours.ok() && leaders.ok());
  for (uint32_t d : tours.value_or(std::vector<uint32_t>{})) v.geo_tours[catalog.tour(d)->id.ToString()] = "";
  for (uint32_t d : leaders.value_or(std::vector<uint32_t>{})) v.geo_leaders[catalog.leader(d)->id.ToString()] = "";
  for (std::string_view word : kWords) {
    absl::StatusOr<engine::text::TextQuery> query =
        engine::text::ParseTextQuery(word, {.prefix_last_word = false, .typo_tolerance = false});
    EXPECT_TRUE(query.ok()) << word;
    if (!query.ok()) continue;
    std::set<std::string> ids;
    for (const engine::text::ScoredDoc& hit : snap.tours().TextMatches(*query)) {
      ids.insert(catalog.tour(hit.doc)->id.ToString());
    }
    v.text[std::string(word)] = absl::StrJoin(ids, ",");
  }
  return v;
}

// Expects equal maps; names the first few keys that differ.
void ExpectSame(const std::string& what, const std::map<std::string, std::string>& followed,
                const std::map<std::string, std::string>& fresh) {
  std::vector<std::string> differences;
  for (const auto& [key, value] : fresh) {
    auto it = followed.find(key);
    if (it == followed.end()) {
      differences.push_back(absl::StrCat(key, " missing from the follower (database: ", value, ")"));
    } else if (it->second != value) {
      differences.push_back(absl::StrCat(key, "\n  follower: ", it->second, "\n  database: ", value));
    }
  }
  for (const auto& [key, value] : followed) {
    if (!fresh.contains(key)) differences.push_back(absl::StrCat(key, " only in the follower: ", value));
  }
  EXPECT_TRUE(differences.empty()) << differences.size() << " " << what << " differ, e.g.:\n"
                                   << absl::StrJoin(differences.begin(),
                                                    differences.begin() + std::min<size_t>(5, differences.size()),
                                                    "\n");
}

uint64_t ToU64(std::string_view text) {
  uint64_t v = 0;
  EXPECT_TRUE(absl::SimpleAtoi(std::string(text), &v)) << text;
  return v;
}

bool WaitUntil(const std::function<bool()>& done, milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(milliseconds(2));
  }
  return true;
}

class ChangeFollowerTest : public ::testing::Test {
 protected:
  void TearDown() override {
    if (follower_) follower_->Stop();
  }

  void CreateDatabase(std::string_view template_name) {
    auto db = TestDatabase::Create(template_name);
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = *std::move(db);
    Reconnect();
  }

  void Reconnect() {
    absl::StatusOr<PgConnection> conn = db_->Connect();
    ASSERT_TRUE(conn.ok()) << conn.status();
    writer_.emplace(*std::move(conn));
  }

  // Starts a follower of db_ with `options` (log and on_publish are set
  // here, conninfo unless given) and waits for its first Snapshot.
  void StartFollower(ChangeFollowerOptions options = {}) {
    if (options.conninfo.empty()) options.conninfo = db_->url();
    options.log = [this](FollowerLogLevel, std::string_view event, absl::Span<const FollowerLogField> fields) {
      std::string line(event);
      for (const auto& [key, value] : fields) absl::StrAppend(&line, " ", std::string(key), "=", std::string(value));
      std::lock_guard<std::mutex> lock(mu_);
      events_.push_back(std::move(line));
    };
    options.on_publish = [this](const FollowerPublication& p) {
      if (on_publish_) on_publish_(p);
      std::lock_guard<std::mutex> lock(mu_);
      if (p.full_load) ++full_loads_;
      for (const Uuid& user : p.changed_users) reported_users_.insert(user.ToString());
      callback_as_of_ = p.snapshot->as_of();
    };
    follower_ = std::make_unique<ChangeFollower>(std::move(options), holder_);
    const absl::Status started = follower_->Start();
    ASSERT_TRUE(started.ok()) << started;
    ASSERT_TRUE(WaitUntil([&] { return follower_->Status().state == FollowerState::kReady; }, kSettle))
        << follower_->Status().detail;
    ASSERT_TRUE(WaitUntil([&] { return FullLoads() >= 1; }, kSettle));
  }

  // Another follower of db_ (conninfo unless given) publishing into
  // `holder`, started and ready.
  std::unique_ptr<ChangeFollower> StartOther(ChangeFollowerOptions options, engine::SnapshotHolder& holder) {
    if (options.conninfo.empty()) options.conninfo = db_->url();
    auto follower = std::make_unique<ChangeFollower>(std::move(options), holder);
    const absl::Status started = follower->Start();
    EXPECT_TRUE(started.ok()) << started;
    EXPECT_TRUE(WaitUntil([&] { return follower->Status().state == FollowerState::kReady; }, kSettle))
        << follower->Status().detail;
    return follower;
  }

  // db_'s URL for a session acting as `role` (SET ROLE at connection).
  std::string RoleUrl(const std::string& role) { return absl::StrCat(db_->url(), "?options=-c%20role%3D", role); }

  // The position otter_change_consumers holds for `name`; 0 when none.
  uint64_t RecordedPosition(const std::string& name) {
    return ToU64(One(absl::StrCat(
        "SELECT coalesce(max(as_of), '0') FROM otter_change_consumers WHERE name = '", name, "'")));
  }

  int FullLoads() {
    std::lock_guard<std::mutex> lock(mu_);
    return full_loads_;
  }
  bool Reported(const std::string& user) {
    std::lock_guard<std::mutex> lock(mu_);
    return reported_users_.contains(user);
  }

  void Run(const std::string& sql) {
    absl::StatusOr<PgResult> r = writer_->Exec(sql);
    ASSERT_TRUE(r.ok()) << sql << ": " << r.status();
  }
  std::string One(const std::string& sql) {
    absl::StatusOr<PgResult> r = writer_->Exec(sql);
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

  // Waits until the follower has applied everything committed so far.
  void WaitForEverything() {
    const uint64_t position = ToU64(One("SELECT otter_change_position()"));
    ASSERT_TRUE(follower_->WaitForAsOf(position, kSettle))
        << "as_of " << follower_->Status().as_of << " < " << position << ": " << follower_->Status().detail;
    // The publish callback runs after the Snapshot is out: wait for it too.
    ASSERT_TRUE(WaitUntil(
        [&] {
          std::lock_guard<std::mutex> lock(mu_);
          return callback_as_of_ >= position;
        },
        kSettle));
  }

  std::shared_ptr<const engine::Snapshot> FreshSnapshot() {
    absl::StatusOr<PgConnection> conn = db_->Connect();
    EXPECT_TRUE(conn.ok()) << conn.status();
    if (!conn.ok()) return nullptr;
    engine::EngineWriter writer(engine::EngineWriterOptions{.background_merge = false});
    EngineFeed feed(writer);
    absl::StatusOr<CatalogReadResult> load = ReadCatalog(*conn, feed);
    EXPECT_TRUE(load.ok()) << load.status();
    if (!load.ok()) return nullptr;
    absl::StatusOr<std::shared_ptr<const engine::Snapshot>> snapshot = writer.Publish(load->fence);
    EXPECT_TRUE(snapshot.ok()) << snapshot.status();
    return snapshot.value_or(nullptr);
  }

  // The oracle: the follower's Snapshot equals a fresh load of the database.
  void ExpectMatchesDatabase() {
    std::shared_ptr<const engine::Snapshot> followed = holder_.Acquire();
    std::shared_ptr<const engine::Snapshot> fresh = FreshSnapshot();
    ASSERT_NE(followed, nullptr);
    ASSERT_NE(fresh, nullptr);
    const View a = ViewOf(*followed);
    const View b = ViewOf(*fresh);
    ASSERT_FALSE(b.tours.empty() && b.leaders.empty() && b.users.empty()) << "the database is empty";
    ExpectSame("tours", a.tours, b.tours);
    ExpectSame("leaders", a.leaders, b.leaders);
    ExpectSame("schedules", a.schedules, b.schedules);
    ExpectSame("users' traits", a.users, b.users);
    ExpectSame("geo-indexed tours", a.geo_tours, b.geo_tours);
    ExpectSame("geo-indexed leaders", a.geo_leaders, b.geo_leaders);
    ExpectSame("text matches", a.text, b.text);
  }

  bool SawEvent(std::string_view prefix) {
    std::lock_guard<std::mutex> lock(mu_);
    return std::any_of(events_.begin(), events_.end(),
                       [&](const std::string& e) { return e.starts_with(prefix); });
  }
  std::string Events() {
    std::lock_guard<std::mutex> lock(mu_);
    return absl::StrJoin(events_, "\n");
  }

  std::unique_ptr<TestDatabase> db_;
  std::optional<PgConnection> writer_;
  engine::SnapshotHolder holder_;
  // Runs first in the publish callback, on the follower's thread.
  std::function<void(const FollowerPublication&)> on_publish_;
  std::unique_ptr<ChangeFollower> follower_;

  std::mutex mu_;
  std::vector<std::string> events_;         // guarded by mu_
  std::set<std::string> reported_users_;    // guarded by mu_
  int full_loads_ = 0;                      // guarded by mu_
  uint64_t callback_as_of_ = 0;             // guarded by mu_: the last publication's
};

TEST_F(ChangeFollowerTest, InsertsUpdatesAndDeletesBecomeVisible) {
  CreateDatabase("otter_demo");
  StartFollower();
  ExpectMatchesDatabase();  // the bulk load itself
  EXPECT_EQ(FullLoads(), 1);
  EXPECT_GT(follower_->Status().counters.last_load_rows, 0);
  EXPECT_TRUE(SawEvent("load_table table=tours")) << Events();

  const std::vector<std::string> tours = Column("SELECT id FROM tours WHERE is_active ORDER BY id LIMIT 2");
  ASSERT_EQ(tours.size(), 2u);
  const std::string leader = One("SELECT leader_id FROM tours WHERE id = '" + tours[0] + "'");
  const std::string user = One("SELECT id FROM users ORDER BY id LIMIT 1");
  const std::string schedule = One(
      "SELECT s.id FROM tour_schedules AS s WHERE NOT EXISTS "
      "(SELECT 1 FROM bookings AS b WHERE b.schedule_id = s.id) ORDER BY s.id LIMIT 1");
  constexpr char kNew1[] = "50000000-0000-4000-8000-000000000001";
  constexpr char kNew2[] = "50000000-0000-4000-8000-000000000002";

  // A tour moves and is renamed; a leader's languages and traits change; a
  // tour is soft-deleted; two tours appear; a schedule goes; a user takes
  // the quiz again.
  Run("UPDATE tours SET coordinates = ST_SetSRID(ST_MakePoint(-70.65, -33.45), 4326)::geography, "
      "title = 'Quetzalcoatl lookout' WHERE id = '" + tours[0] + "'");
  Run("BEGIN; DELETE FROM leader_languages WHERE leader_id = '" + leader + "'; INSERT INTO leader_languages VALUES ('" +
      leader + "', 'eu', 'fluent'), ('" + leader + "', 'ja', 'basic'); COMMIT");
  Run("UPDATE tour_leaders SET personality_traits = '{\"social\": 0.9, \"stargazing\": 0.25}' WHERE id = '" +
      leader + "'");
  Run("UPDATE tours SET is_active = false WHERE id = '" + tours[1] + "'");
  for (const char* id : {kNew1, kNew2}) {
    Run(absl::StrCat("INSERT INTO tours (id, leader_id, title, slug, category, price, coordinates) VALUES ('", id,
                     "', '", leader, "', 'Xylophone harbour walk ", id, "', 'xylophone-", id, "', 'music', 42.5, ",
                     "ST_SetSRID(ST_MakePoint(151.2, -33.86), 4326)::geography)"));
  }
  Run("DELETE FROM tour_schedules WHERE id = '" + schedule + "'");
  Run("INSERT INTO user_quiz_results (user_id, traits) VALUES ('" + user +
      "', '{\"nature\": 0.7, \"stargazing\": 1}')");
  WaitForEverything();
  Run(absl::StrCat("DELETE FROM tours WHERE id = '", kNew2, "'"));  // after the follower has seen it
  WaitForEverything();

  ExpectMatchesDatabase();
  // The same, spelled out for a few of the changes.
  std::shared_ptr<const engine::Snapshot> snap = holder_.Acquire();
  const engine::Catalog& catalog = snap->catalog();
  const std::optional<uint32_t> moved = catalog.FindTour(*Uuid::Parse(tours[0]));
  ASSERT_TRUE(moved.has_value());
  EXPECT_DOUBLE_EQ(catalog.tour(*moved)->location->lat, -33.45);
  EXPECT_FALSE(catalog.TourMatchable(*catalog.FindTour(*Uuid::Parse(tours[1]))));
  const std::optional<uint32_t> gone = catalog.FindTour(*Uuid::Parse(kNew2));
  EXPECT_TRUE(!gone.has_value() || catalog.tour(*gone) == nullptr);
  EXPECT_FALSE(catalog.FindScheduleTour(*Uuid::Parse(schedule)).has_value());
  ASSERT_NE(snap->user_traits(*Uuid::Parse(user)), nullptr);
  EXPECT_TRUE(Reported(user)) << "the publication names the user whose traits changed";
}

TEST_F(ChangeFollowerTest, ConcurrentWritersCommittingOutOfOrderConverge) {
  CreateDatabase("otter_demo");
  StartFollower();
  const std::vector<std::string> tours = Column("SELECT id FROM tours");
  const std::vector<std::string> leaders = Column("SELECT id FROM tour_leaders");
  const std::vector<std::string> users = Column("SELECT id FROM users");
  ASSERT_FALSE(tours.empty() || leaders.empty() || users.empty());
  const uint32_t seed = std::random_device{}();
  SCOPED_TRACE(::testing::Message() << "seed " << seed);

  constexpr int kWriters = 8;
  constexpr int kTransactionsPerWriter = 25;
  std::vector<std::set<std::string>> committed_users(kWriters);  // whose quiz results each writer committed
  std::atomic<int> commits{0};
  auto write = [&](int w) {
    std::mt19937 rng(seed + static_cast<uint32_t>(w));
    absl::StatusOr<PgConnection> conn = db_->Connect();
    if (!conn.ok()) {
      ADD_FAILURE() << conn.status();
      return;
    }
    auto pick = [&](const std::vector<std::string>& v) { return v[rng() % v.size()]; };
    for (int t = 0; t < kTransactionsPerWriter; ++t) {
      std::set<std::string> mine;
      bool ok = conn->Exec("BEGIN").ok();
      const int ops = 1 + static_cast<int>(rng() % 3);
      for (int op = 0; ok && op < ops; ++op) {
        absl::StatusOr<PgResult> r;
        switch (rng() % 7) {
          case 0:
            r = conn->Exec("UPDATE tours SET price = price + 1, is_active = NOT is_active WHERE id = $1", {pick(tours)});
            break;
          case 1:
            r = conn->Exec("UPDATE tour_leaders SET bio = $2, personality_traits = $3::jsonb WHERE id = $1",
                           {pick(leaders), absl::StrCat("bio ", rng()),
                            absl::StrCat("{\"social\": 0.", rng() % 10, ", \"trait", rng() % 5, "\": 0.", rng() % 10, "}")});
            break;
          case 2:
            r = conn->Exec("INSERT INTO leader_specialties VALUES ($1, $2) ON CONFLICT DO NOTHING",
                           {pick(leaders), absl::StrCat("spec", rng() % 50)});
            break;
          case 3:
            r = conn->Exec(
                "INSERT INTO tour_schedules (tour_id, start_date, end_date, max_participants) "
                "VALUES ($1, '2027-06-01', '2027-06-03', 9)",
                {pick(tours)});
            break;
          case 4:
            r = conn->Exec(
                "DELETE FROM tour_schedules WHERE id = (SELECT id FROM tour_schedules WHERE tour_id = $1 "
                "AND start_date = '2027-06-01' ORDER BY id LIMIT 1)",
                {pick(tours)});
            break;
          case 5:
            r = conn->Exec("UPDATE tours SET coordinates = ST_SetSRID(ST_MakePoint($2::float8, $3::float8), 4326) "
                           "WHERE id = $1",
                           {pick(tours), absl::StrCat(static_cast<int>(rng() % 360) - 180),
                            absl::StrCat(static_cast<int>(rng() % 170) - 85)});
            break;
          default: {
            const std::string id = pick(users);
            r = conn->Exec("INSERT INTO user_quiz_results (user_id, traits) VALUES ($1, $2::jsonb)",
                           {id, absl::StrCat("{\"social\": 0.", rng() % 10, "}")});
            if (r.ok()) mine.insert(id);
            break;
          }
        }
        ok = r.ok();  // deadlocks roll the transaction back
        std::this_thread::sleep_for(std::chrono::microseconds(rng() % 2000));
      }
      // Commit after a random pause: commits land out of xid order.
      std::this_thread::sleep_for(std::chrono::microseconds(rng() % 5000));
      if (ok && rng() % 5 != 0 && conn->Exec("COMMIT").ok()) {
        committed_users[static_cast<size_t>(w)].insert(mine.begin(), mine.end());
        ++commits;
      } else {
        (void)conn->Exec("ROLLBACK");
      }
    }
  };
  std::vector<std::thread> threads;
  for (int w = 0; w < kWriters; ++w) threads.emplace_back(write, w);
  for (std::thread& t : threads) t.join();
  ASSERT_GT(commits.load(), 0);

  WaitForEverything();
  ExpectMatchesDatabase();
  const FollowerStatus status = follower_->Status();
  EXPECT_EQ(status.counters.reloads, 0u);
  EXPECT_GT(status.counters.notifications, 0u);
  std::set<std::string> expected_users;
  for (const std::set<std::string>& users : committed_users) expected_users.insert(users.begin(), users.end());
  for (const std::string& user : expected_users) EXPECT_TRUE(Reported(user)) << user;
}

TEST_F(ChangeFollowerTest, RolledBackTransactionLeavesNoTrace) {
  CreateDatabase("otter_demo");
  StartFollower();
  const uint64_t start = follower_->Status().as_of;
  const std::string tour = One("SELECT id FROM tours ORDER BY id LIMIT 1");
  const std::string user = One("SELECT id FROM users ORDER BY id LIMIT 1");
  Run("BEGIN; UPDATE tours SET price = 1, title = 'Never committed' WHERE id = '" + tour +
      "'; INSERT INTO user_quiz_results (user_id, traits) VALUES ('" + user + "', '{\"social\": 0.1}'); ROLLBACK");
  Run("UPDATE tours SET price = price + 3 WHERE id = (SELECT id FROM tours ORDER BY id DESC LIMIT 1)");
  WaitForEverything();
  ExpectMatchesDatabase();
  // Exactly the committed transaction's log rows were applied.
  const std::string logged = One(absl::StrCat("SELECT count(*) FROM otter_change_log WHERE xid >= '", start, "'"));
  EXPECT_EQ(absl::StrCat(follower_->Status().counters.log_rows), logged);
  EXPECT_FALSE(Reported(user));
}

TEST_F(ChangeFollowerTest, TerminatedBackendDegradesThenCatchesUp) {
  CreateDatabase("otter_demo");
  ChangeFollowerOptions options;
  options.reconnect_min = milliseconds(200);  // long enough to be seen degraded
  StartFollower(options);
  const std::vector<std::string> tours = Column("SELECT id FROM tours ORDER BY id LIMIT 2");
  ASSERT_EQ(tours.size(), 2u);
  Run("UPDATE tours SET price = price + 1 WHERE id = '" + tours[0] + "'");
  WaitForEverything();

  EXPECT_EQ(One("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'otterd-follower' "
                "AND datname = current_database()"),
            "1");
  EXPECT_EQ(One("SELECT bool_and(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE application_name = 'otterd-follower' AND datname = current_database()"),
            "t");
  // Written while the follower is away: found by the catch-up after it reconnects.
  Run("UPDATE tours SET title = 'Written while away' WHERE id = '" + tours[1] + "'");
  ASSERT_TRUE(WaitUntil([&] { return follower_->Status().state == FollowerState::kDegraded; }, kSettle))
      << Events();
  EXPECT_THAT(follower_->Status().detail, HasSubstr("retrying in"));
  ASSERT_NE(holder_.Acquire(), nullptr) << "the last Snapshot keeps serving";
  WaitForEverything();
  EXPECT_EQ(follower_->Status().state, FollowerState::kReady);
  const FollowerStatus status = follower_->Status();
  EXPECT_GE(status.counters.reconnects, 1u);
  EXPECT_EQ(status.counters.reloads, 0u) << "the log still holds the rows: no reload";
  ExpectMatchesDatabase();
}

TEST_F(ChangeFollowerTest, ServerRestartDegradesThenCatchesUp) {
  CreateDatabase("otter_demo");
  ChangeFollowerOptions options;
  options.reconnect_min = milliseconds(50);
  options.reconnect_max = milliseconds(400);
  StartFollower(options);
  absl::StatusOr<std::string> dir = otter::testing::TestClusterDir();
  ASSERT_TRUE(dir.ok()) << dir.status();
  const std::string restart = absl::StrCat("'", OTTER_SOURCE_DIR, "/scripts/pg-cluster' restart '", *dir, "'");
  ASSERT_EQ(std::system(restart.c_str()), 0) << restart;
  ASSERT_TRUE(WaitUntil([&] { return follower_->Status().counters.failures > 0; }, kSettle)) << Events();
  Reconnect();
  Run("UPDATE tours SET title = 'After the restart' WHERE id = (SELECT id FROM tours ORDER BY id LIMIT 1)");
  Run("INSERT INTO user_quiz_results (user_id, traits) "
      "VALUES ((SELECT id FROM users ORDER BY id LIMIT 1), '{\"history\": 0.8}')");
  WaitForEverything();
  EXPECT_EQ(follower_->Status().state, FollowerState::kReady);
  EXPECT_GE(follower_->Status().counters.reconnects, 1u);
  EXPECT_TRUE(SawEvent("reconnected")) << Events();
  ExpectMatchesDatabase();
}

TEST_F(ChangeFollowerTest, MissedNotificationIsAppliedByTheSafetyTimer) {
  CreateDatabase("otter_demo");
  ChangeFollowerOptions options;
  options.listen = false;  // every notification is missed
  options.safety_interval = milliseconds(200);
  StartFollower(options);
  Run("UPDATE tour_leaders SET display_name = 'Found by the timer' WHERE id = "
      "(SELECT id FROM tour_leaders ORDER BY id LIMIT 1)");
  WaitForEverything();
  ExpectMatchesDatabase();
  EXPECT_EQ(follower_->Status().counters.notifications, 0u);
}

// Hand-made rows in an empty schema.
constexpr char kUser1[] = "10000000-0000-4000-8000-000000000001";
constexpr char kUser2[] = "10000000-0000-4000-8000-000000000002";
constexpr char kLeader1[] = "20000000-0000-4000-8000-000000000001";
constexpr char kTour1[] = "30000000-0000-4000-8000-000000000001";
constexpr char kTour2[] = "30000000-0000-4000-8000-000000000002";

// A user with quiz traits leading two tours with schedules, and another user.
std::string SmallCatalogSql() {
  return absl::StrCat(
      "INSERT INTO users (id, email, username, password_hash) VALUES "
      "('", kUser1, "', 'a@example.test', 'a', 'h'), ('", kUser2, "', 'b@example.test', 'b', 'h');"
      "INSERT INTO tour_leaders (id, user_id, display_name, personality_traits) VALUES "
      "('", kLeader1, "', '", kUser1, "', 'Ana', '{\"nature\": 0.8}');"
      "INSERT INTO leader_languages VALUES ('", kLeader1, "', 'es', 'native');"
      "INSERT INTO tours (id, leader_id, title, slug, category, price, coordinates) VALUES "
      "('", kTour1, "', '", kLeader1, "', 'Kayak tour', 'kayak', 'water', 10, "
      "ST_SetSRID(ST_MakePoint(-3.7, 40.4), 4326)::geography), "
      "('", kTour2, "', '", kLeader1, "', 'Food walk', 'food-walk', 'food', 20, NULL);"
      "INSERT INTO tour_schedules (tour_id, start_date, end_date, max_participants) VALUES "
      "('", kTour1, "', '2027-01-01', '2027-01-02', 5), ('", kTour2, "', '2027-02-01', '2027-02-01', 8);"
      "INSERT INTO user_quiz_results (user_id, traits) VALUES "
      "('", kUser1, "', '{\"social\": 0.2}'), ('", kUser2, "', '{\"foodie\": 0.9}')");
}

TEST_F(ChangeFollowerTest, TruncateReloadsEverything) {
  CreateDatabase("otter_schema");
  Run(SmallCatalogSql());
  StartFollower();
  ASSERT_NE(holder_.Acquire()->user_traits(*Uuid::Parse(kUser1)), nullptr);
  Run(absl::StrCat("BEGIN; TRUNCATE user_quiz_results, tour_schedules CASCADE; "
                   "INSERT INTO user_quiz_results (user_id, traits) VALUES ('", kUser2, "', '{\"budget\": 0.3}'); COMMIT"));
  WaitForEverything();
  ExpectMatchesDatabase();
  EXPECT_EQ(holder_.Acquire()->user_traits(*Uuid::Parse(kUser1)), nullptr);
  EXPECT_EQ(follower_->Status().counters.reloads, 1u);
  EXPECT_TRUE(SawEvent("reload reason=truncated")) << Events();
  EXPECT_EQ(FullLoads(), 2);
}

TEST_F(ChangeFollowerTest, PruningRecordsThePositionAndRemovesTheRowsBelowIt) {
  CreateDatabase("otter_schema");
  Run(SmallCatalogSql());
  ChangeFollowerOptions options;
  options.prune_interval = milliseconds(50);
  options.consumer_name = "replica-1";
  StartFollower(options);
  Run(absl::StrCat("UPDATE tours SET price = 11 WHERE id = '", kTour1, "'"));
  Run(absl::StrCat("UPDATE tours SET price = 21 WHERE id = '", kTour2, "'"));
  WaitForEverything();
  const uint64_t as_of = follower_->Status().as_of;
  // A record at the published position, and the prune in its transaction.
  ASSERT_TRUE(WaitUntil([&] { return follower_->Status().prune_below >= as_of; }, kSettle)) << Events();

  // The database's own account: the consumer's row, the horizon, the log.
  EXPECT_GE(RecordedPosition("replica-1"), as_of);
  EXPECT_GE(ToU64(One("SELECT pruned_below FROM otter_change_log_horizon")), as_of);
  EXPECT_EQ(One(absl::StrCat("SELECT count(*) FROM otter_change_log WHERE xid < '", as_of, "'")), "0");
  EXPECT_GT(follower_->Status().counters.pruned_rows, 0u);
  // Following goes on without a reload.
  Run(absl::StrCat("UPDATE tours SET price = 12 WHERE id = '", kTour1, "'"));
  WaitForEverything();
  ExpectMatchesDatabase();
  EXPECT_EQ(follower_->Status().counters.reloads, 0u);
  EXPECT_EQ(follower_->Status().counters.prune_failures, 0u);
}

// Holds the follower's thread in its publish callback while closed. The
// tests share it with the callback and open it whatever happens (OpenAtExit).
class Gate {
 public:
  void Close() {
    std::lock_guard<std::mutex> lock(mu_);
    closed_ = true;
  }
  void Open() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      closed_ = false;
    }
    cv_.notify_all();
  }
  // The follower's side: waits while the gate is closed.
  void Pass() {
    std::unique_lock<std::mutex> lock(mu_);
    if (!closed_) return;
    waiting_ = true;
    cv_.notify_all();
    cv_.wait(lock, [&] { return !closed_; });
  }
  // Whether the follower has come to the closed gate, within `timeout`.
  bool WaitForArrival(milliseconds timeout) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return waiting_; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool closed_ = false;
  bool waiting_ = false;
};

struct OpenAtExit {
  std::shared_ptr<Gate> gate;
  ~OpenAtExit() { gate->Open(); }
};

TEST_F(ChangeFollowerTest, LogPrunedPastTheFollowerForcesAReload) {
  CreateDatabase("otter_schema");
  Run(SmallCatalogSql());
  // The follower is held after a publication, so that the log can be
  // pruned under it before it reads the next change.
  auto gate = std::make_shared<Gate>();
  on_publish_ = [gate](const FollowerPublication&) { gate->Pass(); };
  const OpenAtExit open_at_exit{gate};
  ChangeFollowerOptions options;
  options.prune_interval = milliseconds(0);  // records no position: holds nothing back
  StartFollower(options);
  gate->Close();
  Run(absl::StrCat("UPDATE tours SET price = 11 WHERE id = '", kTour1, "'"));  // becomes the anchor
  ASSERT_TRUE(gate->WaitForArrival(kSettle));
  // While the follower is held: a change, then another replica, caught up,
  // records its position and prunes past it.
  Run(absl::StrCat("UPDATE tours SET title = 'Only in a reload' WHERE id = '", kTour2, "'"));
  Run("SELECT otter_change_consumer_advance('other', pg_snapshot_xmin(pg_current_snapshot()))");
  EXPECT_NE(One("SELECT otter_change_log_prune()"), "0");
  EXPECT_EQ(One("SELECT count(*) FROM otter_change_log"), "0");
  gate->Open();
  WaitForEverything();
  ExpectMatchesDatabase();
  EXPECT_EQ(follower_->Status().counters.reloads, 1u);
  EXPECT_TRUE(SawEvent("reload reason=pruned")) << Events();
}

TEST_F(ChangeFollowerTest, TwoReplicasPruneOnlyBelowTheSlowerOnesPosition) {
  CreateDatabase("otter_schema");
  Run(SmallCatalogSql());
  auto gate = std::make_shared<Gate>();
  on_publish_ = [gate](const FollowerPublication&) { gate->Pass(); };
  const OpenAtExit open_at_exit{gate};
  ChangeFollowerOptions slow;
  slow.consumer_name = "slow";
  slow.prune_interval = milliseconds(50);
  StartFollower(slow);
  ASSERT_TRUE(WaitUntil([&] { return follower_->Status().prune_below > 0; }, kSettle)) << Events();
  // "slow" is held before it applies this change, and records nothing more.
  gate->Close();
  Run(absl::StrCat("UPDATE tours SET price = 11 WHERE id = '", kTour1, "'"));
  ASSERT_TRUE(gate->WaitForArrival(kSettle));
  const uint64_t slow_position = RecordedPosition("slow");
  ASSERT_GT(slow_position, 0u);

  engine::SnapshotHolder fast_holder;
  ChangeFollowerOptions fast;
  fast.consumer_name = "fast";
  fast.prune_interval = milliseconds(50);
  std::unique_ptr<ChangeFollower> fast_follower = StartOther(fast, fast_holder);
  Run(absl::StrCat("UPDATE tours SET price = 22 WHERE id = '", kTour2, "'"));
  Run(absl::StrCat("UPDATE tours SET title = 'Third' WHERE id = '", kTour1, "'"));
  const uint64_t position = ToU64(One("SELECT otter_change_position()"));
  ASSERT_TRUE(fast_follower->WaitForAsOf(position, kSettle));
  // "fast" has recorded a position past every change, and pruned with it.
  ASSERT_TRUE(WaitUntil([&] { return fast_follower->Status().prune_below >= position; }, kSettle))
      << fast_follower->Status().detail;
  EXPECT_EQ(RecordedPosition("slow"), slow_position);

  // Pruned below the slower position and not further: the three changes
  // "slow" has not read are all there.
  EXPECT_EQ(ToU64(One("SELECT pruned_below FROM otter_change_log_horizon")), slow_position);
  EXPECT_EQ(One(absl::StrCat("SELECT count(*) FROM otter_change_log WHERE xid < '", slow_position, "'")), "0");
  EXPECT_EQ(One(absl::StrCat("SELECT count(*) FROM otter_change_log WHERE xid >= '", slow_position, "'")), "3");

  gate->Open();
  WaitForEverything();
  ExpectMatchesDatabase();
  EXPECT_EQ(follower_->Status().counters.reloads, 0u) << Events();
  EXPECT_EQ(fast_follower->Status().counters.reloads, 0u);
  // Released, "slow" records again, moving its position forward.
  EXPECT_TRUE(WaitUntil([&] { return RecordedPosition("slow") >= position; }, kSettle));
}

TEST_F(ChangeFollowerTest, ReplicaSilentPastTheRetentionWindowIsPrunedPastAndReloads) {
  CreateDatabase("otter_schema");
  Run(SmallCatalogSql());
  auto gate = std::make_shared<Gate>();
  on_publish_ = [gate](const FollowerPublication&) { gate->Pass(); };
  const OpenAtExit open_at_exit{gate};
  ChangeFollowerOptions options;
  options.consumer_name = "silent";
  options.prune_interval = std::chrono::hours(1);  // records after its load only
  StartFollower(options);
  ASSERT_TRUE(WaitUntil([&] { return follower_->Status().prune_below > 0; }, kSettle)) << Events();
  const uint64_t recorded = RecordedPosition("silent");
  ASSERT_GT(recorded, 0u);
  gate->Close();
  Run(absl::StrCat("UPDATE tours SET price = 11 WHERE id = '", kTour1, "'"));
  ASSERT_TRUE(gate->WaitForArrival(kSettle));

  // Its last report is now older than the window (one hour by default).
  Run("UPDATE otter_change_consumers SET updated_at = clock_timestamp() - interval '2 hours' WHERE name = 'silent'");
  Run(absl::StrCat("UPDATE tours SET title = 'Only in a reload' WHERE id = '", kTour2, "'"));
  Run("SELECT otter_change_consumer_advance('other', pg_snapshot_xmin(pg_current_snapshot()))");
  // A longer window still counts it: nothing it needs goes.
  EXPECT_EQ(One("SELECT otter_change_log_prune(interval '3 hours')"), "0");
  EXPECT_NE(One("SELECT count(*) FROM otter_change_log"), "0");
  // The default one does not: the log is pruned past it.
  EXPECT_NE(One("SELECT otter_change_log_prune()"), "0");
  EXPECT_EQ(One("SELECT count(*) FROM otter_change_log"), "0");
  EXPECT_GT(ToU64(One("SELECT pruned_below FROM otter_change_log_horizon")), recorded);

  gate->Open();
  WaitForEverything();
  ExpectMatchesDatabase();
  EXPECT_EQ(follower_->Status().counters.reloads, 1u);
  EXPECT_TRUE(SawEvent("reload reason=pruned")) << Events();
  // The reload reported again: "silent" holds the log back once more.
  EXPECT_GT(RecordedPosition("silent"), recorded);
  EXPECT_EQ(One("SELECT updated_at > clock_timestamp() - interval '1 minute' FROM otter_change_consumers "
                "WHERE name = 'silent'"),
            "t");
}

TEST_F(ChangeFollowerTest, ReadOnlyRoleFollowsAndRecordsThroughTheWriterRole) {
  CreateDatabase("otter_schema");
  Run(SmallCatalogSql());
  ChangeFollowerOptions options;
  options.conninfo = RoleUrl("otter_reader");
  options.prune_conninfo = RoleUrl("otter_writer");
  options.prune_interval = milliseconds(50);
  options.consumer_name = "least-privilege";
  StartFollower(options);
  Run(absl::StrCat("UPDATE tours SET price = 13 WHERE id = '", kTour1, "'"));
  WaitForEverything();
  ExpectMatchesDatabase();
  const uint64_t as_of = follower_->Status().as_of;
  ASSERT_TRUE(WaitUntil([&] { return follower_->Status().prune_below >= as_of; }, kSettle)) << Events();
  EXPECT_GE(RecordedPosition("least-privilege"), as_of);
  EXPECT_GT(follower_->Status().counters.prunes, 0u);
  EXPECT_EQ(follower_->Status().counters.prune_failures, 0u) << Events();

  // Without a writer connection a read-only follower still follows; it
  // records no position (and so holds nothing back).
  engine::SnapshotHolder read_only_holder;
  ChangeFollowerOptions read_only;
  read_only.conninfo = RoleUrl("otter_reader");
  read_only.prune_interval = milliseconds(50);
  read_only.consumer_name = "read-only";
  std::unique_ptr<ChangeFollower> other = StartOther(read_only, read_only_holder);
  ASSERT_TRUE(WaitUntil([&] { return other->Status().counters.prune_failures > 0; }, kSettle));
  Run(absl::StrCat("UPDATE tours SET price = 14 WHERE id = '", kTour1, "'"));
  const uint64_t position = ToU64(One("SELECT otter_change_position()"));
  EXPECT_TRUE(other->WaitForAsOf(position, kSettle)) << other->Status().detail;
  EXPECT_EQ(other->Status().state, FollowerState::kReady);
  EXPECT_EQ(other->Status().prune_below, 0u);
  EXPECT_EQ(RecordedPosition("read-only"), 0u);
}

TEST_F(ChangeFollowerTest, UnreachableDatabaseIsRetriedUntilItAppears) {
  absl::StatusOr<std::string> cluster = otter::testing::TestClusterUrl();
  ASSERT_TRUE(cluster.ok()) << cluster.status();
  const std::string name = absl::StrCat("follower_late_", std::random_device{}() % 1000000);
  absl::StatusOr<PgConnection> admin = PgConnection::Connect(*cluster + "postgres");
  ASSERT_TRUE(admin.ok()) << admin.status();

  ChangeFollowerOptions options;
  options.conninfo = *cluster + name;
  options.reconnect_min = milliseconds(20);
  options.reconnect_max = milliseconds(100);
  follower_ = std::make_unique<ChangeFollower>(options, holder_);
  ASSERT_TRUE(follower_->Start().ok());
  ASSERT_TRUE(WaitUntil([&] { return follower_->Status().counters.failures >= 2; }, kSettle));
  FollowerStatus status = follower_->Status();
  EXPECT_EQ(status.state, FollowerState::kLoading);
  EXPECT_THAT(status.detail, HasSubstr("connect_failed"));
  EXPECT_THAT(status.detail, HasSubstr(name));
  EXPECT_EQ(holder_.Acquire(), nullptr);

  ASSERT_TRUE(admin->Exec(absl::StrCat("CREATE DATABASE ", name, " TEMPLATE otter_schema")).ok());
  EXPECT_TRUE(WaitUntil([&] { return follower_->Status().state == FollowerState::kReady; }, kSettle))
      << follower_->Status().detail;
  EXPECT_NE(holder_.Acquire(), nullptr);
  follower_->Stop();
  (void)admin->Exec(absl::StrCat("DROP DATABASE IF EXISTS ", name, " WITH (FORCE)"));
}

TEST_F(ChangeFollowerTest, InvalidOptionsNameTheOptionAndStopIsAlwaysSafe) {
  ChangeFollower never_started(ChangeFollowerOptions{}, holder_);
  never_started.Stop();
  never_started.Stop();

  ChangeFollower empty(ChangeFollowerOptions{}, holder_);
  absl::Status status = empty.Start();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("conninfo"));
  empty.Stop();

  ChangeFollowerOptions options;
  options.conninfo = "host=localhost";
  options.reconnect_min = milliseconds(500);
  options.reconnect_max = milliseconds(100);
  ChangeFollower backwards(options, holder_);
  status = backwards.Start();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("reconnect_max"));

  options = ChangeFollowerOptions{};
  options.conninfo = "host=localhost";
  options.consumer_name = "";
  ChangeFollower unnamed(options, holder_);
  status = unnamed.Start();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("consumer_name"));

  options = ChangeFollowerOptions{};
  options.conninfo = "postgresql://[bad";
  ChangeFollower unparsable(options, holder_);
  status = unparsable.Start();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("conninfo"));

  CreateDatabase("otter_schema");
  Run(SmallCatalogSql());
  StartFollower();
  status = follower_->Start();
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  follower_->Stop();
  follower_->Stop();
  EXPECT_EQ(follower_->Status().detail, "stopped");
  EXPECT_TRUE(WaitUntil(
      [&] {
        return One("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'otterd-follower' "
                   "AND datname = current_database()") == "0";
      },
      kSettle))
      << "the follower's connection is closed";
}

}  // namespace
}  // namespace otter::loader
