#include "engine/catalog/civil_day.h"

#include <random>

#include "engine/catalog/records.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace otter::engine {
namespace {

using ::testing::HasSubstr;

TEST(CivilDayTest, EpochAndKnownDates) {
  EXPECT_EQ(DaysFromCivil(1970, 1, 1), 0);
  EXPECT_EQ(DaysFromCivil(1969, 12, 31), -1);
  EXPECT_EQ(DaysFromCivil(2000, 3, 1), 11017);
  EXPECT_EQ(*ParseIsoDate("2027-05-01"), DaysFromCivil(2027, 5, 1));
  EXPECT_EQ(FormatIsoDate(DaysFromCivil(2024, 2, 29)), "2024-02-29");
}

TEST(CivilDayTest, EveryDayRoundTripsAndIsOneMoreThanTheDayBefore) {
  CivilDay previous = ParseIsoDate("1899-12-31").value();
  for (CivilDay day = previous + 1; day < DaysFromCivil(2101, 1, 1); ++day) {
    const std::string text = FormatIsoDate(day);
    absl::StatusOr<CivilDay> parsed = ParseIsoDate(text);
    ASSERT_TRUE(parsed.ok()) << text;
    ASSERT_EQ(*parsed, day) << text;
    ASSERT_EQ(day, previous + 1);
    previous = day;
  }
}

TEST(CivilDayTest, RejectsInvalidDatesNamingTheField) {
  for (const char* text : {"2027-02-29", "2027-13-01", "2027-00-10", "2027-5-01", "27-05-01",
                           "2027/05/01", "", "2027-05-01x"}) {
    absl::StatusOr<CivilDay> day = ParseIsoDate(text, "filters.available.from");
    ASSERT_FALSE(day.ok()) << text;
    EXPECT_EQ(day.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(day.status().message(), HasSubstr("filters.available.from must be a date"));
  }
}

TEST(RecordsTest, ParseCentsIsExact) {
  EXPECT_EQ(*ParseCents("129.50", "price"), 12950);
  EXPECT_EQ(*ParseCents("129.5", "price"), 12950);
  EXPECT_EQ(*ParseCents("40", "price"), 4000);
  EXPECT_EQ(*ParseCents("0.07", "price"), 7);
  EXPECT_EQ(*ParseCents("-3.25", "price"), -325);
  EXPECT_EQ(*ParseCents("1.500", "price"), 150);
  EXPECT_EQ(*ParseCents("99999999.99", "price"), 9999999999);
  for (const char* text : {"", ".", "1.234", "1e3", "abc", "1.2.3", "--1"}) {
    absl::StatusOr<int64_t> cents = ParseCents(text, "tours.price");
    ASSERT_FALSE(cents.ok()) << text;
    EXPECT_EQ(cents.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(cents.status().message(), HasSubstr("tours.price must be a decimal")) << text;
  }
}

TEST(RecordsTest, EnumsParseTheirDatabaseNames) {
  EXPECT_EQ(*ParseLeaderType("expert"), LeaderType::kExpert);
  EXPECT_EQ(*ParseProficiency("native"), Proficiency::kNative);
  EXPECT_EQ(*ParseScheduleStatus("cancelled"), ScheduleStatus::kCancelled);
  EXPECT_EQ(LeaderTypeName(LeaderType::kManager), "manager");
  absl::StatusOr<ScheduleStatus> bad = ParseScheduleStatus("closed", "tour_schedules.status");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(bad.status().message(),
              HasSubstr("tour_schedules.status must be one of open, full, cancelled, completed"));
}

}  // namespace
}  // namespace otter::engine
