#include "engine/traits.h"

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace otter::engine {
namespace {

using ::testing::HasSubstr;

TEST(TraitRegistryTest, HoldsTheCanonicalNamesInOrder) {
  TraitRegistry registry;
  ASSERT_EQ(registry.size(), 16);
  EXPECT_EQ(registry.name(0), "adventurous");
  EXPECT_EQ(registry.name(15), "spiritual");
  EXPECT_EQ(registry.Find("foodie"), 4);
  EXPECT_EQ(registry.Find("kayaking"), std::nullopt);
}

TEST(TraitRegistryTest, InternsNewNamesUpToTheLimitAndNamesItAfter) {
  TraitRegistry registry;
  for (int i = registry.size(); i < kMaxTraits; ++i) {
    absl::StatusOr<int> slot = registry.Intern(absl::StrCat("trait_", i));
    ASSERT_TRUE(slot.ok()) << slot.status();
    EXPECT_EQ(*slot, i);
  }
  EXPECT_EQ(registry.Intern("trait_20").value(), 20);  // known names still resolve
  absl::StatusOr<int> overflow = registry.Intern("one_too_many");
  ASSERT_FALSE(overflow.ok());
  EXPECT_EQ(overflow.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(overflow.status().message(), HasSubstr("\"one_too_many\""));
  EXPECT_THAT(overflow.status().message(), HasSubstr("at most 64 distinct trait names"));
  EXPECT_EQ(registry.size(), kMaxTraits);
}

TEST(UserTraitsTest, RejectsEmptyOutOfRangeNonFiniteAndRepeatedTraitsNamingThem) {
  TraitRegistry registry;
  struct Case {
    std::vector<NamedTrait> traits;
    const char* message;
  };
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  for (const Case& c : {
           Case{{}, "user traits are empty: compatibility is undefined"},
           Case{{{"social", 1.5}}, "trait \"social\" has value 1.5 outside [0, 1]"},
           Case{{{"social", 0.2}, {"budget", -0.25}}, "trait \"budget\" has value -0.25 outside [0, 1]"},
           Case{{{"foodie", nan}}, "trait \"foodie\" is not a finite number"},
           Case{{{"kayaking", inf}}, "trait \"kayaking\" is not a finite number"},
           Case{{{"social", 0.1}, {"social", 0.2}}, "trait \"social\" appears more than once"},
           Case{{{"", 0.1}}, "trait name is empty"},
       }) {
    absl::StatusOr<UserTraits> user = UserTraits::Resolve(registry, c.traits);
    ASSERT_FALSE(user.ok()) << c.message;
    EXPECT_EQ(user.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(user.status().message(), HasSubstr(c.message));
  }
}

TEST(UserTraitsTest, KeepsUnknownNamesSinceTheyCountInTheTraitSet) {
  TraitRegistry registry;
  absl::StatusOr<UserTraits> user =
      UserTraits::Resolve(registry, {{"social", 0.25}, {"kayaking", 1.0}, {"adventurous", 0.0}});
  ASSERT_TRUE(user.ok()) << user.status();
  EXPECT_EQ(user->count(), 3);
  ASSERT_EQ(user->known().size(), 2u);
  EXPECT_EQ(user->known()[0].slot, 0);  // sorted by slot
  EXPECT_EQ(user->known()[1].slot, 1);
  EXPECT_FLOAT_EQ(user->known()[1].value, 0.25f);
  ASSERT_EQ(user->unknown().size(), 1u);
  EXPECT_EQ(user->unknown()[0].first, "kayaking");
  EXPECT_EQ(user->registry_size(), 16);
}

TEST(LeaderTraitMatrixTest, StoresValuesWithMissingTraitsAsHalf) {
  LeaderTraitMatrixBuilder builder;
  ASSERT_TRUE(builder.SetLeader(3, {{"social", 0.0}, {"spiritual", 1.0}}).ok());
  ASSERT_TRUE(builder.SetLeader(5000, {}).ok());  // a leader with no traits at all
  const LeaderTraitMatrix matrix = builder.Snapshot();
  EXPECT_EQ(matrix.leader_count(), 2u);
  EXPECT_TRUE(matrix.Contains(3));
  EXPECT_TRUE(matrix.Contains(5000));
  EXPECT_FALSE(matrix.Contains(4));
  EXPECT_FALSE(matrix.Contains(1u << 30));
  EXPECT_EQ(matrix.Value(3, 1), 0.0f);
  EXPECT_EQ(matrix.Value(3, 15), 1.0f);
  EXPECT_EQ(matrix.Value(3, 0), 0.5f);
  EXPECT_EQ(matrix.Value(5000, 1), 0.5f);
  EXPECT_EQ(matrix.id_limit() % TraitChunk::kLeaders, 0u);
  EXPECT_GT(matrix.id_limit(), 5000u);
  EXPECT_EQ(matrix.chunk(1), nullptr);  // ids 1024..2047: none set
}

TEST(LeaderTraitMatrixTest, SetLeaderReplacesTheWholeTraitObject) {
  LeaderTraitMatrixBuilder builder;
  ASSERT_TRUE(builder.SetLeader(0, {{"social", 0.1}, {"budget", 0.9}}).ok());
  ASSERT_TRUE(builder.SetLeader(0, {{"social", 0.7}}).ok());
  const LeaderTraitMatrix matrix = builder.Snapshot();
  EXPECT_EQ(matrix.leader_count(), 1u);
  EXPECT_FLOAT_EQ(matrix.Value(0, 1), 0.7f);
  EXPECT_EQ(matrix.Value(0, 7), 0.5f);
}

TEST(LeaderTraitMatrixTest, NewTraitNamesNeedNoRebuildAndOldChunksReadHalf) {
  LeaderTraitMatrixBuilder builder;
  ASSERT_TRUE(builder.SetLeader(1, {{"social", 0.3}}).ok());
  ASSERT_TRUE(builder.SetLeader(2000, {{"social", 0.3}}).ok());
  const LeaderTraitMatrix before = builder.Snapshot();
  ASSERT_TRUE(builder.SetLeader(2001, {{"kayaking", 0.9}}).ok());
  const LeaderTraitMatrix after = builder.Snapshot();
  const std::optional<int> slot = after.registry().Find("kayaking");
  ASSERT_EQ(slot, 16);
  EXPECT_EQ(before.registry().Find("kayaking"), std::nullopt);
  EXPECT_FLOAT_EQ(after.Value(2001, *slot), 0.9f);
  EXPECT_EQ(after.Value(2000, *slot), 0.5f);
  EXPECT_EQ(after.Value(1, *slot), 0.5f);
  EXPECT_EQ(after.chunk(0), before.chunk(0));  // untouched by the new name
  EXPECT_NE(after.chunk(1), before.chunk(1));
}

TEST(LeaderTraitMatrixTest, The65thTraitNameIsRejectedAndChangesNothing) {
  LeaderTraitMatrixBuilder builder;
  for (int i = 16; i < kMaxTraits; ++i) ASSERT_TRUE(builder.AddTraitName(absl::StrCat("t", i)).ok());
  ASSERT_TRUE(builder.SetLeader(0, {{"t63", 0.25}}).ok());  // known names are fine
  const std::string name = "the_65th";
  absl::Status status = builder.SetLeader(1, {{"social", 0.5}, {name, 0.5}});
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("leader 1: cannot add trait \"the_65th\": at most 64"));
  absl::StatusOr<int> added = builder.AddTraitName(name);
  EXPECT_EQ(added.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(added.status().message(), HasSubstr("at most 64 distinct trait names"));
  const LeaderTraitMatrix matrix = builder.Snapshot();
  EXPECT_FALSE(matrix.Contains(1));
  EXPECT_EQ(matrix.registry().size(), kMaxTraits);
}

TEST(LeaderTraitMatrixTest, RejectsInvalidLeaderValuesWithoutChangingTheLeader) {
  LeaderTraitMatrixBuilder builder;
  ASSERT_TRUE(builder.SetLeader(9, {{"nature", 0.4}}).ok());
  absl::Status status = builder.SetLeader(9, {{"nature", 0.8}, {"luxury", 1.5}});
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("leader 9: trait \"luxury\" has value 1.5 outside [0, 1]"));
  EXPECT_FLOAT_EQ(builder.Snapshot().Value(9, 5), 0.4f);
}

TEST(LeaderTraitMatrixTest, RemovedLeadersAreGoneAndEmptyChunksReleased) {
  LeaderTraitMatrixBuilder builder;
  ASSERT_TRUE(builder.SetLeader(10, {{"family", 0.9}}).ok());
  ASSERT_TRUE(builder.SetLeader(11, {}).ok());
  ASSERT_TRUE(builder.SetLeader(3000, {}).ok());
  EXPECT_TRUE(builder.RemoveLeader(10));
  EXPECT_FALSE(builder.RemoveLeader(10));
  EXPECT_FALSE(builder.RemoveLeader(12345));
  EXPECT_TRUE(builder.RemoveLeader(3000));
  const LeaderTraitMatrix matrix = builder.Snapshot();
  EXPECT_FALSE(matrix.Contains(10));
  EXPECT_TRUE(matrix.Contains(11));
  EXPECT_FALSE(matrix.Contains(3000));
  EXPECT_EQ(matrix.leader_count(), 1u);
  EXPECT_EQ(matrix.chunk_count(), 1u);
  ASSERT_TRUE(builder.SetLeader(10, {}).ok());  // re-added: starts from 0.5
  EXPECT_EQ(builder.Snapshot().Value(10, 13), 0.5f);
}

TEST(LeaderTraitMatrixTest, SnapshotsAreIsolatedAndShareUntouchedChunks) {
  LeaderTraitMatrixBuilder builder;
  for (uint32_t id = 0; id < 4 * TraitChunk::kLeaders; ++id) {
    ASSERT_TRUE(builder.SetLeader(id, {{"history", 0.25}}).ok());
  }
  const LeaderTraitMatrix v1 = builder.Snapshot();
  ASSERT_TRUE(builder.SetLeader(5, {{"history", 0.75}}).ok());
  ASSERT_TRUE(builder.SetLeader(6, {{"history", 1.0}}).ok());  // same chunk: copied once
  const TraitChunk* first_copy = builder.Snapshot().chunk(0);
  ASSERT_TRUE(builder.RemoveLeader(2 * TraitChunk::kLeaders + 1));
  const LeaderTraitMatrix v2 = builder.Snapshot();

  EXPECT_EQ(v1.Value(5, 14), 0.25f);
  EXPECT_TRUE(v1.Contains(2 * TraitChunk::kLeaders + 1));
  EXPECT_EQ(v1.leader_count(), 4 * TraitChunk::kLeaders);
  EXPECT_EQ(v2.Value(5, 14), 0.75f);
  EXPECT_FALSE(v2.Contains(2 * TraitChunk::kLeaders + 1));
  EXPECT_EQ(v2.leader_count(), 4 * TraitChunk::kLeaders - 1);

  EXPECT_NE(v1.chunk(0), v2.chunk(0));
  EXPECT_EQ(first_copy, v2.chunk(0));  // not copied again: no write since
  EXPECT_EQ(v1.chunk(1), v2.chunk(1));
  EXPECT_NE(v1.chunk(2), v2.chunk(2));
  EXPECT_EQ(v1.chunk(3), v2.chunk(3));
}

}  // namespace
}  // namespace otter::engine
