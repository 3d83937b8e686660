#include "engine/query/personality.h"

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace otter::engine::query {

absl::StatusOr<UserTraits> ResolvePersonality(const Snapshot& snapshot,
                                              const PersonalitySpec& spec) {
  std::vector<NamedTrait> named;
  if (spec.user_id.has_value()) {
    const StoredUserTraits* stored = snapshot.user_traits(*spec.user_id);
    if (stored == nullptr || stored->traits.empty()) {
      return absl::NotFoundError(absl::StrCat("personality.user_id: user ",
                                              spec.user_id->ToString(), " has no quiz traits"));
    }
    for (const auto& [name, value] : stored->traits) named.push_back(NamedTrait{name, value});
  } else {
    for (const auto& [name, value] : spec.traits) named.push_back(NamedTrait{name, value});
  }
  absl::StatusOr<UserTraits> user = UserTraits::Resolve(snapshot.leader_traits().registry(), named);
  if (!user.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("personality.traits: ", std::string(user.status().message())));
  }
  return user;
}

LeaderCompatibility::LeaderCompatibility(const LeaderTraitMatrix& matrix, const UserTraits& user,
                                         const CompatibilityScorer& scorer,
                                         uint32_t leader_id_limit)
    : matrix_(&matrix),
      user_(&user),
      scorer_(&scorer),
      scores_(leader_id_limit, std::numeric_limits<float>::quiet_NaN()) {
  double sum = 0;
  for (const UserTraits::Entry& e : user.known()) sum += (e.value - 0.5) * (e.value - 0.5);
  for (const auto& [name, value] : user.unknown()) sum += (value - 0.5) * (value - 0.5);
  default_score_ = static_cast<float>(100 * (1 - std::sqrt(sum / user.count())));
}

void LeaderCompatibility::Prefetch(absl::Span<const uint32_t> leaders) {
  std::vector<uint32_t> live;
  for (uint32_t leader : leaders) {
    if (!std::isnan(scores_[leader])) continue;
    if (matrix_->Contains(leader)) {
      scores_[leader] = -1;  // queued; avoids duplicates in `live`
      live.push_back(leader);
    } else {
      scores_[leader] = default_score_;
    }
  }
  if (live.empty()) return;
  absl::StatusOr<std::vector<float>> scores = scorer_->Score(*matrix_, *user_, live);
  // Every leader in `live` is in the matrix, so Score cannot fail.
  for (size_t i = 0; i < live.size(); ++i) scores_[live[i]] = scores.ok() ? (*scores)[i] : 0;
}

float LeaderCompatibility::Of(uint32_t leader) {
  if (std::isnan(scores_[leader])) Prefetch(absl::MakeConstSpan(&leader, 1));
  return scores_[leader];
}

}  // namespace otter::engine::query
