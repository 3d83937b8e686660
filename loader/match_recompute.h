#pragma once
// The match-score recompute (SPEC 4): for every user with quiz traits, or a
// given list of users, the k leaders most compatible with them by the
// engine's vectorized scorer, written back into personality_match_scores.
//
//   OTTER_ASSIGN_OR_RETURN(auto snapshot, LoadMatchSnapshot(conn));
//   RecomputeOptions options;  // every user, k = 50
//   OTTER_ASSIGN_OR_RETURN(RecomputeReport report, RecomputeMatches(conn, *snapshot, options));
//
// Users are taken in batches, in Uuid order. Each batch is scored with
// CompatibilityScorer::TopKBatch and written in ONE transaction: its rows are
// COPYed into a temporary staging table, then one statement upserts them
// (ON CONFLICT (user_id, leader_id) DO UPDATE score, computed_at) and deletes
// the batch's users' other rows. A batch is all written or not at all: after
// a failure its users keep their previous rows, and the batches committed
// before it stay.
//
// Which leaders: the ones the snapshot's catalog says are active, each with
// its traits (a leader without traits reads 0.5 everywhere, as in
// otter_compatibility). Stored scores are the scorer's single-precision
// score rounded to 2 decimals, so they equal
// round(otter_compatibility(user, leader)::numeric, 2) except, by 0.01, when
// the exact score lies within the scorer's 1e-4 of a .xx5 boundary.
//
// Thread safety: `conn` is used only by the calling thread, which must be
// its only user meanwhile; the scoring runs on options.threads threads.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/snapshot.h"
#include "engine/uuid.h"
#include "loader/catalog_reader.h"
#include "loader/pg_connection.h"

namespace otter::loader {

// The largest k a recompute accepts.
inline constexpr size_t kMaxRecomputeK = 1000;

// Where a recompute stands, after each committed batch.
struct RecomputeProgress {
  size_t users_done = 0;   // users whose batch is committed
  size_t users_total = 0;  // users the recompute covers
  int64_t rows_written = 0;
};

struct RecomputeOptions {
  // The users to recompute; empty means every user with current traits in
  // the snapshot. Repeats are ignored.
  std::vector<engine::Uuid> users;
  // Leaders kept per user, in [1, kMaxRecomputeK].
  size_t k = 50;
  // Users per batch (per transaction), at least 1.
  size_t batch_users = 5000;
  // Scoring threads; 0 means one per hardware thread.
  int threads = 0;
  // Called after each committed batch. May be empty.
  std::function<void(const RecomputeProgress&)> progress;
  // Asked before each batch; when it returns true the recompute stops with
  // kCancelled (the batches committed so far stay). May be empty.
  std::function<bool()> cancelled;
};

struct RecomputeReport {
  size_t users = 0;                 // users with traits, scored and written
  size_t users_without_traits = 0;  // users without traits, their rows deleted
  int64_t rows_written = 0;         // rows inserted or updated
  int64_t rows_deleted = 0;         // stale rows removed
  size_t batches = 0;               // transactions committed
  double scoring_seconds = 0;       // resolving traits and TopKBatch
  double writing_seconds = 0;       // the write-back: rows as COPY text, COPY, upsert, commit
};

// Recomputes the cached match scores of options.users (or every user with
// traits) from `snapshot` and writes them through `conn`, which must not be
// inside a transaction. Users without traits in the snapshot lose all their
// rows: those named in the list or, when recomputing everyone, those the
// table has rows for. Returns what was done, or:
// kInvalidArgument for k or batch_users out of range (naming the field);
// kCancelled when options.cancelled said so; else the database error of the
// failed batch (kUnavailable for a lost connection, ...), its message
// naming the batch and how many batches had been committed before it.
absl::StatusOr<RecomputeReport> RecomputeMatches(PgConnection& conn,
                                                 const engine::Snapshot& snapshot,
                                                 const RecomputeOptions& options);

// Bulk-loads what RecomputeMatches reads (ReadCatalog into an EngineWriter:
// leaders with their traits and users' current traits; tours and schedules
// are read but not kept, since no index of them is needed) and publishes it
// as a Snapshot, calling `progress` as ReadCatalog does. `conn` must not be
// inside a transaction. Errors as ReadCatalog's, or kFailedPrecondition when
// leaders' traits had to be dropped (more than engine::kMaxTraits names).
absl::StatusOr<std::shared_ptr<const engine::Snapshot>> LoadMatchSnapshot(
    PgConnection& conn, const ProgressCallback& progress = nullptr);

}  // namespace otter::loader
