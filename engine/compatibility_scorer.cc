#include "engine/compatibility_scorer.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <cassert>
#include <limits>
#include <mutex>
#include <thread>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "engine/compatibility_kernels.h"

namespace otter::engine {
namespace {

constexpr uint32_t kLeaders = TraitChunk::kLeaders;
// Users scored together in the batch: every chunk is scored for all of them
// while it is in L2 (a chunk of 16 traits is 64 KiB).
constexpr size_t kBatchUsers = 32;

constexpr std::array<float, kLeaders> MakeMissingColumn() {
  std::array<float, kLeaders> column{};
  column.fill(kMissingTraitValue);
  return column;
}
// The column the kernels read for a slot a chunk has no column for.
alignas(64) constexpr std::array<float, kLeaders> kMissingColumn = MakeMissingColumn();

// A user's traits resolved to slots of one registry, in the kernels' form.
struct PreparedUser {
  std::array<int, kMaxTraits> slots;
  std::array<float, kMaxTraits> values;
  int count;
  float base;
  float inv_trait_count;

  kernels::KernelQuery query() const { return {values.data(), count, base, inv_trait_count}; }
};

PreparedUser Prepare(const UserTraits& user, const TraitRegistry& registry) {
  PreparedUser prepared;
  std::array<UserTraits::Entry, kMaxTraits> entries;
  size_t count = 0;
  for (const UserTraits::Entry& entry : user.known()) {
    assert(entry.slot < registry.size());
    entries[count++] = entry;
  }
  float base = 0.0f;
  const bool registry_grew = registry.size() > user.registry_size();
  for (const auto& [name, value] : user.unknown()) {
    // A name unknown when the user was resolved may have been registered since.
    if (std::optional<int> slot = registry_grew ? registry.Find(name) : std::nullopt) {
      entries[count++] = UserTraits::Entry{*slot, value};
    } else {
      const float d = value - kMissingTraitValue;
      base += d * d;
    }
  }
  std::sort(entries.begin(), entries.begin() + static_cast<std::ptrdiff_t>(count),
            [](const UserTraits::Entry& a, const UserTraits::Entry& b) { return a.slot < b.slot; });
  for (size_t t = 0; t < count; ++t) {
    prepared.slots[t] = entries[t].slot;
    prepared.values[t] = entries[t].value;
  }
  prepared.count = static_cast<int>(count);
  prepared.base = base;
  prepared.inv_trait_count = 1.0f / static_cast<float>(user.count());
  return prepared;
}

// Points columns[t] at the chunk's column for the user's trait t.
void FillColumns(const PreparedUser& user, const TraitChunk& chunk, const float** columns) {
  for (int t = 0; t < user.count; ++t) {
    const int slot = user.slots[static_cast<size_t>(t)];
    columns[t] = slot < chunk.column_count() ? chunk.column(slot) : kMissingColumn.data();
  }
}

// A bound on a leader's sum of squared differences that every leader scoring
// above `threshold` is under: score > t <=> sum < |U| * ((100 - t) / 100)^2,
// loosened for float rounding so that the kernels skip no possible entrant
// (the selector re-checks the exact score).
float SumLimit(float threshold, int trait_count) {
  if (!(threshold > 0.0f)) return std::numeric_limits<float>::infinity();
  const double root = std::max(0.0, (100.0 - threshold) / 100.0);
  return static_cast<float>(root * root * trait_count * (1.0 + 1e-4) + 1e-6);
}

// Orders leaders best first: higher score, then lower id.
struct Better {
  bool operator()(const ScoredLeader& a, const ScoredLeader& b) const {
    return a.score > b.score || (a.score == b.score && a.leader < b.leader);
  }
};

// Selects the best k of the leaders offered, which must come in increasing id
// order. Candidates are appended to a buffer that is cut back to the best k
// whenever it reaches k + max(k, 64); the k-th best score at the last cut is
// a threshold later leaders must beat (a tie loses, having a higher id).
class TopKSelector {
 public:
  explicit TopKSelector(size_t k) : k_(k), limit_(k + std::max<size_t>(k, 64)) {}

