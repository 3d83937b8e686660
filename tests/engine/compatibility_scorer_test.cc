#include "engine/compatibility_scorer.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace otter::engine {
namespace {

using ::testing::HasSubstr;
using TraitObject = std::map<std::string, double>;

// The SPEC formula, written out plainly in double precision.
double ReferenceCompatibility(const TraitObject& user, const TraitObject& leader) {
  double sum = 0;
  for (const auto& [name, u] : user) {
    const auto it = leader.find(name);
    const double l = it == leader.end() ? 0.5 : it->second;
    sum += (u - l) * (u - l);
  }
  return 100.0 * (1.0 - std::sqrt(sum / static_cast<double>(user.size())));
}

std::vector<NamedTrait> Named(const TraitObject& traits) {
  std::vector<NamedTrait> named;
  for (const auto& [name, value] : traits) named.push_back(NamedTrait{name, value});
  return named;
}

// Every kernel this CPU can run.
std::vector<CompatibilityScorer> AllScorers() {
  std::vector<CompatibilityScorer> scorers = {
      CompatibilityScorer::Create(CompatibilityKernel::kPortable).value()};
  if (CompatibilityScorer::Avx2Supported()) {
    scorers.push_back(CompatibilityScorer::Create(CompatibilityKernel::kAvx2).value());
  }
  return scorers;
}

const char* KernelName(const CompatibilityScorer& scorer) {
  return scorer.kernel() == CompatibilityKernel::kAvx2 ? "avx2" : "portable";
}

// Random leaders and users over the canonical names plus `extra` new ones;
// values are often exactly 0 or 1, or (with `coarse`) only 0, 0.5 or 1 so that
// many scores tie.
class World {
 public:
  World(unsigned seed, bool coarse = false) : rng_(seed), coarse_(coarse) {
    for (std::string_view name : kCanonicalTraitNames) names_.emplace_back(name);
  }

  void AddNames(int count) {
    for (int i = 0; i < count; ++i) names_.push_back(absl::StrCat("new_trait_", names_.size()));
  }

  TraitObject RandomTraits(size_t min_count) {
    std::vector<std::string> shuffled = names_;
    std::shuffle(shuffled.begin(), shuffled.end(), rng_);
    const size_t count = std::uniform_int_distribution<size_t>(min_count, names_.size())(rng_);
    TraitObject traits;
    for (size_t i = 0; i < count; ++i) traits[shuffled[i]] = RandomValue();
    return traits;
  }

  // Sets leaders [begin, end), skipping about one in ten.
  void AddLeaders(uint32_t begin, uint32_t end) {
    for (uint32_t id = begin; id < end; ++id) {
      if (std::uniform_int_distribution<int>(0, 9)(rng_) == 0) continue;
      SetLeader(id, RandomTraits(0));
    }
  }

  void SetLeader(uint32_t id, TraitObject traits) {
    ASSERT_TRUE(builder_.SetLeader(id, Named(traits)).ok());
    leaders_[id] = std::move(traits);
  }

  void RemoveLeader(uint32_t id) {
    ASSERT_TRUE(builder_.RemoveLeader(id));
    leaders_.erase(id);
  }

  std::vector<uint32_t> LiveIds() const {
    std::vector<uint32_t> ids;
    for (const auto& entry : leaders_) ids.push_back(entry.first);
    return ids;
  }

  LeaderTraitMatrixBuilder& builder() { return builder_; }
  const std::map<uint32_t, TraitObject>& leaders() const { return leaders_; }
  std::mt19937& rng() { return rng_; }

 private:
  double RandomValue() {
    const int kind = std::uniform_int_distribution<int>(0, 9)(rng_);
    if (coarse_) return kind < 3 ? 0.0 : kind < 6 ? 0.5 : 1.0;
    if (kind == 0) return 0.0;
    if (kind == 1) return 1.0;
    return std::uniform_real_distribution<double>(0.0, 1.0)(rng_);
  }

