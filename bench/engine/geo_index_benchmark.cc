// GeoIndex over 1,000,000 points clustered around ~330 real cities with
// Zipf-like popularity (the most popular city holds ~15% of the points, the
// way the `bench` data scale lays out tours). Query centres are drawn with
// the same popularity, a few kilometres from a city centre. The index is
// built once, outside the timed loops; query benchmarks report p50/p99 per
// query (microseconds) as counters.
//
//   geo_index_benchmark --benchmark_filter=Radius25km

#include <time.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <memory>
#include <numbers>
#include <random>
#include <vector>

#include "benchmark/benchmark.h"

#include "engine/geo_index.h"

namespace otter::engine {
namespace {

struct City {
  const char* name;
  double lat;
  double lon;
};

// Most popular first; popularity of rank r is proportional to 1/r. The
// first 101 are the data generator's cities (sql/generate), in its order.
// clang-format off
const City kCities[] = {
    {"Paris", 48.8566, 2.3522}, {"London", 51.5074, -0.1278}, {"Rome", 41.9028, 12.4964},
    {"Barcelona", 41.3874, 2.1686}, {"Lisbon", 38.7223, -9.1393}, {"New York", 40.7128, -74.0060},
    {"Tokyo", 35.6762, 139.6503}, {"Bangkok", 13.7563, 100.5018}, {"Istanbul", 41.0082, 28.9784},
    {"Dubai", 25.2048, 55.2708}, {"Amsterdam", 52.3676, 4.9041}, {"Prague", 50.0755, 14.4378},
    {"Vienna", 48.2082, 16.3738}, {"Berlin", 52.5200, 13.4050}, {"Madrid", 40.4168, -3.7038},
    {"Athens", 37.9838, 23.7275}, {"Kyoto", 35.0116, 135.7681}, {"Singapore", 1.3521, 103.8198},
    {"Hong Kong", 22.3193, 114.1694}, {"Sydney", -33.8688, 151.2093},
    {"Melbourne", -37.8136, 144.9631}, {"San Francisco", 37.7749, -122.4194},
    {"Los Angeles", 34.0522, -118.2437}, {"Mexico City", 19.4326, -99.1332},
    {"Cancún", 21.1619, -86.8515}, {"Rio de Janeiro", -22.9068, -43.1729},
    {"Buenos Aires", -34.6037, -58.3816}, {"Cusco", -13.5320, -71.9675},
    {"Lima", -12.0464, -77.0428}, {"Cape Town", -33.9249, 18.4241},
    {"Marrakesh", 31.6295, -7.9811}, {"Cairo", 30.0444, 31.2357}, {"Reykjavík", 64.1466, -21.9426},
    {"Dublin", 53.3498, -6.2603}, {"Edinburgh", 55.9533, -3.1883},
    {"Copenhagen", 55.6761, 12.5683}, {"Stockholm", 59.3293, 18.0686}, {"Oslo", 59.9139, 10.7522},
    {"Helsinki", 60.1699, 24.9384}, {"Budapest", 47.4979, 19.0402}, {"Kraków", 50.0647, 19.9450},
    {"Dubrovnik", 42.6507, 18.0944}, {"Venice", 45.4408, 12.3155}, {"Florence", 43.7696, 11.2558},
    {"Naples", 40.8518, 14.2681}, {"Nice", 43.7102, 7.2620}, {"Porto", 41.1579, -8.6291},
    {"Seville", 37.3891, -5.9845}, {"Munich", 48.1351, 11.5820}, {"Zürich", 47.3769, 8.5417},
    {"Interlaken", 46.6863, 7.8632}, {"Santorini", 36.3932, 25.4615}, {"Bali", -8.4095, 115.1889},
    {"Hanoi", 21.0278, 105.8342}, {"Ho Chi Minh City", 10.8231, 106.6297},
    {"Seoul", 37.5665, 126.9780}, {"Beijing", 39.9042, 116.4074}, {"Shanghai", 31.2304, 121.4737},
    {"Taipei", 25.0330, 121.5654}, {"Manila", 14.5995, 120.9842},
    {"Kuala Lumpur", 3.1390, 101.6869}, {"Delhi", 28.6139, 77.2090}, {"Mumbai", 19.0760, 72.8777},
    {"Jaipur", 26.9124, 75.7873}, {"Kathmandu", 27.7172, 85.3240}, {"Colombo", 6.9271, 79.8612},
    {"Auckland", -36.8485, 174.7633}, {"Queenstown", -45.0312, 168.6626},
    {"Honolulu", 21.3069, -157.8583}, {"Anchorage", 61.2181, -149.9003},
    {"Vancouver", 49.2827, -123.1207}, {"Toronto", 43.6532, -79.3832},
    {"Montréal", 45.5017, -73.5673}, {"Québec City", 46.8139, -71.2080},
    {"Chicago", 41.8781, -87.6298}, {"New Orleans", 29.9511, -90.0715},
    {"Miami", 25.7617, -80.1918}, {"Havana", 23.1136, -82.3666}, {"Cartagena", 10.3910, -75.4794},
    {"Medellín", 6.2442, -75.5812}, {"Quito", -0.1807, -78.4678}, {"Santiago", -33.4489, -70.6693},
    {"Ushuaia", -54.8019, -68.3030}, {"Nairobi", -1.2921, 36.8219}, {"Zanzibar", -6.1659, 39.2026},
    {"Victoria Falls", -17.9243, 25.8572}, {"Petra", 30.3285, 35.4444},
    {"Jerusalem", 31.7683, 35.2137}, {"Tbilisi", 41.7151, 44.8271}, {"Tromsø", 69.6492, 18.9553},
    {"Longyearbyen", 78.2232, 15.6267}, {"Fiji", -17.7134, 178.0650}, {"Suva", -18.1248, 178.4501},
    {"Apia", -13.8507, -171.7514}, {"Nuku'alofa", -21.1394, -175.2049},
    {"Chatham Islands", -43.9535, -176.5597}, {"McMurdo Station", -77.8419, 166.6863},
    {"Quito Equator Line", 0.0022, -78.4558}, {"Galápagos", -0.9538, -90.9656},
    {"Luang Prabang", 19.8845, 102.1348}, {"Siem Reap", 13.3671, 103.8448}, {"Lyon", 45.76, 4.84},
    {"Marseille", 43.30, 5.37}, {"Bordeaux", 44.84, -0.58}, {"Strasbourg", 48.57, 7.75},
    {"Toulouse", 43.60, 1.44}, {"Manchester", 53.48, -2.24}, {"Liverpool", 53.41, -2.99},
    {"Bath", 51.38, -2.36}, {"York", 53.96, -1.08}, {"Glasgow", 55.86, -4.25},
    {"Cardiff", 51.48, -3.18}, {"Belfast", 54.60, -5.93}, {"Galway", 53.27, -9.05},
    {"Brussels", 50.85, 4.35}, {"Bruges", 51.21, 3.22}, {"Antwerp", 51.22, 4.40},
    {"Luxembourg", 49.61, 6.13}, {"Rotterdam", 51.92, 4.48}, {"Hamburg", 53.55, 9.99},
    {"Cologne", 50.94, 6.96}, {"Frankfurt", 50.11, 8.68}, {"Dresden", 51.05, 13.74},
    {"Heidelberg", 49.40, 8.67}, {"Salzburg", 47.81, 13.06}, {"Innsbruck", 47.27, 11.40},
    {"Geneva", 46.20, 6.14}, {"Lucerne", 47.05, 8.31}, {"Milan", 45.46, 9.19},
    {"Turin", 45.07, 7.69}, {"Bologna", 44.49, 11.34}, {"Verona", 45.44, 10.99},
    {"Pisa", 43.72, 10.40}, {"Siena", 43.32, 11.33}, {"Palermo", 38.12, 13.36},
    {"Catania", 37.50, 15.09}, {"Bari", 41.12, 16.87}, {"Valencia", 39.47, -0.38},
    {"Granada", 37.18, -3.60}, {"Malaga", 36.72, -4.42}, {"Bilbao", 43.26, -2.93},
    {"San Sebastian", 43.32, -1.98}, {"Palma", 39.57, 2.65}, {"Ibiza", 38.91, 1.43},
    {"Faro", 37.02, -7.93}, {"Funchal", 32.65, -16.91}, {"Ponta Delgada", 37.74, -25.67},
    {"Las Palmas", 28.12, -15.44}, {"Santa Cruz de Tenerife", 28.46, -16.25},
    {"Valletta", 35.90, 14.51}, {"Split", 43.51, 16.44}, {"Zagreb", 45.81, 15.98},
    {"Ljubljana", 46.06, 14.51}, {"Sarajevo", 43.86, 18.41}, {"Kotor", 42.42, 18.77},
    {"Belgrade", 44.79, 20.45}, {"Sofia", 42.70, 23.32}, {"Bucharest", 44.43, 26.10},
    {"Brasov", 45.66, 25.61}, {"Thessaloniki", 40.64, 22.94}, {"Heraklion", 35.34, 25.13},
    {"Rhodes", 36.43, 28.22}, {"Mykonos", 37.45, 25.33}, {"Corfu", 39.62, 19.92},
    {"Tirana", 41.33, 19.82}, {"Skopje", 41.99, 21.43}, {"Warsaw", 52.23, 21.01},
    {"Gdansk", 54.35, 18.65}, {"Wroclaw", 51.11, 17.04}, {"Bratislava", 48.15, 17.11},
    {"Tallinn", 59.44, 24.75}, {"Riga", 56.95, 24.11}, {"Vilnius", 54.69, 25.28},
    {"Bergen", 60.39, 5.32}, {"Gothenburg", 57.71, 11.97}, {"Rovaniemi", 66.50, 25.73},
    {"St Petersburg", 59.93, 30.34}, {"Moscow", 55.76, 37.62}, {"Kyiv", 50.45, 30.52},
    {"Lviv", 49.84, 24.03}, {"Yerevan", 40.18, 44.51}, {"Baku", 40.41, 49.87},
    {"Antalya", 36.90, 30.70}, {"Cappadocia", 38.64, 34.83}, {"Izmir", 38.42, 27.14},
    {"Beirut", 33.89, 35.50}, {"Amman", 31.95, 35.93}, {"Tel Aviv", 32.09, 34.78},
    {"Abu Dhabi", 24.45, 54.38}, {"Doha", 25.29, 51.53}, {"Muscat", 23.59, 58.41},
    {"Riyadh", 24.71, 46.68}, {"Tehran", 35.69, 51.39}, {"Isfahan", 32.65, 51.67},
    {"Samarkand", 39.65, 66.96}, {"Tashkent", 41.30, 69.24}, {"Almaty", 43.24, 76.89},
    {"Ulaanbaatar", 47.89, 106.91}, {"Karachi", 24.86, 67.01}, {"Lahore", 31.55, 74.34},
    {"Agra", 27.18, 78.01}, {"Varanasi", 25.32, 82.97}, {"Goa", 15.30, 74.12},
    {"Kochi", 9.93, 76.27}, {"Bengaluru", 12.97, 77.59}, {"Chennai", 13.08, 80.27},
    {"Kolkata", 22.57, 88.36}, {"Udaipur", 24.59, 73.71}, {"Dhaka", 23.81, 90.41},
    {"Thimphu", 27.47, 89.64}, {"Male", 4.18, 73.51}, {"Yangon", 16.87, 96.20},
    {"Chiang Mai", 18.79, 98.98}, {"Phuket", 7.88, 98.39}, {"Krabi", 8.09, 98.91},
    {"Vientiane", 17.97, 102.63}, {"Phnom Penh", 11.56, 104.93}, {"Da Nang", 16.05, 108.20},
    {"Hoi An", 15.88, 108.34}, {"Penang", 5.41, 100.33}, {"Jakarta", -6.21, 106.85},
    {"Yogyakarta", -7.80, 110.36}, {"Cebu", 10.32, 123.89}, {"Palawan", 9.83, 118.74},
    {"Guangzhou", 23.13, 113.26}, {"Shenzhen", 22.54, 114.06}, {"Chengdu", 30.57, 104.07},
    {"Xian", 34.34, 108.94}, {"Guilin", 25.27, 110.29}, {"Hangzhou", 30.27, 120.16},
    {"Lhasa", 29.65, 91.12}, {"Macau", 22.20, 113.54}, {"Busan", 35.18, 129.08},
    {"Jeju", 33.50, 126.53}, {"Osaka", 34.69, 135.50}, {"Hiroshima", 34.39, 132.46},
    {"Sapporo", 43.06, 141.35}, {"Fukuoka", 33.59, 130.40}, {"Okinawa", 26.21, 127.68},
    {"Nara", 34.69, 135.80}, {"Perth", -31.95, 115.86}, {"Brisbane", -27.47, 153.03},
    {"Cairns", -16.92, 145.77}, {"Adelaide", -34.93, 138.60}, {"Hobart", -42.88, 147.33},
    {"Darwin", -12.46, 130.84}, {"Alice Springs", -23.70, 133.88}, {"Wellington", -41.29, 174.78},
    {"Christchurch", -43.53, 172.64}, {"Rotorua", -38.14, 176.25}, {"Papeete", -17.54, -149.57},
    {"Bora Bora", -16.50, -151.74}, {"Port Vila", -17.73, 168.32}, {"Noumea", -22.27, 166.46},
    {"Rarotonga", -21.21, -159.78}, {"Guam", 13.44, 144.79}, {"Seattle", 47.61, -122.33},
    {"Portland", 45.52, -122.68}, {"San Diego", 32.72, -117.16}, {"Las Vegas", 36.17, -115.14},
    {"Phoenix", 33.45, -112.07}, {"Denver", 39.74, -104.99}, {"Salt Lake City", 40.76, -111.89},
    {"Austin", 30.27, -97.74}, {"Dallas", 32.78, -96.80}, {"Houston", 29.76, -95.37},
    {"Nashville", 36.16, -86.78}, {"Atlanta", 33.75, -84.39}, {"Washington", 38.91, -77.04},
    {"Boston", 42.36, -71.06}, {"Philadelphia", 39.95, -75.17}, {"Orlando", 28.54, -81.38},
    {"Charleston", 32.78, -79.93}, {"Savannah", 32.08, -81.09}, {"Maui", 20.80, -156.33},
    {"Juneau", 58.30, -134.42}, {"Calgary", 51.05, -114.07}, {"Banff", 51.18, -115.57},
    {"Halifax", 44.65, -63.58}, {"Ottawa", 45.42, -75.70}, {"Oaxaca", 17.07, -96.73},
    {"Guadalajara", 20.66, -103.35}, {"Tulum", 20.21, -87.47}, {"Puerto Vallarta", 20.65, -105.23},
    {"Guatemala City", 14.63, -90.51}, {"Antigua Guatemala", 14.56, -90.73},
    {"San Jose Costa Rica", 9.93, -84.09}, {"Panama City", 8.98, -79.52},
    {"San Juan", 18.47, -66.11}, {"Santo Domingo", 18.49, -69.93}, {"Kingston", 17.97, -76.79},
    {"Nassau", 25.05, -77.35}, {"Bridgetown", 13.10, -59.61}, {"Bogota", 4.71, -74.07},
    {"Caracas", 10.48, -66.90}, {"La Paz", -16.49, -68.12}, {"Uyuni", -20.46, -66.83},
    {"Arequipa", -16.41, -71.54}, {"Sao Paulo", -23.55, -46.63}, {"Salvador", -12.97, -38.50},
    {"Florianopolis", -27.60, -48.55}, {"Manaus", -3.12, -60.02}, {"Iguazu", -25.60, -54.57},
    {"Montevideo", -34.90, -56.16}, {"Mendoza", -32.89, -68.83}, {"Bariloche", -41.13, -71.31},
    {"Valparaiso", -33.05, -71.62}, {"Punta Arenas", -53.16, -70.91},
    {"Easter Island", -27.11, -109.35}, {"Casablanca", 33.57, -7.59}, {"Fes", 34.03, -5.00},
    {"Tunis", 36.81, 10.18}, {"Luxor", 25.69, 32.64}, {"Dakar", 14.72, -17.47},
    {"Accra", 5.60, -0.19}, {"Lagos", 6.52, 3.38}, {"Addis Ababa", 9.03, 38.74},
    {"Kigali", -1.94, 30.06}, {"Arusha", -3.39, 36.68}, {"Kampala", 0.35, 32.58},
    {"Windhoek", -22.56, 17.08}, {"Johannesburg", -26.20, 28.05}, {"Durban", -29.86, 31.02},
    {"Maputo", -25.97, 32.57}, {"Antananarivo", -18.88, 47.51}, {"Port Louis", -20.16, 57.50},
    {"Victoria Seychelles", -4.62, 55.45}, {"Nuuk", 64.18, -51.72}, {"Ilulissat", 69.22, -51.10},
    {"Torshavn", 62.01, -6.77}, {"Murmansk", 68.97, 33.08},
    {"Petropavlovsk-Kamchatsky", 53.02, 158.65}, {"Anadyr", 64.73, 177.51},
    {"Vladivostok", 43.12, 131.89}, {"Utqiagvik", 71.29, -156.79},
    {"Ushuaia Harbour", -54.81, -68.31},
};
// clang-format on

constexpr size_t kPointCount = 1'000'000;
constexpr size_t kQueryCount = 20'000;
constexpr double kKmPerDegree = 111.2;

// Draws city ranks with probability proportional to 1/rank.
class ZipfCities {
 public:
  ZipfCities() {
    double total = 0;
    for (size_t r = 0; r < std::size(kCities); ++r) {
      total += 1.0 / static_cast<double>(r + 1);
      cumulative_.push_back(total);
    }
    for (double& c : cumulative_) c /= total;
  }

