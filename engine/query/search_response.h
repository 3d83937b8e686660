#pragma once
// The responses of the query ops, in C++ terms; the protocol layer prints
// them. Hits share the catalog's stored records (no copies): a hit stays
// valid as long as the response lives, even after the snapshot it came from
// is replaced.
//
//   absl::StatusOr<SearchResponse> r = executor.Search(*snapshot, request);
//   for (const SearchHit& hit : r->hits) Print(hit.id, hit.score, hit.tour->title);
//
// Thread safety: plain values.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/catalog/facets.h"
#include "engine/catalog/records.h"
#include "engine/query/sort_key.h"
#include "engine/text/text_index.h"
#include "engine/uuid.h"

namespace otter::engine::query {

// One signal of the rank expression for one hit (explain).
struct SignalExplanation {
  std::string name;    // text, distance, compatibility, rating, popularity
  double raw = 0;      // text score, distance km, compatibility, rating, reviews
  double value = 0;    // normalized to [0, 1]
  double weight = 0;
  double contribution = 0;  // value * weight
};

// How a hit's score came about (explain).
struct HitExplanation {
  // The sort tiers and this hit's value for each, in order.
  std::vector<SortTier> tiers;
  std::vector<double> sort_values;
  // The rank expression's signals; empty when the order is by sort keys.
  std::vector<SignalExplanation> signals;
  double sum = 0;  // sum of the contributions (= score under a rank)
};

// One hit. `score` is the rank expression's value under a rank, else the
// text relevance when q is given, else the compatibility when personality is
// given, else 0.
struct SearchHit {
  Uuid id;
  uint32_t doc = 0;  // dense catalog id (for tests and the binary protocol)
  double score = 0;
  std::optional<double> distance_km;    // with near
  std::optional<double> compatibility;  // with personality, in [0, 100]
  std::shared_ptr<const TourRecord> tour;      // index tours
  std::shared_ptr<const LeaderRecord> leader;  // the leader (tours: the tour's)
  std::optional<HitExplanation> explain;
};

// How the planner ran the query (explain).
struct SourceEstimate {
  std::string source;  // text, geo, filters, personality, all
  double estimate = 0; // estimated candidates
};
struct PlanExplanation {
  std::string driver;                     // the source that produced candidates
  std::string strategy;                   // e.g. "text-top-k", "candidates+sort"
  std::vector<SourceEstimate> estimates;  // every source considered
  std::vector<std::string> checks;        // sources checked per candidate
  uint64_t candidates = 0;                // candidates the driver produced
};

struct SearchResponse {
  uint64_t total = 0;  // exact number of matching documents
  std::vector<SearchHit> hits;
  std::optional<TourFacets> facets;  // when facets were asked
  std::optional<std::string> next;   // cursor of the page after this one
  std::optional<PlanExplanation> plan;  // with explain
  uint64_t as_of = 0;  // the snapshot's change-log position
};

// One entry of a score response.
struct LeaderScore {
  Uuid leader_id;
  bool found = false;  // a matchable leader of this snapshot
  double compatibility = 0;
};

struct ScoreResponse {
  std::vector<LeaderScore> scores;  // in the order of the request
  uint64_t as_of = 0;
};

struct SuggestResponse {
  std::vector<text::Suggestion> suggestions;
  uint64_t as_of = 0;
};

}  // namespace otter::engine::query
