// The writer at the bench scale (1,000,000 tours, 100,000 leaders): latency of
// one update + Publish() (p50/p99, wall), with and without a background merge
// running, and the time of a merge (building both bases, then the swap).
//
//   engine_writer_benchmark --benchmark_filter=EngineWriter
//
// Each benchmark bulk-loads its own writer outside the timed loop (the first
// Publish() builds the bases, reported as base_build_s).

#include <algorithm>
#include <chrono>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "benchmark/benchmark.h"
#include "engine/engine_writer.h"

namespace otter::engine {
namespace {

constexpr uint64_t kTours = 1'000'000;
constexpr uint64_t kLeaders = 100'000;

const char* const kWords[] = {"sunset", "kayak",  "hiking",  "wine",    "tasting", "castle",
                              "harbour", "street", "food",   "market",  "mountain", "lagoon",
                              "cycling", "museum", "night",  "volcano", "river",   "old",
                              "town",    "walking", "boat",  "island",  "desert",  "forest"};

Uuid NumberedUuid(uint8_t kind, uint64_t n) {
  std::array<uint8_t, 16> bytes{};
  bytes[0] = kind;
  bytes[7] = 1;
  for (int i = 0; i < 8; ++i) bytes[8 + i] = static_cast<uint8_t>(n >> (8 * i));
  return Uuid(bytes);
}

std::string Words(std::mt19937_64& rng, int count) {
  std::string text;
  for (int i = 0; i < count; ++i) {
    text += kWords[rng() % std::size(kWords)];
    text += ' ';
  }
  return text;
}

TourRecord RandomTour(std::mt19937_64& rng, uint64_t n) {
  TourRecord tour;
  tour.id = NumberedUuid(0x70, n);
  tour.leader_id = NumberedUuid(0x1e, rng() % kLeaders);
  tour.title = Words(rng, 3) + std::to_string(n % 5000);
  tour.description = Words(rng, 20);
  tour.tags = {kWords[rng() % std::size(kWords)]};
  tour.category = kWords[rng() % 8];
  tour.city = "Lisboa";
  tour.country = "Portugal";
  std::uniform_real_distribution<double> lat(-60, 70);
  std::uniform_real_distribution<double> lon(-180, 180);
  tour.location = LatLon{lat(rng), lon(rng)};
  tour.price_cents = static_cast<int64_t>(rng() % 100'000);
  return tour;
}

double Percentile(std::vector<double> values, double q) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  return values[static_cast<size_t>(q * static_cast<double>(values.size() - 1))];
}

std::unique_ptr<EngineWriter> LoadedWriter(EngineWriterOptions options, double* build_seconds) {
  auto writer = std::make_unique<EngineWriter>(options);
  std::mt19937_64 rng(42);
  for (uint64_t n = 0; n < kLeaders; ++n) {
    LeaderRecord leader;
    leader.id = NumberedUuid(0x1e, n);
    leader.display_name = "Guide " + Words(rng, 2);
    leader.bio = Words(rng, 15);
    leader.location = LatLon{0, 0};
    (void)writer->UpsertLeader(std::move(leader));
  }
  for (uint64_t n = 0; n < kTours; ++n) (void)writer->UpsertTour(RandomTour(rng, n));
  const auto start = std::chrono::steady_clock::now();
  (void)writer->Publish(1);
  *build_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return writer;
}

// One tour update (new text and location) and a Publish(), repeatedly.
void RunUpdates(benchmark::State& state, EngineWriterOptions options) {
  double build_seconds = 0;
  std::unique_ptr<EngineWriter> writer = LoadedWriter(options, &build_seconds);
  std::mt19937_64 rng(7);
  std::vector<double> micros;
  std::vector<double> merging_micros;
  uint64_t as_of = 2;
  for (auto _ : state) {
    const auto start = std::chrono::steady_clock::now();
    (void)writer->UpsertTour(RandomTour(rng, rng() % kTours));
    auto snapshot = writer->Publish(as_of++);
    const double us =
        std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start)
            .count();
    (writer->merge_running() ? merging_micros : micros).push_back(us);
    benchmark::DoNotOptimize(snapshot);
  }
  std::vector<double> all = micros;
  all.insert(all.end(), merging_micros.begin(), merging_micros.end());
  state.counters["p50_us"] = Percentile(all, 0.50);
  state.counters["p99_us"] = Percentile(all, 0.99);
  state.counters["max_us"] = Percentile(all, 1.0);
  state.counters["p99_while_merging_us"] = Percentile(merging_micros, 0.99);
  state.counters["base_build_s"] = build_seconds;
  const EngineWriterStats& stats = writer->stats();
  state.counters["merges"] = static_cast<double>(stats.merges_completed);
  state.counters["merge_build_s"] = std::chrono::duration<double>(stats.last_merge_build).count();
  state.counters["merge_swap_ms"] =
      std::chrono::duration<double, std::milli>(stats.last_merge_swap).count();
}

void BM_EngineWriter_UpdatePublish(benchmark::State& state) {
  EngineWriterOptions options;  // default threshold: min(20,000, 1% = 10,000)
  RunUpdates(state, options);
}
BENCHMARK(BM_EngineWriter_UpdatePublish)->Iterations(5'000)->Unit(benchmark::kMicrosecond);

void BM_EngineWriter_UpdatePublishWithMerges(benchmark::State& state) {
  EngineWriterOptions options;
  options.merge_min_changes = 2'000;
  options.merge_max_changes = 2'000;
  RunUpdates(state, options);
}
BENCHMARK(BM_EngineWriter_UpdatePublishWithMerges)
    ->Iterations(60'000)
    ->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace otter::engine

BENCHMARK_MAIN();
