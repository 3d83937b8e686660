// The search recorder against a real PostgreSQL: searches reach the tables
// while it runs; with the table locked or the database unreachable,
// Record() still returns and every search is either written or counted as
// dropped.

#include "server/search_recorder.h"

#include <unistd.h>

#include <chrono>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "tests/support/test_database.h"

namespace otter::server {
namespace {

using otter::testing::TestDatabase;
using ::testing::HasSubstr;

int64_t Scalar(loader::PgConnection& conn, const std::string& sql) {
  absl::StatusOr<loader::PgResult> r = conn.Exec(sql);
  EXPECT_TRUE(r.ok()) << r.status() << "\n" << sql;
  int64_t value = -1;
  if (r.ok() && r->rows() == 1) {
    EXPECT_TRUE(absl::SimpleAtoi(std::string(r->Get(0, 0)), &value));
  }
  return value;
}

// Polls `done` until it holds; false after a generous limit (a stuck
// recorder, not a slow one, fails the test).
bool Eventually(const std::function<bool()>& done) {
  for (int i = 0; i < 3000; ++i) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return done();
}

SearchRecord MakeRecord(int i) {
  SearchRecord record;
  record.search_type = i % 3 == 0 ? "leaders" : "tours";
  record.query = absl::StrCat("Query ", i % 7);
  record.results_count = static_cast<uint64_t>(i);
  record.took_us = 1;
  return record;
}

uint64_t Accounted(const SearchRecorderStats& s) {
  return s.written + s.dropped_queue_full + s.dropped_invalid + s.dropped_write_failed;
}

// A URL of a local port that nothing listens on: bound, then closed.
std::string ClosedPortUrl() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof addr;
  EXPECT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  EXPECT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &length), 0);
  close(fd);
  return absl::StrCat("postgresql://postgres@127.0.0.1:", ntohs(addr.sin_port),
                      "/otter?connect_timeout=5");
}

class SearchRecorderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = TestDatabase::Create();
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = *std::move(db);
    conn_ = Connect();
  }

  std::optional<loader::PgConnection> Connect() {
    auto conn = db_->Connect();
    EXPECT_TRUE(conn.ok()) << conn.status();
    if (!conn.ok()) return std::nullopt;
    return *std::move(conn);
  }

  PgSearchRecorderOptions Options() {
    PgSearchRecorderOptions options;
    options.conninfo = db_->url();
    options.flush_interval = absl::Milliseconds(10);
    options.statement_timeout = absl::Seconds(60);
    options.min_backoff = absl::Milliseconds(10);
    return options;
  }

  std::unique_ptr<PgSearchRecorder> StartRecorder(PgSearchRecorderOptions options) {
    auto recorder = PgSearchRecorder::Start(std::move(options));
    EXPECT_TRUE(recorder.ok()) << recorder.status();
    return recorder.ok() ? *std::move(recorder) : nullptr;
  }

  int64_t HistoryRows() { return Scalar(*conn_, "SELECT count(*) FROM search_history"); }
  int64_t PopularCount() {
    return Scalar(*conn_, "SELECT coalesce(sum(search_count), 0) FROM popular_searches");
  }

  std::unique_ptr<TestDatabase> db_;
  std::optional<loader::PgConnection> conn_;
};

TEST_F(SearchRecorderTest, RecordsReachTheTablesWhileItRuns) {
  std::unique_ptr<PgSearchRecorder> recorder = StartRecorder(Options());
  ASSERT_NE(recorder, nullptr);
  const auto before = std::chrono::system_clock::now();
  for (int i = 0; i < 25; ++i) recorder->Record(MakeRecord(i));
  const auto after = std::chrono::system_clock::now();

  ASSERT_TRUE(Eventually([&] { return recorder->stats().written == 25; }))
      << recorder->stats().last_error;
  EXPECT_EQ(HistoryRows(), 25);
  EXPECT_EQ(PopularCount(), 25);
  // Each row carries the time it was recorded.
  const auto micros = [](std::chrono::system_clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
  };
  EXPECT_GE(
      Scalar(*conn_,
             "SELECT (extract(epoch FROM min(created_at)) * 1000000)::bigint FROM search_history"),
      micros(before));
  EXPECT_LE(
      Scalar(*conn_,
             "SELECT (extract(epoch FROM max(created_at)) * 1000000)::bigint FROM search_history"),
      micros(after));

  recorder->Stop();
  const SearchRecorderStats s = recorder->stats();
  EXPECT_EQ(s.recorded, 25u);
  EXPECT_EQ(s.written, 25u);
  EXPECT_EQ(Accounted(s), 25u);
  EXPECT_EQ(s.errors, 0u);
  EXPECT_GE(s.batches, 1u);
}

