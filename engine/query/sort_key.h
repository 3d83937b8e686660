#pragma once
// The sort keys of a search (SPEC section 2, "Query execution") and their
// default orders, shared by validation, the executor and the cursor.
//
//   std::optional<SortKey> key = ParseSortKey("price");  // kPrice
//   bool desc = IsDescending(*key, SortOrder::kDefault);  // false
//
// Thread safety: constants and pure functions.

#include <cstdint>
#include <optional>
#include <string_view>

#include "engine/query/search_request.h"

namespace otter::engine::query {

enum class SortKey : uint8_t {
  kRelevance,      // text score
  kDistance,       // metres from the near center
  kPrice,          // tours: price; leaders: hourly rate (cents)
  kRating,         // average rating
  kCompatibility,  // with the personality (a tour's is its leader's)
  kNewest,         // created_at
  kPopularity,     // total_reviews
  kRank,           // the rank expression's score (implicit, never named)
};

// The key named `name` as the request spells it, or nullopt.
inline std::optional<SortKey> ParseSortKey(std::string_view name) {
  if (name == "relevance") return SortKey::kRelevance;
  if (name == "distance") return SortKey::kDistance;
  if (name == "price") return SortKey::kPrice;
  if (name == "rating") return SortKey::kRating;
  if (name == "compatibility") return SortKey::kCompatibility;
  if (name == "newest") return SortKey::kNewest;
  if (name == "popularity") return SortKey::kPopularity;
  return std::nullopt;
}

// The name of `key` (for explain output).
inline std::string_view SortKeyName(SortKey key) {
  switch (key) {
    case SortKey::kRelevance: return "relevance";
    case SortKey::kDistance: return "distance";
    case SortKey::kPrice: return "price";
    case SortKey::kRating: return "rating";
    case SortKey::kCompatibility: return "compatibility";
    case SortKey::kNewest: return "newest";
    case SortKey::kPopularity: return "popularity";
    case SortKey::kRank: return "rank";
  }
  return "?";
}

// Whether `key` sorts descending under `order`: kDefault is ascending for
// distance and price, descending for the others.
inline bool IsDescending(SortKey key, SortOrder order) {
  if (order == SortOrder::kAscending) return false;
  if (order == SortOrder::kDescending) return true;
  return key != SortKey::kDistance && key != SortKey::kPrice;
}

// One resolved sort tier.
struct SortTier {
  SortKey key = SortKey::kRank;
  bool descending = true;
  friend bool operator==(const SortTier&, const SortTier&) = default;
};

}  // namespace otter::engine::query
