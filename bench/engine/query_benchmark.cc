// Query execution at the `bench` scale: 1,000,000 tours and 100,000 leaders
// (synthetic, deterministic: real city coordinates with Zipf-like
// popularity, a travel vocabulary with Zipf-like word frequencies, leader
// traits), built once through EngineWriter outside the timed loops. Each
// benchmark reports p50/p99 per query (microseconds) as counters.
//
// The text, geo and combined queries run twice: over base indexes only, and
// (_Delta) over a snapshot whose delta holds kChangedTours changed tours.
// Each benchmark runs its kRequests requests once each.
//
//   query_benchmark --benchmark_filter=TextGeoFilters

#include <time.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "benchmark/benchmark.h"
#include "engine/engine_writer.h"
#include "engine/query/executor.h"

namespace otter::engine::query {
namespace {

struct City {
  const char* name;
  const char* country;
  double lat;
  double lon;
};
// Most popular first; city r holds a share proportional to 1/(r + 1).
// clang-format off
const City kCities[] = {
    {"Paris", "France", 48.8566, 2.3522}, {"London", "UK", 51.5074, -0.1278},
    {"Rome", "Italy", 41.9028, 12.4964}, {"Barcelona", "Spain", 41.3874, 2.1686},
    {"Lisbon", "Portugal", 38.7223, -9.1393}, {"New York", "USA", 40.7128, -74.0060},
    {"Tokyo", "Japan", 35.6762, 139.6503}, {"Bangkok", "Thailand", 13.7563, 100.5018},
    {"Istanbul", "Turkey", 41.0082, 28.9784}, {"Dubai", "UAE", 25.2048, 55.2708},
    {"Amsterdam", "Netherlands", 52.3676, 4.9041}, {"Prague", "Czechia", 50.0755, 14.4378},
    {"Vienna", "Austria", 48.2082, 16.3738}, {"Berlin", "Germany", 52.5200, 13.4050},
    {"Madrid", "Spain", 40.4168, -3.7038}, {"Athens", "Greece", 37.9838, 23.7275},
    {"Kyoto", "Japan", 35.0116, 135.7681}, {"Singapore", "Singapore", 1.3521, 103.8198},
    {"Sydney", "Australia", -33.8688, 151.2093}, {"San Francisco", "USA", 37.7749, -122.4194},
    {"Mexico City", "Mexico", 19.4326, -99.1332}, {"Rio de Janeiro", "Brazil", -22.9068, -43.1729},
    {"Buenos Aires", "Argentina", -34.6037, -58.3816}, {"Cusco", "Peru", -13.5320, -71.9675},
    {"Cape Town", "South Africa", -33.9249, 18.4241}, {"Marrakesh", "Morocco", 31.6295, -7.9811},
    {"Cairo", "Egypt", 30.0444, 31.2357}, {"Reykjavik", "Iceland", 64.1466, -21.9426},
    {"Dublin", "Ireland", 53.3498, -6.2603}, {"Copenhagen", "Denmark", 55.6761, 12.5683},
    {"Oslo", "Norway", 59.9139, 10.7522}, {"Budapest", "Hungary", 47.4979, 19.0402},
    {"Venice", "Italy", 45.4408, 12.3155}, {"Porto", "Portugal", 41.1579, -8.6291},
    {"Bali", "Indonesia", -8.4095, 115.1889}, {"Hanoi", "Vietnam", 21.0278, 105.8342},
    {"Seoul", "South Korea", 37.5665, 126.9780}, {"Delhi", "India", 28.6139, 77.2090},
    {"Auckland", "New Zealand", -36.8485, 174.7633}, {"Quito", "Ecuador", -0.1807, -78.4678}};
// clang-format on
constexpr size_t kCityCount = sizeof(kCities) / sizeof(kCities[0]);

const char* const kVocabulary[] = {
    "tour", "walking", "food", "history", "sunset", "kayak", "wine", "market", "museum", "castle",
    "hiking", "beach", "boat", "cooking", "class", "street", "art", "night", "bike", "temple",
    "garden", "old", "town", "local", "tasting", "river", "mountain", "photography", "cathedral",
    "palace", "harbor", "island", "village", "craft", "beer", "coffee", "tea", "ceremony",
    "volcano", "glacier", "canyon", "desert", "jungle", "waterfall", "snorkeling", "diving",
    "surfing", "sailing", "cruise", "safari", "wildlife", "birdwatching", "vineyard", "cheese",
    "chocolate", "pastry", "seafood", "tapas", "noodle", "sushi", "ramen", "dumpling", "spice",
    "bazaar", "mosque", "monastery", "ruins", "fortress", "bridge", "tower", "skyline", "rooftop",
    "jazz", "flamenco", "opera", "theatre", "festival", "lantern", "sunrise", "stargazing",
    "cave", "lake", "forest", "trail", "peak", "valley", "hot", "spring", "spa", "yoga",
    "meditation", "pottery", "textile", "painting", "graffiti", "architecture", "family", "private"};
constexpr size_t kWordCount = sizeof(kVocabulary) / sizeof(kVocabulary[0]);
const char* const kCategories[] = {"food", "culture", "adventure", "water", "nature",
                                   "nightlife", "history", "wellness"};
const char* const kLanguages[] = {"en", "es", "fr", "de", "it", "pt", "ja", "zh"};
constexpr int kTours = 1'000'000;
constexpr int kLeaders = 100'000;

Uuid MakeUuid(uint8_t kind, uint64_t n) {
  std::array<uint8_t, 16> bytes{};
  bytes[0] = kind;
  bytes[7] = 1;
  for (int i = 0; i < 8; ++i) bytes[8 + i] = static_cast<uint8_t>(n >> (8 * (7 - i)));
  return Uuid(bytes);
}

// Draws index r in [0, n) with probability proportional to 1/(r + 1).
class Zipf {
 public:
  explicit Zipf(size_t n) {
    double sum = 0;
    for (size_t r = 0; r < n; ++r) cumulative_.push_back(sum += 1.0 / static_cast<double>(r + 1));
  }
  size_t operator()(std::mt19937_64& rng) const {
    const double x = std::uniform_real_distribution<>(0, cumulative_.back())(rng);
    return static_cast<size_t>(std::lower_bound(cumulative_.begin(), cumulative_.end(), x) -
                               cumulative_.begin());
  }

