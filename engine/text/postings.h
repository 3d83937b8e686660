#pragma once
// Read-only views of a text index's postings, and the structures built over
// them for top-k search: per-posting score bounds (impacts) and bitmaps of
// the very frequent terms.
//
// Postings of term t are the ordinals ords[offsets[t], offsets[t + 1]), in
// ascending order, with packed per-field frequencies tfs[...] alongside.
// PostingImpacts keeps for each posting its impact: the posting's
// Bm25FScorer::PackedDocumentPart under the index's own statistics, rounded
// up to a multiple of 1 / kLevels, in one byte (beside the six of the
// ordinal and frequencies); and per term the largest part.
//
//   PostingImpacts impacts = PostingImpacts::Build(view, own_scorer);
//   double bound = weight * PostingImpacts::Bound(impacts.level(p));
//
// Thread safety: immutable after Build; safe for concurrent readers.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "absl/types/span.h"
#include "engine/text/bm25.h"

namespace otter::engine::text {

// The first index in [lo, hi) of the ascending `values` whose value is >=
// target (hi if none), found by exponential then binary search from lo:
// cheap when the answer is near, as it is when walking postings in order.
inline size_t Gallop(const uint32_t* values, size_t lo, size_t hi, uint32_t target) {
  size_t step = 1;
  size_t bound = lo;
  while (bound < hi && values[bound] < target) {
    lo = bound + 1;
    bound += step;
    step <<= 1;
  }
  return std::lower_bound(values + lo, values + std::min(bound, hi), target) - values;
}

// The postings and field lengths of one index (borrowed).
struct PostingsView {
  absl::Span<const uint64_t> offsets;  // term_count + 1 entries.
  absl::Span<const uint32_t> ords;
  absl::Span<const uint16_t> tfs;
  absl::Span<const uint16_t> lengths;  // field_count per document ordinal.
  size_t field_count = 0;
  size_t doc_count = 0;

  uint64_t begin(uint32_t term) const { return offsets[term]; }
  uint64_t end(uint32_t term) const { return offsets[term + 1]; }
  const uint16_t* doc_lengths(uint32_t ord) const { return &lengths[ord * field_count]; }
};

// Per-posting score upper bounds (impacts) of every term's postings.
class PostingImpacts {
 public:
  // Impact levels: 1 to kLevels.
  static constexpr uint32_t kLevels = 255;

  PostingImpacts() = default;

  // Computes the impacts of `postings`; `own_scorer` must use the statistics
  // of exactly these documents (doc count and field length sums).
  static PostingImpacts Build(const PostingsView& postings, const Bm25FScorer& own_scorer);

  // An upper bound of PackedDocumentPart under the own statistics of Build
  // for a posting of impact `level`.
  static double Bound(uint32_t level) { return static_cast<double>(level) / kLevels; }

  // The level of posting `p` (an index into the postings' ords).
  uint8_t level(uint64_t p) const { return levels_[p]; }
  // The largest PackedDocumentPart of the postings of `term` under the own
  // statistics (a float rounded up).
  double max_part(uint32_t term) const { return max_parts_[term]; }

  // Appends to `out` the ordinals of the postings [begin, end) whose level
  // is at least `min_level`, in order.
  void AppendAtLeast(const PostingsView& postings, uint64_t begin, uint64_t end, uint32_t min_level,
                     std::vector<uint32_t>* out) const;

  // Bytes of memory held.
  size_t MemoryBytes() const;

 private:
  std::vector<uint8_t> levels_;   // Per posting.
  std::vector<float> max_parts_;  // Per term.
};

// Bitmaps of the documents of the terms held by at least 1/32 of the
// documents (where a bitmap is no larger than the term's ordinals).
class DenseBitmaps {
 public:
  DenseBitmaps() = default;

  // Builds bitmaps for the frequent terms of `postings`.
  static DenseBitmaps Build(const PostingsView& postings);

  // Whether a term of `doc_frequency` documents among `doc_count` gets a
  // bitmap.
  static bool IsDense(uint64_t doc_frequency, size_t doc_count) {
    return doc_count >= 64 && doc_frequency * 32 >= doc_count;
  }

  // The bitmap of `term` (words_per_bitmap() words; bit o of word o / 64 is
  // document ordinal o), or nullptr when the term has none.
  const uint64_t* bitmap(uint32_t term) const {
    return term < slots_.size() && slots_[term] >= 0
               ? &bits_[static_cast<size_t>(slots_[term]) * words_per_bitmap_]
               : nullptr;
  }
  size_t words_per_bitmap() const { return words_per_bitmap_; }

  // Bytes of memory held.
  size_t MemoryBytes() const;

 private:
  size_t words_per_bitmap_ = 0;
  std::vector<int32_t> slots_;  // Per term, its bitmap number or -1.
  std::vector<uint64_t> bits_;
};

}  // namespace otter::engine::text
