#include "engine/text/postings.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

namespace otter::engine::text {
namespace {

// The smallest level whose Bound is at least `part` (in [0, 1]); the margin
// keeps the bound above `part` through the rounding of both.
uint8_t ImpactLevel(double part) {
  const double level = std::ceil(part * PostingImpacts::kLevels * (1 + 1e-12));
  return static_cast<uint8_t>(std::clamp<double>(level, 1, PostingImpacts::kLevels));
}

// Sixteen impact levels, compared at once (SSE2, NEON or scalar code, as
// the target has).
using Levels16 = uint8_t __attribute__((vector_size(16)));

}  // namespace

PostingImpacts PostingImpacts::Build(const PostingsView& postings, const Bm25FScorer& own_scorer) {
  PostingImpacts impacts;
  const size_t term_count = postings.offsets.empty() ? 0 : postings.offsets.size() - 1;
  impacts.levels_.reserve(postings.ords.size());
  impacts.max_parts_.reserve(term_count);
  for (uint32_t t = 0; t < term_count; ++t) {
    double max_part = 0;
    for (uint64_t p = postings.begin(t); p < postings.end(t); ++p) {
      const double part =
          own_scorer.PackedDocumentPart(postings.tfs[p], postings.doc_lengths(postings.ords[p]));
      impacts.levels_.push_back(ImpactLevel(part));
      max_part = std::max(max_part, part);
    }
    auto bound = static_cast<float>(max_part);
    if (static_cast<double>(bound) < max_part) {
      bound = std::nextafter(bound, std::numeric_limits<float>::infinity());
    }
    impacts.max_parts_.push_back(bound);
  }
  return impacts;
}

void PostingImpacts::AppendAtLeast(const PostingsView& postings, uint64_t begin, uint64_t end,
                                   uint32_t min_level, std::vector<uint32_t>* out) const {
  if (min_level <= 1) {  // every posting
    out->insert(out->end(), postings.ords.begin() + begin, postings.ords.begin() + end);
    return;
  }
  if (min_level > kLevels) return;
  const uint8_t* levels = levels_.data();
  const auto low = static_cast<uint8_t>(min_level);
  const Levels16 lows = Levels16{} + low;
  uint64_t p = begin;
  // Sixteen at a time: most blocks of sixteen hold no posting that high.
  for (; p + 16 <= end; p += 16) {
    Levels16 block;
    std::memcpy(&block, levels + p, sizeof(block));
    const auto passes = block >= lows;
    uint64_t halves[2];
    std::memcpy(halves, &passes, sizeof(halves));
    if ((halves[0] | halves[1]) == 0) continue;
    // One bit per passing byte (each is 0xff), lowest byte first.
    constexpr uint64_t kHighBits = 0x8080808080808080u;
    constexpr uint64_t kGather = 0x0002040810204081u;
    uint32_t mask = static_cast<uint32_t>(((halves[0] & kHighBits) * kGather) >> 56) |
                    static_cast<uint32_t>(((halves[1] & kHighBits) * kGather) >> 56) << 8;
    for (; mask != 0; mask &= mask - 1) out->push_back(postings.ords[p + __builtin_ctz(mask)]);
  }
  for (; p < end; ++p) {
    if (levels[p] >= low) out->push_back(postings.ords[p]);
  }
}

size_t PostingImpacts::MemoryBytes() const {
  return levels_.capacity() * sizeof(uint8_t) + max_parts_.capacity() * sizeof(float);
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
