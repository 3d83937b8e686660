#include "engine/catalog/catalog_builder.h"

#include <memory>

#include "engine/catalog/catalog.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/engine/catalog/catalog_test_records.h"

namespace otter::engine {
namespace {

using ::testing::HasSubstr;
using testing_records::LeaderId;
using testing_records::MakeLeader;
using testing_records::MakeSchedule;
using testing_records::MakeTour;
using testing_records::ScheduleId;
using testing_records::TourId;

TEST(CatalogBuilderTest, AssignsDenseIdsInArrivalOrderAndFindsThemByUuid) {
  CatalogBuilder builder;
  ASSERT_TRUE(builder.UpsertLeader(MakeLeader(7)).ok());
  for (uint64_t n = 0; n < 3; ++n) ASSERT_TRUE(builder.UpsertTour(MakeTour(n, 7)).ok());
  std::shared_ptr<const Catalog> catalog = builder.Publish();

  EXPECT_EQ(catalog->tour_id_limit(), 3u);
  EXPECT_EQ(catalog->leader_id_limit(), 1u);
  for (uint32_t n = 0; n < 3; ++n) {
    ASSERT_EQ(catalog->FindTour(TourId(n)), n);
    EXPECT_EQ(catalog->tour(n)->id, TourId(n));
    EXPECT_EQ(catalog->tour_leader(n), 0u);
    EXPECT_TRUE(catalog->TourMatchable(n));
  }
  EXPECT_EQ(catalog->FindTour(TourId(99)), std::nullopt);
  EXPECT_EQ(catalog->FindLeader(LeaderId(7)), 0u);
  EXPECT_EQ(catalog->active_tour_count(), 3u);
}

TEST(CatalogBuilderTest, StoresColumnsExactlyAsTheRecordSays) {
  TourRecord tour = MakeTour(1, 1, "Water", 12345);
  tour.average_rating_x100 = 475;
  tour.total_reviews = 12;
  tour.duration_days = 2;
  tour.duration_hours = 5.5;
  tour.created_at_us = 1'700'000'000'000'000;
  tour.location = LatLon{38.72, -9.14};
  tour.blackout_dates = {30, 10, 20, 10};
  CatalogBuilder builder;
  ASSERT_TRUE(builder.UpsertTour(tour).ok());
  std::shared_ptr<const Catalog> catalog = builder.Publish();

  EXPECT_EQ(catalog->tour_price_cents(0), 12345);
  EXPECT_EQ(catalog->tour_rating_x100(0), 475);
  EXPECT_EQ(catalog->tour_total_reviews(0), 12);
  EXPECT_EQ(catalog->tour_duration_days(0), 2);
  EXPECT_EQ(catalog->tour_duration_hours(0), 5.5);
  EXPECT_EQ(catalog->tour_created_at_us(0), 1'700'000'000'000'000);
  EXPECT_EQ(catalog->tour_lat(0), 38.72);
  EXPECT_EQ(catalog->tour_lon(0), -9.14);
  EXPECT_EQ(catalog->category_name(catalog->tour_category(0)), "water");
  EXPECT_EQ(catalog->FindCategory("WATER"), catalog->tour_category(0));
  EXPECT_EQ(catalog->tour(0)->blackout_dates, (std::vector<CivilDay>{10, 20, 30}));
}

TEST(CatalogBuilderTest, TourWithoutLocationOrHoursStoresNaN) {
  CatalogBuilder builder;
  ASSERT_TRUE(builder.UpsertTour(MakeTour(1, 1)).ok());
  std::shared_ptr<const Catalog> catalog = builder.Publish();
  EXPECT_TRUE(std::isnan(catalog->tour_lat(0)));
  EXPECT_TRUE(std::isnan(catalog->tour_lon(0)));
  EXPECT_TRUE(std::isnan(catalog->tour_duration_hours(0)));
}

TEST(CatalogBuilderTest, OldVersionKeepsOldValuesAndUpsertKeepsTheDenseId) {
  CatalogBuilder builder;
  ASSERT_TRUE(builder.UpsertLeader(MakeLeader(1)).ok());
  ASSERT_TRUE(builder.UpsertTour(MakeTour(1, 1, "water", 1000)).ok());
  ASSERT_TRUE(builder.UpsertTour(MakeTour(2, 1, "water", 2000)).ok());
  std::shared_ptr<const Catalog> before = builder.Publish();

  TourRecord changed = MakeTour(2, 1, "food", 2500);
  changed.title = "Changed";
  ASSERT_TRUE(builder.UpsertTour(changed).ok());
  std::shared_ptr<const Catalog> after = builder.Publish();

  EXPECT_EQ(after->FindTour(TourId(2)), 1u);
  EXPECT_EQ(after->tour_id_limit(), 2u);
  EXPECT_EQ(after->tour_price_cents(1), 2500);
  EXPECT_EQ(after->tour(1)->title, "Changed");
  EXPECT_EQ(after->category_name(after->tour_category(1)), "food");
  EXPECT_EQ(before->tour_price_cents(1), 2000);
  EXPECT_EQ(before->tour(1)->title, "Tour 2");
  EXPECT_EQ(before->category_name(before->tour_category(1)), "water");
  EXPECT_EQ(before->category_count(), 1u);
  EXPECT_GT(after->version(), before->version());
}

TEST(CatalogBuilderTest, UpdateCopiesOnlyTheTouchedChunkAndShard) {
  CatalogBuilder builder;
  ASSERT_TRUE(builder.UpsertLeader(MakeLeader(1)).ok());
  const uint32_t tours = 3 * kCatalogChunkRows + 5;
  for (uint32_t n = 0; n < tours; ++n) ASSERT_TRUE(builder.UpsertTour(MakeTour(n, 1)).ok());
  std::shared_ptr<const Catalog> v1 = builder.Publish();

  // An existing Uuid: one chunk of each tour part changes, no map shard.
  const uint32_t touched = kCatalogChunkRows + 17;
  ASSERT_TRUE(builder.UpsertTour(MakeTour(touched, 1, "water", 777)).ok());
  std::shared_ptr<const Catalog> v2 = builder.Publish();
  const auto& p1 = v1->parts();
  const auto& p2 = v2->parts();
  ASSERT_EQ(p2.tour_columns->size(), 4u);
  for (size_t chunk = 0; chunk < 4; ++chunk) {
    EXPECT_EQ((*p1.tour_columns)[chunk] == (*p2.tour_columns)[chunk], chunk != 1) << chunk;
    EXPECT_EQ((*p1.tour_records)[chunk] == (*p2.tour_records)[chunk], chunk != 1) << chunk;
    EXPECT_EQ((*p1.tour_schedules)[chunk], (*p2.tour_schedules)[chunk]) << chunk;
  }
  for (size_t shard = 0; shard < kUuidShards; ++shard) {
    ASSERT_EQ((*p1.tour_ids)[shard], (*p2.tour_ids)[shard]) << shard;
    ASSERT_EQ((*p1.leader_ids)[shard], (*p2.leader_ids)[shard]) << shard;
  }
  // Parts with no changed chunk share the whole chunk list.
  EXPECT_EQ(p1.tour_schedules, p2.tour_schedules);
  EXPECT_EQ(p1.leader_columns, p2.leader_columns);
  EXPECT_EQ(p1.leader_records, p2.leader_records);
  EXPECT_EQ(p1.tour_ids, p2.tour_ids);
  EXPECT_EQ(p1.schedule_ids, p2.schedule_ids);
  EXPECT_EQ(p1.categories, p2.categories);
  EXPECT_EQ(p1.languages, p2.languages);
  EXPECT_EQ(v1->tour_price_cents(touched), 10000);
  EXPECT_EQ(v2->tour_price_cents(touched), 777);

  // A new Uuid: exactly one shard of the tour map is copied.
  ASSERT_TRUE(builder.UpsertTour(MakeTour(tours, 1)).ok());
  std::shared_ptr<const Catalog> v3 = builder.Publish();
  size_t changed_shards = 0;
  for (size_t shard = 0; shard < kUuidShards; ++shard) {
    changed_shards += (*v3->parts().tour_ids)[shard] != (*p2.tour_ids)[shard] ? 1 : 0;
  }
  EXPECT_EQ(changed_shards, 1u);
  EXPECT_EQ((*v3->parts().tour_columns)[0], (*p2.tour_columns)[0]);
  EXPECT_EQ(v2->FindTour(TourId(tours)), std::nullopt);
  EXPECT_EQ(v3->FindTour(TourId(tours)), tours);
}

TEST(CatalogBuilderTest, WritesAreInvisibleUntilPublishAndThenAllVisible) {
  CatalogBuilder builder;
  for (uint32_t n = 0; n < 10; ++n) ASSERT_TRUE(builder.UpsertTour(MakeTour(n, 1)).ok());
  std::shared_ptr<const Catalog> v1 = builder.Publish();
  const catalog_internal::TourColumns* v1_chunk = (*v1->parts().tour_columns)[0].get();
  ASSERT_TRUE(builder.UpsertTour(MakeTour(4, 1, "water", 2)).ok());
  ASSERT_TRUE(builder.UpsertTour(MakeTour(5, 1, "water", 3)).ok());
  EXPECT_EQ(v1->tour_price_cents(4), 10000);
  std::shared_ptr<const Catalog> v2 = builder.Publish();
  EXPECT_EQ((*v1->parts().tour_columns)[0].get(), v1_chunk);
  EXPECT_NE((*v2->parts().tour_columns)[0].get(), v1_chunk);
  EXPECT_EQ(v2->tour_price_cents(4), 2);
  EXPECT_EQ(v2->tour_price_cents(5), 3);
  EXPECT_EQ(v1->tour_price_cents(4), 10000);
  EXPECT_EQ(v1->tour_price_cents(5), 10000);
}

TEST(CatalogBuilderTest, DeleteLeavesATombstoneAndReupsertRevivesTheSameId) {
  CatalogBuilder builder;
  ASSERT_TRUE(builder.UpsertLeader(MakeLeader(1)).ok());
  ASSERT_TRUE(builder.UpsertTour(MakeTour(1, 1)).ok());
  ASSERT_TRUE(builder.UpsertTour(MakeTour(2, 1)).ok());
  std::shared_ptr<const Catalog> before = builder.Publish();

  ASSERT_TRUE(builder.DeleteTour(TourId(1)).ok());
  ASSERT_TRUE(builder.DeleteTour(TourId(1)).ok());   // idempotent
  ASSERT_TRUE(builder.DeleteTour(TourId(42)).ok());  // unknown: ignored
  std::shared_ptr<const Catalog> deleted = builder.Publish();
  EXPECT_EQ(deleted->FindTour(TourId(1)), 0u);
  EXPECT_FALSE(deleted->TourMatchable(0));
  EXPECT_EQ(deleted->tour(0), nullptr);
  EXPECT_EQ(deleted->active_tour_count(), 1u);
  EXPECT_TRUE(before->TourMatchable(0));

  ASSERT_TRUE(builder.UpsertTour(MakeTour(1, 1)).ok());
  std::shared_ptr<const Catalog> revived = builder.Publish();
  EXPECT_EQ(revived->FindTour(TourId(1)), 0u);
  EXPECT_TRUE(revived->TourMatchable(0));
  EXPECT_EQ(revived->tour_id_limit(), 2u);
}

TEST(CatalogBuilderTest, TourMatchesOnlyWhileItsLeaderIsKnownAndActive) {
  CatalogBuilder builder;
  ASSERT_TRUE(builder.UpsertTour(MakeTour(1, 5)).ok());  // leader 5 not loaded yet
  std::shared_ptr<const Catalog> orphan = builder.Publish();
  EXPECT_FALSE(orphan->TourMatchable(0));
  EXPECT_EQ(orphan->leader(orphan->tour_leader(0)), nullptr);

  ASSERT_TRUE(builder.UpsertLeader(MakeLeader(5)).ok());
  std::shared_ptr<const Catalog> adopted = builder.Publish();
  EXPECT_EQ(adopted->FindLeader(LeaderId(5)), adopted->tour_leader(0));
  EXPECT_TRUE(adopted->TourMatchable(0));

  LeaderRecord inactive = MakeLeader(5);
  inactive.is_active = false;
  ASSERT_TRUE(builder.UpsertLeader(inactive).ok());
  EXPECT_FALSE(builder.Publish()->TourMatchable(0));

  ASSERT_TRUE(builder.UpsertLeader(MakeLeader(5)).ok());
  EXPECT_TRUE(builder.Publish()->TourMatchable(0));
  ASSERT_TRUE(builder.DeleteLeader(LeaderId(5)).ok());
  std::shared_ptr<const Catalog> gone = builder.Publish();
  EXPECT_FALSE(gone->TourMatchable(0));
  EXPECT_TRUE(adopted->TourMatchable(0));
}

TEST(CatalogBuilderTest, InactiveTourNeverMatches) {
  TourRecord tour = MakeTour(1, 1);
  tour.is_active = false;
  CatalogBuilder builder;
  ASSERT_TRUE(builder.UpsertLeader(MakeLeader(1)).ok());
  ASSERT_TRUE(builder.UpsertTour(tour).ok());
  std::shared_ptr<const Catalog> catalog = builder.Publish();
  EXPECT_FALSE(catalog->TourMatchable(0));
  EXPECT_NE(catalog->tour(0), nullptr);
  EXPECT_EQ(catalog->active_tour_count(), 0u);
}

TEST(CatalogBuilderTest, SchedulesArriveBeforeTheirTourMoveAndDelete) {
  CatalogBuilder builder;
  ASSERT_TRUE(builder.UpsertSchedule(MakeSchedule(1, 9, 100, 102, 8, 0)).ok());
  ASSERT_TRUE(builder.UpsertSchedule(MakeSchedule(2, 9, 50, 52, 8, 0)).ok());
  std::shared_ptr<const Catalog> early = builder.Publish();
  ASSERT_EQ(early->FindTour(TourId(9)), 0u);
  EXPECT_FALSE(early->TourMatchable(0));
  ASSERT_EQ(early->tour_schedules(0).size(), 2u);
  EXPECT_EQ(early->tour_schedules(0)[0].id, ScheduleId(2));  // sorted by start

  ASSERT_TRUE(builder.UpsertTour(MakeTour(9, 1)).ok());
  ASSERT_TRUE(builder.UpsertTour(MakeTour(10, 1)).ok());
  // Schedule 1 changes its counts, then moves to tour 10.
  ASSERT_TRUE(builder.UpsertSchedule(MakeSchedule(1, 9, 100, 102, 8, 3)).ok());
  std::shared_ptr<const Catalog> updated = builder.Publish();
  ASSERT_EQ(updated->tour_schedules(0).size(), 2u);
  EXPECT_EQ(updated->tour_schedules(0)[1].current_participants, 3);
  ASSERT_TRUE(builder.UpsertSchedule(MakeSchedule(1, 10, 100, 102, 8, 3)).ok());
  std::shared_ptr<const Catalog> moved = builder.Publish();
  EXPECT_EQ(moved->tour_schedules(0).size(), 1u);
  ASSERT_EQ(moved->tour_schedules(1).size(), 1u);
  EXPECT_EQ(moved->FindScheduleTour(ScheduleId(1)), 1u);

  ASSERT_TRUE(builder.DeleteSchedule(ScheduleId(1)).ok());
  ASSERT_TRUE(builder.DeleteSchedule(ScheduleId(77)).ok());
  std::shared_ptr<const Catalog> deleted = builder.Publish();
  EXPECT_TRUE(deleted->tour_schedules(1).empty());
  EXPECT_EQ(deleted->FindScheduleTour(ScheduleId(1)), std::nullopt);
  EXPECT_EQ(moved->tour_schedules(1).size(), 1u);
}

TEST(CatalogBuilderTest, RejectsNilIdsNamingTheField) {
  CatalogBuilder builder;
  TourRecord tour = MakeTour(1, 1);
  tour.id = Uuid();
  absl::Status status = builder.UpsertTour(tour);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("tours.id must not be nil"));
  LeaderRecord leader = MakeLeader(1);
  leader.id = Uuid();
  EXPECT_THAT(builder.UpsertLeader(leader).message(), HasSubstr("tour_leaders.id"));
  ScheduleRecord schedule = MakeSchedule(1, 1, 0, 1, 1, 0);
  schedule.tour_id = Uuid();
  EXPECT_THAT(builder.UpsertSchedule(schedule).message(),
              HasSubstr("tour_schedules.tour_id must not be nil"));
  EXPECT_EQ(builder.Publish()->tour_id_limit(), 0u);
}

TEST(CatalogBuilderTest, LeaderLanguagesAreNormalizedAndBadCodesNotIndexed) {
  CatalogBuilder builder;
  ASSERT_TRUE(builder.UpsertLeader(MakeLeader(1, {"EN", "pt", "eng"})).ok());
  std::shared_ptr<const Catalog> catalog = builder.Publish();
  const LeaderRecord* leader = catalog->leader(0);
  ASSERT_EQ(leader->languages.size(), 3u);
  EXPECT_EQ(leader->languages[0].code, "en");
  EXPECT_EQ(leader->languages[2].code, "eng");  // kept, not indexed
  EXPECT_EQ(catalog->leader_columns_of(0).language_mask[0], 0b11u);
}

TEST(CatalogBuilderTest, BuilderFromAPublishedCatalogContinuesIt) {
  CatalogBuilder first;
  ASSERT_TRUE(first.UpsertTour(MakeTour(1, 1)).ok());
  std::shared_ptr<const Catalog> v1 = first.Publish();
  CatalogBuilder second(*v1);
  ASSERT_TRUE(second.UpsertTour(MakeTour(2, 1)).ok());
  std::shared_ptr<const Catalog> v2 = second.Publish();
  EXPECT_EQ(v2->FindTour(TourId(2)), 1u);
  EXPECT_EQ(v2->FindTour(TourId(1)), 0u);
  EXPECT_EQ(v1->tour_id_limit(), 1u);
  EXPECT_EQ(v2->version(), v1->version() + 1);
}

}  // namespace
}  // namespace otter::engine
