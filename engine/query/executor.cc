// QueryExecutor's ops other than search: match, score, suggest, get.

#include "engine/query/executor.h"

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "engine/query/doc_fields.h"
#include "engine/query/hit_builder.h"
#include "engine/query/personality.h"
#include "engine/status_macros.h"

namespace otter::engine::query {

absl::StatusOr<SearchResponse> QueryExecutor::Match(const Snapshot& snapshot,
                                                    const MatchRequest& request) const {
  OTTER_RETURN_IF_ERROR(request.Validate());
  return Search(snapshot, request.ToSearch());
}

absl::StatusOr<ScoreResponse> QueryExecutor::Score(const Snapshot& snapshot,
                                                   const ScoreRequest& request) const {
  OTTER_RETURN_IF_ERROR(request.Validate());
  OTTER_ASSIGN_OR_RETURN(UserTraits user, ResolvePersonality(snapshot, request.personality));
  const Catalog& catalog = snapshot.catalog();
  LeaderCompatibility compat(snapshot.leader_traits(), user, scorer_, catalog.leader_id_limit());
  std::vector<uint32_t> docs;
  ScoreResponse response;
  response.as_of = snapshot.as_of();
  for (const Uuid& id : request.leader_ids) {
    LeaderScore score;
    score.leader_id = id;
    const std::optional<uint32_t> doc = catalog.FindLeader(id);
    if (doc.has_value() && catalog.leader_active(*doc)) {
      score.found = true;
      docs.push_back(*doc);
    }
    response.scores.push_back(score);
  }
  compat.Prefetch(docs);
  size_t next = 0;
  for (LeaderScore& score : response.scores) {
    if (score.found) score.compatibility = compat.Of(docs[next++]);
  }
  return response;
}

absl::StatusOr<SuggestResponse> QueryExecutor::Suggest(const Snapshot& snapshot,
                                                       const SuggestRequest& request) const {
  OTTER_RETURN_IF_ERROR(request.Validate());
  const DocumentIndexes& idx =
      request.index == IndexKind::kTours ? snapshot.tours() : snapshot.leaders();
  SuggestResponse response;
  response.as_of = snapshot.as_of();
  response.suggestions = idx.Suggest(request.prefix, static_cast<size_t>(request.limit));
  return response;
}

absl::StatusOr<SearchHit> QueryExecutor::Get(const Snapshot& snapshot,
                                             const GetRequest& request) const {
  const DocFields fields(snapshot.catalog(), request.index);
  const std::optional<uint32_t> doc = fields.Find(request.id);
  if (!doc.has_value() || !fields.matchable(*doc)) {
    return absl::NotFoundError(absl::StrCat(fields.tours() ? "tour " : "leader ",
                                            request.id.ToString(), " not found"));
  }
  return MakeHit(fields, *doc);
}

}  // namespace otter::engine::query
