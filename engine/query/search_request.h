#pragma once
// The requests of the query ops (SPEC section 3: search, match, score,
// suggest, get) in C++ terms. The protocol layer (server/) fills them from
// JSON or binary frames; Validate() checks everything that needs no
// snapshot and names the offending field as the JSON spells it.
//
//   SearchRequest request;
//   request.q = "sunset kayak";
//   request.near = NearSpec{38.72, -9.14, 25};
//   request.sort = {{"price", SortOrder::kAscending}};
//   OTTER_RETURN_IF_ERROR(request.Validate());
//
// Thread safety: plain values.

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "engine/catalog/tour_filter.h"
#include "engine/geo_index.h"
#include "engine/uuid.h"

namespace otter::engine::query {

// "index": which documents a search runs over.
enum class IndexKind : uint8_t { kTours, kLeaders };

// Limits of paging (SPEC: "top-k with limit/offset (with a cap on depth)").
inline constexpr int kDefaultLimit = 20;
inline constexpr int kMaxLimit = 100;
inline constexpr int kMaxDepth = 1000;  // offset + limit, and cursor position + limit
inline constexpr size_t kMaxScoreLeaders = 1000;
inline constexpr int kDefaultSuggestLimit = 10;
inline constexpr int kMaxSuggestLimit = 50;

// "near": documents within radius_km (geodesic) of (lat, lon); the origin of
// distances and of the distance decay.
struct NearSpec {
  double lat = 0;
  double lon = 0;
  double radius_km = 0;
};

// "filters" of a leader search (index leaders, and the match op). The
// conditions a tour search puts on its leader are TourFilterSpec::leader.
struct LeaderSearchFilterSpec {
  // filters.languages / specialties / leader_type / verified.
  LeaderFilterSpec leader;
  // filters.rating.min: average_rating >= this, in [0, 5].
  std::optional<double> rating_min;
  // filters.price.min / .max: hourly_rate, inclusive, in cents.
  std::optional<int64_t> price_min_cents;
  std::optional<int64_t> price_max_cents;
};

// "personality": whose compatibility to compute; exactly one of the two.
struct PersonalitySpec {
  std::optional<Uuid> user_id;                        // the user's current quiz traits
  std::vector<std::pair<std::string, double>> traits;  // or an explicit trait object

  bool has_traits() const { return !traits.empty(); }
};

enum class SortOrder : uint8_t { kDefault, kAscending, kDescending };

// One entry of "sort": a key (relevance, distance, price, rating,
// compatibility, newest, popularity) and its order; kDefault is descending
// for every key but distance and price (ascending).
struct SortSpec {
  std::string key;
  SortOrder order = SortOrder::kDefault;
};

// "rank.distance": a decay of the distance from the near center, as
// Elasticsearch's function_score decay functions define it.
struct DistanceDecaySpec {
  std::string decay = "gauss";  // "rank.distance.decay": gauss | exp | linear
  double scale_km = 0;          // > 0: where the decay reaches decay_at_scale
  double offset_km = 0;         // >= 0: no decay within this distance
  double decay_at_scale = 0.5;  // "rank.distance.decay_at_scale", in (0, 1)
  double weight = 1;            // >= 0
};

// "rank": a weighted sum of normalized signals (each in [0, 1]; see
// engine/query/ranking.h). An absent signal weighs 0.
struct RankSpec {
  std::optional<double> text;
  std::optional<DistanceDecaySpec> distance;
  std::optional<double> compatibility;
  std::optional<double> rating;
  std::optional<double> popularity;
};

// op "search".
struct SearchRequest {
  IndexKind index = IndexKind::kTours;
  std::optional<std::string> q;
  std::optional<NearSpec> near;
  std::optional<GeoBox> bbox;
  TourFilterSpec tour_filters;      // used when index is tours
  LeaderSearchFilterSpec leader_filters;  // used when index is leaders
  std::optional<PersonalitySpec> personality;
  std::vector<SortSpec> sort;
  std::optional<RankSpec> rank;
  std::vector<std::string> facets;  // tours: category, price, duration, language
  int limit = kDefaultLimit;
  int offset = 0;
  std::optional<std::string> cursor;  // a SearchResponse::next of the same query
  bool explain = false;

  // OK when every field is well-formed on its own and with the others;
  // kInvalidArgument naming the field otherwise, e.g.
  // "near.radius_km must be >= 0", "limit must be within [1, 100]",
  // "sort[1]: unknown key \"colour\"", "personality: give user_id or traits,
  // not both". Conditions that need the catalog (unknown language codes...)
  // are checked when the query runs.
  absl::Status Validate() const;
};

// op "match": the leaders most compatible with a user, optionally near a
// point and filtered, by compatibility (then id).
struct MatchRequest {
  PersonalitySpec personality;
  std::optional<NearSpec> near;
  LeaderSearchFilterSpec filters;
  int limit = kDefaultLimit;
  int offset = 0;
  std::optional<std::string> cursor;
  bool explain = false;

  // As SearchRequest::Validate; personality is required.
  absl::Status Validate() const;
  // The equivalent leader search.
  SearchRequest ToSearch() const;
};

// op "score": the compatibility of one user with each listed leader.
struct ScoreRequest {
  PersonalitySpec personality;
  std::vector<Uuid> leader_ids;  // 1..kMaxScoreLeaders

  absl::Status Validate() const;
};

// op "suggest": completions of the last word of `prefix`.
struct SuggestRequest {
  IndexKind index = IndexKind::kTours;
  std::string prefix;
  int limit = kDefaultSuggestLimit;

  absl::Status Validate() const;
};

// op "get": one document by id.
struct GetRequest {
  IndexKind index = IndexKind::kTours;
  Uuid id;
};

// Validation shared by the requests; exposed for the protocol layer's tests.
absl::Status ValidatePersonality(const PersonalitySpec& personality,
                                 std::string_view field = "personality");
absl::Status ValidateNear(const NearSpec& near);
absl::Status ValidatePaging(int limit, int offset, const std::optional<std::string>& cursor);

}  // namespace otter::engine::query