  std::mt19937 rng_;
  bool coarse_;
  std::vector<std::string> names_;
  LeaderTraitMatrixBuilder builder_;
  std::map<uint32_t, TraitObject> leaders_;
};

// The top k by a full sort of Score() over every live leader.
std::vector<ScoredLeader> FullSortTopK(const CompatibilityScorer& scorer, const LeaderTraitMatrix& matrix,
                                       const UserTraits& user, const std::vector<uint32_t>& ids, size_t k) {
  absl::StatusOr<std::vector<float>> scores = scorer.Score(matrix, user, ids);
  EXPECT_TRUE(scores.ok()) << scores.status();
  std::vector<ScoredLeader> all;
  for (size_t i = 0; i < ids.size(); ++i) all.push_back(ScoredLeader{ids[i], (*scores)[i]});
  std::sort(all.begin(), all.end(), [](const ScoredLeader& a, const ScoredLeader& b) {
    return a.score > b.score || (a.score == b.score && a.leader < b.leader);
  });
  all.resize(std::min(k, all.size()));
  return all;
}

TEST(CompatibilityScorerTest, KernelsMatchTheDoubleFormulaOnRandomTraits) {
  const unsigned seed = std::random_device{}();
  SCOPED_TRACE(testing::Message() << "seed " << seed);
  World world(seed);
  world.AddNames(8);
  world.AddLeaders(0, 3 * TraitChunk::kLeaders + 100);
  const LeaderTraitMatrix matrix = world.builder().Snapshot();
  const std::vector<uint32_t> ids = world.LiveIds();
  for (const CompatibilityScorer& scorer : AllScorers()) {
    SCOPED_TRACE(KernelName(scorer));
    for (int u = 0; u < 40; ++u) {
      TraitObject traits = world.RandomTraits(1);
      if (u % 10 == 0) traits["never_registered"] = 0.9;  // compared with 0.5 everywhere
      const absl::StatusOr<UserTraits> user = UserTraits::Resolve(matrix.registry(), Named(traits));
      ASSERT_TRUE(user.ok()) << user.status();
      const absl::StatusOr<std::vector<float>> scores = scorer.Score(matrix, *user, ids);
      ASSERT_TRUE(scores.ok()) << scores.status();
      for (size_t i = 0; i < ids.size(); ++i) {
        const double expected = ReferenceCompatibility(traits, world.leaders().at(ids[i]));
        ASSERT_NEAR((*scores)[i], expected, 1e-4) << "user " << u << " leader " << ids[i];
      }
      // TopK's scores come from the chunk kernel rather than Score's path.
      for (const ScoredLeader& hit : scorer.TopK(matrix, *user, 50)) {
        ASSERT_NEAR(hit.score, ReferenceCompatibility(traits, world.leaders().at(hit.leader)), 1e-4);
      }
    }
  }
}

TEST(CompatibilityScorerTest, EdgeValuesGiveZeroAndHundred) {
  LeaderTraitMatrixBuilder builder;
  ASSERT_TRUE(builder.SetLeader(0, {{"social", 1.0}, {"budget", 1.0}}).ok());
  ASSERT_TRUE(builder.SetLeader(1, {{"social", 0.0}, {"budget", 0.0}}).ok());
  ASSERT_TRUE(builder.SetLeader(2, {}).ok());
  const LeaderTraitMatrix matrix = builder.Snapshot();
  const UserTraits zeros = UserTraits::Resolve(matrix.registry(), {{"social", 0.0}, {"budget", 0.0}}).value();
  const UserTraits halves = UserTraits::Resolve(matrix.registry(), {{"social", 0.5}, {"kayaking", 0.5}}).value();
  for (const CompatibilityScorer& scorer : AllScorers()) {
    SCOPED_TRACE(KernelName(scorer));
    EXPECT_THAT(scorer.Score(matrix, zeros, {0, 1, 2}).value(), testing::ElementsAre(0.0f, 100.0f, 50.0f));
    EXPECT_THAT(scorer.Score(matrix, halves, {0, 1, 2}).value(),
                testing::ElementsAre(testing::FloatNear(100 * (1 - std::sqrt(0.125)), 1e-4),
                                     testing::FloatNear(100 * (1 - std::sqrt(0.125)), 1e-4), 100.0f));
    const std::vector<ScoredLeader> top = scorer.TopK(matrix, zeros, 3);
    EXPECT_THAT(top, testing::ElementsAre(ScoredLeader{1, 100.0f}, ScoredLeader{2, 50.0f},
                                          ScoredLeader{0, 0.0f}));
  }
}

TEST(CompatibilityScorerTest, NewTraitNameAfterLeadersWereStored) {
  const unsigned seed = std::random_device{}();
  SCOPED_TRACE(testing::Message() << "seed " << seed);
  World world(seed);
  world.AddLeaders(0, 2 * TraitChunk::kLeaders);
  const LeaderTraitMatrix before = world.builder().Snapshot();
  world.AddNames(3);  // registered by the leaders that use them, in chunk 1 only
  world.AddLeaders(TraitChunk::kLeaders, TraitChunk::kLeaders + 300);
  const LeaderTraitMatrix after = world.builder().Snapshot();
  ASSERT_GT(after.registry().size(), before.registry().size());
  EXPECT_EQ(after.chunk(0), before.chunk(0));
  const std::vector<uint32_t> ids = world.LiveIds();
  for (const CompatibilityScorer& scorer : AllScorers()) {
    SCOPED_TRACE(KernelName(scorer));
    for (int u = 0; u < 20; ++u) {
      const TraitObject traits = world.RandomTraits(1);
      // Resolved against the old registry: the new names were unknown then.
      for (const TraitRegistry* registry : {&before.registry(), &after.registry()}) {
        const UserTraits user = UserTraits::Resolve(*registry, Named(traits)).value();
        const std::vector<float> scores = scorer.Score(after, user, ids).value();
        for (size_t i = 0; i < ids.size(); ++i) {
          ASSERT_NEAR(scores[i], ReferenceCompatibility(traits, world.leaders().at(ids[i])), 1e-4)
              << "leader " << ids[i];
        }
      }
    }
  }
}

TEST(CompatibilityScorerTest, KernelsAgreeWithEachOther) {
  if (!CompatibilityScorer::Avx2Supported()) GTEST_SKIP() << "this CPU has no AVX2";
  const unsigned seed = std::random_device{}();
  SCOPED_TRACE(testing::Message() << "seed " << seed);
  World world(seed);
  world.AddLeaders(0, 5000);
  const LeaderTraitMatrix matrix = world.builder().Snapshot();
  const CompatibilityScorer portable = CompatibilityScorer::Create(CompatibilityKernel::kPortable).value();
  const CompatibilityScorer avx2 = CompatibilityScorer::Create(CompatibilityKernel::kAvx2).value();
  EXPECT_EQ(CompatibilityScorer().kernel(), CompatibilityKernel::kAvx2);
  for (int u = 0; u < 20; ++u) {
    const UserTraits user = UserTraits::Resolve(matrix.registry(), Named(world.RandomTraits(1))).value();
    const std::vector<ScoredLeader> a = portable.TopK(matrix, user, 100);
    const std::vector<ScoredLeader> b = avx2.TopK(matrix, user, 100);
    ASSERT_EQ(a.size(), b.size());
    for (size_t i = 0; i < a.size(); ++i) ASSERT_NEAR(a[i].score, b[i].score, 1e-4) << i;
  }
}

TEST(CompatibilityScorerTest, TopKEqualsAFullSortWithTiesByLowerId) {
  const unsigned seed = std::random_device{}();
  SCOPED_TRACE(testing::Message() << "seed " << seed);
  World world(seed, /*coarse=*/true);
  world.AddLeaders(0, 4 * TraitChunk::kLeaders + 7);
  const LeaderTraitMatrix matrix = world.builder().Snapshot();
  const std::vector<uint32_t> ids = world.LiveIds();
  for (const CompatibilityScorer& scorer : AllScorers()) {
    SCOPED_TRACE(KernelName(scorer));
    for (int u = 0; u < 20; ++u) {
      const UserTraits user = UserTraits::Resolve(matrix.registry(), Named(world.RandomTraits(1))).value();
      for (size_t k : {size_t{1}, size_t{7}, size_t{20}, size_t{500}, ids.size(), ids.size() + 10}) {
        ASSERT_EQ(scorer.TopK(matrix, user, k), FullSortTopK(scorer, matrix, user, ids, k)) << "k " << k;
      }
      EXPECT_TRUE(scorer.TopK(matrix, user, 0).empty());
    }
  }
}

TEST(CompatibilityScorerTest, TopKHonoursThePredicate) {
  const unsigned seed = std::random_device{}();
  SCOPED_TRACE(testing::Message() << "seed " << seed);
  World world(seed, /*coarse=*/true);
  world.AddLeaders(0, 3000);
  const LeaderTraitMatrix matrix = world.builder().Snapshot();
  std::vector<uint32_t> accepted;
  for (uint32_t id : world.LiveIds()) {
    if (id % 3 == 1) accepted.push_back(id);
  }
  for (const CompatibilityScorer& scorer : AllScorers()) {
    SCOPED_TRACE(KernelName(scorer));
    for (int u = 0; u < 10; ++u) {
      const UserTraits user = UserTraits::Resolve(matrix.registry(), Named(world.RandomTraits(1))).value();
      uint32_t last_asked = 0;
      bool increasing = true;
      const std::vector<ScoredLeader> top = scorer.TopK(matrix, user, 25, [&](uint32_t leader) {
        increasing = increasing && (last_asked == 0 || leader > last_asked);
        last_asked = leader;
        return leader % 3 == 1;
      });
      EXPECT_TRUE(increasing);
      ASSERT_EQ(top, FullSortTopK(scorer, matrix, user, accepted, 25));
      EXPECT_TRUE(scorer.TopK(matrix, user, 25, [](uint32_t) { return false; }).empty());
    }
  }
}

TEST(CompatibilityScorerTest, BatchEqualsPerUserTopK) {
  const unsigned seed = std::random_device{}();
  SCOPED_TRACE(testing::Message() << "seed " << seed);
  World world(seed, /*coarse=*/true);
  world.AddLeaders(0, 3 * TraitChunk::kLeaders + 500);
  const LeaderTraitMatrix matrix = world.builder().Snapshot();
  std::vector<UserTraits> users;
  for (int u = 0; u < 150; ++u) {
    users.push_back(UserTraits::Resolve(matrix.registry(), Named(world.RandomTraits(1))).value());
  }
  for (const CompatibilityScorer& scorer : AllScorers()) {
    SCOPED_TRACE(KernelName(scorer));
    std::vector<size_t> progress;
    BatchOptions options;
    options.k = 30;
    options.threads = 2;
    options.progress = [&](size_t done, size_t total) {
      EXPECT_EQ(total, users.size());
      progress.push_back(done);
    };
    const std::vector<std::vector<ScoredLeader>> batch = scorer.TopKBatch(matrix, users, options);
    ASSERT_EQ(batch.size(), users.size());
    for (size_t u = 0; u < users.size(); ++u) {
      ASSERT_EQ(batch[u], scorer.TopK(matrix, users[u], 30)) << "user " << u;
    }
    ASSERT_FALSE(progress.empty());
    EXPECT_TRUE(std::is_sorted(progress.begin(), progress.end()));
    EXPECT_EQ(progress.back(), users.size());
  }
}

TEST(CompatibilityScorerTest, RemovedLeadersNeverAppear) {
  const unsigned seed = std::random_device{}();
  SCOPED_TRACE(testing::Message() << "seed " << seed);
  World world(seed, /*coarse=*/true);
  world.AddLeaders(0, 3 * TraitChunk::kLeaders);
  std::vector<uint32_t> removed;
  for (uint32_t id : world.LiveIds()) {
    // All of chunk 1 and every other leader elsewhere.
    if (id / TraitChunk::kLeaders == 1 || id % 2 == 0) {
      world.RemoveLeader(id);
      removed.push_back(id);
    }
  }
  const LeaderTraitMatrix matrix = world.builder().Snapshot();
  EXPECT_EQ(matrix.chunk(1), nullptr);
  for (const CompatibilityScorer& scorer : AllScorers()) {
    SCOPED_TRACE(KernelName(scorer));
    const UserTraits user = UserTraits::Resolve(matrix.registry(), Named(world.RandomTraits(1))).value();
    const std::vector<ScoredLeader> all = scorer.TopK(matrix, user, 1u << 20);
    EXPECT_EQ(all.size(), world.leaders().size());
    for (const ScoredLeader& hit : all) {
      ASSERT_FALSE(std::binary_search(removed.begin(), removed.end(), hit.leader)) << hit.leader;
    }
    const absl::StatusOr<std::vector<float>> scores = scorer.Score(matrix, user, {world.LiveIds()[0], removed[3]});
    EXPECT_EQ(scores.status().code(), absl::StatusCode::kNotFound);
    EXPECT_THAT(scores.status().message(), HasSubstr(absl::StrCat("leader ", removed[3], " ")));
  }
}

TEST(CompatibilityScorerTest, SnapshotBeforeAnUpdateKeepsItsScores) {
  const unsigned seed = std::random_device{}();
  SCOPED_TRACE(testing::Message() << "seed " << seed);
  World world(seed);
  world.AddLeaders(0, 4 * TraitChunk::kLeaders);
  const LeaderTraitMatrix before = world.builder().Snapshot();
  const std::vector<uint32_t> before_ids = world.LiveIds();
  const TraitObject traits = world.RandomTraits(4);
  const UserTraits user = UserTraits::Resolve(before.registry(), Named(traits)).value();
  const CompatibilityScorer scorer;
  const std::vector<float> before_scores = scorer.Score(before, user, before_ids).value();
  const std::vector<ScoredLeader> before_top = scorer.TopK(before, user, 20);

  // Make the old top leader a perfect match's opposite, remove the second,
  // add a perfect match in a new chunk, and register a new name.
  TraitObject opposite;
  for (const auto& [name, value] : traits) opposite[name] = value < 0.5 ? 1.0 : 0.0;
  world.SetLeader(before_top[0].leader, opposite);
  world.RemoveLeader(before_top[1].leader);
  world.SetLeader(10 * TraitChunk::kLeaders, traits);
  ASSERT_TRUE(world.builder().AddTraitName("kayaking").ok());
  const LeaderTraitMatrix after = world.builder().Snapshot();

  EXPECT_EQ(scorer.Score(before, user, before_ids).value(), before_scores);
  EXPECT_EQ(scorer.TopK(before, user, 20), before_top);
  const std::vector<ScoredLeader> after_top = scorer.TopK(after, user, 20);
  EXPECT_EQ(after_top[0].leader, 10 * TraitChunk::kLeaders);
  EXPECT_FLOAT_EQ(after_top[0].score, 100.0f);
  for (const ScoredLeader& hit : after_top) {
    EXPECT_NE(hit.leader, before_top[1].leader);
    ASSERT_NEAR(hit.score, ReferenceCompatibility(traits, world.leaders().at(hit.leader)), 1e-4);
  }

  // Only the chunks written to were copied.
  const size_t touched_a = before_top[0].leader / TraitChunk::kLeaders;
  const size_t touched_b = before_top[1].leader / TraitChunk::kLeaders;
  for (size_t c = 0; c < before.chunk_count(); ++c) {
    if (c == touched_a || c == touched_b) {
      EXPECT_NE(before.chunk(c), after.chunk(c)) << "chunk " << c;
    } else {
      EXPECT_EQ(before.chunk(c), after.chunk(c)) << "chunk " << c;
    }
  }
}

TEST(CompatibilityScorerTest, ReadersScoreTheirSnapshotWhileTheWriterUpdates) {
  // Generation g gives every leader of chunk g % 3 the value g / 1000 for
  // "social" (other chunks keep theirs), so each snapshot is checkable alone.
  LeaderTraitMatrixBuilder builder;
  for (uint32_t id = 0; id < 3 * TraitChunk::kLeaders; ++id) {
    ASSERT_TRUE(builder.SetLeader(id, {{"social", 0.0}}).ok());
  }
  std::mutex mutex;  // guards only the hand-over of `published`
  auto published = std::make_shared<const LeaderTraitMatrix>(builder.Snapshot());
  const UserTraits user = UserTraits::Resolve(TraitRegistry(), {{"social", 1.0}}).value();
  std::vector<uint32_t> ids(3 * TraitChunk::kLeaders);
  for (uint32_t id = 0; id < ids.size(); ++id) ids[id] = id;

  std::jthread writer([&] {
    for (int g = 1; g <= 300; ++g) {
      const uint32_t first = static_cast<uint32_t>(g % 3) * TraitChunk::kLeaders;
      for (uint32_t id = first; id < first + TraitChunk::kLeaders; ++id) {
        ASSERT_TRUE(builder.SetLeader(id, {{"social", g / 1000.0}}).ok());
      }
      auto next = std::make_shared<const LeaderTraitMatrix>(builder.Snapshot());
      std::lock_guard<std::mutex> lock(mutex);
      published = std::move(next);
    }
  });
  const CompatibilityScorer scorer;
  for (int i = 0; i < 200; ++i) {
    std::shared_ptr<const LeaderTraitMatrix> snapshot;
    {
      std::lock_guard<std::mutex> lock(mutex);
      snapshot = published;
    }
    const std::vector<float> scores = scorer.Score(*snapshot, user, ids).value();
    for (uint32_t c = 0; c < 3; ++c) {
      // A chunk is written whole in one generation: all its leaders agree.
      for (uint32_t id = c * TraitChunk::kLeaders; id < (c + 1) * TraitChunk::kLeaders; ++id) {
        ASSERT_EQ(scores[id], scores[c * TraitChunk::kLeaders]) << "leader " << id;
      }
    }
    ASSERT_EQ(scorer.TopK(*snapshot, user, 10), FullSortTopK(scorer, *snapshot, user, ids, 10));
  }
}

TEST(CompatibilityScorerTest, Avx2IsChosenWhenTheCpuHasIt) {
  const absl::StatusOr<CompatibilityScorer> avx2 = CompatibilityScorer::Create(CompatibilityKernel::kAvx2);
  if (CompatibilityScorer::Avx2Supported()) {
    ASSERT_TRUE(avx2.ok());
    EXPECT_EQ(CompatibilityScorer().kernel(), CompatibilityKernel::kAvx2);
  } else {
    EXPECT_EQ(avx2.status().code(), absl::StatusCode::kFailedPrecondition);
    EXPECT_EQ(CompatibilityScorer().kernel(), CompatibilityKernel::kPortable);
  }
  EXPECT_EQ(CompatibilityScorer::Create(CompatibilityKernel::kPortable)->kernel(),
            CompatibilityKernel::kPortable);
}

}  // namespace
}  // namespace otter::engine
