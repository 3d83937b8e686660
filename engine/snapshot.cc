#include "engine/snapshot.h"

#include <algorithm>
#include <string>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "engine/snapshot_state.h"
#include "engine/status_macros.h"

namespace otter::engine {
namespace {

using snapshot_internal::DeltaSegment;

// Whether `lat_lon` lies in `box`, decided exactly as GeoIndex::Box decides
// (one meridian for lon -180 and 180; across the antimeridian a point on it
// belongs to the western range only).
bool InBox(const GeoBox& box, const LatLon& p) {
  if (!(p.lat >= box.south && p.lat <= box.north)) return false;
  const double lon = p.lon == -180 ? 180 : p.lon;
  if (box.west <= box.east) {
    return (lon >= box.west && lon <= box.east) || (lon == 180 && box.west == -180);
  }
  return (lon >= box.west && lon <= 180) || (lon >= -180 && lon <= box.east);
}

// Statistics of `query` over the current documents: base and live deltas
// added, the stale delta entries subtracted (see snapshot_state.h).
//
// Which terms a query word reaches (and with what factor) comes from
// CollectStats over the live indexes. df(t) is then counted separately
// with exact-stem words: df counts the documents containing the stem t
// however they spell it, but an index reports a term only when its own
// vocabulary leads the word there ("hikin" reaches stem "hike" through
// "hiking"; a delta whose documents only say "hike" would report nothing),
// so summing per-index reports would undercount small indexes.
text::QueryStats CurrentStats(const DocumentIndexes::State& state, const text::TextQuery& query) {
  const text::TextIndex& base = state.base->text;
  const size_t fields = base.options().fields.size();
  text::QueryStats stats(fields, query.words.size());
  base.CollectStats(query, &stats);
  if (state.segments.empty()) return stats;
  for (const auto& segment : state.segments) segment->live_text.CollectStats(query, &stats);

  text::TextQuery terms_query;
  absl::flat_hash_map<std::string, size_t> term_slots;
  for (const auto& terms : stats.word_terms) {
    for (const auto& [term, unused] : terms) {
      if (term_slots.try_emplace(term, terms_query.words.size()).second) {
        terms_query.words.push_back({term, term, 0, false});
      }
    }
  }
  text::QueryStats live(fields, terms_query.words.size());
  text::QueryStats stale(fields, terms_query.words.size());
  base.CollectStats(terms_query, &live);
  for (const auto& segment : state.segments) {
    segment->live_text.CollectStats(terms_query, &live);
    if (segment->has_stale) segment->stale_text.CollectStats(terms_query, &stale);
  }
  stats.doc_count -= stale.doc_count;
  for (size_t f = 0; f < fields; ++f) stats.field_length_sums[f] -= stale.field_length_sums[f];
  auto df = [&](const text::QueryStats& from, const std::string& term) -> uint64_t {
    const auto& terms = from.word_terms[term_slots.at(term)];
    auto it = terms.find(term);
    return it == terms.end() ? 0 : it->second.doc_frequency;
  };
  for (auto& terms : stats.word_terms) {
    for (auto it = terms.begin(); it != terms.end();) {
      const uint64_t added = df(live, it->first);
      const uint64_t removed = df(stale, it->first);
      // A term only stale documents still contain matches nothing current:
      // dropping it keeps its postings out of the match, as a fresh index
      // would not have it at all.
      if (added <= removed) {
        terms.erase(it++);
      } else {
        it->second.doc_frequency = added - removed;
        ++it;
      }
    }
  }
  return stats;
}

// Merges score-ordered hit lists, keeping the best k.
void MergeTopK(std::vector<text::ScoredDoc> more, size_t k, std::vector<text::ScoredDoc>* hits) {
  if (more.empty()) return;
  std::vector<text::ScoredDoc> merged;
  merged.reserve(std::min(k, hits->size() + more.size()));
  auto better = [](const text::ScoredDoc& a, const text::ScoredDoc& b) {
    return a.score != b.score ? a.score > b.score : a.doc < b.doc;
  };
  std::merge(hits->begin(), hits->end(), more.begin(), more.end(), std::back_inserter(merged),
             better);
  if (merged.size() > k) merged.resize(k);
  *hits = std::move(merged);
}

// Adds to `result` the matches of every delta segment that still owns them
// and that `accept` takes (the segments are small: a call per match is fine).
void AddSegmentsTopK(const DocumentIndexes::State& s, const text::TextQuery& query,
                     const text::QueryStats& stats, size_t k, DocPredicate accept,
                     text::TopKResult* result) {
  for (uint32_t i = 0; i < s.segments.size(); ++i) {
    const DeltaSegment& segment = *s.segments[i];
    if (segment.live_text.doc_count() == 0) continue;
    text::TopKResult more = segment.live_text.TopK(
        query, stats, k, [&](uint32_t doc) { return s.SegmentOwns(i, doc) && accept(doc); });
    result->total += more.total;
    MergeTopK(std::move(more.hits), k, &result->hits);
  }
}

}  // namespace

namespace snapshot_internal {

const DeltaSegment::Entry* DeltaSegment::Find(uint32_t doc) const {
  auto it = std::lower_bound(entries.begin(), entries.end(), doc,
                             [](const Entry& e, uint32_t d) { return e.doc < d; });
  return it != entries.end() && it->doc == doc ? &*it : nullptr;
}

}  // namespace snapshot_internal

absl::StatusOr<std::vector<GeoHit>> DocumentIndexes::Radius(const LatLon& center, double radius_m,
                                                            DocPredicate accept) const {
  const State& s = *state_;
  OTTER_ASSIGN_OR_RETURN(
      std::vector<GeoHit> hits,
      s.base->geo->Radius(center, radius_m,
                          [&](uint32_t doc) { return !s.BaseStale(doc) && accept(doc); }));
  if (s.delta_geo->empty()) return hits;
  OTTER_ASSIGN_OR_RETURN(GeoCircle circle, GeoCircle::Create(center, radius_m));
  for (const GeoCandidate& c : *s.delta_geo) {
    std::optional<double> distance = circle.DistanceTo(c.point);
    if (distance.has_value() && accept(c.doc)) hits.push_back({c.doc, *distance});
  }
  return hits;
}

absl::StatusOr<size_t> DocumentIndexes::CountRadius(const LatLon& center, double radius_m,
                                                    DocPredicate accept) const {
  const State& s = *state_;
  OTTER_ASSIGN_OR_RETURN(
      size_t count,
      s.base->geo->CountRadius(center, radius_m,
                               [&](uint32_t doc) { return !s.BaseStale(doc) && accept(doc); }));
  if (s.delta_geo->empty()) return count;
  OTTER_ASSIGN_OR_RETURN(GeoCircle circle, GeoCircle::Create(center, radius_m));
  for (const GeoCandidate& c : *s.delta_geo) {
    if (circle.DistanceTo(c.point).has_value() && accept(c.doc)) ++count;
  }
  return count;
}

absl::StatusOr<size_t> DocumentIndexes::CountRadius(const LatLon& center, double radius_m) const {
  const State& s = *state_;
  OTTER_ASSIGN_OR_RETURN(size_t count,
                         s.base->geo->CountRadiusExcluding(center, radius_m, *s.stale_base_geo));
  if (s.delta_geo->empty()) return count;
  OTTER_ASSIGN_OR_RETURN(GeoCircle circle, GeoCircle::Create(center, radius_m));
  for (const GeoCandidate& c : *s.delta_geo) {
    if (circle.DistanceTo(c.point).has_value()) ++count;
  }
  return count;
}

absl::Status DocumentIndexes::MarkRadius(const LatLon& center, double radius_m,
                                         std::vector<uint64_t>* bits) const {
  const State& s = *state_;
  bits->clear();
  auto mark = [bits](uint32_t doc) {
    if (doc / 64 >= bits->size()) bits->resize(doc / 64 + 1, 0);
    (*bits)[doc / 64] |= uint64_t{1} << (doc % 64);
  };
  OTTER_RETURN_IF_ERROR(s.base->geo->ForEachInRadius(center, radius_m, mark));
  // A stale base entry never counts; the document's current entry, if any,
  // is in the delta.
  for (const GeoCandidate& c : *s.stale_base_geo) {
    if (c.doc / 64 < bits->size()) (*bits)[c.doc / 64] &= ~(uint64_t{1} << (c.doc % 64));
  }
  if (s.delta_geo->empty()) return absl::OkStatus();
  OTTER_ASSIGN_OR_RETURN(GeoCircle circle, GeoCircle::Create(center, radius_m));
  for (const GeoCandidate& c : *s.delta_geo) {
    if (circle.DistanceTo(c.point).has_value()) mark(c.doc);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<GeoHit>> DocumentIndexes::Nearest(const LatLon& center, size_t k,
                                                             DocPredicate accept,
                                                             double max_distance_m) const {
  const State& s = *state_;
  OTTER_ASSIGN_OR_RETURN(
      std::vector<GeoHit> hits,
      s.base->geo->Nearest(center, k,
                           [&](uint32_t doc) { return !s.BaseStale(doc) && accept(doc); },
                           max_distance_m));
  if (s.delta_geo->empty() || k == 0) return hits;
  // The delta candidates within the bound join the base's k best; the union
  // is ranked again so that order and near-ties are decided exactly as one
  // index would decide them.
  const bool bounded = max_distance_m < kMaxGeodesicDistanceM;
  std::optional<GeoCircle> bound;
  if (bounded) {
    OTTER_ASSIGN_OR_RETURN(GeoCircle circle, GeoCircle::Create(center, max_distance_m));
    bound = circle;
  }
  std::vector<GeoCandidate> candidates;
  for (const GeoCandidate& c : *s.delta_geo) {
    if (bound.has_value() && !bound->DistanceTo(c.point).has_value()) continue;
    if (accept(c.doc)) candidates.push_back(c);
  }
  if (candidates.empty()) return hits;
  const Catalog& catalog = *s.base->catalog;
  for (const GeoHit& hit : hits) {
    const LatLon p = s.kind == DocumentKind::kTour
                         ? LatLon{catalog.tour_lat(hit.doc), catalog.tour_lon(hit.doc)}
                         : LatLon{catalog.leader_lat(hit.doc), catalog.leader_lon(hit.doc)};
    candidates.push_back({hit.doc, GeoPoint::FromLatLon(p)});
  }
  return RankNearest(GeoPoint::FromLatLon(center), candidates, k);
}

absl::StatusOr<std::vector<uint32_t>> DocumentIndexes::Box(const GeoBox& box,
                                                           DocPredicate accept) const {
  const State& s = *state_;
  OTTER_ASSIGN_OR_RETURN(
      std::vector<uint32_t> docs,
      s.base->geo->Box(box, [&](uint32_t doc) { return !s.BaseStale(doc) && accept(doc); }));
  for (const GeoCandidate& c : *s.delta_geo) {
    if (InBox(box, c.point.lat_lon) && accept(c.doc)) docs.push_back(c.doc);
  }
  std::sort(docs.begin(), docs.end());
  return docs;
}

text::TopKResult DocumentIndexes::TextTopK(const text::TextQuery& query, size_t k,
                                           DocPredicate accept) const {
  const State& s = *state_;
  const text::QueryStats stats = CurrentStats(s, query);
  text::TopKResult result = s.base->text.TopK(
      query, stats, k, [&](uint32_t doc) { return !s.BaseStale(doc) && accept(doc); });
  AddSegmentsTopK(s, query, stats, k, accept, &result);
  return result;
}

text::TopKResult DocumentIndexes::TextTopK(const text::TextQuery& query, size_t k) const {
  const State& s = *state_;
  const text::QueryStats stats = CurrentStats(s, query);
  text::TopKResult result = s.current_bits->empty()
                                ? s.base->text.TopK(query, stats, k)
                                : s.base->text.TopK(query, stats, k, *s.current_bits);
  AddSegmentsTopK(s, query, stats, k, AcceptAnyDoc, &result);
  return result;
}

text::TopKResult DocumentIndexes::TextTopK(const text::TextQuery& query, size_t k,
                                           std::span<const uint64_t> allowed_docs) const {
  const State& s = *state_;
  const text::QueryStats stats = CurrentStats(s, query);
  std::vector<uint64_t> base_allowed;
  if (!s.current_bits->empty()) {
    const std::vector<uint64_t>& current = *s.current_bits;
    base_allowed.resize(std::min(allowed_docs.size(), current.size()));
    for (size_t i = 0; i < base_allowed.size(); ++i) base_allowed[i] = allowed_docs[i] & current[i];
  }
  text::TopKResult result = s.base->text.TopK(
      query, stats, k, s.current_bits->empty() ? allowed_docs : std::span(base_allowed));
  AddSegmentsTopK(
      s, query, stats, k,
      [&](uint32_t doc) {
        return doc / 64 < allowed_docs.size() && ((allowed_docs[doc / 64] >> (doc % 64)) & 1) != 0;
      },
      &result);
  return result;
}

std::vector<text::ScoredDoc> DocumentIndexes::TextMatches(const text::TextQuery& query) const {
  const State& s = *state_;
  const text::QueryStats stats = CurrentStats(s, query);
  std::vector<text::ScoredDoc> matches = s.base->text.Match(query, stats);
  std::erase_if(matches, [&](const text::ScoredDoc& m) { return s.BaseStale(m.doc); });
  bool added = false;
  for (uint32_t i = 0; i < s.segments.size(); ++i) {
    for (const text::ScoredDoc& m : s.segments[i]->live_text.Match(query, stats)) {
      if (s.SegmentOwns(i, m.doc)) {
        matches.push_back(m);
        added = true;
      }
    }
  }
  if (added) {
    std::sort(matches.begin(), matches.end(),
              [](const text::ScoredDoc& a, const text::ScoredDoc& b) { return a.doc < b.doc; });
  }
  return matches;
}

std::vector<text::Suggestion> DocumentIndexes::Suggest(std::string_view prefix,
                                                       size_t limit) const {
  const State& s = *state_;
  if (s.segments.empty()) return s.base->text.Suggest(prefix, limit);
  // Document frequencies add over the base and live deltas and subtract
  // over stale entries; each index is asked for more than `limit` so that
  // the subtraction rarely pushes a word of the true top `limit` out.
  const size_t wide = limit + 16 + limit;
  absl::flat_hash_map<std::string, std::pair<text::Suggestion, int64_t>> words;
  auto add = [&](const text::TextIndex& index, int64_t sign) {
    for (text::Suggestion& sug : index.Suggest(prefix, wide)) {
      auto [it, inserted] = words.try_emplace(sug.word, sug, 0);
      it->second.second += sign * static_cast<int64_t>(sug.doc_frequency);
    }
  };
  add(s.base->text, 1);
  for (const auto& segment : s.segments) {
    add(segment->live_text, 1);
    if (segment->has_stale) add(segment->stale_text, -1);
  }
  std::vector<text::Suggestion> out;
  for (auto& [word, entry] : words) {
    if (entry.second <= 0) continue;
    entry.first.doc_frequency = static_cast<uint32_t>(entry.second);
    out.push_back(std::move(entry.first));
  }
  std::sort(out.begin(), out.end(), [](const text::Suggestion& a, const text::Suggestion& b) {
    return a.doc_frequency != b.doc_frequency ? a.doc_frequency > b.doc_frequency
                                              : a.word < b.word;
  });
  if (out.size() > limit) out.resize(limit);
  return out;
}

size_t DocumentIndexes::delta_size() const { return state_->owner->size(); }

size_t DocumentIndexes::MemoryBytes() const {
  const State& s = *state_;
  size_t bytes = s.base->geo->MemoryBytes() + s.base->text.MemoryBytes() +
                 (s.stale_bits->size() + s.current_bits->size()) * sizeof(uint64_t) +
                 (s.delta_geo->size() + s.stale_base_geo->size()) * sizeof(GeoCandidate) +
                 s.owner->size() * (sizeof(uint32_t) * 2 + 1);
  for (const auto& segment : s.segments) {
    bytes += segment->live_text.MemoryBytes() + segment->stale_text.MemoryBytes() +
             segment->entries.size() * sizeof(DeltaSegment::Entry);
  }
  return bytes;
}

uint64_t DocumentIndexes::base_catalog_version() const {
  return state_->base->catalog->version();
}

size_t DocumentIndexes::delta_segment_count() const { return state_->segments.size(); }

const StoredUserTraits* Snapshot::user_traits(const Uuid& user) const {
  if (user_traits_ == nullptr) return nullptr;
  const auto& shard = *(*user_traits_->shards)[catalog_internal::UuidShardOf(user)];
  auto it = shard.find(user);
  return it == shard.end() ? nullptr : &it->second;
}

void Snapshot::ForEachUserTraits(
    absl::FunctionRef<void(const Uuid& user, const StoredUserTraits& traits)> fn) const {
  if (user_traits_ == nullptr) return;
  for (const auto& shard : *user_traits_->shards) {
    for (const auto& [user, traits] : *shard) fn(user, traits);
  }
}

}  // namespace otter::engine
