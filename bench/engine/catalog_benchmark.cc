// Catalog build, update and filter costs at the bench scale (1,000,000 tours,
// 100,000 leaders).
//
//   catalog_benchmark --benchmark_filter=Catalog

#include <memory>
#include <random>
#include <string>
#include <vector>

#include "benchmark/benchmark.h"
#include "engine/catalog/catalog.h"
#include "engine/catalog/catalog_builder.h"
#include "engine/catalog/facets.h"
#include "engine/catalog/tour_filter.h"

namespace otter::engine {
namespace {

constexpr uint64_t kTours = 1'000'000;
constexpr uint64_t kLeaders = 100'000;

Uuid RandomUuid(std::mt19937_64& rng) {
  std::array<uint8_t, 16> bytes;
  for (int i = 0; i < 16; i += 8) {
    const uint64_t word = rng();
    for (int j = 0; j < 8; ++j) bytes[i + j] = static_cast<uint8_t>(word >> (8 * j));
  }
  return Uuid(bytes);
}

struct Data {
  std::vector<LeaderRecord> leaders;
  std::vector<TourRecord> tours;
};

const Data& BenchData() {
  static const Data* data = [] {
    auto* d = new Data;
    std::mt19937_64 rng(42);
    const char* languages[] = {"en", "es", "fr", "de", "it", "pt", "ja", "zh", "ru", "ar"};
    const char* categories[] = {"water", "food", "culture", "nature", "adventure",
                                "night",  "wine", "history", "city",   "family"};
    for (uint64_t n = 0; n < kLeaders; ++n) {
      LeaderRecord leader;
      leader.id = RandomUuid(rng);
      leader.display_name = "Leader " + std::to_string(n);
      leader.type = static_cast<LeaderType>(rng() % 3);
      leader.is_verified = rng() % 2 == 0;
      for (int i = 0; i < 2; ++i) {
        leader.languages.push_back({languages[rng() % 10], Proficiency::kFluent});
      }
      leader.specialties = {categories[rng() % 10]};
      d->leaders.push_back(std::move(leader));
    }
    for (uint64_t n = 0; n < kTours; ++n) {
      TourRecord tour;
      tour.id = RandomUuid(rng);
      tour.leader_id = d->leaders[rng() % kLeaders].id;
      tour.title = "Tour " + std::to_string(n);
      tour.category = categories[rng() % 10];
      tour.price_cents = static_cast<int64_t>(rng() % 100'000);
      tour.duration_days = static_cast<int32_t>(rng() % 15);
      tour.average_rating_x100 = static_cast<int32_t>(rng() % 501);
      tour.max_participants = 12;
      tour.availability_start = 20000;
      tour.availability_end = 20400;
      d->tours.push_back(std::move(tour));
    }
    return d;
  }();
  return *data;
}

std::shared_ptr<const Catalog> BuildCatalog(const Data& data) {
  CatalogBuilder builder;
  builder.Reserve(data.tours.size(), data.leaders.size());
  for (const LeaderRecord& leader : data.leaders) (void)builder.UpsertLeader(leader);
  for (const TourRecord& tour : data.tours) (void)builder.UpsertTour(tour);
  return builder.Publish();
}

void BM_Catalog_Build1MTours(benchmark::State& state) {
  const Data& data = BenchData();
  for (auto _ : state) {
    std::shared_ptr<const Catalog> catalog = BuildCatalog(data);
    benchmark::DoNotOptimize(catalog);
  }
}
BENCHMARK(BM_Catalog_Build1MTours)->Unit(benchmark::kMillisecond)->Iterations(2);

// One changed tour, published as a new version while the old one stays alive
// (as a reader would hold it), then released.
void BM_Catalog_UpdateOneTourAndPublish(benchmark::State& state) {
  const Data& data = BenchData();
  CatalogBuilder builder;
  for (const LeaderRecord& leader : data.leaders) (void)builder.UpsertLeader(leader);
  for (const TourRecord& tour : data.tours) (void)builder.UpsertTour(tour);
  std::shared_ptr<const Catalog> current = builder.Publish();
  std::mt19937_64 rng(7);
  for (auto _ : state) {
    TourRecord tour = data.tours[rng() % kTours];
    tour.price_cents += 1;
    (void)builder.UpsertTour(std::move(tour));
    current = builder.Publish();
    benchmark::DoNotOptimize(current);
  }
}
BENCHMARK(BM_Catalog_UpdateOneTourAndPublish)->Unit(benchmark::kMicrosecond);

// A new tour (new Uuid: one map shard copied) per version.
void BM_Catalog_InsertOneTourAndPublish(benchmark::State& state) {
  const Data& data = BenchData();
  CatalogBuilder builder;
  for (const LeaderRecord& leader : data.leaders) (void)builder.UpsertLeader(leader);
  for (const TourRecord& tour : data.tours) (void)builder.UpsertTour(tour);
  std::shared_ptr<const Catalog> current = builder.Publish();
  std::mt19937_64 rng(8);
  for (auto _ : state) {
    TourRecord tour = data.tours[rng() % kTours];
    tour.id = RandomUuid(rng);
    (void)builder.UpsertTour(std::move(tour));
    current = builder.Publish();
    benchmark::DoNotOptimize(current);
  }
}
BENCHMARK(BM_Catalog_InsertOneTourAndPublish)->Unit(benchmark::kMicrosecond);

void BM_Catalog_FilterScan1MTours(benchmark::State& state) {
  static const std::shared_ptr<const Catalog> catalog = BuildCatalog(BenchData());
  TourFilterSpec spec;
  spec.categories = {"water", "food"};
  spec.price_max_cents = 20000;
  spec.leader.languages_any = {"fr"};
  spec.available = AvailabilitySpec{20100, 20102, 2};
  const TourFilter filter = TourFilter::Compile(spec, *catalog).value();
  size_t matches = 0;
  for (auto _ : state) {
    std::vector<uint32_t> tours = filter.MatchingTours();
    matches = tours.size();
    benchmark::DoNotOptimize(tours);
  }
  state.counters["matches"] = static_cast<double>(matches);
}
BENCHMARK(BM_Catalog_FilterScan1MTours)->Unit(benchmark::kMillisecond);

void BM_Catalog_Facets100kTours(benchmark::State& state) {
  static const std::shared_ptr<const Catalog> catalog = BuildCatalog(BenchData());
  std::vector<uint32_t> tours;
  for (uint32_t id = 0; id < kTours; id += 10) tours.push_back(id);
  for (auto _ : state) {
    TourFacets facets = CountTourFacets(*catalog, tours, {true, true, true, true});
    benchmark::DoNotOptimize(facets);
  }
}
BENCHMARK(BM_Catalog_Facets100kTours)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace otter::engine

BENCHMARK_MAIN();
