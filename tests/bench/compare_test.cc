#include <string>
#include <vector>

#include "bench/side_by_side/compare.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace otter::side_by_side {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr Tolerance kMillimetre{1e-6, 0};
constexpr Tolerance kThousandth{1e-3, 0};

load::SearchReply Reply(uint64_t total, std::vector<std::pair<std::string, double>> hits) {
  load::SearchReply reply;
  reply.total = total;
  for (auto& [id, km] : hits) {
    load::ReplyHit hit;
    hit.id = id;
    hit.distance_km = km;
    reply.hits.push_back(std::move(hit));
  }
  return reply;
}

TEST(CompareRankedTest, EqualAnswersAgree) {
  const load::SearchReply a = Reply(40, {{"a", 0.5}, {"b", 1.25}, {"c", 3}});
  EXPECT_TRUE(CompareRanked(a, a, ValueKind::kDistance, kMillimetre).empty());
  EXPECT_EQ(CommonHits(a, a), 3u);
}

TEST(CompareRankedTest, ReportsADifferentTotal) {
  EXPECT_THAT(CompareRanked(Reply(41, {{"a", 0.5}}), Reply(40, {{"a", 0.5}}), ValueKind::kDistance,
                            kMillimetre),
              ElementsAre("total 41 vs 40"));
}

TEST(CompareRankedTest, ReportsTheFirstRankWhoseDistanceDiffers) {
  const auto problems = CompareRanked(Reply(3, {{"a", 0.5}, {"b", 1.5}, {"c", 3}}),
                                      Reply(3, {{"a", 0.5}, {"x", 1.25}, {"c", 3}}),
                                      ValueKind::kDistance, kMillimetre);
  EXPECT_THAT(problems, ElementsAre("rank 2: distance 1.5 vs 1.25"));
}

TEST(CompareRankedTest, TiesMayBeOrderedOrCutDifferently) {
  // b and c are tied: any order is right, and at the cut either may be kept.
  EXPECT_TRUE(CompareRanked(Reply(4, {{"a", 0.5}, {"b", 1}, {"c", 1}}),
                            Reply(4, {{"a", 0.5}, {"c", 1}, {"b", 1}}), ValueKind::kDistance,
                            kMillimetre)
                  .empty());
  EXPECT_TRUE(CompareRanked(Reply(4, {{"a", 0.5}, {"b", 1}}),
                            Reply(4, {{"a", 0.5}, {"c", 1 + 1e-9}}), ValueKind::kDistance,
                            kMillimetre)
                  .empty());
}

TEST(CompareRankedTest, ReportsADifferentIdAtAnUntiedDistance) {
  const auto problems =
      CompareRanked(Reply(3, {{"a", 0.5}, {"b", 1}, {"c", 2}}),
                    Reply(3, {{"z", 0.5}, {"b", 1}, {"c", 2}}), ValueKind::kDistance, kMillimetre);
  EXPECT_THAT(problems, ElementsAre("ids only from otterd: [a]; only from SQL: [z]"));
  EXPECT_EQ(CommonHits(Reply(3, {{"a", 0.5}, {"b", 1}}), Reply(3, {{"z", 0.5}, {"b", 1}})), 1u);
}

TEST(CompareRankedTest, ARelativeToleranceGrowsWithTheValue) {
  const Tolerance relative{1e-6, 3e-5};
  EXPECT_TRUE(relative.Agree(1000.02, 1000));
  EXPECT_FALSE(relative.Agree(1000.04, 1000));
  EXPECT_FALSE(relative.Agree(1.0001, 1));
  EXPECT_TRUE(CompareRanked(Reply(2, {{"a", 6.35224}, {"b", 9.0}}),
                            Reply(2, {{"a", 6.352245}, {"b", 9.0001}}), ValueKind::kDistance,
                            relative)
                  .empty());
}

TEST(CompareRankedTest, ReportsMissingValuesAndHitCounts) {
  load::SearchReply otter = Reply(2, {{"a", 0.5}});
  otter.hits[0].distance_km.reset();
  EXPECT_THAT(
      CompareRanked(otter, Reply(2, {{"a", 0.5}, {"b", 1}}), ValueKind::kDistance, kMillimetre),
      ElementsAre("1 hits vs 2", "otterd hit a has no distance"));
  load::SearchReply leaders;
  leaders.total = 1;
  leaders.hits.push_back(load::ReplyHit{"l", std::nullopt, std::nullopt, 87.5});
  load::SearchReply sql = leaders;
  sql.hits[0].compatibility = 87.5004;
  EXPECT_TRUE(CompareRanked(leaders, sql, ValueKind::kCompatibility, kThousandth).empty());
  sql.hits[0].compatibility = 87.6;
  EXPECT_THAT(CompareRanked(leaders, sql, ValueKind::kCompatibility, kThousandth),
              ElementsAre(HasSubstr("rank 1: compatibility 87.5 vs 87.6")));
}

}  // namespace
}  // namespace otter::side_by_side
