#include "engine/text/text_index.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "engine/text/normalizer.h"
#include "engine/text/stemmer.h"
#include "engine/text/stop_words.h"
#include "engine/text/text_index_builder.h"
#include "engine/text/tokenizer.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace otter::engine::text {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// A document as a test writes it: one string per field (empty for none).
struct TestDoc {
  uint32_t id;
  std::vector<std::string> fields;
};

TextIndex BuildIndex(const TextIndexOptions& options, const std::vector<TestDoc>& docs) {
  absl::StatusOr<TextIndexBuilder> builder = TextIndexBuilder::Create(options);
  EXPECT_TRUE(builder.ok()) << builder.status();
  for (const TestDoc& doc : docs) {
    std::vector<FieldText> values;
    for (size_t f = 0; f < doc.fields.size(); ++f) {
      values.push_back(FieldText{static_cast<uint32_t>(f), doc.fields[f]});
    }
    absl::Status status = builder->AddDocument(doc.id, values);
    EXPECT_TRUE(status.ok()) << status;
  }
  return std::move(*builder).Build();
}

TextQuery Parse(std::string_view text) {
  absl::StatusOr<TextQuery> query = ParseTextQuery(text);
  EXPECT_TRUE(query.ok()) << text << ": " << query.status();
  return query.ok() ? *query : TextQuery{};
}

std::vector<uint32_t> Ids(const TextIndex& index, std::string_view text) {
  std::vector<uint32_t> ids;
  for (const ScoredDoc& hit : index.Search(Parse(text), 100).hits) ids.push_back(hit.doc);
  std::sort(ids.begin(), ids.end());
  return ids;
}

// ---------------------------------------------------------------------------
// The reference: a brute-force scan with the formula of bm25.h written out.