  // Scores at or below this cannot enter.
  float threshold() const { return threshold_; }

  // Offers the live leaders of chunk `index` whose bit is set in `above`.
  void OfferChunk(size_t index, const TraitChunk& chunk, const float* scores,
                  const uint64_t* above, const absl::FunctionRef<bool(uint32_t)>* accept) {
    for (uint32_t w = 0; w < TraitChunk::kWords; ++w) {
      uint64_t bits = above[w] & chunk.live_words()[w];
      while (bits != 0) {
        const uint32_t offset = w * 64 + static_cast<uint32_t>(__builtin_ctzll(bits));
        bits &= bits - 1;
        const float score = scores[offset];
        if (!(score > threshold_)) continue;
        const uint32_t leader = static_cast<uint32_t>(index * kLeaders + offset);
        if (accept != nullptr && !(*accept)(leader)) continue;
        items_.push_back(ScoredLeader{leader, score});
        if (items_.size() >= limit_) Cut();
      }
    }
  }

  // The leaders kept, best first.
  std::vector<ScoredLeader> Take() && {
    if (items_.size() > k_) Cut();
    std::sort(items_.begin(), items_.end(), Better());
    return std::move(items_);
  }

 private:
  void Cut() {
    std::nth_element(items_.begin(), items_.begin() + static_cast<std::ptrdiff_t>(k_ - 1), items_.end(),
                     Better());
    items_.resize(k_);
    threshold_ = items_.back().score;
  }

