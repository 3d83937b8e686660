#pragma once
// Internal to the compatibility scorer: the per-chunk scoring kernels, one
// portable and one AVX2+FMA (compiled with a target attribute and chosen at
// run time), behind one table of function pointers.
//
//   const kernels::KernelOps& ops = *kernels::Avx2KernelOps();  // or Portable
//   ops.score_chunk(query, columns, threshold, scores, above);
//
// Thread safety: the kernels are pure functions of their arguments.

#include <cstdint>

namespace otter::engine::kernels {

// One user's side of the formula, resolved against a chunk's columns.
struct KernelQuery {
  const float* user_values;  // count values, one per user trait with a slot
  int count;                 // how many traits have a slot (user_values size)
  float base;                // sum of (u - 0.5)^2 over traits with no slot
  float inv_trait_count;     // 1 / |U| (all the user's traits)
};

// Scores the TraitChunk::kLeaders leaders of one chunk. `columns[t]` points to
// the kLeaders values of user trait t (a column of 0.5 when the chunk has
// none). Sets bit j % 64 of above[j / 64] exactly when leader j's sum of
// squared differences is below `sum_limit`, and writes scores[j] for (at
// least) those leaders; the square root is taken only for them.
using ScoreChunkFn = void (*)(const KernelQuery& query, const float* const* columns,
                              float sum_limit, float* scores, uint64_t* above);

// Scores one leader whose values for the user's traits are
// leader_values[0..count). Bit-identical to the same kernel's ScoreChunkFn.
using ScoreOneFn = float (*)(const KernelQuery& query, const float* leader_values);

struct KernelOps {
  const char* name;
  ScoreChunkFn score_chunk;
  ScoreOneFn score_one;
};

// The portable kernels (plain C++, vectorized by the compiler for the
// baseline instruction set).
const KernelOps& PortableKernelOps();

// The AVX2+FMA kernels, or nullptr when this CPU lacks AVX2 or FMA.
const KernelOps* Avx2KernelOps();

}  // namespace otter::engine::kernels
