// The planner picks the source cheapest to drive on hand-built catalogs,
// and explain shows it.

#include "engine/query/planner.h"

#include <memory>
#include <string>

#include "engine/engine_writer.h"
#include "engine/query/executor.h"
#include "gtest/gtest.h"
#include "tests/engine/query/query_test_data.h"

namespace otter::engine::query {
namespace {

using testing_data::LeaderId;
using testing_data::TourId;

TEST(PlannerTest, ChooseDriverTakesTheLeastWork) {
  EXPECT_EQ(ChooseDriver({{Source::kText, 5400, 10800}, {Source::kGeo, 800, 800},
                          {Source::kAll, 1e6, 1e6}})
                .driver,
            Source::kGeo);
  EXPECT_EQ(ChooseDriver({{Source::kText, 3, 6}, {Source::kFilters, 800, 1e6}}).driver,
            Source::kText);
  // Fewer candidates, but a scan of every document to find them.
  EXPECT_EQ(ChooseDriver({{Source::kGeo, 5000, 5000}, {Source::kFilters, 20, 1e6}}).driver,
            Source::kGeo);
  EXPECT_EQ(ChooseDriver({{Source::kAll, 10, 10}}).driver, Source::kAll);
}

TEST(PlannerTest, DriverWorkCountsTheDocumentsRead) {
  EXPECT_EQ(DriverWork(Source::kText, 100, 1'000'000), 200);
  EXPECT_EQ(DriverWork(Source::kGeo, 100, 1'000'000), 100);
  EXPECT_EQ(DriverWork(Source::kFilters, 100, 1'000'000), 1'000'000);
  EXPECT_EQ(DriverWork(Source::kAll, 1'000'000, 1'000'000), 1'000'000);
}

// 2,000 tours: all in Lisbon but 10 in Kyoto; all "kayak" but 5 "volcano";
// half in category water, 20 in category food.
std::shared_ptr<const Snapshot> BuildSkewed() {
  EngineWriterOptions options;
  options.background_merge = false;
  EngineWriter writer(options);
  LeaderRecord leader;
  leader.id = LeaderId(1);
  leader.display_name = "Ana";
  EXPECT_TRUE(writer.UpsertLeader(leader).ok());
  for (int n = 0; n < 2000; ++n) {
    TourRecord tour;
    tour.id = TourId(n);
    tour.leader_id = LeaderId(1);
    tour.title = n < 5 ? "volcano walk" : "kayak trip";
    tour.category = n < 20 ? "food" : (n % 2 == 0 ? "water" : "culture");
    tour.price_cents = 5000;
    tour.currency = "EUR";
    tour.location = n >= 1990 ? LatLon{35.01, 135.77} : LatLon{38.72 + n * 1e-5, -9.14};
    EXPECT_TRUE(writer.UpsertTour(tour).ok());
  }
  return *writer.Publish(1);
}

std::string Driver(const Snapshot& snapshot, const SearchRequest& request) {
  const absl::StatusOr<SearchResponse> response = QueryExecutor().Search(snapshot, request);
  EXPECT_TRUE(response.ok()) << response.status();
  if (!response.ok() || !response->plan) return "";
  return response->plan->driver;
}

TEST(PlannerTest, PicksTheSelectiveSourceAndExplainsIt) {
  const std::shared_ptr<const Snapshot> snapshot = BuildSkewed();
  SearchRequest request;
  request.explain = true;
  request.facets = {"category"};  // keeps the query off the text top-k path
  request.q = "kayak";
  request.near = NearSpec{35.01, 135.77, 10};  // Kyoto: 10 tours
  EXPECT_EQ(Driver(*snapshot, request), "geo");
  request.near = NearSpec{38.72, -9.14, 50};  // Lisbon: 1,990 tours
  request.tour_filters.categories = {"food"};  // 20 tours, but found by a scan of 2,000
  EXPECT_EQ(Driver(*snapshot, request), "geo");
  request.near.reset();  // "kayak": 1,995 tours to score
  EXPECT_EQ(Driver(*snapshot, request), "filters");
  request.near = NearSpec{38.72, -9.14, 50};
  request.q = "volcano";  // 5 tours
  EXPECT_EQ(Driver(*snapshot, request), "text");
  const absl::StatusOr<SearchResponse> response = QueryExecutor().Search(*snapshot, request);
  ASSERT_TRUE(response.ok());
  EXPECT_EQ(response->total, 5u);
  ASSERT_TRUE(response->plan.has_value());
  EXPECT_EQ(response->plan->estimates.size(), 4u);  // text, geo, filters, all
  EXPECT_EQ(response->plan->candidates, 5u);
  EXPECT_EQ(response->plan->strategy, "candidates+sort");
}

}  // namespace
}  // namespace otter::engine::query
