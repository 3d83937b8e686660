#pragma once
// Query execution (SPEC sections 2 and 3): search, match, score, suggest and
// get against one Snapshot. Pure in-memory; no I/O, no JSON.
//
//   QueryExecutor executor;
//   std::shared_ptr<const Snapshot> snapshot = engine.Acquire();
//   absl::StatusOr<SearchResponse> page = executor.Search(*snapshot, request);
//   request.cursor = page->next;  // the following page, even after updates
//
// Search, in short (engine/query/search_executor.cc): the request is
// compiled (prepared_query.h); a relevance-ordered text query without
// facets runs on the text index's top-k path; a distance-ordered near query
// without text or facets on the geo index's nearest-k, its total counted;
// a compatibility-ordered leader query on the scorer's top-k, merged with
// the leaders without traits (who all score the default); every other query
// lets the planner
// (planner.h) pick the source cheapest to drive to produce candidates, checks
// the other conditions on each, counts them all (`total` is exact), counts
// facets over them, and selects the page by the sort tiers, then by
// ascending dense id.
//
// Thread safety: a QueryExecutor is immutable; any number of threads may
// call it at once, each with any snapshot.

#include "absl/status/statusor.h"
#include "engine/compatibility_scorer.h"
#include "engine/query/search_request.h"
#include "engine/query/search_response.h"
#include "engine/snapshot.h"

namespace otter::engine::query {

class QueryExecutor {
 public:
  // An executor with the fastest compatibility kernel of this CPU.
  QueryExecutor() = default;
  explicit QueryExecutor(CompatibilityScorer scorer) : scorer_(scorer) {}

  // op "search". Returns the exact total, the page of hits (limit, after
  // offset or cursor), facets when asked, `next` when more hits follow, and
  // the plan with explain. kInvalidArgument naming the field for a bad
  // request (see SearchRequest::Validate, TourFilter::Compile, the cursor);
  // kNotFound when personality.user_id has no traits.
  absl::StatusOr<SearchResponse> Search(const Snapshot& snapshot,
                                        const SearchRequest& request) const;

  // op "match": Search over leaders by compatibility (MatchRequest::ToSearch).
  absl::StatusOr<SearchResponse> Match(const Snapshot& snapshot, const MatchRequest& request) const;

  // op "score": the compatibility of the user with each listed leader, in
  // order; a leader that is unknown or not matchable has found = false.
  absl::StatusOr<ScoreResponse> Score(const Snapshot& snapshot, const ScoreRequest& request) const;

  // op "suggest": completions from the index's vocabulary (the daemon merges
  // popular_searches).
  absl::StatusOr<SuggestResponse> Suggest(const Snapshot& snapshot,
                                          const SuggestRequest& request) const;

  // op "get": the matchable document with this id, as a hit with score 0.
  // kNotFound "tour <id> not found" (or leader) otherwise.
  absl::StatusOr<SearchHit> Get(const Snapshot& snapshot, const GetRequest& request) const;

 private:
  CompatibilityScorer scorer_;
};

}  // namespace otter::engine::query
