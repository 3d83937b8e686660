#pragma once
// Facet counts over a set of matching tours (SPEC section 2): per category,
// per price bucket and duration bucket (fixed edges, buckets.h), and per
// language spoken by the tour's leader.
//
//   TourFacets facets = CountTourFacets(*catalog, matching, FacetRequest{.category = true});
//   for (const FacetValue& v : facets.categories) Emit(v.value, v.count);
//
// Thread safety: pure function of an immutable Catalog.

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "engine/catalog/catalog.h"

namespace otter::engine {

// Which facets to count.
struct FacetRequest {
  bool category = false;
  bool price = false;
  bool duration = false;
  bool language = false;
};

// One facet value and how many of the given tours have it.
struct FacetValue {
  std::string value;
  uint32_t count = 0;
  friend bool operator==(const FacetValue&, const FacetValue&) = default;
};

struct TourFacets {
  // By count descending, then value; values with a zero count are omitted.
  std::vector<FacetValue> categories;
  // Counts per kPriceBucketLabels / kDurationBucketLabels entry (all five,
  // zeros included).
  std::array<uint32_t, 5> price_buckets{};
  std::array<uint32_t, 5> duration_buckets{};
  // Lowercase ISO 639-1 codes, each counting the tours whose leader speaks
  // it; by count descending, then code.
  std::vector<FacetValue> languages;
};

// Counts the requested facets over `tours` (dense ids, each counted once per
// occurrence; the caller passes the matching set, activity is not
// re-checked). Requires every id < catalog.tour_id_limit().
TourFacets CountTourFacets(const Catalog& catalog, std::span<const uint32_t> tours,
                           const FacetRequest& request);

}  // namespace otter::engine
