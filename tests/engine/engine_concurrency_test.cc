// Readers query snapshots continuously while the writer applies batches and
// background merges: no reader may ever see half a batch, in geo or text.

#include <atomic>
#include <cstdio>
#include <memory>
#include <random>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "engine/engine_writer.h"
#include "engine/snapshot.h"
#include "engine/text/text_query.h"
#include "gtest/gtest.h"
#include "tests/engine/catalog/catalog_test_records.h"

namespace otter::engine {
namespace {

using testing_records::MakeLeader;
using testing_records::MakeTour;
using testing_records::TourId;

constexpr uint64_t kPairs = 64;
// Pair p is tours p and p + kPairOffset (different catalog chunks).
constexpr uint64_t kPairOffset = 2 * kCatalogChunkRows;
constexpr LatLon kLisbon{38.72, -9.14};
constexpr LatLon kPorto{41.15, -8.61};

// Generation g of a tour: even ones are in Lisbon titled "alpha", odd ones in
// Porto titled "bravo".
TourRecord Generation(uint64_t n, uint64_t g) {
  TourRecord tour = MakeTour(n, 0);
  tour.title = g % 2 == 0 ? "alpha kayak" : "bravo castle";
  tour.location = g % 2 == 0 ? kLisbon : kPorto;
  return tour;
}

TEST(EngineConcurrencyTest, ReadersNeverSeeHalfABatch) {
  EngineWriterOptions options;
  options.merge_min_changes = 40;  // several merges during the run
  options.merge_max_changes = 40;
  EngineWriter writer(options);
  ASSERT_TRUE(writer.UpsertLeader(MakeLeader(0)).ok());
  for (uint64_t n = 0; n < kPairOffset + kPairs; ++n) {
    ASSERT_TRUE(writer.UpsertTour(Generation(n, 0)).ok());
  }
  SnapshotHolder holder(*writer.Publish(1));
  std::atomic<bool> done(false);
  std::atomic<uint64_t> checks(0);
  const uint32_t first_id = *holder.Acquire()->catalog().FindTour(TourId(0));

  auto reader = [&](unsigned seed) {
    std::mt19937 rng(seed);
    const text::TextQuery alpha = *text::ParseTextQuery("alpha", {.prefix_last_word = false});
    uint64_t last_as_of = 0;
    while (!done.load()) {
      std::shared_ptr<const Snapshot> snap = holder.Acquire();
      ASSERT_GE(snap->as_of(), last_as_of);
      last_as_of = snap->as_of();
      auto near = snap->tours().Radius(kLisbon, 5'000);
      ASSERT_TRUE(near.ok());
      absl::flat_hash_set<uint32_t> in_lisbon;
      for (const GeoHit& hit : *near) in_lisbon.insert(hit.doc);
      absl::flat_hash_set<uint32_t> titled_alpha;
      for (const auto& m : snap->tours().TextMatches(alpha)) titled_alpha.insert(m.doc);
      const text::TopKResult top = snap->tours().TextTopK(alpha, 10);
      ASSERT_EQ(top.total, titled_alpha.size());
      const uint64_t p = rng() % kPairs;
      const uint32_t a = first_id + static_cast<uint32_t>(p);
      const uint32_t b = a + static_cast<uint32_t>(kPairOffset);
      // Both tours of a pair move and get renamed in one batch; geo and text
      // agree within a snapshot.
      ASSERT_EQ(in_lisbon.contains(a), in_lisbon.contains(b)) << "pair " << p;
      ASSERT_EQ(titled_alpha.contains(a), titled_alpha.contains(b)) << "pair " << p;
      ASSERT_EQ(in_lisbon.contains(a), titled_alpha.contains(a)) << "pair " << p;
      auto nearest = snap->tours().Nearest(kPorto, 2 * kPairs + kPairOffset);
      ASSERT_TRUE(nearest.ok());
      ASSERT_EQ(nearest->size(), kPairOffset + kPairs);
      checks.fetch_add(1);
    }
  };
  std::vector<std::thread> readers;
  for (unsigned r = 0; r < 3; ++r) readers.emplace_back(reader, 1000 + r);

  std::mt19937_64 rng(7);
  std::vector<uint64_t> generation(kPairs, 0);
  for (uint64_t batch = 0; batch < 1500; ++batch) {
    for (int c = 0; c < 4; ++c) {
      const uint64_t p = rng() % kPairs;
      const uint64_t g = ++generation[p];
      ASSERT_TRUE(writer.UpsertTour(Generation(p, g)).ok());
      ASSERT_TRUE(writer.UpsertTour(Generation(p + kPairOffset, g)).ok());
    }
    auto snap = writer.Publish(batch + 2);
    ASSERT_TRUE(snap.ok()) << snap.status();
    holder.Publish(*snap);
  }
  done.store(true);
  for (std::thread& t : readers) t.join();
  std::printf("reader checks %llu, merges %llu\n",
              static_cast<unsigned long long>(checks.load()),
              static_cast<unsigned long long>(writer.stats().merges_completed));
  EXPECT_GT(checks.load(), 0u);
  EXPECT_GT(writer.stats().merges_completed, 0u);
}

}  // namespace
}  // namespace otter::engine