 private:
  std::vector<double> cumulative_;
};

LatLon Around(const City& city, std::mt19937_64& rng) {
  std::normal_distribution<> offset(0, 0.12);  // ~13 km
  return LatLon{std::clamp(city.lat + offset(rng), -89.0, 89.0),
                std::remainder(city.lon + offset(rng), 360.0)};
}

// Tours changed after the first publish for the `with_delta` snapshot: half
// of them moved within their city, all retitled. Below the writer's merge
// threshold (1% of the tours), so they stay in the delta and their base
// entries stale, as between two merges in production.
constexpr int kChangedTours = 5'000;

struct World {
  std::shared_ptr<const Snapshot> snapshot;    // base indexes only
  std::shared_ptr<const Snapshot> with_delta;  // and kChangedTours in the delta
  double build_seconds = 0;
};

const World& GetWorld() {
  static const World* world = [] {
    const auto start = std::chrono::steady_clock::now();
    std::mt19937_64 rng(20270501);
    const Zipf cities(kCityCount);
    const Zipf words(kWordCount);
    EngineWriter writer;
    auto word = [&] { return std::string(kVocabulary[words(rng)]); };
    for (int n = 0; n < kLeaders; ++n) {
      LeaderRecord leader;
      leader.id = MakeUuid(0x1e, static_cast<uint64_t>(n));
      leader.user_id = MakeUuid(0x0a, static_cast<uint64_t>(n));
      leader.display_name = "Guide " + word();
      const City& city = kCities[cities(rng)];
      leader.city = city.name;
      leader.country = city.country;
      leader.location = Around(city, rng);
      leader.hourly_rate_cents = 2000 + static_cast<int64_t>(rng() % 200) * 100;
      leader.is_verified = rng() % 3 == 0;
      leader.average_rating_x100 = 300 + static_cast<int32_t>(rng() % 201);
      leader.total_reviews = static_cast<int32_t>(rng() % 400);
      leader.languages.push_back({kLanguages[rng() % 8], Proficiency::kFluent});
      leader.specialties = {word()};
      (void)writer.UpsertLeader(std::move(leader));
      std::vector<NamedTrait> traits;
      for (size_t t = 0; t < kCanonicalTraitNames.size(); ++t) {
        traits.push_back(NamedTrait{kCanonicalTraitNames[t], static_cast<double>(rng() % 101) / 100});
      }
      (void)writer.SetLeaderTraits(MakeUuid(0x1e, static_cast<uint64_t>(n)), traits);
    }
    std::vector<TourRecord> tours;
    for (int n = 0; n < kTours; ++n) {
      TourRecord tour;
      tour.id = MakeUuid(0x70, static_cast<uint64_t>(n));
      tour.leader_id = MakeUuid(0x1e, rng() % kLeaders);
      tour.title = word() + " " + word() + " " + word();
      tour.slug = "t" + std::to_string(n);
      tour.description = word() + " " + word() + " " + word() + " " + word() + " " + word();
      tour.tags = {word(), word()};
      tour.category = kCategories[rng() % 8];
      tour.price_cents = 1000 + static_cast<int64_t>(rng() % 600) * 100;
      tour.currency = "EUR";
      tour.duration_days = 1 + static_cast<int32_t>(rng() % 10);
      const City& city = kCities[cities(rng)];
      tour.city = city.name;
      tour.country = city.country;
      tour.location = Around(city, rng);
      tour.total_reviews = static_cast<int32_t>(rng() % 500);
      tour.average_rating_x100 = 250 + static_cast<int32_t>(rng() % 251);
      tour.created_at_us = 1'600'000'000'000'000 + static_cast<int64_t>(rng() % 100'000'000) * 1'000'000;
      (void)writer.UpsertTour(tour);
      tours.push_back(std::move(tour));
    }
    auto publish = [&writer](uint64_t as_of) {
      absl::StatusOr<std::shared_ptr<const Snapshot>> snapshot = writer.Publish(as_of);
      if (!snapshot.ok()) {
        std::fprintf(stderr, "build failed: %s\n", std::string(snapshot.status().message()).c_str());
        std::abort();
      }
      return *snapshot;
    };
    auto* w = new World;
    w->snapshot = publish(1);
    for (int i = 0; i < kChangedTours; ++i) {
      TourRecord& tour = tours[rng() % tours.size()];
      tour.title = word() + " " + word() + " " + word();
      if (i % 2 == 0) {
        const City& city = kCities[cities(rng)];
        tour.city = city.name;
        tour.country = city.country;
        tour.location = Around(city, rng);
      }
      (void)writer.UpsertTour(tour);
    }
    w->with_delta = publish(2);
    w->build_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::fprintf(stderr, "built %d tours, %d leaders in %.1f s\n", kTours, kLeaders,
                 w->build_seconds);
    return w;
  }();
  return *world;
}

// CPU time of the calling thread, in microseconds: on a shared, loaded
// machine wall time mostly measures the other tenants.
double ThreadCpuMicros() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e6 + static_cast<double>(ts.tv_nsec) / 1e3;
}

// Which snapshot a benchmark queries.
enum class Indexes { kBaseOnly, kWithDelta };

// Requests per benchmark. Each runs exactly once (a fixed iteration count),
// so every build measures the same queries and reports the same avg_total.
constexpr int kRequests = 512;

// Runs `make(rng)` requests, records each query's wall and CPU time, reports
// p50/p99 of both.
template <typename MakeRequest>
void RunQueries(benchmark::State& state, MakeRequest make,
                Indexes indexes = Indexes::kBaseOnly) {
  const World& world = GetWorld();
  const Snapshot& snapshot =
      indexes == Indexes::kBaseOnly ? *world.snapshot : *world.with_delta;
  const QueryExecutor executor;
  std::mt19937_64 rng(42);
  std::vector<SearchRequest> requests;
  for (int i = 0; i < kRequests; ++i) requests.push_back(make(rng));
  std::vector<double> micros;
  std::vector<double> cpu_micros;
  size_t i = 0;
  uint64_t hits = 0;
  for (auto _ : state) {
    const auto start = std::chrono::steady_clock::now();
    const double cpu_start = ThreadCpuMicros();
    absl::StatusOr<SearchResponse> response =
        executor.Search(snapshot, requests[i++ % requests.size()]);
    cpu_micros.push_back(ThreadCpuMicros() - cpu_start);
    micros.push_back(
        std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count());
    if (!response.ok()) {
      state.SkipWithError(std::string(response.status().message()).c_str());
      return;
    }
    hits += response->total;
    benchmark::DoNotOptimize(response);
  }
  std::sort(micros.begin(), micros.end());
  std::sort(cpu_micros.begin(), cpu_micros.end());
  if (!micros.empty()) {
    const size_t p99 = std::min(micros.size() - 1, micros.size() * 99 / 100);
    state.counters["p50_us"] = micros[micros.size() / 2];
    state.counters["p99_us"] = micros[p99];
    state.counters["cpu_p50_us"] = cpu_micros[cpu_micros.size() / 2];
    state.counters["cpu_p99_us"] = cpu_micros[p99];
    state.counters["avg_total"] = static_cast<double>(hits) / static_cast<double>(micros.size());
  }
  state.counters["build_s"] = world.build_seconds;
}

NearSpec NearCity(std::mt19937_64& rng, double radius_km) {
  static const Zipf cities(kCityCount);
  const LatLon p = Around(kCities[cities(rng)], rng);
  return NearSpec{p.lat, p.lon, radius_km};
}

PersonalitySpec RandomTraits(std::mt19937_64& rng) {
  PersonalitySpec p;
  for (size_t t = 0; t < 6; ++t) {
    p.traits.emplace_back(std::string(kCanonicalTraitNames[(t * 3 + rng()) % 16]) + "",
                          static_cast<double>(rng() % 101) / 100);
  }
  std::sort(p.traits.begin(), p.traits.end());
  p.traits.erase(std::unique(p.traits.begin(), p.traits.end(),
                             [](const auto& a, const auto& b) { return a.first == b.first; }),
                 p.traits.end());
  return p;
}

std::string Words(std::mt19937_64& rng, int count) {
  static const Zipf words(kWordCount);
  std::string q;
  for (int i = 0; i < count; ++i) q += std::string(i ? " " : "") + kVocabulary[words(rng)];
  return q;
}

SearchRequest TextGeoFiltersPersonality(std::mt19937_64& rng) {
  SearchRequest r;
  r.q = Words(rng, 1);
  r.near = NearCity(rng, 25);
  r.tour_filters.price_max_cents = 30000;
  r.tour_filters.categories = {kCategories[rng() % 8], kCategories[rng() % 8]};
  r.personality = RandomTraits(rng);
  return r;  // the default blend: text, distance and compatibility
}

SearchRequest GeoRadius25km(std::mt19937_64& rng) {
  SearchRequest r;
  r.near = NearCity(rng, 25);
  return r;
}

SearchRequest Text1to3Words(std::mt19937_64& rng) {
  SearchRequest r;
  r.q = Words(rng, 1 + static_cast<int>(rng() % 3));
  return r;
}

// Text by relevance with filters keeping about a tenth of the tours.
SearchRequest Text1to2WordsFilters(std::mt19937_64& rng) {
  SearchRequest r;
  r.q = Words(rng, 1 + static_cast<int>(rng() % 2));
  r.tour_filters.price_max_cents = 30000;
  r.tour_filters.categories = {kCategories[rng() % 8], kCategories[rng() % 8]};
  return r;
}

SearchRequest PersonalityLeaders(std::mt19937_64& rng) {
  SearchRequest r;
  r.index = IndexKind::kLeaders;
  r.personality = RandomTraits(rng);
  return r;
}

void BM_Query(benchmark::State& state, SearchRequest (*make)(std::mt19937_64&), Indexes indexes) {
  RunQueries(state, make, indexes);
}
BENCHMARK_CAPTURE(BM_Query, TextGeoFiltersPersonalityTop20, TextGeoFiltersPersonality,
                  Indexes::kBaseOnly)
    ->Unit(benchmark::kMicrosecond)
    ->Iterations(kRequests);
BENCHMARK_CAPTURE(BM_Query, GeoRadius25kmTop20, GeoRadius25km, Indexes::kBaseOnly)
    ->Unit(benchmark::kMicrosecond)
    ->Iterations(kRequests);
BENCHMARK_CAPTURE(BM_Query, Text1to3WordsTop20, Text1to3Words, Indexes::kBaseOnly)
    ->Unit(benchmark::kMicrosecond)
    ->Iterations(kRequests);
BENCHMARK_CAPTURE(BM_Query, Text1to2WordsFiltersTop20, Text1to2WordsFilters, Indexes::kBaseOnly)
    ->Unit(benchmark::kMicrosecond)
    ->Iterations(kRequests);
BENCHMARK_CAPTURE(BM_Query, PersonalityLeadersTop20, PersonalityLeaders, Indexes::kBaseOnly)
    ->Unit(benchmark::kMicrosecond)
    ->Iterations(kRequests);
// The same over a snapshot with kChangedTours in the delta.
BENCHMARK_CAPTURE(BM_Query, TextGeoFiltersPersonalityTop20_Delta, TextGeoFiltersPersonality,
                  Indexes::kWithDelta)
    ->Unit(benchmark::kMicrosecond)
    ->Iterations(kRequests);
BENCHMARK_CAPTURE(BM_Query, GeoRadius25kmTop20_Delta, GeoRadius25km, Indexes::kWithDelta)
    ->Unit(benchmark::kMicrosecond)
    ->Iterations(kRequests);
BENCHMARK_CAPTURE(BM_Query, Text1to3WordsTop20_Delta, Text1to3Words, Indexes::kWithDelta)
    ->Unit(benchmark::kMicrosecond)
    ->Iterations(kRequests);
BENCHMARK_CAPTURE(BM_Query, Text1to2WordsFiltersTop20_Delta, Text1to2WordsFilters,
                  Indexes::kWithDelta)
    ->Unit(benchmark::kMicrosecond)
    ->Iterations(kRequests);

}  // namespace
}  // namespace otter::engine::query

BENCHMARK_MAIN();
