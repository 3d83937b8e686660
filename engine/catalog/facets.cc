#include "engine/catalog/facets.h"

#include <algorithm>
#include <bit>

#include "engine/catalog/buckets.h"

namespace otter::engine {
namespace {

void SortByCountThenValue(std::vector<FacetValue>* values) {
  std::sort(values->begin(), values->end(), [](const FacetValue& a, const FacetValue& b) {
    return a.count != b.count ? a.count > b.count : a.value < b.value;
  });
}

}  // namespace

TourFacets CountTourFacets(const Catalog& catalog, std::span<const uint32_t> tours,
                           const FacetRequest& request) {
  TourFacets facets;
  std::vector<uint32_t> by_category(request.category ? catalog.category_count() : 0, 0);
  std::vector<uint32_t> by_language(request.language ? 26 * 26 : 0, 0);
  const catalog_internal::LanguageDict& dict = *catalog.parts().languages;

  for (uint32_t tour : tours) {
    const catalog_internal::TourColumns& columns = catalog.tour_columns_of(tour);
    const uint32_t row = Catalog::Row(tour);
    if (request.category) ++by_category[columns.category[row]];
    if (request.price) ++facets.price_buckets[PriceBucket(columns.price_cents[row])];
    if (request.duration) ++facets.duration_buckets[DurationBucket(columns.duration_days[row])];
    if (request.language) {
      const uint32_t leader = columns.leader[row];
      uint64_t mask = catalog.leader_columns_of(leader).language_mask[Catalog::Row(leader)];
      const bool overflow = (mask >> catalog_internal::kLanguageOverflowBit) != 0;
      mask &= ~(uint64_t{1} << catalog_internal::kLanguageOverflowBit);
      for (; mask != 0; mask &= mask - 1) {
        ++by_language[dict.code_by_bit[std::countr_zero(mask)]];
      }
      if (overflow) {
        // Languages past the 63 bits are read from the record, each code once.
        std::vector<uint16_t> seen;
        for (const LeaderLanguage& language : catalog.leader(leader)->languages) {
          const std::optional<uint16_t> code = LanguageCodeIndex(language.code);
          if (!code || dict.bit[*code] >= 0) continue;
          if (std::find(seen.begin(), seen.end(), *code) != seen.end()) continue;
          seen.push_back(*code);
          ++by_language[*code];
        }
      }
    }
  }

  for (uint32_t category = 0; category < by_category.size(); ++category) {
    if (by_category[category] > 0) {
      facets.categories.push_back({catalog.category_name(category), by_category[category]});
    }
  }
  SortByCountThenValue(&facets.categories);
  for (uint16_t code = 0; code < by_language.size(); ++code) {
    if (by_language[code] > 0) {
      facets.languages.push_back({LanguageCodeFromIndex(code), by_language[code]});
    }
  }
  SortByCountThenValue(&facets.languages);
  return facets;
}

}  // namespace otter::engine
