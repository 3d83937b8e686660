#pragma once
// Internal: what a Snapshot's DocumentIndexes hold, shared by the queries
// (snapshot.cc) and the writer that makes them (document_index_writer.cc,
// engine_writer.cc). Not for other callers.
//
// The indexes of one document kind are:
// - a base (GeoIndex + TextIndex) built from one catalog version over the
//   documents matchable in it;
// - delta segments, each over some documents changed since: for every
//   document it lists, the record it indexes now (`live`, null when the
//   document stopped matching) and the record it indexed before (`stale`,
//   from the base or an older segment, null when it was not indexed). Its
//   live_text indexes the live records, its stale_text the stale ones;
// - `owner`: each changed document's newest segment, the only place where
//   its entry is current. The base entries of changed documents are stale
//   (`stale_bits`), as are entries of older segments.
// Text statistics are the sum over the base and every segment's live_text,
// minus every segment's stale_text: each changed document's history
// telescopes (base -> seg 1 live, seg 2 stale = seg 1 live -> ...) to its
// current text, so N, field lengths and df(t) are exactly those of an index
// over the current documents.
//
// Thread safety: immutable once published.

#include <cstdint>
#include <memory>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "engine/catalog/catalog.h"
#include "engine/catalog/cow.h"
#include "engine/geo_index.h"
#include "engine/geodesy.h"
#include "engine/snapshot.h"
#include "engine/text/text_index.h"

namespace otter::engine {
namespace snapshot_internal {

// A TourRecord or a LeaderRecord (by the kind of its index) as indexed, or
// null when the document is not indexed there.
using DocRef = std::shared_ptr<const void>;

// The base indexes of one kind, built from `catalog`.
struct BaseIndexes {
  DocumentKind kind = DocumentKind::kTour;
  std::shared_ptr<const Catalog> catalog;  // the version indexed
  std::unique_ptr<GeoIndex> geo;
  text::TextIndex text;
};

// Documents changed in one or more publishes (see the file comment).
struct DeltaSegment {
  struct Entry {
    uint32_t doc = 0;
    DocRef live;
    DocRef stale;
  };
  std::vector<Entry> entries;  // by ascending doc
  text::TextIndex live_text;
  text::TextIndex stale_text;
  bool has_stale = false;  // some entry has a stale record

  // The entry of `doc`, or null.
  const Entry* Find(uint32_t doc) const;
};

// Users' traits by Uuid, in kUuidShards shards (catalog_internal::UuidShardOf).
using UserTraitShard = absl::flat_hash_map<Uuid, StoredUserTraits>;

}  // namespace snapshot_internal

struct DocumentIndexes::State {
  DocumentKind kind = DocumentKind::kTour;
  std::shared_ptr<const snapshot_internal::BaseIndexes> base;
  // Bit d set: base document d changed (its base entries are stale).
  std::shared_ptr<const std::vector<uint64_t>> stale_bits;
  // The complement of stale_bits (bit d set: base document d is current),
  // for the base text index's bitmap TopK; empty while no base document is
  // stale.
  std::shared_ptr<const std::vector<uint64_t>> current_bits;
  std::vector<std::shared_ptr<const snapshot_internal::DeltaSegment>> segments;
  // Changed document -> index of its newest segment in `segments`.
  std::shared_ptr<const absl::flat_hash_map<uint32_t, uint32_t>> owner;
  // Current positions of the changed documents that match now, by doc.
  std::shared_ptr<const std::vector<GeoCandidate>> delta_geo;
  // The base geo entries of the changed documents, at the positions the base
  // indexed (from base->catalog), in no particular order: what a count of
  // the whole base subtracts.
  std::shared_ptr<const std::vector<GeoCandidate>> stale_base_geo;

  bool BaseStale(uint32_t doc) const {
    const size_t word = doc >> 6;
    return word < stale_bits->size() && (((*stale_bits)[word] >> (doc & 63)) & 1) != 0;
  }
  bool SegmentOwns(uint32_t segment, uint32_t doc) const {
    auto it = owner->find(doc);
    return it != owner->end() && it->second == segment;
  }
};

struct Snapshot::UserTraitShards {
  catalog_internal::ChunkList<snapshot_internal::UserTraitShard> shards;
};

// Assembles Snapshots and DocumentIndexes (the writer's side).
class SnapshotBuilder {
 public:
  static DocumentIndexes MakeIndexes(std::shared_ptr<const DocumentIndexes::State> state) {
    DocumentIndexes indexes;
    indexes.state_ = std::move(state);
    return indexes;
  }
  static std::shared_ptr<const Snapshot> MakeSnapshot(
      std::shared_ptr<const Catalog> catalog, DocumentIndexes tours, DocumentIndexes leaders,
      std::shared_ptr<const LeaderTraitMatrix> leader_traits,
      std::shared_ptr<const Snapshot::UserTraitShards> user_traits, uint64_t as_of) {
    auto snapshot = std::make_shared<Snapshot>();
    snapshot->catalog_ = std::move(catalog);
    snapshot->tours_ = std::move(tours);
    snapshot->leaders_ = std::move(leaders);
    snapshot->leader_traits_ = std::move(leader_traits);
    snapshot->user_traits_ = std::move(user_traits);
    snapshot->as_of_ = as_of;
    return snapshot;
  }
};

}  // namespace otter::engine
