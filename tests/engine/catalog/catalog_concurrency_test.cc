// Readers query published catalogs while one writer applies updates: no
// reader may ever see half of an update.

#include <atomic>
#include <memory>
#include <random>
#include <thread>
#include <vector>

#include "engine/catalog/catalog.h"
#include "engine/catalog/catalog_builder.h"
#include "engine/catalog/tour_filter.h"
#include "gtest/gtest.h"
#include "tests/engine/catalog/catalog_test_records.h"

#if defined(__SANITIZE_THREAD__)
// libstdc++ 12's std::atomic<std::shared_ptr>::load() releases its internal
// lock bit with memory_order_relaxed (bits/shared_ptr_atomic.h), so TSan sees
// its read of the stored pointer as racing with the next store()'s swap. The
// lock makes them mutually exclusive; suppress exactly that frame.
extern "C" const char* __tsan_default_suppressions();
extern "C" const char* __tsan_default_suppressions() { return "race:std::_Sp_atomic<*>::load\n"; }
#endif

namespace otter::engine {
namespace {

using testing_records::LeaderId;
using testing_records::MakeLeader;
using testing_records::MakeTour;
using testing_records::TourId;

constexpr uint64_t kTours = 3 * kCatalogChunkRows;  // pairs span different chunks

// Every update writes generation g into a pair of tours (n, n + 2 chunks):
// price g * 100, total_reviews g and title "g" on both, in one batch.
TourRecord Generation(uint64_t n, int32_t g) {
  TourRecord tour = MakeTour(n, n % 7, "water", int64_t{g} * 100);
  tour.total_reviews = g;
  tour.title = std::to_string(g);
  return tour;
}

TEST(CatalogConcurrencyTest, ReadersNeverSeeHalfAnUpdate) {
  CatalogBuilder builder;
  for (uint64_t n = 0; n < 7; ++n) ASSERT_TRUE(builder.UpsertLeader(MakeLeader(n)).ok());
  for (uint64_t n = 0; n < kTours; ++n) ASSERT_TRUE(builder.UpsertTour(Generation(n, 0)).ok());
  std::atomic<std::shared_ptr<const Catalog>> current(builder.Publish());
  std::atomic<bool> done(false);
  std::atomic<uint64_t> checks(0);

  auto reader = [&](unsigned seed) {
    std::mt19937 rng(seed);
    uint64_t last_version = 0;
    while (!done.load()) {
      std::shared_ptr<const Catalog> catalog = current.load();
      ASSERT_GE(catalog->version(), last_version);
      last_version = catalog->version();
      const uint64_t n = rng() % kCatalogChunkRows;
      const uint32_t a = *catalog->FindTour(TourId(n));
      const uint32_t b = *catalog->FindTour(TourId(n + 2 * kCatalogChunkRows));
      const int32_t g = catalog->tour_total_reviews(a);
      // Both tours of the pair, columns and records, show one generation.
      ASSERT_EQ(catalog->tour_price_cents(a), int64_t{g} * 100);
      ASSERT_EQ(catalog->tour_total_reviews(b), g);
      ASSERT_EQ(catalog->tour_price_cents(b), int64_t{g} * 100);
      ASSERT_EQ(catalog->tour(a)->title, std::to_string(g));
      ASSERT_EQ(catalog->tour(b)->price_cents, int64_t{g} * 100);
      // Pair 0 is written in every batch, and leader 3 is deleted in odd
      // batches and revived in even ones: its state follows pair 0's parity.
      const int32_t latest = catalog->tour_total_reviews(*catalog->FindTour(TourId(0)));
      const uint32_t leader = *catalog->FindLeader(LeaderId(3));
      const bool leader_up = catalog->leader_active(leader);
      TourFilterSpec spec;
      spec.price_min_cents = int64_t{g} * 100;
      spec.price_max_cents = int64_t{g} * 100;
      absl::StatusOr<TourFilter> filter = TourFilter::Compile(spec, *catalog);
      ASSERT_TRUE(filter.ok());
      ASSERT_TRUE(filter->Matches(a) || (n % 7 == 3 && !leader_up));
      ASSERT_EQ(leader_up, latest % 2 == 0) << "generation " << latest;
      ASSERT_GE(latest, g);
      checks.fetch_add(1, std::memory_order_relaxed);
    }
  };

  std::vector<std::thread> readers;
  for (unsigned i = 0; i < 3; ++i) readers.emplace_back(reader, 1234 + i);

  std::mt19937 rng(99);
  for (int32_t g = 1; g <= 1000; ++g) {
    // One batch: a few pairs, and the leader's state, all at generation g.
    // Other pairs keep their older generation, which is still consistent.
    for (int k = 0; k < 4; ++k) {
      const uint64_t n = k == 0 ? 0 : rng() % kCatalogChunkRows;
      ASSERT_TRUE(builder.UpsertTour(Generation(n, g)).ok());
      ASSERT_TRUE(builder.UpsertTour(Generation(n + 2 * kCatalogChunkRows, g)).ok());
    }
    if (g % 2 == 1) {
      ASSERT_TRUE(builder.DeleteLeader(LeaderId(3)).ok());
    } else {
      ASSERT_TRUE(builder.UpsertLeader(MakeLeader(3)).ok());
    }
    current.store(builder.Publish());
  }
  done.store(true);
  for (std::thread& t : readers) t.join();
  EXPECT_GT(checks.load(), 0u);
}

}  // namespace
}  // namespace otter::engine
