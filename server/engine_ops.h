#pragma once
// The engine's ops behind the dispatcher: search, match, score, suggest,
// get and recompute_matches. Each reads its fields from the request body
// (server/query_json.h), runs against the snapshot current when it starts
// (engine/query/executor.h), and writes the reply's members
// (server/hit_json.h); the reply's as_of is that snapshot's.
//
//   engine::SnapshotHolder snapshots;             // the writer publishes here
//   EngineOps ops(&snapshots, &recorder, &recomputer);
//   BuiltinDispatcher dispatcher(&stats, {.health = &health, .engine = &ops});
//
// Replies (docs/protocol.md): search and match give total, hits, facets,
// next, plan; score gives scores; suggest gives suggestions; get gives hit;
// recompute_matches gives job, users, k, queued_before.
//
// Thread safety: Handle() may be called from any number of threads at once
// (each thread parses with its own parser; the executor is immutable), as
// the recorder and recomputer allow.

#include <cstdint>

#include "absl/status/status.h"
#include "engine/query/executor.h"
#include "engine/snapshot.h"
#include "server/dispatcher.h"
#include "server/engine_services.h"
#include "server/request.h"
#include "server/response_writer.h"

namespace otter::server {

class EngineOps final : public OpHandler {
 public:
  // `snapshots` must outlive the ops; `recorder` (searches are then
  // recorded) and `recomputer` (recompute_matches is then available) may be
  // null, or must outlive them.
  EngineOps(const engine::SnapshotHolder* snapshots, SearchRecorder* recorder = nullptr,
            MatchRecomputer* recomputer = nullptr);

  // Answers an engine op. Errors: kInvalidArgument naming the field for a
  // bad request; kNotFound for get of an unknown id or a personality.user_id
  // without traits; kUnavailable "the engine is still loading" before the
  // first snapshot, "recompute_matches needs a database writer" without a
  // recomputer; the recomputer's errors. A search that succeeds is recorded.
  absl::Status Handle(const Request& request, ResponseWriter& writer, uint64_t* as_of) override;

 private:
  absl::Status Search(const engine::Snapshot& snapshot, const Request& request,
                      ResponseWriter& writer) const;
  absl::Status Match(const engine::Snapshot& snapshot, const Request& request,
                     ResponseWriter& writer) const;
  absl::Status Score(const engine::Snapshot& snapshot, const Request& request,
                     ResponseWriter& writer) const;
  absl::Status Suggest(const engine::Snapshot& snapshot, const Request& request,
                       ResponseWriter& writer) const;
  absl::Status Get(const engine::Snapshot& snapshot, const Request& request,
                   ResponseWriter& writer) const;
  absl::Status Recompute(const Request& request, ResponseWriter& writer) const;

  const engine::SnapshotHolder* snapshots_;
  SearchRecorder* recorder_;
  MatchRecomputer* recomputer_;
  engine::query::QueryExecutor executor_;
};

}  // namespace otter::server
