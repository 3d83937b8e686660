#pragma once
// EngineWriter: the one writer of the engine's state. It takes the changes
// the loader reads (tours, leaders, schedules, leader and user traits),
// applies them copy-on-write, and publishes an immutable Snapshot per batch.
//
//   EngineWriter writer;                                // bulk load
//   for (TourRecord& t : tours) OTTER_RETURN_IF_ERROR(writer.UpsertTour(std::move(t)));
//   OTTER_ASSIGN_OR_RETURN(auto snapshot, writer.Publish(as_of));  // builds the bases
//   holder.Publish(snapshot);                           // readers Acquire() it
//   OTTER_RETURN_IF_ERROR(writer.DeleteTour(id));       // later: a batch of changes
//   OTTER_ASSIGN_OR_RETURN(snapshot, writer.Publish(next_as_of));
//   holder.Publish(snapshot);
//
// Design:
// - The catalog changes at once (CatalogBuilder, cheap copy-on-write); the
//   Uuids of changed tours and leaders are remembered and resolved at
//   Publish(). A leader whose matching flips (activated, deactivated,
//   deleted) also changes every tour it leads.
// - The first Publish() builds the base indexes from the catalog. Later ones
//   put the changed documents into delta segments (DocumentIndexWriter); a
//   query combines base and deltas exactly (snapshot_state.h).
// - When the delta of either kind grows past the merge threshold, new bases
//   are built from the current catalog on a background thread while
//   Publish() goes on; the first Publish() after they are ready swaps them
//   in and keeps as delta only what changed after the version they index.
// - Leader traits continue a LeaderTraitMatrixBuilder (leader dense ids are
//   the catalog's); users' traits live in Uuid shards copied on write.
//
// Thread safety: one thread calls the writer's methods (the background merge
// is internal). The Snapshots it returns are immutable and may be used from
// any thread, also after the writer is gone.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "engine/catalog/catalog.h"
#include "engine/catalog/catalog_builder.h"
#include "engine/catalog/cow.h"
#include "engine/catalog/records.h"
#include "engine/document_index_writer.h"
#include "engine/snapshot.h"
#include "engine/snapshot_state.h"
#include "engine/traits.h"
#include "engine/uuid.h"

namespace otter::engine {

struct EngineWriterOptions {
  // A merge starts when a kind's delta exceeds
  // min(merge_max_changes, max(merge_min_changes, merge_fraction * documents)).
  size_t merge_min_changes = 1'000;
  size_t merge_max_changes = 20'000;
  double merge_fraction = 0.01;
  // Build merged bases on a background thread (true) or inside Publish()
  // (false: deterministic, for tests).
  bool background_merge = true;
};

// Counters of the writer's work, for stats and tests.
struct EngineWriterStats {
  uint64_t publishes = 0;
  uint64_t merges_started = 0;
  uint64_t merges_completed = 0;
  std::chrono::nanoseconds last_merge_build{0};  // building the bases
  std::chrono::nanoseconds last_merge_swap{0};   // re-deriving the delta
  uint64_t rejected_leader_traits = 0;  // deferred traits that failed at Publish
};

class EngineWriter {
 public:
  explicit EngineWriter(EngineWriterOptions options = {});
  // Waits for a running background merge.
  ~EngineWriter();
  EngineWriter(const EngineWriter&) = delete;
  EngineWriter& operator=(const EngineWriter&) = delete;

  // Catalog changes, visible from the next Publish(). Errors as
  // CatalogBuilder's (kInvalidArgument for a nil id); deletes of unknown
  // ids are ignored.
  absl::Status UpsertTour(TourRecord tour);
  absl::Status DeleteTour(const Uuid& id);
  absl::Status UpsertLeader(LeaderRecord leader);
  absl::Status DeleteLeader(const Uuid& id);
  absl::Status UpsertSchedule(ScheduleRecord schedule);
  absl::Status DeleteSchedule(const Uuid& id);

