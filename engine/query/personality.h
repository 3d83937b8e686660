#pragma once
// The personality side of a query: resolving "personality" (a user id or a
// trait object) to UserTraits, and the compatibility of leaders with it,
// scored in batches by the vectorized scorer so that every path of the
// executor reports the same bits for the same leader.
//
//   OTTER_ASSIGN_OR_RETURN(UserTraits user, ResolvePersonality(snapshot, spec));
//   LeaderCompatibility compat(snapshot.leader_traits(), user, scorer);
//   compat.Prefetch(leaders);  float c = compat.Of(leaders[0]);
//
// Thread safety: LeaderCompatibility is per query (mutable cache).

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "engine/compatibility_scorer.h"
#include "engine/query/search_request.h"
#include "engine/snapshot.h"
#include "engine/traits.h"

namespace otter::engine::query {

// The traits `spec` names, resolved against the snapshot's trait registry.
// kNotFound "personality.user_id: user <id> has no quiz traits" when the user
// has none; kInvalidArgument naming the trait for a bad trait object.
absl::StatusOr<UserTraits> ResolvePersonality(const Snapshot& snapshot,
                                              const PersonalitySpec& spec);

// Compatibility of leaders with one user. A leader absent from the trait
// matrix counts 0.5 for every trait.
class LeaderCompatibility {
 public:
  LeaderCompatibility(const LeaderTraitMatrix& matrix, const UserTraits& user,
                      const CompatibilityScorer& scorer, uint32_t leader_id_limit);

  // Scores every leader of `leaders` not scored yet (duplicates allowed).
  // Requires each < leader_id_limit.
  void Prefetch(absl::Span<const uint32_t> leaders);
  // The compatibility of `leader`, in [0, 100]; scores it alone when it was
  // not prefetched.
  float Of(uint32_t leader);

 private:
  const LeaderTraitMatrix* matrix_;
  const UserTraits* user_;
  const CompatibilityScorer* scorer_;
  float default_score_;          // a leader without traits
  std::vector<float> scores_;    // by leader id; NaN: not scored yet
};

}  // namespace otter::engine::query