int OsaDistance(std::string_view a_text, std::string_view b_text) {
  std::u32string a, b;
  for (auto [text, out] : {std::pair{a_text, &a}, std::pair{b_text, &b}}) {
    for (size_t pos = 0; pos < text.size();) {
      size_t length = 0;
      out->push_back(DecodeCodePoint(text, pos, &length));
      pos += length;
    }
  }
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

class BruteForce {
 public:
  BruteForce(const TextIndexOptions& options, const std::vector<TestDoc>& docs)
      : options_(options) {
    Stemmer stemmer;
    for (const TestDoc& doc : docs) {
      Analyzed analyzed{doc.id, {}, std::vector<double>(options.fields.size(), 0)};
      for (size_t f = 0; f < doc.fields.size(); ++f) {
        Tokenize(doc.fields[f], [&](const Token& token) {
          if (IsStopWord(token.word)) return;
          const std::string stem = stemmer.Stem(token.word);
          words_[std::string(token.word)] = stem;
          analyzed.tf[stem].resize(options.fields.size(), 0);
          ++analyzed.tf[stem][f];
          analyzed.lengths[f] += 1;
        });
      }
      docs_.push_back(std::move(analyzed));
    }
  }

  // Every matching doc with its score, by doc id.
  std::map<uint32_t, double> Search(const TextQuery& query) const {
    const double n = static_cast<double>(docs_.size());
    std::vector<double> average(options_.fields.size(), 0);
    for (const Analyzed& doc : docs_) {
      for (size_t f = 0; f < average.size(); ++f) average[f] += doc.lengths[f] / n;
    }
    std::map<uint32_t, double> result;
    for (const Analyzed& doc : docs_) {
      double total = 0;
      bool all = true;
      for (const QueryWord& word : query.words) {
        double best = -1;
        for (const auto& [stem, factor] : Factors(word)) {
          auto it = doc.tf.find(stem);
          if (it == doc.tf.end()) continue;
          double df = 0;
          for (const Analyzed& other : docs_) df += other.tf.count(stem);
          const double idf = std::log(1 + (n - df + 0.5) / (df + 0.5));
          double tf = 0;
          for (size_t f = 0; f < average.size(); ++f) {
            const double count = std::min(it->second[f], 7.0);
            if (count == 0) continue;
            tf += options_.fields[f].weight * count /
                  (1 - options_.b + options_.b * doc.lengths[f] / average[f]);
          }
          best = std::max(best, factor * idf * (options_.k1 + 1) * tf / (tf + options_.k1));
        }
        if (best < 0) {
          all = false;
          break;
        }
        total += best;
      }
      if (all) result[doc.id] = total;
    }
    return result;
  }

 private:
  struct Analyzed {
    uint32_t id;
    std::map<std::string, std::vector<double>> tf;  // By stem, per field.
    std::vector<double> lengths;
  };

  // factor(w, t) for every stem t that `word` matches.
  std::map<std::string, double> Factors(const QueryWord& word) const {
    std::map<std::string, double> factors;
    for (const auto& [indexed, stem] : words_) {
      double factor = 0;
      if (stem == word.stem) factor = 1;
      if (word.prefix && indexed.compare(0, word.word.size(), word.word) == 0) {
        factor = std::max(factor, indexed == word.word ? 1.0 : options_.prefix_factor);
      }
      if (word.max_edits > 0) {
        const int edits = OsaDistance(indexed, word.word);
        if (edits <= word.max_edits) {
          factor = std::max(factor, edits == 0   ? 1.0
                                    : edits == 1 ? options_.one_edit_factor
                                                 : options_.two_edit_factor);
        }
      }
      if (factor > 0) factors[stem] = std::max(factors[stem], factor);
    }
    return factors;
  }

  TextIndexOptions options_;
  std::vector<Analyzed> docs_;
  std::map<std::string, std::string> words_;  // Every indexed word and its stem.
};

// ---------------------------------------------------------------------------
// Randomized corpora.

const std::vector<std::string>& TravelWords() {
  static const std::vector<std::string> words = {
      "kayak", "kayaking", "Kayaks", "sunset", "sunsets", "wine", "wines", "tasting",
      "hike", "hiking", "hiked", "snorkeling", "snorkel", "Montréal", "montreal", "café",
      "CAFE", "old", "town", "street", "food", "market", "museum", "museums", "castle",
      "beach", "beaches", "mountain", "river", "cruise", "tour", "tours", "guide",
      "guided", "history", "historic", "photography", "photo", "the", "and", "with",
      "Straße", "lisbon", "porto", "vineyard", "vineyards", "sailing", "sail"};
  return words;
}

std::string RandomText(std::mt19937& rng, size_t max_words) {
  std::string text;
  const size_t count = rng() % (max_words + 1);
  for (size_t i = 0; i < count; ++i) {
    if (!text.empty()) text += rng() % 5 == 0 ? ", " : " ";
    text += TravelWords()[rng() % TravelWords().size()];
  }
  return text;
}

std::vector<TestDoc> RandomCorpus(std::mt19937& rng, size_t count) {
  std::vector<TestDoc> docs;
  uint32_t id = 0;
  for (size_t i = 0; i < count; ++i) {
    id += 1 + rng() % 3;
    docs.push_back(TestDoc{id, {RandomText(rng, 6), RandomText(rng, 3), RandomText(rng, 1),
                                RandomText(rng, 2), RandomText(rng, 20)}});
  }
  return docs;
}

// A query word: a travel word, sometimes with a typo or cut short.
std::string RandomQueryWord(std::mt19937& rng) {
  std::string word = FoldText(TravelWords()[rng() % TravelWords().size()]);
  switch (rng() % 6) {
    case 0:
      if (word.size() > 2) word.erase(rng() % word.size(), 1);  // May split "é": harmless.
      break;
    case 1:
      if (word.size() > 3) std::swap(word[1], word[2]);
      break;
    case 2:
      word[rng() % word.size()] = static_cast<char>('a' + rng() % 26);
      break;
    case 3:
      word.resize(1 + rng() % word.size());
      break;
    default:
      break;
  }
  return word;
}

void ExpectSameMatches(const std::vector<ScoredDoc>& actual,
                       const std::map<uint32_t, double>& expected, const std::string& context) {
  ASSERT_EQ(actual.size(), expected.size()) << context;
  auto it = expected.begin();
  for (const ScoredDoc& hit : actual) {
    ASSERT_EQ(hit.doc, it->first) << context;
    EXPECT_NEAR(hit.score, it->second, 1e-5 * std::max(1.0, it->second))
        << context << " doc " << hit.doc;
    ++it;
  }
}

TEST(TextIndexTest, MatchesEqualBruteForceScanOnRandomCorpora) {
  const unsigned seed = std::random_device{}();
  std::mt19937 rng(seed);
  const TextIndexOptions options = TextIndexOptions::Tours();
  for (int round = 0; round < 10; ++round) {
    const std::vector<TestDoc> docs = RandomCorpus(rng, 50 + rng() % 200);
    const TextIndex index = BuildIndex(options, docs);
    const BruteForce brute_force(options, docs);
    for (int q = 0; q < 60; ++q) {
      std::string text;
      for (size_t w = 0, n = 1 + rng() % 3; w < n; ++w) text += RandomQueryWord(rng) + " ";
      absl::StatusOr<TextQuery> query = ParseTextQuery(text, {.prefix_last_word = rng() % 4 != 0});
      if (!query.ok()) continue;  // Only stop words.
      QueryStats stats(options.fields.size(), query->words.size());
      index.CollectStats(*query, &stats);
      ExpectSameMatches(index.Match(*query, stats), brute_force.Search(*query),
                        "query \"" + text + "\" seed " + std::to_string(seed));
      const TopKResult top = index.Search(*query, 5);
      EXPECT_EQ(top.total, brute_force.Search(*query).size()) << "seed " << seed;
    }
  }
}

TEST(TextIndexTest, BaseAndDeltaWithCombinedStatsEqualOneIndexOverTheUnion) {
  const unsigned seed = std::random_device{}();
  std::mt19937 rng(seed);
  const TextIndexOptions options = TextIndexOptions::Tours();
  for (int round = 0; round < 10; ++round) {
    const std::vector<TestDoc> docs = RandomCorpus(rng, 100 + rng() % 200);
    std::vector<TestDoc> base_docs, delta_docs;
    for (const TestDoc& doc : docs) (rng() % 5 == 0 ? delta_docs : base_docs).push_back(doc);
    const TextIndex whole = BuildIndex(options, docs);
    const TextIndex base = BuildIndex(options, base_docs);
    const TextIndex delta = BuildIndex(options, delta_docs);
    for (int q = 0; q < 40; ++q) {
      std::string text;
      for (size_t w = 0, n = 1 + rng() % 3; w < n; ++w) text += RandomQueryWord(rng) + " ";
      absl::StatusOr<TextQuery> query = ParseTextQuery(text);
      if (!query.ok()) continue;
      QueryStats whole_stats(options.fields.size(), query->words.size());
      whole.CollectStats(*query, &whole_stats);
      QueryStats stats(options.fields.size(), query->words.size());
      base.CollectStats(*query, &stats);
      delta.CollectStats(*query, &stats);
      std::vector<ScoredDoc> combined = base.Match(*query, stats);
      for (const ScoredDoc& hit : delta.Match(*query, stats)) combined.push_back(hit);
      std::sort(combined.begin(), combined.end(),
                [](const ScoredDoc& a, const ScoredDoc& b) { return a.doc < b.doc; });
      std::map<uint32_t, double> expected;
      for (const ScoredDoc& hit : whole.Match(*query, whole_stats)) expected[hit.doc] = hit.score;
      ExpectSameMatches(combined, expected, "query \"" + text + "\" seed " + std::to_string(seed));
    }
  }
}

TEST(TextIndexTest, ScoreEqualsBm25FComputedByHand) {
  // Two fields, title weight 3 and body weight 1; three documents.
  TextIndexOptions options;
  options.fields = {{"title", 3.0}, {"body", 1.0}};
  const TextIndex index = BuildIndex(options, {{0, {"kayak trip", "calm river"}},
                                               {1, {"wine", "kayak kayak rental lake"}},
                                               {2, {"museum", "art"}}});
  const TopKResult top = index.Search(Parse("kayak"), 10);
  ASSERT_EQ(top.hits.size(), 2u);
  // N = 3, df = 2; average lengths: title 4/3, body 7/3.
  const double idf = std::log(1 + (3 - 2 + 0.5) / (2 + 0.5));
  const double tf0 = 3.0 * 1 / (0.25 + 0.75 * 2 / (4.0 / 3));
  const double tf1 = 1.0 * 2 / (0.25 + 0.75 * 4 / (7.0 / 3));
  const double s0 = idf * 2.2 * tf0 / (tf0 + 1.2);
  const double s1 = idf * 2.2 * tf1 / (tf1 + 1.2);
  ASSERT_GT(s0, s1);
  EXPECT_EQ(top.hits[0].doc, 0u);
  EXPECT_NEAR(top.hits[0].score, s0, 1e-6);
  EXPECT_EQ(top.hits[1].doc, 1u);
  EXPECT_NEAR(top.hits[1].score, s1, 1e-6);
}

// ---------------------------------------------------------------------------
// Behaviour on a small hand-written catalog.

class SmallCatalogTest : public ::testing::Test {
 protected:
  SmallCatalogTest()
      : index_(BuildIndex(TextIndexOptions::Tours(),
                          {{1, {"Sunset kayak tour", "water", "outdoor", "Lisbon Portugal",
                                "Paddle along the coast at sunset."}},
                           {2, {"Hiking the Alps", "mountains", "outdoor", "Chamonix France",
                                "A guided hike above the glaciers."}},
                           {3, {"Café crawl", "food", "food", "Montréal Canada",
                                "Coffee and pastries in the old town."}},
                           {4, {"Snorkeling adventure", "water", "outdoor", "Cairns Australia",
                                "Reef snorkeling with turtles."}},
                           {5, {"Wine tasting", "wine", "food", "Porto Portugal",
                                "Taste port wine in old cellars."}},
                           {6, {"Kayaking lessons", "water", "outdoor", "Lisbon Portugal",
                                "Learn to kayak in calm water."}},
                           {7, {"Montreal food walk", "food", "food", "Montreal Canada",
                                "Bagels and smoked meat."}}})) {}

  TextIndex index_;
};

TEST_F(SmallCatalogTest, StemmingFindsOtherInflections) {
  EXPECT_THAT(Ids(index_, "hike"), ElementsAre(2));
  EXPECT_THAT(Ids(index_, "hikes"), ElementsAre(2));
  EXPECT_THAT(Ids(index_, "kayaking lesson"), ElementsAre(6));
}

TEST_F(SmallCatalogTest, AccentsAndCaseAreFolded) {
  EXPECT_THAT(Ids(index_, "montreal"), ElementsAre(3, 7));
  EXPECT_THAT(Ids(index_, "MONTRÉAL"), ElementsAre(3, 7));
  EXPECT_THAT(Ids(index_, "cafe"), ElementsAre(3));
  EXPECT_THAT(Ids(index_, "Café"), ElementsAre(3));
}

TEST_F(SmallCatalogTest, TyposWithinTheBudgetMatch) {
  EXPECT_THAT(Ids(index_, "snorkling"), ElementsAre(4));
  EXPECT_THAT(Ids(index_, "snorkelnig"), ElementsAre(4));  // Transposition: one edit.
  EXPECT_THAT(Ids(index_, "sunest tour"), ElementsAre(1));
  // Four letters allow no typo; "wnie" is not "wine".
  EXPECT_THAT(Ids(index_, "wnie cellars"), ElementsAre());
}

TEST_F(SmallCatalogTest, LastWordMatchesAsPrefix) {
  EXPECT_THAT(Ids(index_, "kay"), ElementsAre(1, 6));
  EXPECT_THAT(Ids(index_, "lisbon kay"), ElementsAre(1, 6));
  // Only the last word is a prefix.
  EXPECT_THAT(Ids(index_, "kay lisbon"), ElementsAre());
  absl::StatusOr<TextQuery> no_prefix = ParseTextQuery("kay", {.prefix_last_word = false});
  ASSERT_TRUE(no_prefix.ok());
  EXPECT_EQ(index_.Search(*no_prefix, 10).total, 0u);
}

TEST_F(SmallCatalogTest, AllWordsAreRequired) {
  EXPECT_THAT(Ids(index_, "portugal"), ElementsAre(1, 5, 6));
  EXPECT_THAT(Ids(index_, "portugal wine"), ElementsAre(5));
  EXPECT_THAT(Ids(index_, "sunset wine"), ElementsAre());
  EXPECT_THAT(Ids(index_, "zanzibar"), ElementsAre());
}

TEST_F(SmallCatalogTest, SuggestRanksByDocumentFrequencyWithAccentedForm) {
  const std::vector<Suggestion> suggestions = index_.Suggest("visit Mont", 5);
  ASSERT_EQ(suggestions.size(), 1u);
  EXPECT_EQ(suggestions[0].word, "montreal");
  EXPECT_EQ(suggestions[0].doc_frequency, 2u);
  // "canada" is in two documents, the other c-words in one each.
  const std::vector<Suggestion> c = index_.Suggest("C", 2);
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(c[0].word, "canada");
  EXPECT_EQ(c[0].doc_frequency, 2u);
  EXPECT_EQ(c[1].word, "cafe");
  const std::vector<Suggestion> cafe = index_.Suggest("caf", 5);
  ASSERT_EQ(cafe.size(), 1u);
  EXPECT_EQ(cafe[0].text, "café");
  EXPECT_EQ(cafe[0].word, "cafe");
  EXPECT_TRUE(index_.Suggest("  ", 5).empty());
  EXPECT_EQ(index_.Suggest("o", 1).size(), 1u);
}

TEST_F(SmallCatalogTest, KeepPredicateExcludesDocsFromHitsAndTotal) {
  const TopKResult all = index_.Search(Parse("water"), 10);
  EXPECT_EQ(all.total, 3u);
  const TopKResult kept =
      index_.Search(Parse("water"), 1, [&all](uint32_t doc) { return doc != all.hits[0].doc; });
  EXPECT_EQ(kept.total, 2u);
  ASSERT_EQ(kept.hits.size(), 1u);
  EXPECT_EQ(kept.hits[0], all.hits[1]);
}

TEST(TextIndexTest, ExactMatchesRankAboveTyposAndPrefixes) {
  // Same shape for every document, so only the kind of match differs.
  const TextIndex index = BuildIndex(TextIndexOptions::Tours(),
                                     {{1, {"river kayal"}},        // One edit from "kayak".
                                      {2, {"river kayakmania"}},   // "kayak" is a prefix.
                                      {3, {"river kayak"}},        // Exact.
                                      {4, {"river kyaak"}}});      // Transposition.
  const TopKResult top = index.Search(Parse("kayak"), 10);
  ASSERT_EQ(top.total, 4u);
  EXPECT_EQ(top.hits[0].doc, 3u);
  EXPECT_EQ(top.hits[1].doc, 2u);  // prefix_factor 0.7 > one_edit_factor 0.5.
  EXPECT_GT(top.hits[0].score, top.hits[1].score);
  EXPECT_GT(top.hits[1].score, top.hits[2].score);
}

TEST(TextIndexTest, SelectTopKOrdersByScoreThenDocAndCountsAll) {
  const std::vector<ScoredDoc> matches = {{1, 0.5f}, {2, 2.0f}, {3, 0.5f}, {4, 1.0f}, {5, 3.0f}};
  const TopKResult top = SelectTopK(matches, 3);
  EXPECT_EQ(top.total, 5u);
  EXPECT_THAT(top.hits, ElementsAre(ScoredDoc{5, 3.0f}, ScoredDoc{2, 2.0f}, ScoredDoc{4, 1.0f}));
  const TopKResult ties = SelectTopK(matches, 10, [](uint32_t doc) { return doc % 2 == 1; });
  EXPECT_EQ(ties.total, 3u);
  EXPECT_THAT(ties.hits, ElementsAre(ScoredDoc{5, 3.0f}, ScoredDoc{1, 0.5f}, ScoredDoc{3, 0.5f}));
  EXPECT_TRUE(SelectTopK(matches, 0).hits.empty());
}

TEST(TextIndexBuilderTest, RejectsOutOfOrderIdsAndUnknownFields) {
  absl::StatusOr<TextIndexBuilder> builder = TextIndexBuilder::Create(TextIndexOptions::Leaders());
  ASSERT_TRUE(builder.ok());
  ASSERT_TRUE(builder->AddDocument(5, {{kLeaderName, "Ana"}}).ok());
  absl::Status repeated = builder->AddDocument(5, {{kLeaderName, "Bo"}});
  EXPECT_EQ(repeated.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(repeated.message(), HasSubstr("strictly increasing"));
  absl::Status field = builder->AddDocument(6, {{7, "Bo"}});
  EXPECT_EQ(field.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(field.message(), HasSubstr("field 7"));
  const TextIndex index = std::move(*builder).Build();
  EXPECT_EQ(index.doc_count(), 1u);
  EXPECT_THAT(Ids(index, "ana"), ElementsAre(5));
}

TEST(TextIndexBuilderTest, RejectsInvalidOptions) {
  TextIndexOptions none;
  EXPECT_THAT(TextIndexBuilder::Create(none).status().message(), HasSubstr("0 fields"));
  TextIndexOptions negative = TextIndexOptions::Tours();
  negative.fields[1].weight = -1;
  EXPECT_THAT(TextIndexBuilder::Create(negative).status().message(),
              HasSubstr("weight of field \"tags\""));
  TextIndexOptions b = TextIndexOptions::Tours();
  b.b = 1.5;
  EXPECT_EQ(TextIndexBuilder::Create(b).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(TextIndexTest, ConcurrentReadersGetTheSameResultsAsOneThread) {
  const unsigned seed = std::random_device{}();
  std::mt19937 rng(seed);
  const TextIndex index = BuildIndex(TextIndexOptions::Tours(), RandomCorpus(rng, 500));
  std::vector<std::string> queries;
  std::vector<TopKResult> expected;
  while (queries.size() < 50) {
    const std::string text = RandomQueryWord(rng) + " " + RandomQueryWord(rng);
    absl::StatusOr<TextQuery> query = ParseTextQuery(text);
    if (!query.ok()) continue;
    queries.push_back(text);
    expected.push_back(index.Search(*query, 10));
  }
  std::vector<int> mismatches(4, 0);
  std::vector<std::thread> threads;
  for (size_t t = 0; t < mismatches.size(); ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 20; ++round) {
        for (size_t q = 0; q < queries.size(); ++q) {
          absl::StatusOr<TextQuery> query = ParseTextQuery(queries[q]);
          const TopKResult top = index.Search(*query, 10);
          if (top.total != expected[q].total || top.hits != expected[q].hits) ++mismatches[t];
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_THAT(mismatches, ElementsAre(0, 0, 0, 0)) << "seed " << seed;
}

TEST(TextIndexTest, EmptyIndexMatchesNothing) {
  const TextIndex index = BuildIndex(TextIndexOptions::Tours(), {});
  EXPECT_EQ(index.Search(Parse("kayak"), 10).total, 0u);
  EXPECT_TRUE(index.Suggest("k", 10).empty());
}

}  // namespace
}  // namespace otter::engine::text
