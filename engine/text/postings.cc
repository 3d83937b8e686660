#include "engine/text/postings.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace otter::engine::text {

PostingBlocks PostingBlocks::Build(const PostingsView& postings, const Bm25FScorer& own_scorer) {
  PostingBlocks blocks;
  blocks.field_count_ = postings.field_count;
  const size_t term_count = postings.offsets.empty() ? 0 : postings.offsets.size() - 1;
  blocks.block_offsets_.reserve(term_count + 1);
  uint64_t block_count = 0;
  for (uint32_t t = 0; t < term_count; ++t) {
    blocks.block_offsets_.push_back(block_count);
    block_count += (postings.end(t) - postings.begin(t) + kPostingBlockSize - 1) / kPostingBlockSize;
  }
  blocks.block_offsets_.push_back(block_count);
  blocks.own_max_part_.reserve(block_count);
  blocks.max_tfs_.reserve(block_count);
  blocks.min_lengths_.reserve(block_count * postings.field_count);
  for (uint32_t t = 0; t < term_count; ++t) {
    const uint64_t end = postings.end(t);
    for (uint64_t first = postings.begin(t); first < end; first += kPostingBlockSize) {
      const uint64_t last = std::min<uint64_t>(end, first + kPostingBlockSize);
      double max_part = 0;
      uint16_t max_tfs[kMaxFields] = {};
      uint16_t min_lengths[kMaxFields];
      std::fill(std::begin(min_lengths), std::end(min_lengths), UINT16_MAX);
      for (uint64_t p = first; p < last; ++p) {
        const uint16_t* lengths = postings.doc_lengths(postings.ords[p]);
        max_part = std::max(max_part, own_scorer.PackedDocumentPart(postings.tfs[p], lengths));
        for (size_t f = 0; f < postings.field_count; ++f) {
          const uint16_t tf = (postings.tfs[p] >> (3 * f)) & 7u;
          if (tf == 0) continue;  // Fields without the term do not bound it.
          max_tfs[f] = std::max(max_tfs[f], tf);
          min_lengths[f] = std::min(min_lengths[f], lengths[f]);
        }
      }
      // Rounded up, so that the float still bounds every double part.
      auto bound = static_cast<float>(max_part);
      if (static_cast<double>(bound) < max_part) {
        bound = std::nextafter(bound, std::numeric_limits<float>::infinity());
      }
      blocks.own_max_part_.push_back(bound);
      uint16_t packed = 0;
      for (size_t f = 0; f < postings.field_count; ++f) {
        packed = static_cast<uint16_t>(packed | (max_tfs[f] << (3 * f)));
        blocks.min_lengths_.push_back(max_tfs[f] == 0 ? UINT16_MAX : min_lengths[f]);
      }
      blocks.max_tfs_.push_back(packed);
    }
  }
  return blocks;
}

size_t PostingBlocks::MemoryBytes() const {
  return block_offsets_.capacity() * sizeof(uint64_t) + own_max_part_.capacity() * sizeof(float) +
         max_tfs_.capacity() * sizeof(uint16_t) + min_lengths_.capacity() * sizeof(uint16_t);
}

DenseBitmaps DenseBitmaps::Build(const PostingsView& postings) {
  DenseBitmaps dense;
  dense.words_per_bitmap_ = (postings.doc_count + 63) / 64;
  const size_t term_count = postings.offsets.empty() ? 0 : postings.offsets.size() - 1;
  dense.slots_.assign(term_count, -1);
  int32_t slot_count = 0;
  for (uint32_t t = 0; t < term_count; ++t) {
    if (IsDense(postings.end(t) - postings.begin(t), postings.doc_count)) {
      dense.slots_[t] = slot_count++;
    }
  }
  dense.bits_.assign(static_cast<size_t>(slot_count) * dense.words_per_bitmap_, 0);
  for (uint32_t t = 0; t < term_count; ++t) {
    if (dense.slots_[t] < 0) continue;
    uint64_t* bits = &dense.bits_[static_cast<size_t>(dense.slots_[t]) * dense.words_per_bitmap_];
    for (uint64_t p = postings.begin(t); p < postings.end(t); ++p) {
      bits[postings.ords[p] >> 6] |= uint64_t{1} << (postings.ords[p] & 63);
    }
  }
  return dense;
}

size_t DenseBitmaps::MemoryBytes() const {
  return slots_.capacity() * sizeof(int32_t) + bits_.capacity() * sizeof(uint64_t);
}

}  // namespace otter::engine::text
