// EngineWriter: publishing, as_of, sharing between versions, leader deactivation
// hiding tours, leader and user traits, merges.

#include "engine/engine_writer.h"

#include <memory>
#include <vector>

#include "engine/text/text_query.h"
#include "gtest/gtest.h"
#include "tests/engine/catalog/catalog_test_records.h"

namespace otter::engine {
namespace {

using testing_records::LeaderId;
using testing_records::MakeLeader;
using testing_records::MakeTour;
using testing_records::TestUuid;
using testing_records::TourId;

TourRecord Tour(uint64_t n, uint64_t leader, std::string title, LatLon at) {
  TourRecord tour = MakeTour(n, leader);
  tour.title = std::move(title);
  tour.location = at;
  return tour;
}

std::vector<uint32_t> TextDocs(const Snapshot& snap, std::string_view text) {
  std::vector<uint32_t> docs;
  for (const auto& m : snap.tours().TextMatches(*text::ParseTextQuery(text))) docs.push_back(m.doc);
  return docs;
}

std::vector<uint32_t> NearDocs(const Snapshot& snap, LatLon at, double radius_m) {
  absl::StatusOr<std::vector<GeoHit>> hits = snap.tours().Radius(at, radius_m);
  EXPECT_TRUE(hits.ok());
  std::vector<uint32_t> docs;
  if (!hits.ok()) return docs;
  for (const GeoHit& hit : *hits) docs.push_back(hit.doc);
  std::sort(docs.begin(), docs.end());
  return docs;
}

TEST(EngineWriterTest, FirstPublishBuildsBaseFromTheCatalog) {
  EngineWriter writer;
  ASSERT_TRUE(writer.UpsertLeader(MakeLeader(1)).ok());
  ASSERT_TRUE(writer.UpsertTour(Tour(1, 1, "Sunset kayak", {38.7, -9.1})).ok());
  ASSERT_TRUE(writer.UpsertTour(Tour(2, 1, "Castle walk", {41.1, -8.6})).ok());
  auto snap = writer.Publish(42);
  ASSERT_TRUE(snap.ok());
  EXPECT_EQ((*snap)->as_of(), 42u);
  EXPECT_EQ((*snap)->tours().delta_size(), 0u);
  const uint32_t kayak = *(*snap)->catalog().FindTour(TourId(1));
  EXPECT_EQ(TextDocs(**snap, "kayak"), std::vector<uint32_t>{kayak});
  EXPECT_EQ(NearDocs(**snap, {38.7, -9.1}, 10'000), std::vector<uint32_t>{kayak});
  EXPECT_EQ((*snap)->leaders().delta_size(), 0u);
}

TEST(EngineWriterTest, ChangesGoToTheDeltaAndOldSnapshotsStayAsTheyWere) {
  EngineWriter writer;
  ASSERT_TRUE(writer.UpsertLeader(MakeLeader(1)).ok());
  ASSERT_TRUE(writer.UpsertTour(Tour(1, 1, "Sunset kayak", {38.7, -9.1})).ok());
  auto before = *writer.Publish(1);
  const uint32_t id = *before->catalog().FindTour(TourId(1));
  // Move it to Porto and rename it.
  ASSERT_TRUE(writer.UpsertTour(Tour(1, 1, "Wine tasting", {41.1, -8.6})).ok());
  auto after = *writer.Publish(2);
  EXPECT_EQ(after->tours().delta_size(), 1u);
  EXPECT_EQ(TextDocs(*after, "kayak"), std::vector<uint32_t>{});
  EXPECT_EQ(TextDocs(*after, "wine"), std::vector<uint32_t>{id});
  EXPECT_EQ(NearDocs(*after, {38.7, -9.1}, 10'000), std::vector<uint32_t>{});
  EXPECT_EQ(NearDocs(*after, {41.1, -8.6}, 10'000), std::vector<uint32_t>{id});
  EXPECT_EQ(TextDocs(*before, "kayak"), std::vector<uint32_t>{id});
  EXPECT_EQ(NearDocs(*before, {38.7, -9.1}, 10'000), std::vector<uint32_t>{id});
  // A publish without changes shares the indexes' state.
  auto same = *writer.Publish(3);
  EXPECT_EQ(same->tours().delta_size(), 1u);
  EXPECT_EQ(same->as_of(), 3u);
}

TEST(EngineWriterTest, DeactivatingALeaderHidesItsToursEverywhere) {
  EngineWriter writer;
  ASSERT_TRUE(writer.UpsertLeader(MakeLeader(1)).ok());
  ASSERT_TRUE(writer.UpsertLeader(MakeLeader(2)).ok());
  ASSERT_TRUE(writer.UpsertTour(Tour(1, 1, "Sunset kayak", {38.7, -9.1})).ok());
  ASSERT_TRUE(writer.UpsertTour(Tour(2, 2, "Sunset sail", {38.7, -9.1})).ok());
  ASSERT_TRUE(writer.Publish(1).ok());
  LeaderRecord off = MakeLeader(1);
  off.is_active = false;
  ASSERT_TRUE(writer.UpsertLeader(off).ok());
  auto snap = *writer.Publish(2);
  const uint32_t sail = *snap->catalog().FindTour(TourId(2));
  EXPECT_EQ(TextDocs(*snap, "sunset"), std::vector<uint32_t>{sail});
  EXPECT_EQ(NearDocs(*snap, {38.7, -9.1}, 1'000), std::vector<uint32_t>{sail});
  auto box = snap->tours().Box({38, -10, 39, -9});
  ASSERT_TRUE(box.ok());
  EXPECT_EQ(*box, std::vector<uint32_t>{sail});
  // Reactivated, it shows again.
  ASSERT_TRUE(writer.UpsertLeader(MakeLeader(1)).ok());
  snap = *writer.Publish(3);
  EXPECT_EQ(TextDocs(*snap, "sunset").size(), 2u);
}

TEST(EngineWriterTest, InvalidQueriesNameTheField) {
  EngineWriter writer;
  auto snap = *writer.Publish(1);
  auto radius = snap->tours().Radius({91, 0}, 1'000);
  ASSERT_EQ(radius.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(radius.status().message().find("lat"), std::string_view::npos);
  auto box = snap->tours().Box({10, 0, 5, 1});
  EXPECT_EQ(box.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(EngineWriterTest, LeaderTraitsUseCatalogIdsAndWaitForTheirLeader) {
  EngineWriter writer;
  ASSERT_TRUE(writer.UpsertLeader(MakeLeader(1)).ok());
  const NamedTrait early[] = {{"adventurous", 0.9}};
  // Leader 1 is not published yet: applied at the Publish that brings it.
  ASSERT_TRUE(writer.SetLeaderTraits(LeaderId(1), early).ok());
  auto snap = *writer.Publish(1);
  const uint32_t id = *snap->catalog().FindLeader(LeaderId(1));
  const int slot = *snap->leader_traits().registry().Find("adventurous");
  ASSERT_TRUE(snap->leader_traits().Contains(id));
  EXPECT_FLOAT_EQ(snap->leader_traits().Value(id, slot), 0.9f);
  const NamedTrait later[] = {{"adventurous", 0.2}};
  ASSERT_TRUE(writer.SetLeaderTraits(LeaderId(1), later).ok());
  auto next = *writer.Publish(2);
  EXPECT_FLOAT_EQ(next->leader_traits().Value(id, slot), 0.2f);
  EXPECT_FLOAT_EQ(snap->leader_traits().Value(id, slot), 0.9f);
  const NamedTrait bad[] = {{"adventurous", 1.5}};
  EXPECT_EQ(writer.SetLeaderTraits(LeaderId(1), bad).code(), absl::StatusCode::kInvalidArgument);
  const NamedTrait repeated[] = {{"a", 0.5}, {"a", 0.6}};
  EXPECT_EQ(writer.SetLeaderTraits(LeaderId(1), repeated).code(),
            absl::StatusCode::kInvalidArgument);
  writer.RemoveLeaderTraits(LeaderId(1));
  EXPECT_FALSE((*writer.Publish(3))->leader_traits().Contains(id));
}

TEST(EngineWriterTest, UserTraitsAreCopiedOnWritePerShard) {
  EngineWriter writer;
  const Uuid alice = TestUuid(0x0a, 1);
  const Uuid bob = TestUuid(0x0a, 2);
  const NamedTrait traits[] = {{"calm", 0.25}, {"social", 1.0}};
  ASSERT_TRUE(writer.SetUserTraits(alice, traits).ok());
  auto first = *writer.Publish(1);
  ASSERT_NE(first->user_traits(alice), nullptr);
  EXPECT_EQ(first->user_traits(alice)->traits.size(), 2u);
  EXPECT_EQ(first->user_traits(alice)->traits[0].first, "calm");
  EXPECT_EQ(first->user_traits(bob), nullptr);
  ASSERT_TRUE(writer.SetUserTraits(bob, traits).ok());
  writer.RemoveUserTraits(alice);
  auto second = *writer.Publish(2);
  EXPECT_EQ(second->user_traits(alice), nullptr);
  EXPECT_NE(second->user_traits(bob), nullptr);
  EXPECT_NE(first->user_traits(alice), nullptr);  // the old version is intact
  const NamedTrait bad[] = {{"", 0.5}};
  EXPECT_EQ(writer.SetUserTraits(bob, bad).code(), absl::StatusCode::kInvalidArgument);
}

TEST(EngineWriterTest, BackgroundMergeSwapsInANewBaseAndKeepsLaterChanges) {
  EngineWriterOptions options;
  options.merge_min_changes = 3;
  options.merge_max_changes = 3;
  EngineWriter writer(options);
  ASSERT_TRUE(writer.UpsertLeader(MakeLeader(1)).ok());
  for (uint64_t n = 0; n < 20; ++n) {
    ASSERT_TRUE(writer.UpsertTour(Tour(n, 1, "kayak", {38.7, -9.1})).ok());
  }
  auto first = *writer.Publish(1);
  for (uint64_t n = 0; n < 5; ++n) {
    ASSERT_TRUE(writer.UpsertTour(Tour(n, 1, "castle", {41.1, -8.6})).ok());
  }
  auto second = *writer.Publish(2);  // delta 5 > 3: a merge starts
  EXPECT_EQ(second->tours().delta_size(), 5u);
  EXPECT_TRUE(writer.merge_running());
  ASSERT_TRUE(writer.UpsertTour(Tour(19, 1, "castle", {41.1, -8.6})).ok());  // during the merge
  writer.WaitForMerge();
  auto third = *writer.Publish(3);
  EXPECT_EQ(writer.stats().merges_completed, 1u);
  EXPECT_EQ(third->tours().base_catalog_version(), second->catalog().version());
  EXPECT_EQ(third->tours().delta_size(), 1u);  // only what changed after the merged version
  EXPECT_EQ(TextDocs(*third, "castle").size(), 6u);
  EXPECT_EQ(TextDocs(*third, "kayak").size(), 14u);
  EXPECT_EQ(TextDocs(*second, "castle").size(), 5u);
  EXPECT_EQ(TextDocs(*first, "castle").size(), 0u);
}

TEST(EngineWriterTest, HolderHandsOutTheLatestSnapshot) {
  EngineWriter writer;
  SnapshotHolder holder;
  EXPECT_EQ(holder.Acquire(), nullptr);
  holder.Publish(*writer.Publish(5));
  EXPECT_EQ(holder.Acquire()->as_of(), 5u);
  auto kept = holder.Acquire();
  holder.Publish(*writer.Publish(6));
  EXPECT_EQ(holder.Acquire()->as_of(), 6u);
  EXPECT_EQ(kept->as_of(), 5u);
}

}  // namespace
}  // namespace otter::engine
