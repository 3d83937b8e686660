#pragma once
// Personality traits: the registry of trait names (name -> slot), a user's
// validated trait object resolved to slots, and the leaders' trait matrix
// (structure-of-arrays, in immutable copy-on-write chunks).
//
//   LeaderTraitMatrixBuilder builder;                     // the one writer
//   OTTER_RETURN_IF_ERROR(builder.SetLeader(7, {{"social", 0.8}}));
//   LeaderTraitMatrix snapshot = builder.Snapshot();      // publish to readers
//
// Thread safety: TraitRegistry, UserTraits, TraitChunk and LeaderTraitMatrix
// are immutable once built and safe to read from any number of threads.
// LeaderTraitMatrixBuilder is for one writer thread; snapshots it returned
// earlier are never modified by later writes (a written chunk is copied).

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace otter::engine {

// The most distinct trait names the engine accepts, over its whole life.
inline constexpr int kMaxTraits = 64;

// The canonical names seeded with personality_types, in slot order.
inline constexpr std::array<std::string_view, 16> kCanonicalTraitNames = {
    "adventurous", "social",  "cultural",    "relaxed",   "foodie",    "nature",
    "luxury",      "budget",  "spontaneous", "planner",   "active",    "photography",
    "nightlife",   "family",  "history",     "spiritual"};

// The value a leader's missing trait counts as.
inline constexpr float kMissingTraitValue = 0.5f;

// One entry of a trait object (a JSONB `name: number` pair). Does not own the
// name: the caller keeps it alive for the duration of the call.
struct NamedTrait {
  std::string_view name;
  double value;
};

// Returns OK when `value` is a finite number in [0, 1], else kInvalidArgument
// naming the trait and the value.
absl::Status ValidateTraitValue(std::string_view name, double value);

// Maps trait names to dense slots 0..size()-1. Slots are append-only: a name
// keeps its slot forever, so a registry is a prefix of all its successors.
class TraitRegistry {
 public:
  // A registry holding the 16 canonical names in kCanonicalTraitNames order.
  TraitRegistry();

  // The slot of `name`, or nullopt when the name is not registered.
  std::optional<int> Find(std::string_view name) const;

  // The slot of `name`, registering it first when new. Returns
  // kInvalidArgument for an empty name or when registering it would exceed
  // kMaxTraits names (the message names the limit).
  absl::StatusOr<int> Intern(std::string_view name);

  // The number of registered names.
  int size() const { return static_cast<int>(names_.size()); }

  // The name in `slot`. Requires 0 <= slot < size().
  const std::string& name(int slot) const { return names_[static_cast<size_t>(slot)]; }

 private:
  std::vector<std::string> names_;
  absl::flat_hash_map<std::string, int> slots_;
};

// A user's trait object, validated and resolved against a registry: the
// query side of the compatibility formula. Names the registry did not know
// are kept, since they still count in |U| (against a leader value of 0.5).
class UserTraits {
 public:
  struct Entry {
    int slot;
    float value;
  };

  // Validates `traits` and resolves their names against `registry`. Returns
  // kInvalidArgument when `traits` is empty (compatibility is undefined), a
  // name is empty or repeated, or a value is not a finite number in [0, 1];
  // the message names the trait.
  static absl::StatusOr<UserTraits> Resolve(const TraitRegistry& registry,
                                            absl::Span<const NamedTrait> traits);

  // |U|: the number of traits the user has.
  int count() const { return static_cast<int>(known_.size() + unknown_.size()); }

  // The traits whose names the registry knew, sorted by slot.
  const std::vector<Entry>& known() const { return known_; }

  // The traits whose names the registry did not know (name, value).
  const std::vector<std::pair<std::string, float>>& unknown() const { return unknown_; }

  // The size of the registry this was resolved against.
  int registry_size() const { return registry_size_; }

 private:
  std::vector<Entry> known_;
  std::vector<std::pair<std::string, float>> unknown_;
  int registry_size_ = 0;
};

// kLeaders consecutive leader ids' trait values, one contiguous column of
// kLeaders floats per trait slot (64-byte aligned), plus which ids are live.
// Slots at or past column_count() hold kMissingTraitValue for every leader.
class TraitChunk {
 public:
  // Leaders per chunk: a multiple of every SIMD width, so chunks need no tail.
  static constexpr uint32_t kLeaders = 1024;
  static constexpr uint32_t kWords = kLeaders / 64;

  // An empty chunk (no live leader) with `column_count` columns of 0.5.
  explicit TraitChunk(int column_count);
  // A deep copy of `other` widened to max(column_count, other's) columns.
  TraitChunk(const TraitChunk& other, int column_count);
  TraitChunk(const TraitChunk&) = delete;
  TraitChunk& operator=(const TraitChunk&) = delete;

  int column_count() const { return column_count_; }

  // The column of `slot`: kLeaders values. Requires slot < column_count().
  const float* column(int slot) const { return values_.get() + static_cast<size_t>(slot) * kLeaders; }

  // Whether the leader at `offset` (id % kLeaders) is live.
  bool live(uint32_t offset) const { return (live_[offset / 64] >> (offset % 64)) & 1; }

  // The live bitmap: bit (offset % 64) of word (offset / 64).
  const std::array<uint64_t, kWords>& live_words() const { return live_; }

  // The number of live leaders.
  uint32_t live_count() const { return live_count_; }

 private:
  friend class LeaderTraitMatrixBuilder;

  struct AlignedDelete {
    void operator()(float* p) const;
  };

  float* mutable_column(int slot) { return values_.get() + static_cast<size_t>(slot) * kLeaders; }

  int column_count_;
  uint32_t live_count_ = 0;
  std::array<uint64_t, kWords> live_{};
  std::unique_ptr<float[], AlignedDelete> values_;
};

// An immutable snapshot of every leader's traits. Copying it is cheap (it
// shares the chunks); hold one for the whole of a query.
class LeaderTraitMatrix {
 public:
  // An empty matrix with the canonical registry.
  LeaderTraitMatrix();

  // The registry the matrix's slots refer to.
  const TraitRegistry& registry() const { return *registry_; }

  // One past the highest leader id the matrix has room for (a multiple of
  // TraitChunk::kLeaders); every live id is below it.
  uint64_t id_limit() const { return uint64_t{chunks_.size()} * TraitChunk::kLeaders; }

  // The number of live leaders.
  size_t leader_count() const { return leader_count_; }

  // Whether `leader` has been set and not removed.
  bool Contains(uint32_t leader) const;

  // The value of trait `slot` for a live `leader` (0.5 when missing).
  // Requires Contains(leader) and 0 <= slot < registry().size().
  float Value(uint32_t leader, int slot) const;

  // The number of chunks; chunk i holds ids [i * kLeaders, (i + 1) * kLeaders).
  size_t chunk_count() const { return chunks_.size(); }

  // Chunk `i`, or nullptr when none of its ids is live. Two snapshots
  // returning the same pointer share that chunk's memory.
  const TraitChunk* chunk(size_t i) const { return chunks_[i].get(); }

 private:
  friend class LeaderTraitMatrixBuilder;

  LeaderTraitMatrix(std::shared_ptr<const TraitRegistry> registry,
                    std::vector<std::shared_ptr<const TraitChunk>> chunks, size_t leader_count)
      : registry_(std::move(registry)), chunks_(std::move(chunks)), leader_count_(leader_count) {}

  std::shared_ptr<const TraitRegistry> registry_;
  std::vector<std::shared_ptr<const TraitChunk>> chunks_;
  size_t leader_count_ = 0;
};

// The writer's side of a LeaderTraitMatrix: applies changes copy-on-write and
// publishes immutable snapshots. The first write to a chunk after a
// Snapshot() copies that chunk (TraitChunk::kLeaders leaders); later writes
// to it until the next Snapshot() are in place.
class LeaderTraitMatrixBuilder {
 public:
  // Starts from an empty matrix with the canonical registry.
  LeaderTraitMatrixBuilder();
  // Starts from `base`, sharing all its chunks.
  explicit LeaderTraitMatrixBuilder(const LeaderTraitMatrix& base);

  // Adds `leader` or replaces all its traits with `traits` (traits not listed
  // count as 0.5), registering new names. Returns kInvalidArgument, changing
  // nothing, when a name is empty or repeated, a value is not a finite number
  // in [0, 1], or the new names would exceed kMaxTraits.
  absl::Status SetLeader(uint32_t leader, absl::Span<const NamedTrait> traits);

  // Removes `leader`. Returns false (changing nothing) when it was not live.
  bool RemoveLeader(uint32_t leader);

  // Registers `name` without giving any leader a value for it. Returns its
  // slot, or kInvalidArgument as TraitRegistry::Intern does.
  absl::StatusOr<int> AddTraitName(std::string_view name);

  // The registry as changed so far (to resolve user traits before publishing).
  const TraitRegistry& registry() const { return *registry_; }

  // An immutable snapshot of the changes so far. Later writes never modify
  // it; the builder can keep going.
  LeaderTraitMatrix Snapshot();

 private:
  TraitChunk* MutableChunk(size_t index);
  TraitRegistry* MutableRegistry();

  std::shared_ptr<const TraitRegistry> registry_;
  TraitRegistry* owned_registry_ = nullptr;  // set while not yet published
  std::vector<std::shared_ptr<const TraitChunk>> chunks_;
  std::vector<TraitChunk*> owned_chunks_;  // non-null while not yet published
  size_t leader_count_ = 0;
};

}  // namespace otter::engine