  // Replaces all traits of the leader `leader` (traits not listed read 0.5).
  // Returns kInvalidArgument, changing nothing, for an empty or repeated
  // name or a value outside [0, 1]. A leader the last published catalog
  // does not know yet gets its traits at the Publish() that brings it (if
  // the registry is full by then, they are dropped and counted in stats()).
  absl::Status SetLeaderTraits(const Uuid& leader, absl::Span<const NamedTrait> traits);
  // Removes the leader's traits (it then reads 0.5 everywhere).
  void RemoveLeaderTraits(const Uuid& leader);

  // Replaces the user's current quiz traits. Returns kInvalidArgument,
  // changing nothing, for an empty or repeated name or a value outside
  // [0, 1].
  absl::Status SetUserTraits(const Uuid& user, absl::Span<const NamedTrait> traits);
  // Forgets the user's traits.
  void RemoveUserTraits(const Uuid& user);

  // Returns a Snapshot with every change so far, at change-log position
  // `as_of`. The first call builds the base indexes (slow at scale); later
  // calls cost about the size of the batch. Errors only from index builds
  // (kInvalidArgument, which the catalog's validation should prevent); the
  // writer is then unchanged for indexes but the catalog has moved on.
  absl::StatusOr<std::shared_ptr<const Snapshot>> Publish(uint64_t as_of);

  // Whether a background merge is under way: building new bases, or built
  // and waiting for the next Publish() to swap them in.
  bool merge_running() const { return merge_.valid(); }
  // Blocks until a running background merge has built its bases; the next
  // Publish() swaps them in. Returns at once when none runs.
  void WaitForMerge() const;

  const EngineWriterStats& stats() const { return stats_; }

 private:
  struct MergeResult {
    absl::StatusOr<std::shared_ptr<const snapshot_internal::BaseIndexes>> tours;
    absl::StatusOr<std::shared_ptr<const snapshot_internal::BaseIndexes>> leaders;
    std::chrono::nanoseconds build_time{0};
  };

  // The dense ids that changed in `catalog` (sorted), from the Uuids noted.
  void ResolveChanges(const Catalog& catalog, std::vector<uint32_t>* tours,
                      std::vector<uint32_t>* leaders);
  // Applies pending leader traits whose leaders `catalog` knows.
  void ApplyPendingLeaderTraits(const Catalog& catalog);
  // Swaps in finished bases; starts a merge when a delta is too large.
  absl::Status MaybeFinishMerge(const Catalog& catalog);
  absl::Status MaybeStartMerge(const std::shared_ptr<const Catalog>& catalog);
  absl::Status SwapIn(MergeResult result, const Catalog& catalog);
  size_t MergeThreshold(size_t documents) const;

  EngineWriterOptions options_;
  EngineWriterStats stats_;
  CatalogBuilder catalog_builder_;
  std::shared_ptr<const Catalog> catalog_;  // the last published
  bool has_base_ = false;
  std::vector<Uuid> changed_tours_;
  std::vector<Uuid> changed_leaders_;
  DocumentIndexWriter tours_{DocumentKind::kTour};
  DocumentIndexWriter leaders_{DocumentKind::kLeader};

  LeaderTraitMatrixBuilder trait_builder_;
  std::shared_ptr<const LeaderTraitMatrix> leader_traits_;
  bool traits_changed_ = true;
  // Traits for leaders not in the published catalog yet (nullopt: remove).
  absl::flat_hash_map<Uuid, std::optional<std::vector<std::pair<std::string, double>>>>
      pending_leader_traits_;

  catalog_internal::CowChunks<snapshot_internal::UserTraitShard> user_shards_;
  std::shared_ptr<const Snapshot::UserTraitShards> user_traits_;
  bool users_changed_ = true;

  // The background merge: bases built from `merge_catalog_`, and the ids
  // changed in versions published after it.
  std::future<MergeResult> merge_;
  std::shared_ptr<const Catalog> merge_catalog_;
  absl::flat_hash_set<uint32_t> tours_since_merge_;
  absl::flat_hash_set<uint32_t> leaders_since_merge_;
};

}  // namespace otter::engine
