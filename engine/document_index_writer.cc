#include "engine/document_index_writer.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "engine/document_text.h"
#include "engine/status_macros.h"
#include "engine/text/text_index_builder.h"

namespace otter::engine {
namespace {

using snapshot_internal::BaseIndexes;
using snapshot_internal::DeltaSegment;
using snapshot_internal::DocRef;

text::TextIndexOptions OptionsFor(DocumentKind kind) {
  return kind == DocumentKind::kTour ? text::TextIndexOptions::Tours()
                                     : text::TextIndexOptions::Leaders();
}

void FieldTexts(DocumentKind kind, const void* record, std::vector<text::FieldText>* out) {
  if (kind == DocumentKind::kTour) {
    TourFieldTexts(*static_cast<const TourRecord*>(record), out);
  } else {
    LeaderFieldTexts(*static_cast<const LeaderRecord*>(record), out);
  }
}

bool Matches(DocumentKind kind, const Catalog& catalog, uint32_t doc) {
  if (kind == DocumentKind::kTour) {
    return doc < catalog.tour_id_limit() && catalog.TourMatchable(doc);
  }
  return doc < catalog.leader_id_limit() && catalog.leader_active(doc);
}

// The indexed position of `doc` in `catalog`, or nullopt without a valid one.
std::optional<LatLon> Position(DocumentKind kind, const Catalog& catalog, uint32_t doc) {
  const LatLon p = kind == DocumentKind::kTour
                       ? LatLon{catalog.tour_lat(doc), catalog.tour_lon(doc)}
                       : LatLon{catalog.leader_lat(doc), catalog.leader_lon(doc)};
  if (std::isnan(p.lat) || !ValidateLatLon(p).ok()) return std::nullopt;
  return p;
}

// A text index over the records of `entries` that `pick` selects.
absl::StatusOr<text::TextIndex> BuildText(DocumentKind kind,
                                          const std::vector<DeltaSegment::Entry>& entries,
                                          DocRef DeltaSegment::Entry::*pick) {
  OTTER_ASSIGN_OR_RETURN(text::TextIndexBuilder builder,
                         text::TextIndexBuilder::Create(OptionsFor(kind)));
  std::vector<text::FieldText> fields;
  for (const DeltaSegment::Entry& entry : entries) {
    const DocRef& ref = entry.*pick;
    if (ref == nullptr) continue;
    FieldTexts(kind, ref.get(), &fields);
    OTTER_RETURN_IF_ERROR(builder.AddDocument(entry.doc, fields));
  }
  return std::move(builder).Build();
}

}  // namespace

absl::StatusOr<std::shared_ptr<const BaseIndexes>> DocumentIndexWriter::BuildBase(
    DocumentKind kind, std::shared_ptr<const Catalog> catalog) {
  auto base = std::make_shared<BaseIndexes>();
  base->kind = kind;
  OTTER_ASSIGN_OR_RETURN(text::TextIndexBuilder builder,
                         text::TextIndexBuilder::Create(OptionsFor(kind)));
  std::vector<GeoEntry> points;
  std::vector<text::FieldText> fields;
  const uint32_t limit =
      kind == DocumentKind::kTour ? catalog->tour_id_limit() : catalog->leader_id_limit();
  for (uint32_t doc = 0; doc < limit; ++doc) {
    if (!Matches(kind, *catalog, doc)) continue;
    const void* record = kind == DocumentKind::kTour
                             ? static_cast<const void*>(catalog->tour(doc))
                             : static_cast<const void*>(catalog->leader(doc));
    FieldTexts(kind, record, &fields);
    OTTER_RETURN_IF_ERROR(builder.AddDocument(doc, fields));
    if (std::optional<LatLon> p = Position(kind, *catalog, doc)) points.push_back({doc, *p});
  }
  base->text = std::move(builder).Build();
  OTTER_ASSIGN_OR_RETURN(base->geo, GeoIndex::Build(points));
  base->catalog = std::move(catalog);
  return base;
}

DocRef DocumentIndexWriter::MatchingRef(const Catalog& catalog, uint32_t doc) const {
  if (!Matches(kind_, catalog, doc)) return nullptr;
  if (kind_ == DocumentKind::kTour) return catalog.shared_tour(doc);
  return catalog.shared_leader(doc);
}

DocRef DocumentIndexWriter::IndexedRef(uint32_t doc) const {
  if (auto it = owner_.find(doc); it != owner_.end()) {
    return segments_[it->second]->Find(doc)->live;
  }
  return MatchingRef(*base_->catalog, doc);
}

absl::StatusOr<std::shared_ptr<const DeltaSegment>> DocumentIndexWriter::BuildSegment(
    std::vector<Entry> entries) const {
  auto segment = std::make_shared<DeltaSegment>();
  OTTER_ASSIGN_OR_RETURN(segment->live_text, BuildText(kind_, entries, &Entry::live));
  OTTER_ASSIGN_OR_RETURN(segment->stale_text, BuildText(kind_, entries, &Entry::stale));
  segment->has_stale = segment->stale_text.doc_count() > 0;
  segment->entries = std::move(entries);
  return segment;
}

void DocumentIndexWriter::SetDeltaPosition(const Catalog& catalog, uint32_t doc, bool matches) {
  auto it = std::lower_bound(delta_geo_.begin(), delta_geo_.end(), doc,
                             [](const GeoCandidate& c, uint32_t d) { return c.doc < d; });
  const bool present = it != delta_geo_.end() && it->doc == doc;
  std::optional<LatLon> p;
  if (matches) p = Position(kind_, catalog, doc);
  if (p.has_value()) {
    const GeoCandidate candidate{doc, GeoPoint::FromLatLon(*p)};
    if (present) {
      *it = candidate;
    } else {
      delta_geo_.insert(it, candidate);
    }
  } else if (present) {
    delta_geo_.erase(it);
  } else {
    return;
  }
  geo_changed_ = true;
}

void DocumentIndexWriter::MarkBaseStale(uint32_t doc) {
  const size_t word = doc >> 6;
  if (word >= stale_bits_.size()) return;  // not in the base's id space
  const uint64_t bit = uint64_t{1} << (doc & 63);
  if ((stale_bits_[word] & bit) != 0) return;
  stale_bits_[word] |= bit;
  ++stale_count_;
  bits_changed_ = true;
  // Exactly BuildBase's condition for a geo entry, on the base's catalog.
  const Catalog& base_catalog = *base_->catalog;
  if (!Matches(kind_, base_catalog, doc)) return;
  if (std::optional<LatLon> p = Position(kind_, base_catalog, doc)) {
    stale_base_geo_.push_back({doc, GeoPoint::FromLatLon(*p)});
    stale_geo_changed_ = true;
  }
}

absl::Status DocumentIndexWriter::Reset(std::shared_ptr<const BaseIndexes> base,
                                        const Catalog& current,
                                        std::span<const uint32_t> changed) {
  base_ = std::move(base);
  const uint32_t limit = kind_ == DocumentKind::kTour ? base_->catalog->tour_id_limit()
                                                      : base_->catalog->leader_id_limit();
  stale_bits_.assign((size_t{limit} + 63) / 64, 0);
  stale_count_ = 0;
  segments_.clear();
  owner_.clear();
  delta_geo_.clear();
  stale_base_geo_.clear();
  changed_ = bits_changed_ = owner_changed_ = geo_changed_ = stale_geo_changed_ = true;
  return Apply(current, changed);
}

absl::Status DocumentIndexWriter::Apply(const Catalog& current,
                                        std::span<const uint32_t> changed) {
  std::vector<Entry> entries;
  for (uint32_t doc : changed) {
    DocRef live = MatchingRef(current, doc);
    DocRef before = IndexedRef(doc);
    // Same record, same matching: what is indexed is still right.
    if (live == before) continue;
    entries.push_back({doc, std::move(live), std::move(before)});
  }
  if (entries.empty()) return absl::OkStatus();
  changed_ = owner_changed_ = true;
  const auto index = static_cast<uint32_t>(segments_.size());
  for (const Entry& entry : entries) {
    owner_[entry.doc] = index;
    MarkBaseStale(entry.doc);
    SetDeltaPosition(current, entry.doc, entry.live != nullptr);
  }
  OTTER_ASSIGN_OR_RETURN(auto segment, BuildSegment(std::move(entries)));
  segments_.push_back(std::move(segment));

  // Keep segment sizes falling geometrically (see the header).
  while (segments_.size() >= 2 &&
         segments_[segments_.size() - 2]->entries.size() <= 2 * segments_.back()->entries.size()) {
    const DeltaSegment& older = *segments_[segments_.size() - 2];
    const DeltaSegment& newer = *segments_.back();
    std::vector<Entry> merged;
    merged.reserve(older.entries.size() + newer.entries.size());
    auto a = older.entries.begin();
    auto b = newer.entries.begin();
    while (a != older.entries.end() || b != newer.entries.end()) {
      if (b == newer.entries.end() || (a != older.entries.end() && a->doc < b->doc)) {
        merged.push_back(*a++);
      } else if (a == older.entries.end() || b->doc < a->doc) {
        merged.push_back(*b++);
      } else {
        // Changed in both: the newer text is current, the older segment's
        // stale record is what preceded both.
        merged.push_back({a->doc, b->live, a->stale});
        ++a;
        ++b;
      }
    }
    const auto merged_index = static_cast<uint32_t>(segments_.size() - 2);
    for (const Entry& entry : newer.entries) owner_[entry.doc] = merged_index;
    OTTER_ASSIGN_OR_RETURN(auto segment, BuildSegment(std::move(merged)));
    segments_.pop_back();
    segments_.back() = std::move(segment);
  }
  return absl::OkStatus();
}

DocumentIndexes DocumentIndexWriter::Publish() {
  if (!changed_ && published_ != nullptr) return SnapshotBuilder::MakeIndexes(published_);
  if (bits_changed_ || published_bits_ == nullptr) {
    published_bits_ = std::make_shared<const std::vector<uint64_t>>(stale_bits_);
    std::vector<uint64_t> current;
    if (stale_count_ > 0) {
      current.reserve(stale_bits_.size());
      for (uint64_t word : stale_bits_) current.push_back(~word);
    }
    published_current_bits_ = std::make_shared<const std::vector<uint64_t>>(std::move(current));
  }
  if (owner_changed_ || published_owner_ == nullptr) {
    published_owner_ = std::make_shared<const absl::flat_hash_map<uint32_t, uint32_t>>(owner_);
  }
  if (geo_changed_ || published_geo_ == nullptr) {
    published_geo_ = std::make_shared<const std::vector<GeoCandidate>>(delta_geo_);
  }
  if (stale_geo_changed_ || published_stale_geo_ == nullptr) {
    published_stale_geo_ = std::make_shared<const std::vector<GeoCandidate>>(stale_base_geo_);
  }
  auto state = std::make_shared<DocumentIndexes::State>();
  state->kind = kind_;
  state->base = base_;
  state->stale_bits = published_bits_;
  state->current_bits = published_current_bits_;
  state->segments = segments_;
  state->owner = published_owner_;
  state->delta_geo = published_geo_;
  state->stale_base_geo = published_stale_geo_;
  published_ = std::move(state);
  changed_ = bits_changed_ = owner_changed_ = geo_changed_ = stale_geo_changed_ = false;
  return SnapshotBuilder::MakeIndexes(published_);
}

}  // namespace otter::engine
