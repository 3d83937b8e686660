#include "server/stats.h"

#include <unistd.h>

#include <bit>
#include <cstdio>
#include <initializer_list>
#include <string_view>
#include <utility>

namespace otter::server {
namespace {

// An object of `histogram`'s percentiles, named as given, and its max.
void WritePercentiles(ResponseWriter& w, const LatencyHistogram& histogram,
                      std::initializer_list<std::pair<std::string_view, double>> percentiles) {
  w.BeginObject();
  for (const auto& [name, q] : percentiles) {
    w.Key(name);
    w.Uint(histogram.Percentile(q));
  }
  w.Key("max");
  w.Uint(histogram.max());
  w.EndObject();
}

}  // namespace

int LatencyHistogram::BucketOf(uint64_t micros) {
  if (micros < 8) return static_cast<int>(micros);
  const int exponent = std::bit_width(micros) - 1;  // >= 3
  if (exponent >= 41) return kBuckets - 1;
  const int mantissa = static_cast<int>((micros >> (exponent - 3)) & 7);
  return 8 + (exponent - 3) * 8 + mantissa;
}

uint64_t LatencyHistogram::BucketUpperBound(int bucket) {
  if (bucket < 8) return static_cast<uint64_t>(bucket);
  const int exponent = (bucket - 8) / 8 + 3;
  const uint64_t mantissa = static_cast<uint64_t>((bucket - 8) % 8);
  return ((8 + mantissa + 1) << (exponent - 3)) - 1;
}

void LatencyHistogram::Record(uint64_t micros) {
  buckets_[static_cast<std::size_t>(BucketOf(micros))].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  uint64_t seen = max_.load(std::memory_order_relaxed);
  while (micros > seen && !max_.compare_exchange_weak(seen, micros, std::memory_order_relaxed)) {
  }
}

uint64_t LatencyHistogram::Percentile(double q) const {
  uint64_t total = 0;
  std::array<uint64_t, kBuckets> snapshot;
  for (int i = 0; i < kBuckets; ++i) {
    snapshot[static_cast<std::size_t>(i)] = buckets_[static_cast<std::size_t>(i)].load(std::memory_order_relaxed);
    total += snapshot[static_cast<std::size_t>(i)];
  }
  if (total == 0) return 0;
  uint64_t rank = static_cast<uint64_t>(q * static_cast<double>(total));
  if (rank >= total) rank = total - 1;
  uint64_t seen = 0;
  for (int i = 0; i < kBuckets; ++i) {
    seen += snapshot[static_cast<std::size_t>(i)];
    if (seen > rank) return std::min(BucketUpperBound(i), max());
  }
  return max();
}

void ServerStats::RecordRequest(Op op, uint64_t micros, bool ok) {
  PerOp& per_op = ops_[static_cast<std::size_t>(op)];
  per_op.latency.Record(micros);
  if (!ok) per_op.errors.fetch_add(1, std::memory_order_relaxed);
}

void ServerStats::WriteTo(ResponseWriter& w) const {
  w.Key("requests");
  w.BeginObject();
  for (uint16_t code = 1; code <= kMaxOpCode; ++code) {
    const PerOp& per_op = ops_[code];
    const uint64_t count = per_op.latency.count();
    if (count == 0) continue;
    w.Key(OpName(static_cast<Op>(code)));
    w.BeginObject();
    w.Key("count");
    w.Uint(count);
    w.Key("errors");
    w.Uint(per_op.errors.load(std::memory_order_relaxed));
    w.Key("latency_us");
    WritePercentiles(w, per_op.latency, {{"p50", 0.50}, {"p90", 0.90}, {"p99", 0.99}, {"p999", 0.999}});
    w.EndObject();
  }
  w.Key("rejected");
  w.Uint(rejected_.load(std::memory_order_relaxed));
  w.EndObject();
  w.Key("queries");
  w.BeginObject();
  w.Key("waiting");
  w.Uint(queries_.waiting.load(std::memory_order_relaxed));
  w.Key("overloaded_deadline");
  w.Uint(queries_.deadline_missed.load(std::memory_order_relaxed));
  w.Key("overloaded_queue_full");
  w.Uint(queries_.queue_full.load(std::memory_order_relaxed));
  w.Key("wait_us");
  WritePercentiles(w, queries_.wait, {{"p50", 0.50}, {"p99", 0.99}});
  w.EndObject();
  w.Key("connections");
  w.BeginObject();
  w.Key("open");
  w.Int(open_.load(std::memory_order_relaxed));
  w.Key("accepted");
  w.Uint(accepted_.load(std::memory_order_relaxed));
  w.Key("refused");
  w.Uint(refused_.load(std::memory_order_relaxed));
  w.EndObject();
  w.Key("memory");
  w.BeginObject();
  w.Key("rss_bytes");
  w.Uint(ResidentBytes());
  w.EndObject();
}

uint64_t ResidentBytes() {
  std::FILE* f = std::fopen("/proc/self/statm", "r");
  if (f == nullptr) return 0;
  unsigned long long size = 0, resident = 0;
  const int n = std::fscanf(f, "%llu %llu", &size, &resident);
  std::fclose(f);
  if (n != 2) return 0;
  return resident * static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
}

}  // namespace otter::server
