#include "engine/text/vocabulary.h"

#include <algorithm>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "engine/text/normalizer.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace otter::engine::text {
namespace {

std::u32string Decode(std::string_view word) {
  std::u32string out;
  for (size_t pos = 0; pos < word.size();) {
    size_t length = 0;
    out.push_back(DecodeCodePoint(word, pos, &length));
    pos += length;
  }
  return out;
}

// Optimal string alignment distance, the textbook full-matrix way.
int OsaDistance(const std::u32string& a, const std::u32string& b) {
  std::vector<std::vector<int>> d(a.size() + 1, std::vector<int>(b.size() + 1));
  for (size_t i = 0; i <= a.size(); ++i) d[i][0] = static_cast<int>(i);
  for (size_t j = 0; j <= b.size(); ++j) d[0][j] = static_cast<int>(j);
  for (size_t i = 1; i <= a.size(); ++i) {
    for (size_t j = 1; j <= b.size(); ++j) {
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1,
                          d[i - 1][j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.size()][b.size()];
}

std::string RandomWord(std::mt19937& rng) {
  static const std::vector<std::string> kLetters = {"a", "b", "c", "d", "e", "é", "ж"};
  std::string word;
  const size_t length = 1 + rng() % 10;
  for (size_t i = 0; i < length; ++i) word += kLetters[rng() % kLetters.size()];
  return word;
}

Vocabulary RandomVocabulary(std::mt19937& rng, std::vector<std::string>* words) {
  std::set<std::string> unique;
  while (unique.size() < 400) unique.insert(RandomWord(rng));
  words->assign(unique.begin(), unique.end());
  std::vector<Vocabulary::Entry> entries;
  for (size_t i = 0; i < words->size(); ++i) {
    entries.push_back({(*words)[i], static_cast<uint32_t>(i), 1, ""});
  }
  std::shuffle(entries.begin(), entries.end(), rng);
  return Vocabulary::Build(std::move(entries));
}

TEST(VocabularyTest, WordsWithinEditsEqualBruteForce) {
  const unsigned seed = std::random_device{}();
  std::mt19937 rng(seed);
  for (int round = 0; round < 20; ++round) {
    std::vector<std::string> words;
    const Vocabulary vocabulary = RandomVocabulary(rng, &words);
    for (int q = 0; q < 50; ++q) {
      const std::string query = RandomWord(rng);
      for (int k = 0; k <= 2; ++k) {
        std::vector<std::pair<std::string, int>> expected;
        for (const std::string& word : words) {
          const int distance = OsaDistance(Decode(word), Decode(query));
          if (distance <= k) expected.emplace_back(word, distance);
        }
        std::vector<std::pair<std::string, int>> actual;
        vocabulary.ForEachWithinEdits(query, k, [&](size_t i, int edits) {
          actual.emplace_back(std::string(vocabulary.word(i)), edits);
        });
        ASSERT_EQ(actual, expected) << "query " << query << " k " << k << " seed " << seed;
      }
    }
  }
}

TEST(VocabularyTest, TranspositionCostsOneEdit) {
  const Vocabulary vocabulary = Vocabulary::Build({{"snorkeling", 0, 1, ""}, {"kayak", 1, 1, ""}});
  std::vector<int> edits;
  vocabulary.ForEachWithinEdits("snorkelnig", 1, [&](size_t, int e) { edits.push_back(e); });
  EXPECT_EQ(edits, std::vector<int>{1});
}

TEST(VocabularyTest, PrefixRangeEqualsBruteForce) {
  const unsigned seed = std::random_device{}();
  std::mt19937 rng(seed);
  std::vector<std::string> words;
  const Vocabulary vocabulary = RandomVocabulary(rng, &words);
  for (int q = 0; q < 500; ++q) {
    std::string prefix = RandomWord(rng);
    prefix.resize(std::min<size_t>(prefix.size(), rng() % 4));  // May split a code point.
    std::vector<std::string> expected;
    for (const std::string& word : words) {
      if (word.compare(0, prefix.size(), prefix) == 0) expected.push_back(word);
    }
    std::vector<std::string> actual;
    const auto [first, last] = vocabulary.PrefixRange(prefix);
    for (size_t i = first; i < last; ++i) actual.emplace_back(vocabulary.word(i));
    ASSERT_EQ(actual, expected) << "prefix " << prefix << " seed " << seed;
  }
}

TEST(VocabularyTest, KeepsTermsFrequenciesAndDisplayForms) {
  const Vocabulary vocabulary =
      Vocabulary::Build({{"montreal", 7, 3, "montréal"}, {"cafe", 2, 9, "cafe"}});
  ASSERT_EQ(vocabulary.size(), 2u);
  EXPECT_EQ(vocabulary.word(0), "cafe");
  EXPECT_EQ(vocabulary.term(0), 2u);
  EXPECT_EQ(vocabulary.doc_frequency(0), 9u);
  EXPECT_EQ(vocabulary.display(0), "cafe");
  EXPECT_EQ(vocabulary.display(1), "montréal");
}

}  // namespace
}  // namespace otter::engine::text
