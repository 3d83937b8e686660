// The portable compatibility kernels. Both functions perform the same IEEE
// operations in the same order per leader, so ScoreOne reproduces ScoreChunk
// bit for bit: acc = base; acc += (l - u)^2 per trait; 100 - 100 * sqrt(acc / |U|).

#include "engine/compatibility_kernels.h"

#include <algorithm>
#include <cmath>

#include "engine/traits.h"

namespace otter::engine::kernels {
namespace {

constexpr uint32_t kLeaders = TraitChunk::kLeaders;

inline float FinishScore(float acc, float inv_trait_count) {
  const float score = 100.0f - 100.0f * std::sqrt(acc * inv_trait_count);
  return std::max(score, 0.0f);
}

void ScoreChunkPortable(const KernelQuery& query, const float* const* columns, float sum_limit,
                        float* scores, uint64_t* above) {
  // Blocks of 32 leaders, whose sums the compiler can keep in vector registers
  // while the loop walks the user's traits.
  constexpr uint32_t kBlock = 32;
  for (uint32_t block = 0; block < kLeaders; block += kBlock) {
    float acc[kBlock];
    std::fill_n(acc, kBlock, query.base);
    for (int t = 0; t < query.count; ++t) {
      const float* column = columns[t] + block;
      const float u = query.user_values[t];
      for (uint32_t j = 0; j < kBlock; ++j) {
        const float d = column[j] - u;
        acc[j] += d * d;
      }
    }
    uint64_t mask = 0;
    for (uint32_t j = 0; j < kBlock; ++j) {
      if (!(acc[j] < sum_limit)) continue;
      scores[block + j] = FinishScore(acc[j], query.inv_trait_count);
      mask |= uint64_t{1} << ((block + j) % 64);
    }
    if (block % 64 == 0) {
      above[block / 64] = mask;
    } else {
      above[block / 64] |= mask;
    }
  }
}

float ScoreOnePortable(const KernelQuery& query, const float* leader_values) {
  float acc = query.base;
  for (int t = 0; t < query.count; ++t) {
    const float d = leader_values[t] - query.user_values[t];
    acc += d * d;
  }
  return FinishScore(acc, query.inv_trait_count);
}

}  // namespace

const KernelOps& PortableKernelOps() {
  static constexpr KernelOps kOps{"portable", &ScoreChunkPortable, &ScoreOnePortable};
  return kOps;
}

}  // namespace otter::engine::kernels
