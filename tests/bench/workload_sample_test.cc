// Sampling the benchmarks' queries from the demo data of the test cluster.

#include <cmath>
#include <string>

#include "absl/strings/numbers.h"
#include "bench/load/workload_sample.h"
#include "gtest/gtest.h"
#include "loader/pg_connection.h"
#include "tests/support/test_database.h"

namespace otter::load {
namespace {

using loader::PgConnection;
using loader::PgResult;
using testing::TestDatabase;

class WorkloadSampleTest : public otter::testing::DemoDatabaseTest {
 protected:
  // The single row `sql` returns for the one parameter `id`.
  std::vector<std::string> Row(const std::string& sql, const std::string& id) {
    absl::StatusOr<PgResult> r = conn_->Exec(sql, {id});
    EXPECT_TRUE(r.ok()) << sql << ": " << r.status();
    if (!r.ok() || r->rows() != 1) return {};
    std::vector<std::string> row;
    for (int c = 0; c < r->columns(); ++c) row.emplace_back(r->Get(0, c));
    return row;
  }

};

TEST_F(WorkloadSampleTest, SampledRowsAreTheDatabasesUsableOnes) {
  SampleSizes sizes;
  sizes.tours = 50;
  sizes.users = 20;
  sizes.leaders = 10;
  absl::StatusOr<WorkloadSample> sample = SampleWorkload(*conn_, sizes);
  ASSERT_TRUE(sample.ok()) << sample.status();
  ASSERT_EQ(sample->tours.size(), 50u);
  ASSERT_EQ(sample->user_ids.size(), 20u);
  ASSERT_EQ(sample->leader_ids.size(), 10u);
  for (const TourSample& tour : sample->tours) {
    const std::vector<std::string> row = Row(
        "SELECT t.is_active AND l.is_active, ST_Y(t.coordinates::geometry), "
        "ST_X(t.coordinates::geometry), "
        "t.category, t.price::text, t.title FROM tours t JOIN tour_leaders l ON l.id = t.leader_id "
        "WHERE t.id = $1",
        tour.id);
    ASSERT_EQ(row.size(), 6u) << tour.id;
    EXPECT_EQ(row[0], "t") << tour.id;
    double lat = 0, lon = 0;
    ASSERT_TRUE(absl::SimpleAtod(row[1], &lat));
    ASSERT_TRUE(absl::SimpleAtod(row[2], &lon));
    EXPECT_EQ(tour.lat, lat);
    EXPECT_EQ(tour.lon, lon);
    EXPECT_EQ(tour.category, row[3]);
    EXPECT_EQ(tour.price, row[4]);
    std::vector<std::string> title_words;
    AppendWords(row[5], &title_words);
    ASSERT_GE(tour.words.size(), title_words.size());
    EXPECT_TRUE(std::equal(title_words.begin(), title_words.end(), tour.words.begin())) << row[5];
  }
  for (const std::string& user : sample->user_ids) {
    EXPECT_EQ(Row("SELECT count(*) FROM user_current_traits WHERE user_id = $1", user),
              std::vector<std::string>{"1"});
  }
  for (const std::string& leader : sample->leader_ids) {
    EXPECT_EQ(Row("SELECT is_active FROM tour_leaders WHERE id = $1", leader),
              std::vector<std::string>{"t"});
  }
}

TEST_F(WorkloadSampleTest, TheSeedChoosesTheSampleAndTheSizeIsCappedByTheData) {
  SampleSizes sizes;
  sizes.tours = 30;
  auto ids = [&](const SampleSizes& s) {
    absl::StatusOr<WorkloadSample> sample = SampleWorkload(*conn_, s);
    EXPECT_TRUE(sample.ok()) << sample.status();
    std::vector<std::string> out;
    if (sample.ok()) {
      for (const TourSample& t : sample->tours) out.push_back(t.id);
    }
    return out;
  };
  const std::vector<std::string> first = ids(sizes);
  EXPECT_EQ(ids(sizes), first);
  sizes.seed = 2;
  EXPECT_NE(ids(sizes), first);

  sizes.tours = 1'000'000;
  absl::StatusOr<PgResult> usable = conn_->Exec(
      "SELECT count(*) FROM tours t JOIN tour_leaders l ON l.id = t.leader_id "
      "WHERE t.is_active AND l.is_active AND t.coordinates IS NOT NULL");
  ASSERT_TRUE(usable.ok()) << usable.status();
  EXPECT_EQ(std::to_string(ids(sizes).size()), usable->Get(0, 0));
}

TEST(WorkloadSampleEmptyTest, AnEmptyDatabaseIsRefusedByName) {
  auto db = TestDatabase::Create("otter_schema");
  ASSERT_TRUE(db.ok()) << db.status();
  auto conn = (*db)->Connect();
  ASSERT_TRUE(conn.ok()) << conn.status();
  absl::StatusOr<WorkloadSample> sample = SampleWorkload(*conn, SampleSizes{});
  EXPECT_EQ(sample.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(sample.status().message(),
            "tours: no active tour of an active leader has coordinates; generate data first");
}

}  // namespace
}  // namespace otter::load
