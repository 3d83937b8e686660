#include "engine/text/text_query.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace otter::engine::text {
namespace {

using ::testing::HasSubstr;

TEST(TextQueryTest, ParsesWordsWithStemsTypoBudgetsAndPrefixOnLastWord) {
  absl::StatusOr<TextQuery> query = ParseTextQuery("The Hiking tours in Montréal");
  ASSERT_TRUE(query.ok()) << query.status();
  ASSERT_EQ(query->words.size(), 3u);
  EXPECT_EQ(query->words[0].word, "hiking");
  EXPECT_EQ(query->words[0].stem, "hike");
  EXPECT_EQ(query->words[0].max_edits, 1);
  EXPECT_FALSE(query->words[0].prefix);
  EXPECT_EQ(query->words[1].word, "tours");
  EXPECT_EQ(query->words[1].max_edits, 1);
  EXPECT_EQ(query->words[2].word, "montreal");
  EXPECT_EQ(query->words[2].max_edits, 1);
  EXPECT_TRUE(query->words[2].prefix);
}

TEST(TextQueryTest, OptionsTurnOffPrefixAndTypos) {
  absl::StatusOr<TextQuery> query =
      ParseTextQuery("snorkeling", {.prefix_last_word = false, .typo_tolerance = false});
  ASSERT_TRUE(query.ok()) << query.status();
  EXPECT_FALSE(query->words[0].prefix);
  EXPECT_EQ(query->words[0].max_edits, 0);
}

TEST(TextQueryTest, TypoBudgetGrowsWithWordLength) {
  EXPECT_EQ(MaxEditsFor("wine"), 0);
  EXPECT_EQ(MaxEditsFor("kayak"), 1);
  EXPECT_EQ(MaxEditsFor("snorkels"), 1);
  EXPECT_EQ(MaxEditsFor("snorkeling"), 2);
  EXPECT_EQ(MaxEditsFor("montréal"), 1);  // Counted in letters, not bytes.
  EXPECT_EQ(MaxEditsFor("route66abc"), 0);
}

TEST(TextQueryTest, DuplicateWordsAreKeptOnce) {
  absl::StatusOr<TextQuery> query = ParseTextQuery("wine Wine WINE tasting");
  ASSERT_TRUE(query.ok()) << query.status();
  EXPECT_EQ(query->words.size(), 2u);
}

TEST(TextQueryTest, RejectsQueriesWithNothingToSearchNamingWhy) {
  struct Case {
    std::string text;
    const char* message;
  };
  for (const Case& c : {Case{"", "empty or only punctuation"},
                        Case{" !?,. ", "empty or only punctuation"},
                        Case{"the and of", "only stop words"},
                        Case{std::string(1025, 'a'), "1025 bytes long; the limit is 1024"}}) {
    absl::StatusOr<TextQuery> query = ParseTextQuery(c.text);
    ASSERT_FALSE(query.ok()) << c.text;
    EXPECT_EQ(query.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(query.status().message(), HasSubstr(c.message)) << c.text;
  }
}

TEST(TextQueryTest, RejectsTooManyWords) {
  std::string text;
  for (int i = 0; i < 33; ++i) {
    text += 'w';
    text += std::to_string(i);
    text += ' ';
  }
  absl::StatusOr<TextQuery> query = ParseTextQuery(text);
  ASSERT_FALSE(query.ok());
  EXPECT_EQ(query.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(query.status().message(), HasSubstr("33 words; the limit is 32"));
  text.resize(text.rfind("w32"));
  EXPECT_TRUE(ParseTextQuery(text).ok());
}

TEST(TextQueryTest, InvalidUtf8IsASeparatorNotAnError) {
  absl::StatusOr<TextQuery> query = ParseTextQuery("kayak\xff\xfesunset\xc3");
  ASSERT_TRUE(query.ok()) << query.status();
  ASSERT_EQ(query->words.size(), 2u);
  EXPECT_EQ(query->words[1].word, "sunset");
  absl::StatusOr<TextQuery> garbage = ParseTextQuery("\xff\xfe\xfd");
  EXPECT_EQ(garbage.status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace otter::engine::text
