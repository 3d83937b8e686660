// The AVX2+FMA compatibility kernels. Each function carries a target
// attribute instead of the file being built with -mavx2, so that no inline
// function or template instance compiled here with AVX2 can be picked by the
// linker for code that runs on CPUs without it. Callers reach these only
// through Avx2KernelOps(), which checks the CPU first.
//
// Per leader, both functions compute acc = base; acc = fma(l - u, l - u, acc)
// per trait; max(fnmadd(100, sqrt(acc * inv), 100), 0) in single precision,
// so ScoreOne reproduces ScoreChunk bit for bit.

#include "engine/compatibility_kernels.h"

#include <immintrin.h>

#include "engine/traits.h"

namespace otter::engine::kernels {
namespace {

constexpr uint32_t kLeaders = TraitChunk::kLeaders;
// Leaders per block: 8 vectors of 8, whose accumulators stay in registers
// while the loop walks the user's traits; also one word of the above mask.
constexpr uint32_t kBlock = 64;

__attribute__((target("avx2,fma"))) void ScoreChunkAvx2(const KernelQuery& query,
                                                         const float* const* columns,
                                                         float sum_limit, float* scores,
                                                         uint64_t* above) {
  const __m256 base = _mm256_set1_ps(query.base);
  const __m256 inv = _mm256_set1_ps(query.inv_trait_count);
  const __m256 hundred = _mm256_set1_ps(100.0f);
  const __m256 zero = _mm256_setzero_ps();
  const __m256 limit = _mm256_set1_ps(sum_limit);
  for (uint32_t block = 0; block < kLeaders; block += kBlock) {
    __m256 acc[8];
#pragma GCC unroll 8
    for (int i = 0; i < 8; ++i) acc[i] = base;
    for (int t = 0; t < query.count; ++t) {
      const float* column = columns[t] + block;
      const __m256 u = _mm256_set1_ps(query.user_values[t]);
#pragma GCC unroll 8
      for (int i = 0; i < 8; ++i) {
        const __m256 d = _mm256_sub_ps(_mm256_loadu_ps(column + 8 * i), u);
        acc[i] = _mm256_fmadd_ps(d, d, acc[i]);
      }
    }
    uint64_t mask = 0;
#pragma GCC unroll 8
    for (int i = 0; i < 8; ++i) {
      const uint32_t bits =
          static_cast<uint32_t>(_mm256_movemask_ps(_mm256_cmp_ps(acc[i], limit, _CMP_LT_OQ)));
      // Once a top k is full, few leaders can enter it: skip their sqrt.
      if (bits == 0) continue;
      const __m256 root = _mm256_sqrt_ps(_mm256_mul_ps(acc[i], inv));
      const __m256 score = _mm256_max_ps(_mm256_fnmadd_ps(hundred, root, hundred), zero);
      _mm256_storeu_ps(scores + block + 8 * i, score);
      mask |= uint64_t{bits} << (8 * i);
    }
    above[block / kBlock] = mask;
  }
}

__attribute__((target("avx2,fma"))) float ScoreOneAvx2(const KernelQuery& query,
                                                       const float* leader_values) {
  __m128 acc = _mm_set_ss(query.base);
  for (int t = 0; t < query.count; ++t) {
    const __m128 d = _mm_sub_ss(_mm_set_ss(leader_values[t]), _mm_set_ss(query.user_values[t]));
    acc = _mm_fmadd_ss(d, d, acc);
  }
  const __m128 hundred = _mm_set_ss(100.0f);
  const __m128 root = _mm_sqrt_ss(_mm_mul_ss(acc, _mm_set_ss(query.inv_trait_count)));
  return _mm_cvtss_f32(_mm_max_ss(_mm_fnmadd_ss(hundred, root, hundred), _mm_setzero_ps()));
}

}  // namespace

const KernelOps* Avx2KernelOps() {
  static constexpr KernelOps kOps{"avx2", &ScoreChunkAvx2, &ScoreOneAvx2};
  static const bool supported = [] {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  }();
  return supported ? &kOps : nullptr;
}

}  // namespace otter::engine::kernels
