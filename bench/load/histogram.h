#pragma once
// A log-bucketed latency histogram in the manner of HdrHistogram: values
// below 256 are exact, larger ones fall into 128 buckets per power of two,
// so a reported percentile is within 0.4% of the exact one.
//
//   Histogram h;
//   h.Record(412'000);                 // nanoseconds
//   uint64_t p99 = h.Percentile(0.99);
//   total.Merge(h);
//
// Thread safety: none; each thread records into its own histogram and the
// results are merged at the end.

#include <cstdint>
#include <vector>

namespace otter::load {

class Histogram {
 public:
  static constexpr int kSubBucketBits = 7;
  static constexpr int kBuckets =
      (2 << kSubBucketBits) + (63 - kSubBucketBits) * (1 << kSubBucketBits);

  Histogram();

  void Record(uint64_t value);
  // Adds every value recorded in `other`.
  void Merge(const Histogram& other);

  uint64_t count() const { return count_; }
  // 0 when empty.
  uint64_t min() const { return count_ == 0 ? 0 : min_; }
  uint64_t max() const { return max_; }
  double mean() const {
    return count_ == 0 ? 0 : static_cast<double>(sum_) / static_cast<double>(count_);
  }

  // The nearest-rank q-quantile (the smallest recorded value v such that a
  // fraction q of the values are <= v), as the middle of its bucket clamped
  // to [min(), max()]: exact below 256, else within 1/256 of the exact
  // value. q in [0, 1]; 0 when empty.
  uint64_t Percentile(double q) const;

  // Bucket arithmetic, exposed for tests: the bucket of `value` and the
  // smallest and largest value of a bucket.
  static int BucketOf(uint64_t value);
  static uint64_t BucketLowerBound(int bucket);
  static uint64_t BucketUpperBound(int bucket);

 private:
  std::vector<uint64_t> buckets_;
  uint64_t count_ = 0;
  uint64_t min_ = ~uint64_t{0};
  uint64_t max_ = 0;
  uint64_t sum_ = 0;
};

}  // namespace otter::load