  const City& Draw(std::mt19937_64& rng) const {
    const double u = std::uniform_real_distribution<double>(0, 1)(rng);
    const size_t rank =
        std::lower_bound(cumulative_.begin(), cumulative_.end(), u) - cumulative_.begin();
    return kCities[std::min(rank, std::size(kCities) - 1)];
  }

 private:
  std::vector<double> cumulative_;
};

// A point `km` kilometres (normal, per axis) around a city, wrapped.
LatLon Around(const City& city, double km, std::mt19937_64& rng) {
  std::normal_distribution<double> normal(0, 1);
  const double lat = std::clamp(city.lat + normal(rng) * km / kKmPerDegree, -89.9, 89.9);
  double lon =
      city.lon + normal(rng) * km /
                     (kKmPerDegree * std::max(std::cos(city.lat * std::numbers::pi / 180), 0.05));
  if (lon > 180) lon -= 360;
  if (lon < -180) lon += 360;
  return {lat, lon};
}

std::vector<GeoEntry> MakeEntries() {
  std::mt19937_64 rng(20240601);
  const ZipfCities cities;
  std::vector<GeoEntry> entries;
  entries.reserve(kPointCount);
  for (uint32_t doc = 0; doc < kPointCount; ++doc) {
    // A guide lives near the centre; their tours spread ~8 km around.
    entries.push_back({doc, Around(cities.Draw(rng), 8.5, rng)});
  }
  return entries;
}

struct Fixture {
  std::unique_ptr<GeoIndex> index;
  std::vector<LatLon> queries;
  double build_seconds = 0;
};

const Fixture& SharedFixture() {
  static const Fixture* fixture = [] {
    auto* f = new Fixture;
    const std::vector<GeoEntry> entries = MakeEntries();
    const auto start = std::chrono::steady_clock::now();
    f->index = std::move(GeoIndex::Build(entries)).value();
    f->build_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::mt19937_64 rng(7);
    const ZipfCities cities;
    for (size_t i = 0; i < kQueryCount; ++i) f->queries.push_back(Around(cities.Draw(rng), 5, rng));
    return f;
  }();
  return *fixture;
}

double ThreadCpuMicros() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e6 + static_cast<double>(ts.tv_nsec) / 1e3;
}

// Runs `query(center)` once per iteration over the query centres and
// reports latency percentiles and the mean result size.
template <typename Query>
void RunQueries(benchmark::State& state, Query&& query) {
  const Fixture& f = SharedFixture();
  std::vector<double> micros;
  std::vector<double> cpu_micros;
  micros.reserve(1 << 20);
  cpu_micros.reserve(1 << 20);
  size_t i = 0;
  double results = 0;
  for (auto _ : state) {
    const LatLon& center = f.queries[i++ % f.queries.size()];
    const double cpu_start = ThreadCpuMicros();
    const auto start = std::chrono::steady_clock::now();
    const size_t n = query(*f.index, center);
    micros.push_back(
        std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start)
            .count());
    cpu_micros.push_back(ThreadCpuMicros() - cpu_start);
    results += static_cast<double>(n);
  }
  if (micros.empty()) return;
  auto percentile = [](std::vector<double>& values, double p) {
    std::sort(values.begin(), values.end());
    return values[std::min(values.size() - 1,
                           static_cast<size_t>(p * static_cast<double>(values.size())))];
  };
  state.counters["p50_us"] = percentile(micros, 0.50);
  state.counters["p99_us"] = percentile(micros, 0.99);
  // On a shared machine wall time includes waiting for a core; CPU time
  // is the query's own cost.
  state.counters["p50_cpu_us"] = percentile(cpu_micros, 0.50);
  state.counters["p99_cpu_us"] = percentile(cpu_micros, 0.99);
  state.counters["results"] = results / static_cast<double>(micros.size());
}