  size_t k_;  // at least 1
  size_t limit_;
  float threshold_ = -std::numeric_limits<float>::infinity();
  std::vector<ScoredLeader> items_;
};

}  // namespace

CompatibilityScorer::CompatibilityScorer()
    : ops_(kernels::Avx2KernelOps() != nullptr ? kernels::Avx2KernelOps()
                                               : &kernels::PortableKernelOps()) {}

absl::StatusOr<CompatibilityScorer> CompatibilityScorer::Create(CompatibilityKernel kernel) {
  if (kernel == CompatibilityKernel::kPortable) {
    return CompatibilityScorer(&kernels::PortableKernelOps());
  }
  if (!Avx2Supported()) {
    return absl::FailedPreconditionError("the AVX2 compatibility kernel needs a CPU with AVX2 and FMA");
  }
  return CompatibilityScorer(kernels::Avx2KernelOps());
}

bool CompatibilityScorer::Avx2Supported() { return kernels::Avx2KernelOps() != nullptr; }

CompatibilityKernel CompatibilityScorer::kernel() const {
  return ops_ == &kernels::PortableKernelOps() ? CompatibilityKernel::kPortable
                                                : CompatibilityKernel::kAvx2;
}

std::vector<ScoredLeader> CompatibilityScorer::TopK(const LeaderTraitMatrix& matrix,
                                                    const UserTraits& user, size_t k) const {
  return TopKImpl(matrix, user, k, nullptr);
}

std::vector<ScoredLeader> CompatibilityScorer::TopK(
    const LeaderTraitMatrix& matrix, const UserTraits& user, size_t k,
    absl::FunctionRef<bool(uint32_t leader)> accept) const {
  return TopKImpl(matrix, user, k, &accept);
}

std::vector<ScoredLeader> CompatibilityScorer::TopKImpl(
    const LeaderTraitMatrix& matrix, const UserTraits& user, size_t k,
    const absl::FunctionRef<bool(uint32_t)>* accept) const {
  if (k == 0 || matrix.leader_count() == 0) return {};
  const PreparedUser prepared = Prepare(user, matrix.registry());
  const kernels::KernelQuery query = prepared.query();
  TopKSelector selector(std::min(k, matrix.leader_count()));
  alignas(64) float scores[kLeaders];
  uint64_t above[TraitChunk::kWords];
  const float* columns[kMaxTraits];
  for (size_t c = 0; c < matrix.chunk_count(); ++c) {
    const TraitChunk* chunk = matrix.chunk(c);
    if (chunk == nullptr) continue;
    FillColumns(prepared, *chunk, columns);
    ops_->score_chunk(query, columns, SumLimit(selector.threshold(), user.count()), scores, above);
    selector.OfferChunk(c, *chunk, scores, above, accept);
  }
  return std::move(selector).Take();
}

absl::StatusOr<std::vector<float>> CompatibilityScorer::Score(
    const LeaderTraitMatrix& matrix, const UserTraits& user,
    absl::Span<const uint32_t> leaders) const {
  const PreparedUser prepared = Prepare(user, matrix.registry());
  const kernels::KernelQuery query = prepared.query();
  std::vector<float> scores;
  scores.reserve(leaders.size());
  std::array<float, kMaxTraits> values;
  for (uint32_t leader : leaders) {
    if (!matrix.Contains(leader)) {
      return absl::NotFoundError(absl::StrCat("leader ", leader, " has no traits (not a live leader)"));
    }
    for (int t = 0; t < prepared.count; ++t) {
      values[static_cast<size_t>(t)] = matrix.Value(leader, prepared.slots[static_cast<size_t>(t)]);
    }
    scores.push_back(ops_->score_one(query, values.data()));
  }
  return scores;
}

std::vector<std::vector<ScoredLeader>> CompatibilityScorer::TopKBatch(
    const LeaderTraitMatrix& matrix, absl::Span<const UserTraits> users,
    const BatchOptions& options) const {
  std::vector<std::vector<ScoredLeader>> results(users.size());
  const size_t k = std::min(options.k, matrix.leader_count());
  if (users.empty() || k == 0) return results;
  const size_t blocks = (users.size() + kBatchUsers - 1) / kBatchUsers;
  size_t threads = options.threads > 0 ? static_cast<size_t>(options.threads)
                                       : std::max(1u, std::thread::hardware_concurrency());
  threads = std::min(threads, blocks);

  std::atomic<size_t> next_block{0};
  std::mutex progress_mutex;
  size_t users_done = 0;  // guarded by progress_mutex

  auto work = [&] {
    std::vector<PreparedUser> prepared(kBatchUsers);
    std::vector<TopKSelector> selectors;
    alignas(64) float scores[kLeaders];
    uint64_t above[TraitChunk::kWords];
    const float* columns[kMaxTraits];
    for (size_t block; (block = next_block.fetch_add(1, std::memory_order_relaxed)) < blocks;) {
      const size_t begin = block * kBatchUsers;
      const size_t end = std::min(begin + kBatchUsers, users.size());
      selectors.assign(end - begin, TopKSelector(k));
      for (size_t u = begin; u < end; ++u) prepared[u - begin] = Prepare(users[u], matrix.registry());
      // Chunk-outer, user-inner: the chunk's columns stay in cache while every
      // user of the block is scored against them.
      for (size_t c = 0; c < matrix.chunk_count(); ++c) {
        const TraitChunk* chunk = matrix.chunk(c);
        if (chunk == nullptr) continue;
        for (size_t i = 0; i < end - begin; ++i) {
          FillColumns(prepared[i], *chunk, columns);
          ops_->score_chunk(prepared[i].query(), columns,
                            SumLimit(selectors[i].threshold(), users[begin + i].count()), scores,
                            above);
          selectors[i].OfferChunk(c, *chunk, scores, above, nullptr);
        }
      }
      for (size_t u = begin; u < end; ++u) results[u] = std::move(selectors[u - begin]).Take();
      if (options.progress) {
        std::lock_guard<std::mutex> lock(progress_mutex);
        users_done += end - begin;
        options.progress(users_done, users.size());
      }
    }
  };

  {
    std::vector<std::jthread> workers;
    workers.reserve(threads - 1);
    for (size_t i = 1; i < threads; ++i) workers.emplace_back(work);
    work();
  }  // joins the workers before `results` is handed back
  return results;
}

}  // namespace otter::engine
