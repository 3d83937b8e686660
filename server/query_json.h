#pragma once
// The fields of the engine's ops, from JSON to the engine's requests: the
// op's members of a request body (Request::body, whose syntax, depth and
// top-level names RequestParser has checked) become a SearchRequest,
// MatchRequest, ScoreRequest, SuggestRequest, GetRequest or RecomputeRequest,
// and the request's Validate() runs. docs/protocol.md lists every field.
//
//   QueryJsonParser parser;   // one per thread
//   absl::StatusOr<engine::query::SearchRequest> search = parser.ParseSearch(request.body);
//
// Every error is kInvalidArgument naming the field as the JSON spells it:
// "near.lat must be a number", "unknown field \"colour\" in filters",
// "leader_ids[3]: invalid UUID \"abc\": …", "limit must be an integer",
// "limit must be within [1, 100]", "filters.price.max must be a decimal with
// at most 2 fractional digits, got \"9.999\"". A member whose value is null
// counts as absent. Integers must be integral (10 and 10.0 are, 2.5 is not);
// one too large for its field fails the field's range check. Envelope
// members (id, op, after) are skipped.
//
// Thread safety: QueryJsonParser is not thread-safe (one per thread); the
// requests it returns are values.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "simdjson.h"
#include "engine/query/search_request.h"
#include "engine/uuid.h"

namespace otter::server {

// recompute_matches: at most this many user_ids; k in [1, kMaxRecomputeK].
inline constexpr std::size_t kMaxRecomputeUsers = 10'000;
inline constexpr std::size_t kDefaultRecomputeK = 50;
inline constexpr std::size_t kMaxRecomputeK = 1'000;

// op "recompute_matches".
struct RecomputeRequest {
  std::vector<engine::Uuid> user_ids;  // empty: every user with quiz traits
  std::size_t k = kDefaultRecomputeK;
};

class QueryJsonParser {
 public:
  QueryJsonParser();

  // op "search". When `filters_json` is given, it receives the `filters`
  // member as JSON text ("{}" when absent), for the search history.
  absl::StatusOr<engine::query::SearchRequest> ParseSearch(std::string_view body,
                                                           std::string* filters_json = nullptr);
  // op "match": `personality`, or its members user_id / traits at the top
  // level, not both.
  absl::StatusOr<engine::query::MatchRequest> ParseMatch(std::string_view body);
  // op "score": personality as for match, and `leader_ids`.
  absl::StatusOr<engine::query::ScoreRequest> ParseScore(std::string_view body);
  // op "suggest".
  absl::StatusOr<engine::query::SuggestRequest> ParseSuggest(std::string_view body);
  // op "get": `index` and `doc_id` (required).
  absl::StatusOr<engine::query::GetRequest> ParseGet(std::string_view body);
  // op "recompute_matches": `user_ids` and `k`, both optional.
  absl::StatusOr<RecomputeRequest> ParseRecompute(std::string_view body);

 private:
  // Starts iterating `body`, which must be a JSON object.
  absl::StatusOr<simdjson::ondemand::object> Begin(std::string_view body);

  simdjson::ondemand::parser parser_;
  simdjson::ondemand::document document_;
  std::string padded_;  // the body plus simdjson's padding
};

}  // namespace otter::server
