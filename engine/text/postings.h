#pragma once
// Read-only views of a text index's postings, and the structures built over
// them for top-k search: per-block score upper bounds (block-max) and
// bitmaps of the very frequent terms.
//
// Postings of term t are the ordinals ords[offsets[t], offsets[t + 1]), in
// ascending order, with packed per-field frequencies tfs[...] alongside.
// They are cut into blocks of kPostingBlockSize postings (the last one of a
// term shorter); for each block PostingBlocks keeps
//   - the largest Bm25FScorer::PackedDocumentPart of its postings under the
//     index's own statistics (a float rounded up), and
//   - the per-field maximum term frequencies and minimum field lengths, whose
//     PackedDocumentPart bounds the block under ANY statistics (tf~ grows
//     with each tf_f and shrinks with each len_f).
//
//   PostingBlocks blocks = PostingBlocks::Build(view, own_scorer);
//   double bound = weight * blocks.OwnBound(blocks.first_block(term) + i);
//
// Thread safety: immutable after Build; safe for concurrent readers.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "absl/types/span.h"
#include "engine/text/bm25.h"

namespace otter::engine::text {

// Postings per block of PostingBlocks.
inline constexpr size_t kPostingBlockSize = 32;

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

// Per-block score upper bounds of every term's postings.
class PostingBlocks {
 public:
  PostingBlocks() = default;

  // Computes the blocks of `postings`; `own_scorer` must use the statistics
  // of exactly these documents (doc count and field length sums).
  static PostingBlocks Build(const PostingsView& postings, const Bm25FScorer& own_scorer);

  // Index of the first block of `term`; its postings from offset begin + i *
  // kPostingBlockSize are in block first_block(term) + i.
  uint64_t first_block(uint32_t term) const { return block_offsets_[term]; }

  // An upper bound of PackedDocumentPart over the postings of `block` under
  // the statistics `own_scorer` of Build had.
  double OwnBound(uint64_t block) const { return own_max_part_[block]; }

  // An upper bound of PackedDocumentPart over the postings of `block` under
  // `scorer`, whatever its statistics. Looser than OwnBound.
  double AnyBound(uint64_t block, const Bm25FScorer& scorer) const {
    return scorer.PackedDocumentPart(max_tfs_[block], &min_lengths_[block * field_count_]);
  }

  // Bytes of memory held.
  size_t MemoryBytes() const;

 private:
  size_t field_count_ = 0;
  std::vector<uint64_t> block_offsets_;  // Per term, its first block.
  std::vector<float> own_max_part_;
  std::vector<uint16_t> max_tfs_;      // Packed like posting tfs.
  std::vector<uint16_t> min_lengths_;  // field_count_ per block.
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