TEST_F(SearchRecorderTest, ALockedTableNeverBlocksRecordAndEveryDropIsCounted) {
  PgSearchRecorderOptions options = Options();
  options.capacity = 100;
  options.batch_size = 50;
  std::unique_ptr<PgSearchRecorder> recorder = StartRecorder(options);
  ASSERT_NE(recorder, nullptr);

  std::optional<loader::PgConnection> locker = Connect();
  ASSERT_TRUE(locker->Exec("BEGIN").ok());
  ASSERT_TRUE(locker->Exec("LOCK TABLE search_history IN ACCESS EXCLUSIVE MODE").ok());
  // Wait until the recorder's thread is stuck behind the lock.
  recorder->Record(MakeRecord(0));
  ASSERT_TRUE(Eventually([&] {
    return Scalar(*conn_,
                  "SELECT count(*) FROM pg_locks"
                  " WHERE relation = 'search_history'::regclass AND NOT granted") > 0;
  }));

  constexpr int kThreads = 4;
  constexpr int kPerThread = 1250;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&recorder, t] {
      for (int i = 0; i < kPerThread; ++i) recorder->Record(MakeRecord(t * kPerThread + i));
    });
  }
  for (std::thread& thread : threads) thread.join();
  // All of them returned with the lock still held: at most `capacity` wait.
  SearchRecorderStats s = recorder->stats();
  EXPECT_EQ(s.recorded, 1u + kThreads * kPerThread);
  EXPECT_GE(s.dropped_queue_full, uint64_t{kThreads * kPerThread} - options.capacity);
  EXPECT_LE(s.queued, options.capacity);
  EXPECT_EQ(s.written, 0u);

  ASSERT_TRUE(locker->Exec("ROLLBACK").ok());
  recorder->Stop();
  s = recorder->stats();
  EXPECT_EQ(Accounted(s), s.recorded);
  EXPECT_GE(s.written, 1u);
  EXPECT_EQ(HistoryRows(), static_cast<int64_t>(s.written));
  EXPECT_EQ(PopularCount(), static_cast<int64_t>(s.written));
}

TEST_F(SearchRecorderTest, AnUnreachableDatabaseNeverBlocksRecordAndDropsAreCounted) {
  PgSearchRecorderOptions options = Options();
  options.conninfo = ClosedPortUrl();
  options.capacity = 1000;
  std::unique_ptr<PgSearchRecorder> recorder = StartRecorder(options);
  ASSERT_NE(recorder, nullptr);
  for (int i = 0; i < 3000; ++i) recorder->Record(MakeRecord(i));
  recorder->Stop();

  const SearchRecorderStats s = recorder->stats();
  EXPECT_EQ(s.recorded, 3000u);
  EXPECT_EQ(s.written, 0u);
  EXPECT_GT(s.dropped_write_failed, 0u);
  EXPECT_EQ(Accounted(s), 3000u);
  EXPECT_GE(s.errors, 1u);
  EXPECT_THAT(s.last_error, HasSubstr("cannot connect"));
}

TEST_F(SearchRecorderTest, StopWritesWhatIsQueuedAndIsSafeTwice) {
  PgSearchRecorderOptions options = Options();
  options.flush_interval = absl::Hours(1);
  std::unique_ptr<PgSearchRecorder> recorder = StartRecorder(options);
  ASSERT_NE(recorder, nullptr);
  for (int i = 0; i < 10; ++i) recorder->Record(MakeRecord(i));
  EXPECT_EQ(recorder->stats().queued, 10u);

  recorder->Stop();
  EXPECT_EQ(HistoryRows(), 10);
  recorder->Stop();
  recorder->Record(MakeRecord(10));  // after Stop(): counted, not queued
  const SearchRecorderStats s = recorder->stats();
  EXPECT_EQ(s.recorded, 11u);
  EXPECT_EQ(s.written, 10u);
  EXPECT_EQ(s.dropped_queue_full, 1u);
  EXPECT_EQ(s.queued, 0u);
  EXPECT_EQ(HistoryRows(), 10);
}

