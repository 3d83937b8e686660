#include "engine/text/tokenizer.h"

#include <random>
#include <string>
#include <vector>

#include "engine/text/normalizer.h"
#include "engine/text/stemmer.h"
#include "engine/text/stop_words.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include <utf8proc.h>

namespace otter::engine::text {
namespace {

using ::testing::ElementsAre;

std::vector<std::string> Words(std::string_view text) {
  std::vector<std::string> words;
  Tokenize(text, [&words](const Token& token) { words.emplace_back(token.word); });
  return words;
}

TEST(TokenizerTest, FoldsCaseAndAccents) {
  EXPECT_THAT(Words("Café CAFE café CAFÉ"), ElementsAre("cafe", "cafe", "cafe", "cafe"));
  EXPECT_THAT(Words("Montréal São Paulo Kraków"),
              ElementsAre("montreal", "sao", "paulo", "krakow"));
  // Decomposed input (e + combining acute) folds like the precomposed one.
  EXPECT_THAT(Words("Montre\u0301al"), ElementsAre("montreal"));
}

TEST(TokenizerTest, FoldsSharpSLigaturesAndFullWidthLetters) {
  EXPECT_THAT(Words("Straße STRASSE"), ElementsAre("strasse", "strasse"));
  EXPECT_THAT(Words("\uFB01ne \uFF27\uFF49\uFF4E"), ElementsAre("fine", "gin"));
  EXPECT_THAT(Words("Ελλάδα МОСКВА"), ElementsAre("ελλαδα", "москва"));
}

TEST(TokenizerTest, SplitsOnPunctuationAndKeepsDigits) {
  EXPECT_THAT(Words("Old-town, 2-day tour!  (street_food)"),
              ElementsAre("old", "town", "2", "day", "tour", "street", "food"));
  EXPECT_THAT(Words(""), ElementsAre());
  EXPECT_THAT(Words(" ,.;- "), ElementsAre());
}

TEST(TokenizerTest, DropsApostrophesInsideWordsOnly) {
  EXPECT_THAT(Words("guide's O\u2019Brien 'quoted' rock'n'roll"),
              ElementsAre("guides", "obrien", "quoted", "rocknroll"));
}

TEST(TokenizerTest, SoftHyphenAndZeroWidthJoinerDoNotSplitWords) {
  EXPECT_THAT(Words("snor\u00ADkeling"), ElementsAre("snorkeling"));
}

TEST(TokenizerTest, ReportsRawBytesAndWhetherTheyWereAscii) {
  std::vector<Token> tokens;
  std::vector<std::string> raws;
  Tokenize("Visit Montréal", [&](const Token& token) {
    tokens.push_back(token);
    raws.emplace_back(token.raw);
  });
  ASSERT_EQ(tokens.size(), 2u);
  EXPECT_THAT(raws, ElementsAre("Visit", "Montréal"));
  EXPECT_TRUE(tokens[0].ascii);
  EXPECT_FALSE(tokens[1].ascii);
}

TEST(TokenizerTest, InvalidUtf8SeparatesWordsWithoutCrashing) {
  EXPECT_THAT(Words("ab\xff" "cd"), ElementsAre("ab", "cd"));
  EXPECT_THAT(Words("caf\xc3"), ElementsAre("caf"));           // Truncated sequence.
  EXPECT_THAT(Words("\xed\xa0\x80x"), ElementsAre("x"));       // Surrogate.
  EXPECT_THAT(Words("\xc0\xafkayak"), ElementsAre("kayak"));    // Overlong '/'.
}

TEST(TokenizerTest, TruncatesLongWordsAtACodePointBoundary) {
  EXPECT_THAT(Words(std::string(100, 'a') + " b"), ElementsAre(std::string(kMaxWordBytes, 'a'), "b"));
  std::string ae;
  for (int i = 0; i < 100; ++i) ae += "é";
  const std::vector<std::string> accented = Words("x" + ae);
  ASSERT_EQ(accented.size(), 1u);
  EXPECT_LE(accented[0].size(), kMaxWordBytes);
  EXPECT_EQ(accented[0], "x" + std::string(kMaxWordBytes - 1, 'e'));
}

TEST(TokenizerTest, RandomBytesGiveValidBoundedWords) {
  const unsigned seed = std::random_device{}();
  std::mt19937 rng(seed);
  for (int round = 0; round < 2000; ++round) {
    std::string text(rng() % 200, '\0');
    for (char& c : text) c = static_cast<char>(rng() % 4 == 0 ? 'a' + rng() % 26 : rng());
    Tokenize(text, [&](const Token& token) {
      ASSERT_FALSE(token.word.empty()) << "seed " << seed;
      ASSERT_LE(token.word.size(), kMaxWordBytes) << "seed " << seed;
      utf8proc_int32_t cp = 0;
      for (size_t pos = 0; pos < token.word.size();) {
        const auto n = utf8proc_iterate(
            reinterpret_cast<const utf8proc_uint8_t*>(token.word.data() + pos),
            static_cast<utf8proc_ssize_t>(token.word.size() - pos), &cp);
        ASSERT_GT(n, 0) << "invalid UTF-8 in a word; seed " << seed;
        pos += static_cast<size_t>(n);
      }
    });
  }
}

TEST(NormalizerTest, DisplayFormKeepsAccentsInLowercase) {
  EXPECT_EQ(DisplayForm("MONTRÉAL"), "montréal");
  EXPECT_EQ(DisplayForm("Café"), "café");
  EXPECT_EQ(FoldText("Café Straße"), "cafe strasse");
}

TEST(StopWordsTest, CommonFunctionWordsAreStopWordsTravelWordsAreNot) {
  for (const char* word : {"the", "a", "and", "with", "in", "of", "you", "dont"}) {
    EXPECT_TRUE(IsStopWord(word)) << word;
  }
  for (const char* word : {"kayak", "up", "down", "off", "no", "not", "tour", "after"}) {
    EXPECT_FALSE(IsStopWord(word)) << word;
  }
}

TEST(StemmerTest, StemsEnglishInflectionsToOneTerm) {
  Stemmer stemmer;
  EXPECT_EQ(stemmer.Stem("hiking"), stemmer.Stem("hike"));
  EXPECT_EQ(stemmer.Stem("hikes"), stemmer.Stem("hike"));
  EXPECT_EQ(stemmer.Stem("kayaking"), "kayak");
  EXPECT_EQ(stemmer.Stem("tastings"), stemmer.Stem("tasting"));
  EXPECT_EQ(stemmer.Stem(""), "");
  EXPECT_EQ(stemmer.Stem("2024"), "2024");
}

}  // namespace
}  // namespace otter::engine::text
