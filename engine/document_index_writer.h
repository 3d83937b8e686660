#pragma once
// The writer's side of one document kind's indexes (tours or leaders): a
// base built from one catalog version, and the documents changed since in
// delta segments (engine/snapshot_state.h explains the structure and why
// its text statistics are exact). EngineWriter owns one per kind.
//
//   DocumentIndexWriter tours(DocumentKind::kTour);
//   OTTER_ASSIGN_OR_RETURN(auto base, DocumentIndexWriter::BuildBase(kTour, catalog));
//   tours.Reset(base, *catalog, {});
//   OTTER_RETURN_IF_ERROR(tours.Apply(*next_catalog, changed_ids));
//   DocumentIndexes published = tours.Publish();
//
// Delta segments are kept like an LSM tree: each Apply() adds a segment over
// the documents it changed (text indexes over a handful of documents), and
// while the segment before the newest is at most twice the newest's size
// the two are rebuilt as one. Sizes so fall geometrically, there are at
// most about log2(delta) segments, and each changed document is re-indexed
// O(log delta) times in total until the next base swap.
//
// Thread safety: one writer thread; BuildBase() is pure and may run on any
// thread. Published DocumentIndexes are immutable.

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "engine/catalog/catalog.h"
#include "engine/snapshot.h"
#include "engine/snapshot_state.h"

namespace otter::engine {

class DocumentIndexWriter {
 public:
  explicit DocumentIndexWriter(DocumentKind kind) : kind_(kind) {}

  // Builds the base indexes over the documents matchable in `catalog` (those
  // with a valid location in the geo index, all of them in the text index).
  // Takes tens of seconds at 1,000,000 tours; touches nothing shared.
  static absl::StatusOr<std::shared_ptr<const snapshot_internal::BaseIndexes>> BuildBase(
      DocumentKind kind, std::shared_ptr<const Catalog> catalog);

  // Starts over from `base`, with `changed` (ascending ids) the documents
  // that changed in catalog versions after base->catalog up to `current`.
  absl::Status Reset(std::shared_ptr<const snapshot_internal::BaseIndexes> base,
                     const Catalog& current, std::span<const uint32_t> changed);

  // Records that documents `changed` (ascending, unique) may differ in
  // `current`, the catalog version about to be published. Requires Reset().
  absl::Status Apply(const Catalog& current, std::span<const uint32_t> changed);

  // The indexes as of the last Apply(); shares everything unchanged with the
  // previous Publish().
  DocumentIndexes Publish();

  // Documents changed since the base was built.
  size_t delta_size() const { return owner_.size(); }
  const snapshot_internal::BaseIndexes* base() const { return base_.get(); }

 private:
  using Entry = snapshot_internal::DeltaSegment::Entry;

  // The record of `doc` when it matches in `catalog`, else null.
  snapshot_internal::DocRef MatchingRef(const Catalog& catalog, uint32_t doc) const;
  // The record `doc` is indexed with now (newest segment or base), or null.
  snapshot_internal::DocRef IndexedRef(uint32_t doc) const;
  absl::StatusOr<std::shared_ptr<const snapshot_internal::DeltaSegment>> BuildSegment(
      std::vector<Entry> entries) const;
  // Replaces the position of `doc` in delta_geo_ (removes it for null).
  void SetDeltaPosition(const Catalog& catalog, uint32_t doc, bool matches);
  // Marks the base entries of `doc` stale; the first time, records its base
  // geo entry (if any) in stale_base_geo_.
  void MarkBaseStale(uint32_t doc);

  DocumentKind kind_;
  std::shared_ptr<const snapshot_internal::BaseIndexes> base_;
  std::vector<uint64_t> stale_bits_;
  size_t stale_count_ = 0;  // bits set in stale_bits_
  std::vector<std::shared_ptr<const snapshot_internal::DeltaSegment>> segments_;
  absl::flat_hash_map<uint32_t, uint32_t> owner_;
  std::vector<GeoCandidate> delta_geo_;  // by ascending doc
  std::vector<GeoCandidate> stale_base_geo_;
  // What the last Publish() shared, and whether each part changed since.
  std::shared_ptr<const DocumentIndexes::State> published_;
  std::shared_ptr<const std::vector<uint64_t>> published_bits_;
  std::shared_ptr<const std::vector<uint64_t>> published_current_bits_;
  std::shared_ptr<const absl::flat_hash_map<uint32_t, uint32_t>> published_owner_;
  std::shared_ptr<const std::vector<GeoCandidate>> published_geo_;
  std::shared_ptr<const std::vector<GeoCandidate>> published_stale_geo_;
  bool changed_ = true;
  bool bits_changed_ = true;
  bool owner_changed_ = true;
  bool geo_changed_ = true;
  bool stale_geo_changed_ = true;
};

}  // namespace otter::engine
