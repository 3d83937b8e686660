#pragma once
// The personality-compatibility scorer (SPEC 1, "Compatibility"):
//
//   compatibility(u, l) = 100 * (1 - sqrt( sum_{i in U} (u_i - l_i)^2 / |U| ))
//
// scored over a LeaderTraitMatrix snapshot with SIMD kernels (AVX2+FMA when
// the CPU has them, chosen at run time, else a portable kernel): exact top-k
// with an optional filter, scores for a list of leaders, and a multi-threaded
// batch top-k for the match-score recompute.
//
//   CompatibilityScorer scorer;
//   OTTER_ASSIGN_OR_RETURN(UserTraits user, UserTraits::Resolve(m.registry(), traits));
//   std::vector<ScoredLeader> best = scorer.TopK(m, user, 20);
//
// Scores are single precision and within 1e-4 of the formula in double.
// Ranking is by score descending, then leader id ascending, so results are
// deterministic; a leader's score is the same bits from every method of one
// scorer.
//
// Thread safety: a CompatibilityScorer is immutable; any number of threads
// may call it at once, each with its own (or a shared) matrix snapshot.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "engine/traits.h"

namespace otter::engine {

namespace kernels {
struct KernelOps;
}  // namespace kernels

// A leader and its compatibility with one user, in [0, 100].
struct ScoredLeader {
  uint32_t leader;
  float score;

  friend bool operator==(const ScoredLeader&, const ScoredLeader&) = default;
};

// Which scoring kernel a scorer runs.
enum class CompatibilityKernel { kPortable, kAvx2 };

// Options of CompatibilityScorer::TopKBatch.
struct BatchOptions {
  // Leaders to keep per user.
  size_t k = 50;
  // Worker threads; 0 means one per hardware thread.
  int threads = 0;
  // Called with (users finished, users in total) after each block of users,
  // from the worker threads but never two calls at once. May be empty.
  std::function<void(size_t done, size_t total)> progress;
};

class CompatibilityScorer {
 public:
  // A scorer with the fastest kernel this CPU supports.
  CompatibilityScorer();

  // A scorer with the given kernel, to compare or benchmark them. Returns
  // kFailedPrecondition for kAvx2 when the CPU lacks AVX2 or FMA.
  static absl::StatusOr<CompatibilityScorer> Create(CompatibilityKernel kernel);

  // Whether this CPU can run the kAvx2 kernel.
  static bool Avx2Supported();

  // The kernel this scorer runs.
  CompatibilityKernel kernel() const;

  // The k live leaders of `matrix` most compatible with `user`, best first
  // (ties by lower id); fewer when fewer leaders are live. `user` must have
  // been resolved against matrix.registry() or an earlier state of it.
  std::vector<ScoredLeader> TopK(const LeaderTraitMatrix& matrix, const UserTraits& user,
                                 size_t k) const;

  // As above, among only the leaders for which `accept(leader)` is true.
  // `accept` is called only for leaders good enough to enter the top k so
  // far, at most once each, in increasing id order.
  std::vector<ScoredLeader> TopK(const LeaderTraitMatrix& matrix, const UserTraits& user, size_t k,
                                 absl::FunctionRef<bool(uint32_t leader)> accept) const;

  // The compatibility of `user` with each of `leaders`, in the same order.
  // Returns kNotFound naming the first leader that is not live in `matrix`.
  absl::StatusOr<std::vector<float>> Score(const LeaderTraitMatrix& matrix, const UserTraits& user,
                                           absl::Span<const uint32_t> leaders) const;

  // TopK(matrix, users[i], options.k) for every user, computed on
  // options.threads threads (users split into blocks, each block scored chunk
  // by chunk so that a chunk is reused from cache by all its users).
  // Element i of the result belongs to users[i].
  std::vector<std::vector<ScoredLeader>> TopKBatch(const LeaderTraitMatrix& matrix,
                                                   absl::Span<const UserTraits> users,
                                                   const BatchOptions& options) const;

 private:
  explicit CompatibilityScorer(const kernels::KernelOps* ops) : ops_(ops) {}

  std::vector<ScoredLeader> TopKImpl(const LeaderTraitMatrix& matrix, const UserTraits& user,
                                     size_t k, const absl::FunctionRef<bool(uint32_t)>* accept) const;

  const kernels::KernelOps* ops_;  // never null
};

}  // namespace otter::engine