TEST_F(SearchRecorderTest, ReconnectsAfterTheConnectionIsLost) {
  std::unique_ptr<PgSearchRecorder> recorder = StartRecorder(Options());
  ASSERT_NE(recorder, nullptr);
  recorder->Record(MakeRecord(0));
  ASSERT_TRUE(Eventually([&] { return recorder->stats().written == 1; }));

  ASSERT_EQ(Scalar(*conn_,
                   "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                   " WHERE application_name = 'otterd search recorder'"
                   " AND datname = current_database()"),
            1);
  // The first write on the dead connection fails; a later one reconnects.
  int next = 1;
  ASSERT_TRUE(Eventually([&] {
    recorder->Record(MakeRecord(next++));
    return recorder->stats().written >= 2;
  })) << recorder->stats().last_error;
  recorder->Stop();

  const SearchRecorderStats s = recorder->stats();
  EXPECT_GE(s.errors, 1u);
  EXPECT_GE(s.dropped_write_failed, 1u);
  EXPECT_EQ(Accounted(s), s.recorded);
  EXPECT_EQ(HistoryRows(), static_cast<int64_t>(s.written));
}

TEST_F(SearchRecorderTest, ARefusedWriteDropsItsBatchAndIsCounted) {
  // A role without otter_writer: it connects, and every write is refused.
  const std::string role = absl::StrCat(db_->name(), "_nobody");
  ASSERT_TRUE(conn_->Exec(absl::StrCat("CREATE ROLE ", role, " LOGIN")).ok());
  PgSearchRecorderOptions options = Options();
  options.conninfo = absl::StrCat(db_->url(), "?user=", role);
  std::unique_ptr<PgSearchRecorder> recorder = StartRecorder(options);
  ASSERT_NE(recorder, nullptr);
  for (int i = 0; i < 100; ++i) recorder->Record(MakeRecord(i));
  recorder->Stop();

  const SearchRecorderStats s = recorder->stats();
  EXPECT_EQ(s.written, 0u);
  EXPECT_EQ(s.dropped_write_failed, 100u);
  EXPECT_GE(s.errors, 1u);
  EXPECT_THAT(s.last_error, HasSubstr("permission denied for table popular_searches"));
  EXPECT_EQ(HistoryRows(), 0);
  recorder.reset();
  EXPECT_TRUE(conn_->Exec(absl::StrCat("DROP ROLE ", role)).ok());
}

TEST_F(SearchRecorderTest, DropsARecordOfAnUnknownSearchType) {
  std::unique_ptr<PgSearchRecorder> recorder = StartRecorder(Options());
  ASSERT_NE(recorder, nullptr);
  SearchRecord bad = MakeRecord(0);
  bad.search_type = "bookings";
  recorder->Record(std::move(bad));
  recorder->Record(MakeRecord(1));
  recorder->Stop();
  const SearchRecorderStats s = recorder->stats();
  EXPECT_EQ(s.dropped_invalid, 1u);
  EXPECT_EQ(s.written, 1u);
  EXPECT_EQ(Scalar(*conn_, "SELECT count(*) FROM search_history WHERE search_type = 'tours'"), 1);
}

TEST(PgSearchRecorderOptionsTest, RejectsOutOfRangeOptionsNamingThem) {
  const auto error = [](void (*change)(PgSearchRecorderOptions&)) {
    PgSearchRecorderOptions options;
    options.conninfo = "postgresql://127.0.0.1/x";
    change(options);
    absl::StatusOr<std::unique_ptr<PgSearchRecorder>> r = PgSearchRecorder::Start(options);
    EXPECT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
    return std::string(r.status().message());
  };
  EXPECT_THAT(error([](auto& o) { o.conninfo.clear(); }), HasSubstr("conninfo"));
  EXPECT_THAT(error([](auto& o) { o.capacity = 0; }), HasSubstr("capacity"));
  EXPECT_THAT(error([](auto& o) { o.batch_size = 0; }), HasSubstr("batch_size"));
  EXPECT_THAT(error([](auto& o) { o.flush_interval = absl::ZeroDuration(); }),
              HasSubstr("flush_interval"));
  EXPECT_THAT(error([](auto& o) { o.statement_timeout = -absl::Seconds(1); }),
              HasSubstr("statement_timeout"));
  EXPECT_THAT(error([](auto& o) { o.min_backoff = absl::ZeroDuration(); }),
              HasSubstr("min_backoff"));
  EXPECT_THAT(error([](auto& o) { o.max_backoff = absl::Milliseconds(1); }),
              HasSubstr("max_backoff (1ms) must not be below min_backoff (100ms)"));
  EXPECT_THAT(error([](auto& o) { o.stop_timeout = -absl::Seconds(1); }),
              HasSubstr("stop_timeout"));
}

}  // namespace
}  // namespace otter::server
