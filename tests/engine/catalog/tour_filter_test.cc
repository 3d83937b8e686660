#include "engine/catalog/tour_filter.h"

#include <algorithm>
#include <map>
#include <memory>
#include <random>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "engine/catalog/catalog_builder.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/engine/catalog/catalog_test_records.h"

namespace otter::engine {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using testing_records::LeaderId;
using testing_records::MakeLeader;
using testing_records::MakeSchedule;
using testing_records::MakeTour;
using testing_records::TourId;

// Tour ids (dense) matching `spec` in `catalog`; fails the test on a bad spec.
std::vector<uint32_t> Match(const Catalog& catalog, const TourFilterSpec& spec) {
  absl::StatusOr<TourFilter> filter = TourFilter::Compile(spec, catalog);
  EXPECT_TRUE(filter.ok()) << filter.status();
  if (!filter.ok()) return {};
  return filter->MatchingTours();
}

// ---------------------------------------------------------------------------
// Availability, by hand.

class AvailabilityTest : public ::testing::Test {
 protected:
  // Tour 0 has the window [10, 20] with a blackout on day 15 and at most 6
  // participants; tour 1 has no window and two schedules.
  void SetUp() override {
    ASSERT_TRUE(builder_.UpsertLeader(MakeLeader(1)).ok());
    TourRecord windowed = MakeTour(0, 1);
    windowed.availability_start = 10;
    windowed.availability_end = 20;
    windowed.blackout_dates = {15};
    windowed.max_participants = 6;
    ASSERT_TRUE(builder_.UpsertTour(windowed).ok());
    ASSERT_TRUE(builder_.UpsertTour(MakeTour(1, 1)).ok());
    ASSERT_TRUE(builder_.UpsertSchedule(MakeSchedule(1, 1, 30, 32, 8, 5)).ok());
    ASSERT_TRUE(
        builder_.UpsertSchedule(MakeSchedule(2, 1, 40, 42, 8, 0, ScheduleStatus::kFull)).ok());
    catalog_ = builder_.Publish();
  }

  std::vector<uint32_t> Available(CivilDay from, CivilDay to, int32_t participants) {
    TourFilterSpec spec;
    spec.available = AvailabilitySpec{from, to, participants};
    return Match(*catalog_, spec);
  }

