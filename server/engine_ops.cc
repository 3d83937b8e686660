#include "server/engine_ops.h"

#include <chrono>
#include <memory>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "engine/status_macros.h"
#include "server/hit_json.h"
#include "server/query_json.h"

namespace otter::server {
namespace {

// The calling thread's parser: simdjson parsers are not thread-safe, and
// keeping one per thread keeps its buffers warm.
QueryJsonParser& ThreadParser() {
  thread_local QueryJsonParser parser;
  return parser;
}

}  // namespace

EngineOps::EngineOps(const engine::SnapshotHolder* snapshots, SearchRecorder* recorder,
                     MatchRecomputer* recomputer)
    : snapshots_(snapshots), recorder_(recorder), recomputer_(recomputer) {}

absl::Status EngineOps::Handle(const Request& request, ResponseWriter& writer, uint64_t* as_of) {
  if (request.op == Op::kRecomputeMatches) return Recompute(request, writer);
  // Held until the reply is written: hits share the snapshot's records.
  const std::shared_ptr<const engine::Snapshot> snapshot = snapshots_->Acquire();
  if (snapshot == nullptr) return absl::UnavailableError("the engine is still loading");
  *as_of = snapshot->as_of();
  switch (request.op) {
    case Op::kSearch:
      return Search(*snapshot, request, writer);
    case Op::kMatch:
      return Match(*snapshot, request, writer);
    case Op::kScore:
      return Score(*snapshot, request, writer);
    case Op::kSuggest:
      return Suggest(*snapshot, request, writer);
    case Op::kGet:
      return Get(*snapshot, request, writer);
    default:
      break;
  }
  return absl::InternalError(
      absl::StrCat("op \"", std::string(OpName(request.op)), "\" is not an engine op"));
}

absl::Status EngineOps::Search(const engine::Snapshot& snapshot, const Request& request,
                               ResponseWriter& writer) const {
  const auto start = std::chrono::steady_clock::now();
  std::string filters_json;
  OTTER_ASSIGN_OR_RETURN(
      const engine::query::SearchRequest search,
      ThreadParser().ParseSearch(request.body, recorder_ != nullptr ? &filters_json : nullptr));
  OTTER_ASSIGN_OR_RETURN(const engine::query::SearchResponse page,
                         executor_.Search(snapshot, search));
  if (recorder_ != nullptr) {
    SearchRecord record;
    record.search_type = search.index == engine::query::IndexKind::kTours ? "tours" : "leaders";
    record.query = search.q.value_or("");
    record.filters_json = std::move(filters_json);
    record.results_count = page.total;
    record.took_us = static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                               std::chrono::steady_clock::now() - start)
                                               .count());
    if (search.personality.has_value()) record.user_id = search.personality->user_id;
    recorder_->Record(std::move(record));
  }
  WriteSearchResponse(page, search.facets, writer);
  return absl::OkStatus();
}

absl::Status EngineOps::Match(const engine::Snapshot& snapshot, const Request& request,
                              ResponseWriter& writer) const {
  OTTER_ASSIGN_OR_RETURN(const engine::query::MatchRequest match,
                         ThreadParser().ParseMatch(request.body));
  OTTER_ASSIGN_OR_RETURN(const engine::query::SearchResponse page,
                         executor_.Match(snapshot, match));
  WriteSearchResponse(page, /*facets=*/{}, writer);
  return absl::OkStatus();
}

absl::Status EngineOps::Score(const engine::Snapshot& snapshot, const Request& request,
                              ResponseWriter& writer) const {
  OTTER_ASSIGN_OR_RETURN(const engine::query::ScoreRequest score,
                         ThreadParser().ParseScore(request.body));
  OTTER_ASSIGN_OR_RETURN(const engine::query::ScoreResponse scores,
                         executor_.Score(snapshot, score));
  writer.Key("scores");
  writer.BeginArray();
  for (const engine::query::LeaderScore& s : scores.scores) {
    writer.BeginObject();
    writer.Key("leader_id");
    writer.Uuid(s.leader_id);
    writer.Key("found");
    writer.Bool(s.found);
    writer.Key("compatibility");
    if (s.found) {
      writer.Double(s.compatibility);
    } else {
      writer.Null();
    }
    writer.EndObject();
  }
  writer.EndArray();
  return absl::OkStatus();
}

absl::Status EngineOps::Suggest(const engine::Snapshot& snapshot, const Request& request,
                                ResponseWriter& writer) const {
  OTTER_ASSIGN_OR_RETURN(const engine::query::SuggestRequest suggest,
                         ThreadParser().ParseSuggest(request.body));
  OTTER_ASSIGN_OR_RETURN(const engine::query::SuggestResponse suggestions,
                         executor_.Suggest(snapshot, suggest));
  writer.Key("suggestions");
  writer.BeginArray();
  for (const engine::text::Suggestion& s : suggestions.suggestions) {
    writer.BeginObject();
    writer.Key("text");
    writer.String(s.text);
    writer.Key("doc_frequency");
    writer.Uint(s.doc_frequency);
    writer.EndObject();
  }
  writer.EndArray();
  return absl::OkStatus();
}

absl::Status EngineOps::Get(const engine::Snapshot& snapshot, const Request& request,
                            ResponseWriter& writer) const {
  OTTER_ASSIGN_OR_RETURN(const engine::query::GetRequest get,
                         ThreadParser().ParseGet(request.body));
  OTTER_ASSIGN_OR_RETURN(const engine::query::SearchHit hit, executor_.Get(snapshot, get));
  writer.Key("hit");
  WriteHit(hit, writer);
  return absl::OkStatus();
}

absl::Status EngineOps::Recompute(const Request& request, ResponseWriter& writer) const {
  if (recomputer_ == nullptr) {
    return absl::UnavailableError("recompute_matches needs a database writer");
  }
  OTTER_ASSIGN_OR_RETURN(RecomputeRequest recompute, ThreadParser().ParseRecompute(request.body));
  OTTER_ASSIGN_OR_RETURN(const RecomputeTicket ticket,
                         recomputer_->Enqueue(std::move(recompute.user_ids), recompute.k));
  writer.Key("job");
  writer.Uint(ticket.job);
  writer.Key("users");
  writer.Uint(ticket.users);
  writer.Key("k");
  writer.Uint(ticket.k);
  writer.Key("queued_before");
  writer.Uint(ticket.queued_before);
  return absl::OkStatus();
}

}  // namespace otter::server
