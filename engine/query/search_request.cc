#include "engine/query/search_request.h"

#include <cmath>
#include <set>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "engine/geodesy.h"
#include "engine/query/sort_key.h"
#include "engine/status_macros.h"
#include "engine/traits.h"

namespace otter::engine::query {
namespace {

absl::Status Invalid(const std::string& message) { return absl::InvalidArgumentError(message); }

absl::Status ValidateWeight(const std::optional<double>& weight, const char* field) {
  if (weight.has_value() && !(std::isfinite(*weight) && *weight >= 0)) {
    return Invalid(absl::StrCat(field, " must be a finite number >= 0"));
  }
  return absl::OkStatus();
}

absl::Status ValidateRank(const RankSpec& rank, bool has_text, bool has_near,
                          bool has_personality) {
  OTTER_RETURN_IF_ERROR(ValidateWeight(rank.text, "rank.text"));
  OTTER_RETURN_IF_ERROR(ValidateWeight(rank.compatibility, "rank.compatibility"));
  OTTER_RETURN_IF_ERROR(ValidateWeight(rank.rating, "rank.rating"));
  OTTER_RETURN_IF_ERROR(ValidateWeight(rank.popularity, "rank.popularity"));
  if (rank.text.has_value() && !has_text) return Invalid("rank.text needs q");
  if (rank.compatibility.has_value() && !has_personality) {
    return Invalid("rank.compatibility needs personality");
  }
  if (rank.distance.has_value()) {
    const DistanceDecaySpec& d = *rank.distance;
    if (!has_near) return Invalid("rank.distance needs near");
    if (d.decay != "gauss" && d.decay != "exp" && d.decay != "linear") {
      return Invalid(absl::StrCat("rank.distance.decay must be gauss, exp or linear, got \"",
                                  d.decay, "\""));
    }
    if (!(std::isfinite(d.scale_km) && d.scale_km > 0)) {
      return Invalid("rank.distance.scale_km must be > 0");
    }
    if (!(std::isfinite(d.offset_km) && d.offset_km >= 0)) {
      return Invalid("rank.distance.offset_km must be >= 0");
    }
    if (!(d.decay_at_scale > 0 && d.decay_at_scale < 1)) {
      return Invalid("rank.distance.decay_at_scale must be within (0, 1)");
    }
    OTTER_RETURN_IF_ERROR(ValidateWeight(d.weight, "rank.distance.weight"));
  }
  return absl::OkStatus();
}

absl::Status ValidateOptionalRange(const std::optional<int64_t>& min,
                                   const std::optional<int64_t>& max, const char* min_field,
                                   const char* max_field) {
  if (min.has_value() && *min < 0) return Invalid(absl::StrCat(min_field, " must be >= 0"));
  if (max.has_value() && *max < 0) return Invalid(absl::StrCat(max_field, " must be >= 0"));
  if (min.has_value() && max.has_value() && *min > *max) {
    return Invalid(absl::StrCat(min_field, " must be <= ", max_field));
  }
  return absl::OkStatus();
}

absl::Status ValidateLeaderSearchFilters(const LeaderSearchFilterSpec& filters) {
  if (filters.rating_min.has_value() &&
      !(*filters.rating_min >= 0 && *filters.rating_min <= 5)) {
    return Invalid("filters.rating.min must be within [0, 5]");
  }
  return ValidateOptionalRange(filters.price_min_cents, filters.price_max_cents,
                               "filters.price.min", "filters.price.max");
}

// Tour-only filter fields given to a leader search.
absl::Status RejectTourOnlyFilters(const TourFilterSpec& spec) {
  if (!spec.categories.empty()) return Invalid("filters.category is not available for index leaders");
  if (spec.duration_min_days || spec.duration_max_days || spec.duration_min_hours ||
      spec.duration_max_hours) {
    return Invalid("filters.duration is not available for index leaders");
  }
  if (spec.available.has_value()) {
    return Invalid("filters.available is not available for index leaders");
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateNear(const NearSpec& near) {
  OTTER_RETURN_IF_ERROR(ValidateLatLon(LatLon{near.lat, near.lon}, "near."));
  if (!(std::isfinite(near.radius_km) && near.radius_km >= 0)) {
    return Invalid("near.radius_km must be >= 0");
  }
  return absl::OkStatus();
}

absl::Status ValidatePersonality(const PersonalitySpec& personality, std::string_view field) {
  const std::string name(field);
  if (personality.user_id.has_value() && personality.has_traits()) {
    return Invalid(absl::StrCat(name, ": give user_id or traits, not both"));
  }
  if (!personality.user_id.has_value() && !personality.has_traits()) {
    return Invalid(absl::StrCat(name, ": give user_id or traits"));
  }
  std::set<std::string_view> seen;
  for (const auto& [trait, value] : personality.traits) {
    if (trait.empty()) return Invalid(absl::StrCat(name, ".traits: empty trait name"));
    if (!seen.insert(trait).second) {
      return Invalid(absl::StrCat(name, ".traits: trait \"", trait, "\" given twice"));
    }
    if (!(std::isfinite(value) && value >= 0 && value <= 1)) {
      return Invalid(absl::StrCat(name, ".traits.", trait, " must be within [0, 1]"));
    }
  }
  if (seen.size() > static_cast<size_t>(kMaxTraits)) {
    return Invalid(absl::StrCat(name, ".traits: at most ", kMaxTraits, " traits"));
  }
  return absl::OkStatus();
}

absl::Status ValidatePaging(int limit, int offset, const std::optional<std::string>& cursor) {
  if (limit < 1 || limit > kMaxLimit) {
    return Invalid(absl::StrCat("limit must be within [1, ", kMaxLimit, "]"));
  }
  if (offset < 0) return Invalid("offset must be >= 0");
  if (offset + limit > kMaxDepth) {
    return Invalid(absl::StrCat("offset + limit must be <= ", kMaxDepth));
  }
  if (cursor.has_value() && offset != 0) return Invalid("cursor: give cursor or offset, not both");
  if (cursor.has_value() && cursor->empty()) return Invalid("cursor must not be empty");
  return absl::OkStatus();
}

absl::Status SearchRequest::Validate() const {
  if (q.has_value() && q->empty()) return Invalid("q must not be empty");
  if (near.has_value() && bbox.has_value()) return Invalid("near: give near or bbox, not both");
  if (near.has_value()) OTTER_RETURN_IF_ERROR(ValidateNear(*near));
  if (bbox.has_value()) {
    const GeoBox& b = *bbox;
    OTTER_RETURN_IF_ERROR(ValidateLatLon(LatLon{b.south, b.west}, "bbox."));
    if (!(b.north >= -90 && b.north <= 90)) return Invalid("bbox.north must be within [-90, 90]");
    if (!(b.east >= -180 && b.east <= 180)) return Invalid("bbox.east must be within [-180, 180]");
    if (b.south > b.north) return Invalid("bbox.south must be <= bbox.north");
  }
  if (index == IndexKind::kLeaders) {
    OTTER_RETURN_IF_ERROR(RejectTourOnlyFilters(tour_filters));
    OTTER_RETURN_IF_ERROR(ValidateLeaderSearchFilters(leader_filters));
  } else if (leader_filters.rating_min || leader_filters.price_min_cents ||
             leader_filters.price_max_cents) {
    return Invalid("filters: leader rating and hourly price are only for index leaders");
  }
  if (personality.has_value()) OTTER_RETURN_IF_ERROR(ValidatePersonality(*personality));
  for (size_t i = 0; i < sort.size(); ++i) {
    const std::optional<SortKey> key = ParseSortKey(sort[i].key);
    if (!key.has_value()) {
      return Invalid(absl::StrCat("sort[", i, "]: unknown key \"", sort[i].key, "\""));
    }
    if (*key == SortKey::kRelevance && !q.has_value()) {
      return Invalid(absl::StrCat("sort[", i, "]: \"relevance\" needs q"));
    }
    if (*key == SortKey::kDistance && !near.has_value()) {
      return Invalid(absl::StrCat("sort[", i, "]: \"distance\" needs near"));
    }
    if (*key == SortKey::kCompatibility && !personality.has_value()) {
      return Invalid(absl::StrCat("sort[", i, "]: \"compatibility\" needs personality"));
    }
    for (size_t j = 0; j < i; ++j) {
      if (sort[j].key == sort[i].key) {
        return Invalid(absl::StrCat("sort[", i, "]: key \"", sort[i].key, "\" given twice"));
      }
    }
  }
  if (sort.size() > 8) return Invalid("sort: at most 8 keys");
  if (rank.has_value()) {
    OTTER_RETURN_IF_ERROR(
        ValidateRank(*rank, q.has_value(), near.has_value(), personality.has_value()));
  }
  for (size_t i = 0; i < facets.size(); ++i) {
    const std::string& f = facets[i];
    if (index == IndexKind::kLeaders) {
      return Invalid(absl::StrCat("facets[", i, "]: facets are only available for index tours"));
    }
    if (f != "category" && f != "price" && f != "duration" && f != "language") {
      return Invalid(absl::StrCat("facets[", i, "]: unknown facet \"", f, "\""));
    }
  }
  return ValidatePaging(limit, offset, cursor);
}

absl::Status MatchRequest::Validate() const {
  OTTER_RETURN_IF_ERROR(ValidatePersonality(personality));
  if (near.has_value()) OTTER_RETURN_IF_ERROR(ValidateNear(*near));
  OTTER_RETURN_IF_ERROR(ValidateLeaderSearchFilters(filters));
  return ValidatePaging(limit, offset, cursor);
}

SearchRequest MatchRequest::ToSearch() const {
  SearchRequest search;
  search.index = IndexKind::kLeaders;
  search.near = near;
  search.leader_filters = filters;
  search.personality = personality;
  search.sort = {SortSpec{"compatibility", SortOrder::kDescending}};
  search.limit = limit;
  search.offset = offset;
  search.cursor = cursor;
  search.explain = explain;
  return search;
}

absl::Status ScoreRequest::Validate() const {
  OTTER_RETURN_IF_ERROR(ValidatePersonality(personality));
  if (leader_ids.empty()) return Invalid("leader_ids must not be empty");
  if (leader_ids.size() > kMaxScoreLeaders) {
    return Invalid(absl::StrCat("leader_ids: at most ", kMaxScoreLeaders, " ids"));
  }
  return absl::OkStatus();
}

absl::Status SuggestRequest::Validate() const {
  if (prefix.empty()) return Invalid("prefix must not be empty");
  if (limit < 1 || limit > kMaxSuggestLimit) {
    return Invalid(absl::StrCat("limit must be within [1, ", kMaxSuggestLimit, "]"));
  }
  return absl::OkStatus();
}

}  // namespace otter::engine::query
