#pragma once
// The fixed bucket edges of the price and duration facets, shared by the
// facet counter and the catalog's planner statistics.
//
//   int b = PriceBucket(12900);  // 2: "100-200"
//
// Thread safety: constants and pure functions.

#include <array>
#include <cstdint>
#include <string_view>

namespace otter::engine {

// Price buckets, in the tour's own currency units (no conversion):
// [0, 50), [50, 100), [100, 200), [200, 500), [500, ∞). Negative prices
// (which the database should not hold) count in the first bucket.
inline constexpr std::array<int64_t, 4> kPriceBucketUpperCents = {5000, 10000, 20000, 50000};
inline constexpr std::array<std::string_view, 5> kPriceBucketLabels = {
    "<50", "50-100", "100-200", "200-500", "500+"};

// Duration buckets, on duration_days: up to 1 day (0 or 1), 2-3, 4-7, 8-14,
// 15 or more days.
inline constexpr std::array<int32_t, 4> kDurationBucketUpperDays = {2, 4, 8, 15};
inline constexpr std::array<std::string_view, 5> kDurationBucketLabels = {
    "1 day or less", "2-3 days", "4-7 days", "8-14 days", "15+ days"};

// The index of the price bucket holding `price_cents`, in [0, 5).
inline int PriceBucket(int64_t price_cents) {
  int bucket = 0;
  while (bucket < 4 && price_cents >= kPriceBucketUpperCents[bucket]) ++bucket;
  return bucket;
}

// The index of the duration bucket holding `duration_days`, in [0, 5).
inline int DurationBucket(int32_t duration_days) {
  int bucket = 0;
  while (bucket < 4 && duration_days >= kDurationBucketUpperDays[bucket]) ++bucket;
  return bucket;
}

}  // namespace otter::engine