  CatalogBuilder builder_;
  std::shared_ptr<const Catalog> catalog_;
};

TEST_F(AvailabilityTest, WindowEdgesAreInclusive) {
  EXPECT_THAT(Available(10, 14, 1), ElementsAre(0));
  EXPECT_THAT(Available(16, 20, 1), ElementsAre(0));
  EXPECT_THAT(Available(9, 12, 1), IsEmpty());
  EXPECT_THAT(Available(18, 21, 1), IsEmpty());
}

TEST_F(AvailabilityTest, BlackoutDayInsideTheRangeExcludes) {
  EXPECT_THAT(Available(14, 16, 1), IsEmpty());
  EXPECT_THAT(Available(15, 15, 1), IsEmpty());
  EXPECT_THAT(Available(16, 16, 1), ElementsAre(0));
}

TEST_F(AvailabilityTest, ParticipantsAboveTheTourMaximumExclude) {
  EXPECT_THAT(Available(10, 11, 6), ElementsAre(0));
  EXPECT_THAT(Available(10, 11, 7), IsEmpty());
}

TEST_F(AvailabilityTest, OpenScheduleWithExactlyEnoughPlacesMatches) {
  EXPECT_THAT(Available(30, 32, 3), ElementsAre(1));  // 8 - 5 == 3
  EXPECT_THAT(Available(30, 32, 4), IsEmpty());
  EXPECT_THAT(Available(31, 31, 1), ElementsAre(1));
  EXPECT_THAT(Available(29, 31, 1), IsEmpty());  // starts before the schedule
  EXPECT_THAT(Available(31, 33, 1), IsEmpty());  // ends after it
}

TEST_F(AvailabilityTest, FullOrCancelledSchedulesDoNotCount) {
  EXPECT_THAT(Available(40, 41, 1), IsEmpty());  // status full, although 8 places
  ASSERT_TRUE(
      builder_.UpsertSchedule(MakeSchedule(1, 1, 30, 32, 8, 0, ScheduleStatus::kCancelled)).ok());
  catalog_ = builder_.Publish();
  EXPECT_THAT(Available(30, 32, 1), IsEmpty());
  ASSERT_TRUE(builder_.UpsertSchedule(MakeSchedule(2, 1, 40, 42, 8, 0)).ok());  // reopened
  catalog_ = builder_.Publish();
  EXPECT_THAT(Available(40, 41, 1), ElementsAre(1));
}

TEST_F(AvailabilityTest, ScheduleCanCoverABlackoutOfTheWindow) {
  ASSERT_TRUE(builder_.UpsertSchedule(MakeSchedule(3, 0, 14, 16, 4, 0)).ok());
  catalog_ = builder_.Publish();
  EXPECT_THAT(Available(14, 16, 4), ElementsAre(0));
  EXPECT_THAT(Available(14, 16, 5), IsEmpty());
}

TEST(IsTourAvailableTest, AMissingBoundIsOpenButNoWindowAtAllIsNotAvailable) {
  TourRecord tour = MakeTour(1, 1);
  tour.max_participants.reset();
  EXPECT_FALSE(IsTourAvailable(tour, {}, {5, 6, 1}));
  tour.availability_start = 3;
  EXPECT_TRUE(IsTourAvailable(tour, {}, {5, 100000, 1000}));
  EXPECT_FALSE(IsTourAvailable(tour, {}, {2, 6, 1}));
  tour.availability_start.reset();
  tour.availability_end = 9;
  EXPECT_TRUE(IsTourAvailable(tour, {}, {-100, 9, 1}));
  EXPECT_FALSE(IsTourAvailable(tour, {}, {5, 10, 1}));
}

// ---------------------------------------------------------------------------
// Other conditions, by hand.

TEST(TourFilterTest, LeaderLanguagesAnyOfAndAllOf) {
  CatalogBuilder builder;
  ASSERT_TRUE(builder.UpsertLeader(MakeLeader(1, {"en", "fr"})).ok());
  ASSERT_TRUE(builder.UpsertLeader(MakeLeader(2, {"en"})).ok());
  ASSERT_TRUE(builder.UpsertLeader(MakeLeader(3, {"de"})).ok());
  for (uint64_t n = 1; n <= 3; ++n) ASSERT_TRUE(builder.UpsertTour(MakeTour(n, n)).ok());
  std::shared_ptr<const Catalog> catalog = builder.Publish();

  TourFilterSpec spec;
  spec.leader.languages_any = {"FR", "de"};
  EXPECT_THAT(Match(*catalog, spec), ElementsAre(0, 2));
  spec.leader.languages_any = {"it"};  // valid code nobody speaks
  EXPECT_THAT(Match(*catalog, spec), IsEmpty());
  spec.leader.languages_any.clear();
  spec.leader.languages_all = {"en", "fr"};
  EXPECT_THAT(Match(*catalog, spec), ElementsAre(0));
  spec.leader.languages_all = {"en"};
  EXPECT_THAT(Match(*catalog, spec), ElementsAre(0, 1));
  spec.leader.languages_all = {"en", "it"};
  EXPECT_THAT(Match(*catalog, spec), IsEmpty());
  spec.leader.languages_any = {"fr", "de"};
  spec.leader.languages_all = {"en"};
  EXPECT_THAT(Match(*catalog, spec), ElementsAre(0));
}

TEST(TourFilterTest, LanguagesPastTheSixtyThreeMaskBitsAreStillExact) {
  CatalogBuilder builder;
  std::vector<std::string> codes;
  for (char a = 'a'; a <= 'c'; ++a) {
    for (char b = 'a'; b <= 'z'; ++b) codes.push_back(std::string{a, b});
  }
  // Leader n speaks codes[n] and codes[n + 1]: 78 codes, past 63 bits.
  for (uint64_t n = 0; n + 1 < codes.size(); ++n) {
    ASSERT_TRUE(builder.UpsertLeader(MakeLeader(n, {codes[n], codes[n + 1]})).ok());
    ASSERT_TRUE(builder.UpsertTour(MakeTour(n, n)).ok());
  }
  std::shared_ptr<const Catalog> catalog = builder.Publish();
  TourFilterSpec spec;
  spec.leader.languages_any = {codes[70]};
  EXPECT_THAT(Match(*catalog, spec), ElementsAre(69, 70));
  spec.leader.languages_any = {codes[70], codes[5]};
  EXPECT_THAT(Match(*catalog, spec), ElementsAre(4, 5, 69, 70));
  spec.leader.languages_any.clear();
  spec.leader.languages_all = {codes[70], codes[71]};
  EXPECT_THAT(Match(*catalog, spec), ElementsAre(70));
  spec.leader.languages_all = {codes[62], codes[63]};  // one with a bit, one without
  EXPECT_THAT(Match(*catalog, spec), ElementsAre(62));
  spec.leader.languages_all = {"zz"};
  EXPECT_THAT(Match(*catalog, spec), IsEmpty());
}

TEST(TourFilterTest, SpecialtiesTypeAndVerified) {
  CatalogBuilder builder;
  LeaderRecord hiker = MakeLeader(1, {"en"}, {"Hiking", "Birds"});
  hiker.type = LeaderType::kExpert;
  hiker.is_verified = true;
  ASSERT_TRUE(builder.UpsertLeader(hiker).ok());
  ASSERT_TRUE(builder.UpsertLeader(MakeLeader(2, {"en"}, {"food"})).ok());
  ASSERT_TRUE(builder.UpsertTour(MakeTour(1, 1)).ok());
  ASSERT_TRUE(builder.UpsertTour(MakeTour(2, 2)).ok());
  std::shared_ptr<const Catalog> catalog = builder.Publish();

  TourFilterSpec spec;
  spec.leader.specialties_any = {"hiking"};
  EXPECT_THAT(Match(*catalog, spec), ElementsAre(0));
  spec.leader.specialties_any = {"FOOD", "wine"};
  EXPECT_THAT(Match(*catalog, spec), ElementsAre(1));
  spec.leader.specialties_any = {"hik"};
  EXPECT_THAT(Match(*catalog, spec), IsEmpty());
  spec.leader.specialties_any.clear();
  spec.leader.types = {LeaderType::kExpert, LeaderType::kManager};
  EXPECT_THAT(Match(*catalog, spec), ElementsAre(0));
  spec.leader.types.clear();
  spec.leader.verified_only = true;
  EXPECT_THAT(Match(*catalog, spec), ElementsAre(0));
}

TEST(TourFilterTest, CategoryPriceDurationAndRating) {
  CatalogBuilder builder;
  ASSERT_TRUE(builder.UpsertLeader(MakeLeader(1)).ok());
  TourRecord a = MakeTour(0, 1, "Water", 4999);
  a.duration_days = 0;
  a.duration_hours = 3.5;
  a.average_rating_x100 = 430;
  TourRecord b = MakeTour(1, 1, "food", 5000);
  b.duration_days = 3;
  b.average_rating_x100 = 429;
  ASSERT_TRUE(builder.UpsertTour(a).ok());
  ASSERT_TRUE(builder.UpsertTour(b).ok());
  std::shared_ptr<const Catalog> catalog = builder.Publish();

  TourFilterSpec spec;
  spec.categories = {"WATER", "nonexistent"};
  EXPECT_THAT(Match(*catalog, spec), ElementsAre(0));
  spec = {};
  spec.categories = {"nonexistent"};
  EXPECT_THAT(Match(*catalog, spec), IsEmpty());
  spec = {};
  spec.price_min_cents = 5000;
  EXPECT_THAT(Match(*catalog, spec), ElementsAre(1));
  spec.price_min_cents.reset();
  spec.price_max_cents = 4999;
  EXPECT_THAT(Match(*catalog, spec), ElementsAre(0));
  spec = {};
  spec.duration_min_days = 1;
  EXPECT_THAT(Match(*catalog, spec), ElementsAre(1));
  spec = {};
  spec.duration_max_hours = 4;  // tour b has no duration_hours
  EXPECT_THAT(Match(*catalog, spec), ElementsAre(0));
  spec.duration_min_hours = 3.5;
  spec.duration_max_hours = 3.5;
  EXPECT_THAT(Match(*catalog, spec), ElementsAre(0));
  spec = {};
  spec.rating_min = 4.3;
  EXPECT_THAT(Match(*catalog, spec), ElementsAre(0));
  spec.rating_min = 0;
  EXPECT_THAT(Match(*catalog, spec), ElementsAre(0, 1));
}

TEST(TourFilterTest, InvalidValuesAreRejectedNamingTheField) {
  std::shared_ptr<const Catalog> catalog = Catalog::Empty();
  struct Case {
    TourFilterSpec spec;
    const char* message;
  };
  std::vector<Case> cases;
  auto add = [&](auto edit, const char* message) {
    TourFilterSpec spec;
    edit(spec);
    cases.push_back({spec, message});
  };
  add([](auto& s) { s.price_min_cents = 200, s.price_max_cents = 100; },
      "filters.price.min must be <= filters.price.max");
  add([](auto& s) { s.price_min_cents = -1; }, "filters.price.min must be >= 0");
  add([](auto& s) { s.price_max_cents = -5; }, "filters.price.max must be >= 0");
  add([](auto& s) { s.duration_min_days = 5, s.duration_max_days = 2; },
      "filters.duration.min_days must be <= filters.duration.max_days");
  add([](auto& s) { s.duration_min_days = -1; }, "filters.duration.min_days must be >= 0");
  add([](auto& s) { s.duration_min_hours = 5, s.duration_max_hours = 2; },
      "filters.duration.min_hours must be <= filters.duration.max_hours");
  add([](auto& s) { s.duration_max_hours = -0.5; },
      "filters.duration.max_hours must be a finite number >= 0");
  add([](auto& s) { s.rating_min = 5.5; }, "filters.rating.min must be within [0, 5]");
  add([](auto& s) { s.available = AvailabilitySpec{10, 9, 1}; },
      "filters.available.from must be <= filters.available.to");
  add([](auto& s) { s.available = AvailabilitySpec{10, 10, 0}; },
      "filters.available.participants must be >= 1");
  add([](auto& s) { s.leader.languages_any = {"en", "eng"}; },
      "filters.languages.any[1] must be an ISO 639-1 code (two letters), got \"eng\"");
  add([](auto& s) { s.leader.languages_all = {"e1"}; },
      "filters.languages.all[0] must be an ISO 639-1 code");
  add([](auto& s) { s.leader.specialties_any = {""}; },
      "filters.specialties[0] must not be empty");
  add([](auto& s) { s.categories = {"water", ""}; }, "filters.category[1] must not be empty");
  add([](auto& s) { s.leader.types = {static_cast<LeaderType>(9)}; },
      "filters.leader_type must be leader, expert or manager");
  for (const Case& c : cases) {
    absl::StatusOr<TourFilter> filter = TourFilter::Compile(c.spec, *catalog);
    ASSERT_FALSE(filter.ok()) << c.message;
    EXPECT_EQ(filter.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(filter.status().message(), HasSubstr(c.message));
  }
}

TEST(TourFilterTest, SelectivityIsExactForCategoriesAndBucketAlignedPrices) {
  CatalogBuilder builder;
  ASSERT_TRUE(builder.UpsertLeader(MakeLeader(1)).ok());
  for (uint64_t n = 0; n < 100; ++n) {
    ASSERT_TRUE(builder.UpsertTour(MakeTour(n, 1, n < 25 ? "water" : "food",
                                            n < 10 ? 6000 : 30000))
                    .ok());
  }
  std::shared_ptr<const Catalog> catalog = builder.Publish();
  TourFilterSpec spec;
  spec.categories = {"water"};
  EXPECT_DOUBLE_EQ(TourFilter::Compile(spec, *catalog)->EstimatedSelectivity(), 0.25);
  spec = {};
  spec.price_min_cents = 5000;
  spec.price_max_cents = 9999;
  EXPECT_DOUBLE_EQ(TourFilter::Compile(spec, *catalog)->EstimatedSelectivity(), 0.10);
  spec = {};
  EXPECT_DOUBLE_EQ(TourFilter::Compile(spec, *catalog)->EstimatedSelectivity(), 1.0);
}

// ---------------------------------------------------------------------------
// Randomized: the compiled filter against a brute-force evaluation of the
// records, across random update batches.

struct World {
  std::map<Uuid, TourRecord> tours;
  std::map<Uuid, LeaderRecord> leaders;
  std::map<Uuid, ScheduleRecord> schedules;
};

bool OracleAvailable(const World& world, const TourRecord& tour, const AvailabilitySpec& want) {
  bool window = false;
  if (tour.availability_start.has_value() || tour.availability_end.has_value()) {
    window = true;
    if (tour.availability_start.has_value() && *tour.availability_start > want.from) {
      window = false;
    }
    if (tour.availability_end.has_value() && *tour.availability_end < want.to) window = false;
    for (CivilDay day = want.from; day <= want.to; ++day) {
      for (CivilDay blackout : tour.blackout_dates) {
        if (blackout == day) window = false;
      }
    }
    if (tour.max_participants.has_value() && want.participants > *tour.max_participants) {
      window = false;
    }
  }
  if (window) return true;
  for (const auto& [id, s] : world.schedules) {
    if (s.tour_id == tour.id && s.status == ScheduleStatus::kOpen && s.start_date <= want.from &&
        s.end_date >= want.to && s.max_participants - s.current_participants >= want.participants) {
      return true;
    }
  }
  return false;
}

bool Speaks(const LeaderRecord& leader, const std::string& code) {
  for (const LeaderLanguage& language : leader.languages) {
    if (absl::EqualsIgnoreCase(language.code, code)) return true;
  }
  return false;
}

bool OracleMatches(const World& world, const TourRecord& tour, const TourFilterSpec& spec) {
  if (!tour.is_active) return false;
  auto leader_it = world.leaders.find(tour.leader_id);
  if (leader_it == world.leaders.end() || !leader_it->second.is_active) return false;
  const LeaderRecord& leader = leader_it->second;
  if (!spec.categories.empty() &&
      std::none_of(spec.categories.begin(), spec.categories.end(),
                   [&](const std::string& c) { return absl::EqualsIgnoreCase(c, tour.category); })) {
    return false;
  }
  if (spec.price_min_cents && tour.price_cents < *spec.price_min_cents) return false;
  if (spec.price_max_cents && tour.price_cents > *spec.price_max_cents) return false;
  if (spec.duration_min_days && tour.duration_days < *spec.duration_min_days) return false;
  if (spec.duration_max_days && tour.duration_days > *spec.duration_max_days) return false;
  if (spec.duration_min_hours || spec.duration_max_hours) {
    if (!tour.duration_hours) return false;
    if (spec.duration_min_hours && *tour.duration_hours < *spec.duration_min_hours) return false;
    if (spec.duration_max_hours && *tour.duration_hours > *spec.duration_max_hours) return false;
  }
  // The random specs use whole tenths, so this comparison is exact.
  if (spec.rating_min &&
      tour.average_rating_x100 < static_cast<int32_t>(std::lround(*spec.rating_min * 10)) * 10) {
    return false;
  }
  const LeaderFilterSpec& l = spec.leader;
  if (!l.languages_any.empty() &&
      std::none_of(l.languages_any.begin(), l.languages_any.end(),
                   [&](const std::string& code) { return Speaks(leader, code); })) {
    return false;
  }
  for (const std::string& code : l.languages_all) {
    if (!Speaks(leader, code)) return false;
  }
  if (!l.specialties_any.empty()) {
    bool any = false;
    for (const std::string& wanted : l.specialties_any) {
      for (const std::string& has : leader.specialties) any |= absl::EqualsIgnoreCase(wanted, has);
    }
    if (!any) return false;
  }
  if (!l.types.empty() && std::find(l.types.begin(), l.types.end(), leader.type) == l.types.end()) {
    return false;
  }
  if (l.verified_only && !leader.is_verified) return false;
  if (spec.available && !OracleAvailable(world, tour, *spec.available)) return false;
  return true;
}

class RandomCatalog {
 public:
  explicit RandomCatalog(unsigned seed) : rng_(seed) {
    for (int i = 0; i < 80; ++i) {  // more than the 63 language mask bits
      language_pool_.push_back(std::string{static_cast<char>('a' + i / 26 * 3 + i % 3),
                                           static_cast<char>('a' + i % 26)});
    }
    std::sort(language_pool_.begin(), language_pool_.end());
    language_pool_.erase(std::unique(language_pool_.begin(), language_pool_.end()),
                         language_pool_.end());
    for (int i = 0; i < 40; ++i) specialty_pool_.push_back("spec" + std::to_string(i));
  }

  int Uniform(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
  bool Chance(double p) { return std::bernoulli_distribution(p)(rng_); }
  std::string RandomCase(std::string text) {
    for (char& c : text) {
      if (Chance(0.3)) c = absl::ascii_toupper(static_cast<unsigned char>(c));
    }
    return text;
  }

  LeaderRecord RandomLeader(uint64_t n) {
    std::vector<std::string> languages;
    const int count = Uniform(0, 4);
    for (int i = 0; i < count; ++i) {
      languages.push_back(RandomCase(language_pool_[Uniform(0, language_pool_.size() - 1)]));
    }
    std::sort(languages.begin(), languages.end());
    languages.erase(std::unique(languages.begin(), languages.end()), languages.end());
    if (Chance(0.05)) languages.push_back("xyz");  // malformed: never matches
    std::vector<std::string> specialties;
    for (int i = Uniform(0, 3); i > 0; --i) {
      specialties.push_back(RandomCase(specialty_pool_[Uniform(0, specialty_pool_.size() - 1)]));
    }
    LeaderRecord leader = MakeLeader(n, languages, specialties);
    leader.type = static_cast<LeaderType>(Uniform(0, 2));
    leader.is_verified = Chance(0.5);
    leader.is_active = Chance(0.9);
    return leader;
  }

  TourRecord RandomTour(uint64_t n) {
    static const char* kCategories[] = {"water", "Food", "culture", "NATURE", "night", "wine"};
    TourRecord tour = MakeTour(n, Uniform(0, kLeaders + 10), RandomCase(kCategories[Uniform(0, 5)]),
                               Chance(0.2) ? 5000 * Uniform(0, 12) : Uniform(0, 80000));
    tour.duration_days = Uniform(0, 20);
    if (Chance(0.5)) tour.duration_hours = Uniform(1, 40) / 2.0;
    tour.average_rating_x100 = Uniform(0, 500);
    tour.is_active = Chance(0.9);
    if (Chance(0.8)) tour.max_participants = Uniform(1, 12);
    else tour.max_participants.reset();
    if (Chance(0.7)) {
      if (Chance(0.9)) tour.availability_start = Uniform(0, 60);
      if (Chance(0.9)) tour.availability_end = Uniform(40, 120);
    }
    for (int i = Uniform(0, 3); i > 0; --i) tour.blackout_dates.push_back(Uniform(0, 120));
    return tour;
  }

  ScheduleRecord RandomSchedule(uint64_t n) {
    const CivilDay start = Uniform(0, 110);
    const int32_t max = Uniform(1, 12);
    return MakeSchedule(n, Uniform(0, kTours + 20), start, start + Uniform(0, 6), max,
                        Uniform(0, max), static_cast<ScheduleStatus>(Uniform(0, 3)));
  }

  TourFilterSpec RandomSpec() {
    TourFilterSpec spec;
    static const char* kCategories[] = {"water", "food", "Culture", "nature", "unknown"};
    if (Chance(0.3)) {
      for (int i = Uniform(1, 2); i > 0; --i) spec.categories.push_back(kCategories[Uniform(0, 4)]);
    }
    if (Chance(0.3)) spec.price_min_cents = Chance(0.3) ? 5000 * Uniform(0, 10) : Uniform(0, 40000);
    if (Chance(0.3)) {
      spec.price_max_cents = spec.price_min_cents.value_or(0) + Uniform(0, 40000);
    }
    if (Chance(0.2)) spec.duration_min_days = Uniform(0, 10);
    if (Chance(0.2)) spec.duration_max_days = spec.duration_min_days.value_or(0) + Uniform(0, 10);
    if (Chance(0.15)) spec.duration_min_hours = Uniform(0, 20) / 2.0;
    if (Chance(0.15)) {
      spec.duration_max_hours = spec.duration_min_hours.value_or(0) + Uniform(0, 20) / 2.0;
    }
    if (Chance(0.2)) spec.rating_min = Uniform(0, 50) / 10.0;
    if (Chance(0.3)) {
      for (int i = Uniform(1, 3); i > 0; --i) {
        spec.leader.languages_any.push_back(
            Chance(0.1) ? "zz" : RandomCase(language_pool_[Uniform(0, language_pool_.size() - 1)]));
      }
    }
    if (Chance(0.2)) {
      for (int i = Uniform(1, 2); i > 0; --i) {
        spec.leader.languages_all.push_back(
            RandomCase(language_pool_[Uniform(0, language_pool_.size() - 1)]));
      }
    }
    if (Chance(0.2)) {
      for (int i = Uniform(1, 3); i > 0; --i) {
        spec.leader.specialties_any.push_back(
            RandomCase(specialty_pool_[Uniform(0, specialty_pool_.size() - 1)]));
      }
    }
    if (Chance(0.2)) spec.leader.types.push_back(static_cast<LeaderType>(Uniform(0, 2)));
    spec.leader.verified_only = Chance(0.2);
    if (Chance(0.4)) {
      const CivilDay from = Uniform(0, 115);
      spec.available = AvailabilitySpec{from, from + Uniform(0, 5), Uniform(1, 10)};
    }
    return spec;
  }

  static constexpr int kLeaders = 300;
  static constexpr int kTours = 5000;
  std::mt19937 rng_;
  std::vector<std::string> language_pool_;
  std::vector<std::string> specialty_pool_;
};

void ExpectFiltersMatchOracle(RandomCatalog& random, const World& world, const Catalog& catalog,
                              unsigned seed, int round) {
  for (int q = 0; q < 150; ++q) {
    const TourFilterSpec spec = random.RandomSpec();
    std::set<Uuid> expected;
    for (const auto& [id, tour] : world.tours) {
      if (OracleMatches(world, tour, spec)) expected.insert(id);
    }
    std::set<Uuid> got;
    for (uint32_t tour : Match(catalog, spec)) {
      ASSERT_NE(catalog.tour(tour), nullptr);
      got.insert(catalog.tour(tour)->id);
    }
    ASSERT_EQ(got, expected) << "seed " << seed << " round " << round << " query " << q;
  }
}

TEST(TourFilterRandomTest, MatchesBruteForceAcrossUpdateBatches) {
  const unsigned seed = std::random_device{}();
  std::cout << "seed " << seed << "\n";
  RandomCatalog random(seed);
  World world;
  CatalogBuilder builder;
  for (int n = 0; n < RandomCatalog::kLeaders; ++n) {
    LeaderRecord leader = random.RandomLeader(n);
    world.leaders[leader.id] = leader;
    ASSERT_TRUE(builder.UpsertLeader(leader).ok());
  }
  for (int n = 0; n < RandomCatalog::kTours; ++n) {
    TourRecord tour = random.RandomTour(n);
    world.tours[tour.id] = tour;
    ASSERT_TRUE(builder.UpsertTour(tour).ok());
  }
  for (int n = 0; n < 4000; ++n) {
    ScheduleRecord schedule = random.RandomSchedule(n);
    world.schedules[schedule.id] = schedule;
    ASSERT_TRUE(builder.UpsertSchedule(schedule).ok());
  }
  std::shared_ptr<const Catalog> catalog = builder.Publish();
  ExpectFiltersMatchOracle(random, world, *catalog, seed, 0);

  for (int round = 1; round <= 4; ++round) {
    for (int change = 0; change < 300; ++change) {
      const int kind = random.Uniform(0, 5);
      if (kind == 0) {
        TourRecord tour = random.RandomTour(random.Uniform(0, RandomCatalog::kTours + 50));
        world.tours[tour.id] = tour;
        ASSERT_TRUE(builder.UpsertTour(tour).ok());
      } else if (kind == 1) {
        const Uuid id = TourId(random.Uniform(0, RandomCatalog::kTours + 50));
        world.tours.erase(id);
        ASSERT_TRUE(builder.DeleteTour(id).ok());
      } else if (kind == 2) {
        LeaderRecord leader = random.RandomLeader(random.Uniform(0, RandomCatalog::kLeaders + 5));
        world.leaders[leader.id] = leader;
        ASSERT_TRUE(builder.UpsertLeader(leader).ok());
      } else if (kind == 3) {
        const Uuid id = LeaderId(random.Uniform(0, RandomCatalog::kLeaders + 5));
        world.leaders.erase(id);
        ASSERT_TRUE(builder.DeleteLeader(id).ok());
      } else if (kind == 4) {
        ScheduleRecord schedule = random.RandomSchedule(random.Uniform(0, 4100));
        world.schedules[schedule.id] = schedule;
        ASSERT_TRUE(builder.UpsertSchedule(schedule).ok());
      } else {
        const Uuid id = testing_records::ScheduleId(random.Uniform(0, 4100));
        world.schedules.erase(id);
        ASSERT_TRUE(builder.DeleteSchedule(id).ok());
      }
    }
    std::shared_ptr<const Catalog> previous = catalog;
    catalog = builder.Publish();
    ExpectFiltersMatchOracle(random, world, *catalog, seed, round);
  }
}

}  // namespace
}  // namespace otter::engine