void BM_GeoIndex_Build(benchmark::State& state) {
  const std::vector<GeoEntry> entries = MakeEntries();
  size_t memory = 0;
  for (auto _ : state) {
    std::unique_ptr<GeoIndex> index = std::move(GeoIndex::Build(entries)).value();
    memory = index->MemoryBytes();
    benchmark::DoNotOptimize(index);
  }
  state.counters["points"] = static_cast<double>(entries.size());
  state.counters["memory_MB"] = static_cast<double>(memory) / 1e6;
  state.counters["bytes_per_point"] =
      static_cast<double>(memory) / static_cast<double>(entries.size());
}
BENCHMARK(BM_GeoIndex_Build)->Unit(benchmark::kMillisecond)->Iterations(3);

void BM_GeoIndex_Radius25km_Top20(benchmark::State& state) {
  RunQueries(state, [](const GeoIndex& index, const LatLon& center) {
    absl::StatusOr<std::vector<GeoHit>> hits = index.Nearest(center, 20, AcceptAnyDoc, 25'000);
    benchmark::DoNotOptimize(hits);
    return hits->size();
  });
}
BENCHMARK(BM_GeoIndex_Radius25km_Top20)->Unit(benchmark::kMicrosecond);

// Every third doc rejected, as deletions and filters do.
void BM_GeoIndex_Radius25km_Top20_Predicate(benchmark::State& state) {
  RunQueries(state, [](const GeoIndex& index, const LatLon& center) {
    absl::StatusOr<std::vector<GeoHit>> hits = index.Nearest(
        center, 20, [](uint32_t doc) { return doc % 3 != 0; }, 25'000);
    benchmark::DoNotOptimize(hits);
    return hits->size();
  });
}
BENCHMARK(BM_GeoIndex_Radius25km_Top20_Predicate)->Unit(benchmark::kMicrosecond);

void BM_GeoIndex_Nearest20(benchmark::State& state) {
  RunQueries(state, [](const GeoIndex& index, const LatLon& center) {
    absl::StatusOr<std::vector<GeoHit>> hits = index.Nearest(center, 20);
    benchmark::DoNotOptimize(hits);
    return hits->size();
  });
}
BENCHMARK(BM_GeoIndex_Nearest20)->Unit(benchmark::kMicrosecond);

// The full set within 25 km (for an exact total): tens of thousands of
// points around the most popular cities.
void BM_GeoIndex_Radius25km_All(benchmark::State& state) {
  RunQueries(state, [](const GeoIndex& index, const LatLon& center) {
    absl::StatusOr<std::vector<GeoHit>> hits = index.Radius(center, 25'000);
    benchmark::DoNotOptimize(hits);
    return hits->size();
  });
}
BENCHMARK(BM_GeoIndex_Radius25km_All)->Unit(benchmark::kMicrosecond);

// The exact total within 25 km without distances: CountRadius decides
// points inside the inner chord bound or outside the outer one by the chord.
void BM_GeoIndex_CountRadius25km(benchmark::State& state) {
  RunQueries(state, [](const GeoIndex& index, const LatLon& center) {
    absl::StatusOr<size_t> count = index.CountRadius(center, 25'000);
    benchmark::DoNotOptimize(count);
    return *count;
  });
}
BENCHMARK(BM_GeoIndex_CountRadius25km)->Unit(benchmark::kMicrosecond);

// The same with a predicate (filters, stale base entries) on every point.
void BM_GeoIndex_CountRadius25km_Predicate(benchmark::State& state) {
  RunQueries(state, [](const GeoIndex& index, const LatLon& center) {
    absl::StatusOr<size_t> count =
        index.CountRadius(center, 25'000, [](uint32_t doc) { return doc % 3 != 0; });
    benchmark::DoNotOptimize(count);
    return *count;
  });
}
BENCHMARK(BM_GeoIndex_CountRadius25km_Predicate)->Unit(benchmark::kMicrosecond);

void BM_GeoIndex_Radius2km_All(benchmark::State& state) {
  RunQueries(state, [](const GeoIndex& index, const LatLon& center) {
    absl::StatusOr<std::vector<GeoHit>> hits = index.Radius(center, 2'000);
    benchmark::DoNotOptimize(hits);
    return hits->size();
  });
}
BENCHMARK(BM_GeoIndex_Radius2km_All)->Unit(benchmark::kMicrosecond);

void BM_GeoIndex_Box5km(benchmark::State& state) {
  RunQueries(state, [](const GeoIndex& index, const LatLon& center) {
    const double dlat = 5 / kKmPerDegree;
    const double dlon = dlat / std::max(std::cos(center.lat * std::numbers::pi / 180), 0.05);
    const GeoBox box{std::max(-90.0, center.lat - dlat), std::max(-180.0, center.lon - dlon),
                     std::min(90.0, center.lat + dlat), std::min(180.0, center.lon + dlon)};
    absl::StatusOr<std::vector<uint32_t>> docs = index.Box(box);
    benchmark::DoNotOptimize(docs);
    return docs->size();
  });
}
BENCHMARK(BM_GeoIndex_Box5km)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace otter::engine

BENCHMARK_MAIN();
