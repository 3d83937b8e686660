#pragma once
// Counters and latency histograms for the `stats` op.
//
// LatencyHistogram is HDR-like: exact below 8 us, then 8 buckets per power
// of two (relative error under 12.5%) up to 2^40 us; recording is one
// relaxed atomic increment, so every thread records into the same one.
//
//   stats.RecordRequest(Op::kSearch, /*micros=*/412, /*ok=*/true);
//   stats.WriteTo(writer);   // "requests":{…},"queries":{…},"connections":{…},"memory":{…}
//
// Thread safety: every method may be called from any thread.

#include <array>
#include <atomic>
#include <cstdint>

#include "server/request.h"
#include "server/response_writer.h"

namespace otter::server {

class LatencyHistogram {
 public:
  static constexpr int kBuckets = 8 + 38 * 8;

  void Record(uint64_t micros);
  uint64_t count() const { return count_.load(std::memory_order_relaxed); }
  uint64_t max() const { return max_.load(std::memory_order_relaxed); }
  // The upper bound of the bucket holding the q-quantile (q in [0, 1]),
  // capped at max(); 0 when empty.
  uint64_t Percentile(double q) const;

  // Bucket arithmetic, exposed for tests.
  static int BucketOf(uint64_t micros);
  static uint64_t BucketUpperBound(int bucket);

 private:
  std::array<std::atomic<uint64_t>, kBuckets> buckets_{};
  std::atomic<uint64_t> count_{0};
  std::atomic<uint64_t> max_{0};
};

// The query threads' figures, kept by the QueryPool: engine ops waiting for
// a thread now, how long they waited, and those answered `overloaded`.
struct QueryStats {
  std::atomic<uint64_t> waiting{0};
  std::atomic<uint64_t> deadline_missed{0};  // picked up after their deadline
  std::atomic<uint64_t> queue_full{0};       // refused: max_queued_queries were waiting
  LatencyHistogram wait;                     // from queued to picked up, in us
};

class ServerStats {
 public:
  // One answered request of `op` that took `micros`; ok=false for errors.
  void RecordRequest(Op op, uint64_t micros, bool ok);
  // A request that could not be parsed (no op known).
  void RecordRejected() { rejected_.fetch_add(1, std::memory_order_relaxed); }

  void ConnectionOpened() {
    open_.fetch_add(1, std::memory_order_relaxed);
    accepted_.fetch_add(1, std::memory_order_relaxed);
  }
  void ConnectionClosed() { open_.fetch_sub(1, std::memory_order_relaxed); }
  void ConnectionRefused() { refused_.fetch_add(1, std::memory_order_relaxed); }
  int64_t open_connections() const { return open_.load(std::memory_order_relaxed); }

  QueryStats& queries() { return queries_; }
  const QueryStats& queries() const { return queries_; }

  // Writes the members "requests", "queries", "connections" and "memory"
  // into the open response object of `w`.
  void WriteTo(ResponseWriter& w) const;

 private:
  struct PerOp {
    std::atomic<uint64_t> errors{0};
    LatencyHistogram latency;
  };
  std::array<PerOp, kOpCount> ops_;
  std::atomic<uint64_t> rejected_{0};
  std::atomic<int64_t> open_{0};
  std::atomic<uint64_t> accepted_{0};
  std::atomic<uint64_t> refused_{0};
  QueryStats queries_;
};

// The resident set size of this process from /proc/self/statm, in bytes;
// 0 when it cannot be read.
uint64_t ResidentBytes();

}  // namespace otter::server
