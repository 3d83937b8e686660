#pragma once
// The database-backed services the engine ops use besides snapshots:
// recording searches and recomputing cached match scores. otterd plugs in
// the real ones (server/search_recorder.h, server/recompute_service.h);
// either may be absent, e.g. when otterd has no database to write to.
//
//   recorder->Record(std::move(record));          // never blocks, may drop
//   absl::StatusOr<RecomputeTicket> t = recomputer->Enqueue(users, 50);
//
// Thread safety: implementations must allow calls from any thread at once.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/uuid.h"

namespace otter::server {

// One executed search, as search_history and popular_searches keep it.
struct SearchRecord {
  std::string search_type = "tours";  // "tours" or "leaders"
  std::string query;                  // the text query ("" when none)
  std::string filters_json = "{}";    // the request's filters, as JSON text
  uint64_t results_count = 0;         // the response's total
  uint64_t took_us = 0;
  std::optional<engine::Uuid> user_id;  // personality.user_id, when given
};

class SearchRecorder {
 public:
  virtual ~SearchRecorder() = default;
  // Queues `record` for writing in a later batch. Never blocks and never
  // fails: when the queue is full the record is dropped and counted.
  virtual void Record(SearchRecord record) = 0;
};

// What Enqueue() accepted.
struct RecomputeTicket {
  uint64_t job = 0;    // increasing job number
  size_t users = 0;    // users named; 0 means every user with traits
  size_t k = 0;        // leaders kept per user
  size_t queued_before = 0;  // jobs waiting or running ahead of this one
};

class MatchRecomputer {
 public:
  virtual ~MatchRecomputer() = default;
  // Queues a recompute of `users` (empty: every user with quiz traits),
  // keeping each user's `k` best leaders. Returns at once; the job runs in
  // the background. kInvalidArgument for k outside [1, 1000];
  // kResourceExhausted when too many jobs are queued.
  virtual absl::StatusOr<RecomputeTicket> Enqueue(std::vector<engine::Uuid> users, size_t k) = 0;
};

}  // namespace otter::server
