#include "bench/load/histogram.h"

#include <algorithm>
#include <bit>
#include <cmath>

namespace otter::load {
namespace {

constexpr int kExactBuckets = 2 << Histogram::kSubBucketBits;  // values below are exact
constexpr int kSubBuckets = 1 << Histogram::kSubBucketBits;
constexpr int kFirstExponent = Histogram::kSubBucketBits + 1;

}  // namespace

Histogram::Histogram() : buckets_(kBuckets, 0) {}

int Histogram::BucketOf(uint64_t value) {
  if (value < kExactBuckets) return static_cast<int>(value);
  const int exponent = std::bit_width(value) - 1;
  const int shift = exponent - kSubBucketBits;
  const int mantissa = static_cast<int>((value >> shift) & (kSubBuckets - 1));
  return kExactBuckets + (exponent - kFirstExponent) * kSubBuckets + mantissa;
}

uint64_t Histogram::BucketLowerBound(int bucket) {
  if (bucket < kExactBuckets) return static_cast<uint64_t>(bucket);
  const int exponent = (bucket - kExactBuckets) / kSubBuckets + kFirstExponent;
  const uint64_t mantissa = static_cast<uint64_t>((bucket - kExactBuckets) % kSubBuckets);
  return (kSubBuckets + mantissa) << (exponent - kSubBucketBits);
}

uint64_t Histogram::BucketUpperBound(int bucket) {
  if (bucket < kExactBuckets) return static_cast<uint64_t>(bucket);
  const int exponent = (bucket - kExactBuckets) / kSubBuckets + kFirstExponent;
  const uint64_t mantissa = static_cast<uint64_t>((bucket - kExactBuckets) % kSubBuckets);
  // Wraps to 2^64 - 1 for the last bucket, as it should.
  return ((kSubBuckets + mantissa + 1) << (exponent - kSubBucketBits)) - 1;
}

void Histogram::Record(uint64_t value) {
  ++buckets_[static_cast<std::size_t>(BucketOf(value))];
  ++count_;
  min_ = std::min(min_, value);
  max_ = std::max(max_, value);
  sum_ += value;
}

void Histogram::Merge(const Histogram& other) {
  for (std::size_t i = 0; i < buckets_.size(); ++i) buckets_[i] += other.buckets_[i];
  count_ += other.count_;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
  sum_ += other.sum_;
}

uint64_t Histogram::Percentile(double q) const {
  if (count_ == 0) return 0;
  const double wanted = std::ceil(std::clamp(q, 0.0, 1.0) * static_cast<double>(count_));
  const uint64_t rank = std::clamp<uint64_t>(static_cast<uint64_t>(wanted), 1, count_);
  uint64_t seen = 0;
  for (int i = 0; i < kBuckets; ++i) {
    seen += buckets_[static_cast<std::size_t>(i)];
    if (seen >= rank) {
      const uint64_t lower = BucketLowerBound(i);
      const uint64_t middle = lower + (BucketUpperBound(i) - lower) / 2;
      return std::clamp(middle, min(), max_);
    }
  }
  return max_;
}

}  // namespace otter::load
