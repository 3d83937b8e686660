#include "engine/catalog/facets.h"

#include <map>
#include <memory>
#include <random>
#include <set>

#include "absl/strings/ascii.h"
#include "engine/catalog/buckets.h"
#include "engine/catalog/catalog_builder.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/engine/catalog/catalog_test_records.h"

namespace otter::engine {
namespace {

using ::testing::ElementsAre;
using testing_records::MakeLeader;
using testing_records::MakeTour;

TEST(FacetsTest, BucketEdgesBelongToTheUpperBucket) {
  CatalogBuilder builder;
  ASSERT_TRUE(builder.UpsertLeader(MakeLeader(1, {"en", "pt"})).ok());
  ASSERT_TRUE(builder.UpsertLeader(MakeLeader(2, {"pt"})).ok());
  const int64_t prices[] = {0, 4999, 5000, 9999, 10000, 20000, 50000, 123456};
  const int32_t days[] = {0, 1, 2, 3, 4, 8, 14, 15};
  for (uint64_t n = 0; n < 8; ++n) {
    TourRecord tour = MakeTour(n, 1 + n % 2, n < 3 ? "water" : "food", prices[n]);
    tour.duration_days = days[n];
    ASSERT_TRUE(builder.UpsertTour(tour).ok());
  }
  std::shared_ptr<const Catalog> catalog = builder.Publish();
  const std::vector<uint32_t> all = {0, 1, 2, 3, 4, 5, 6, 7};
  TourFacets facets = CountTourFacets(*catalog, all, {true, true, true, true});
  EXPECT_THAT(facets.categories, ElementsAre(FacetValue{"food", 5}, FacetValue{"water", 3}));
  EXPECT_THAT(facets.price_buckets, ElementsAre(2, 2, 1, 1, 2));
  EXPECT_THAT(facets.duration_buckets, ElementsAre(2, 2, 1, 2, 1));
  EXPECT_THAT(facets.languages, ElementsAre(FacetValue{"pt", 8}, FacetValue{"en", 4}));

  TourFacets only_price = CountTourFacets(*catalog, all, {.price = true});
  EXPECT_TRUE(only_price.categories.empty());
  EXPECT_TRUE(only_price.languages.empty());
  EXPECT_THAT(only_price.duration_buckets, ElementsAre(0, 0, 0, 0, 0));
}

TEST(FacetsRandomTest, CountsEqualABruteForceCount) {
  const unsigned seed = std::random_device{}();
  std::cout << "seed " << seed << "\n";
  std::mt19937 rng(seed);
  auto uniform = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  std::vector<std::string> codes;
  for (char a = 'a'; a <= 'c'; ++a) {
    for (char b = 'a'; b <= 'z'; ++b) codes.push_back(std::string{a, b});  // 78 > 63 bits
  }
  const char* categories[] = {"water", "food", "culture", "nature"};

  CatalogBuilder builder;
  std::map<Uuid, LeaderRecord> leaders;
  for (uint64_t n = 0; n < 200; ++n) {
    std::vector<std::string> spoken;
    for (int i = uniform(0, 4); i > 0; --i) spoken.push_back(codes[uniform(0, codes.size() - 1)]);
    std::sort(spoken.begin(), spoken.end());
    spoken.erase(std::unique(spoken.begin(), spoken.end()), spoken.end());
    LeaderRecord leader = MakeLeader(n, spoken);
    leaders[leader.id] = leader;
    ASSERT_TRUE(builder.UpsertLeader(leader).ok());
  }
  std::vector<TourRecord> tours;
  for (uint64_t n = 0; n < 6000; ++n) {
    TourRecord tour = MakeTour(n, uniform(0, 199), categories[uniform(0, 3)], uniform(0, 90000));
    tour.duration_days = uniform(0, 30);
    tours.push_back(tour);
    ASSERT_TRUE(builder.UpsertTour(tour).ok());
  }
  std::shared_ptr<const Catalog> catalog = builder.Publish();

  for (int round = 0; round < 20; ++round) {
    std::vector<uint32_t> subset;
    std::map<std::string, uint32_t> categories_expected, languages_expected;
    std::array<uint32_t, 5> price_expected{}, duration_expected{};
    for (uint32_t n = 0; n < tours.size(); ++n) {
      if (uniform(0, 3) != 0) continue;
      subset.push_back(*catalog->FindTour(tours[n].id));
      ++categories_expected[tours[n].category];
      int price_bucket = 0;
      if (tours[n].price_cents >= 5000) price_bucket = 1;
      if (tours[n].price_cents >= 10000) price_bucket = 2;
      if (tours[n].price_cents >= 20000) price_bucket = 3;
      if (tours[n].price_cents >= 50000) price_bucket = 4;
      ++price_expected[price_bucket];
      const int32_t d = tours[n].duration_days;
      ++duration_expected[d <= 1 ? 0 : d <= 3 ? 1 : d <= 7 ? 2 : d <= 14 ? 3 : 4];
      for (const LeaderLanguage& language : leaders.at(tours[n].leader_id).languages) {
        ++languages_expected[language.code];
      }
    }
    TourFacets facets = CountTourFacets(*catalog, subset, {true, true, true, true});
    std::map<std::string, uint32_t> categories_got, languages_got;
    for (const FacetValue& v : facets.categories) categories_got[v.value] = v.count;
    for (const FacetValue& v : facets.languages) languages_got[v.value] = v.count;
    ASSERT_EQ(categories_got, categories_expected) << "seed " << seed;
    ASSERT_EQ(languages_got, languages_expected) << "seed " << seed;
    ASSERT_EQ(facets.price_buckets, price_expected) << "seed " << seed;
    ASSERT_EQ(facets.duration_buckets, duration_expected) << "seed " << seed;
    for (size_t i = 1; i < facets.languages.size(); ++i) {
      ASSERT_GE(facets.languages[i - 1].count, facets.languages[i].count);
    }
  }
}

}  // namespace
}  // namespace otter::engine
