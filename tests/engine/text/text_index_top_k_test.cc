// TextIndex::TopK against its oracle, the exhaustive path SelectTopK(Match):
// the same hits in the same order with bit-equal scores, and the same total,
// on randomized corpora and queries (exact, typo, prefix, several words),
// with and without a keep predicate or a bitmap of allowed ids, over one
// index and over a base and a delta with combined statistics, with first
// thresholds from far too high to none.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "engine/text/text_index.h"
#include "engine/text/text_index_builder.h"
#include "engine/text/text_query.h"
#include "gtest/gtest.h"

namespace otter::engine::text {
namespace {

// Words with skewed frequencies: the first ones land in most documents and
// get bitmaps, the later ones are rare; some stem alike, some are a typo or
// a prefix away from each other.
const std::vector<std::string>& Words() {
  static const std::vector<std::string> words = {
      "tour",      "tours",     "guided",   "city",      "walking",   "walk",     "food",
      "wine",      "wines",     "tasting",  "sunset",    "kayak",     "kayaking", "beach",
      "market",    "museum",    "museums",  "castle",    "river",     "cruise",   "old",
      "town",      "street",    "hike",     "hiking",    "snorkeling", "snorkel", "café",
      "montréal",  "vineyard",  "vineyards", "sailing",  "photo",     "photography", "history",
      "historic",  "lantern",   "glacier",  "volcano",   "temple",    "palace",   "canyon",
      "the",       "and",       "with"};
  return words;
}

// A word drawn with probability falling like 1 / rank^1.2.
std::string ZipfWord(std::mt19937& rng) {
  static const std::vector<double> cdf = [] {
    std::vector<double> values;
    double sum = 0;
    for (size_t i = 0; i < Words().size(); ++i) {
      values.push_back(sum += 1.0 / std::pow(static_cast<double>(i + 1), 1.2));
    }
    for (double& value : values) value /= sum;
    return values;
  }();
  const double u = std::uniform_real_distribution<double>(0, 1)(rng);
  const size_t i = std::lower_bound(cdf.begin(), cdf.end(), u) - cdf.begin();
  return Words()[std::min(i, Words().size() - 1)];
}

std::string RandomText(std::mt19937& rng, size_t max_words) {
  std::string text;
  for (size_t i = 0, n = rng() % (max_words + 1); i < n; ++i) text += ZipfWord(rng) + " ";
  return text;
}

// Ids from first_id + 1 with random gaps, or with `dense_ids` exactly 0 to
// doc_count - 1 (ordinals, where bitmaps of allowed ids join the counting).
// Descriptions have up to `description_words` words.
TextIndex RandomIndex(std::mt19937& rng, size_t doc_count, uint32_t first_id,
                      bool dense_ids = false, size_t description_words = 25) {
  absl::StatusOr<TextIndexBuilder> builder = TextIndexBuilder::Create(TextIndexOptions::Tours());
  EXPECT_TRUE(builder.ok()) << builder.status();
  uint32_t id = first_id;
  for (size_t d = 0; d < doc_count; ++d) {
    id = dense_ids ? static_cast<uint32_t>(d) : id + 1 + static_cast<uint32_t>(rng() % 3);
    // Short fields and repeated documents make many exactly equal scores.
    const std::string title = rng() % 8 == 0 ? "sunset kayak" : RandomText(rng, 5);
    const std::string tags = RandomText(rng, 2), category = RandomText(rng, 1);
    const std::string location = RandomText(rng, 2);
    const std::string description = RandomText(rng, description_words);
    const FieldText values[] = {{kTourTitle, title},
                                {kTourTags, tags},
                                {kTourCategory, category},
                                {kTourLocation, location},
                                {kTourDescription, description}};
    EXPECT_TRUE(builder->AddDocument(id, values).ok());
  }
  return std::move(*builder).Build();
}

// A query of 1 to 3 words, each a word of the corpus, sometimes with a typo
// or cut short.
std::string RandomQueryText(std::mt19937& rng) {
  std::string text;
  for (size_t w = 0, n = 1 + rng() % 3; w < n; ++w) {
    std::string word = ZipfWord(rng);
    switch (rng() % 5) {
      case 0:
        if (word.size() > 4) word.erase(1 + rng() % (word.size() - 2), 1);
        break;
      case 1:
        if (word.size() > 4) std::swap(word[1], word[2]);
        break;
      case 2:
        word.resize(1 + rng() % word.size());
        break;
      default:
        break;
    }
    text += word + " ";
  }
  return text;
}

// Random options: a first threshold expected to let through from far too
// few matches (more rounds) to all of them.
TopKOptions RandomOptions(std::mt19937& rng) {
  const double candidates[] = {0.01, 1, 4, 50, 1e9};
  return TopKOptions{.first_round_candidates = candidates[rng() % 5]};
}

std::string Describe(const TopKOptions& options) {
  return " first round " + std::to_string(options.first_round_candidates);
}

// A bitmap of the ids below `id_limit` that `keep` keeps (a few words
// shorter at random, which keeps none of the ids past its end).
std::vector<uint64_t> AllowedBitmap(std::mt19937& rng, uint32_t id_limit,
                                    const std::function<bool(uint32_t)>& keep) {
  std::vector<uint64_t> bits(id_limit / 64 + 1, 0);
  for (uint32_t doc = 0; doc < id_limit; ++doc) {
    if (keep(doc)) bits[doc / 64] |= uint64_t{1} << (doc % 64);
  }
  if (rng() % 4 == 0) bits.resize(bits.size() - std::min<size_t>(bits.size(), 1 + rng() % 8));
  return bits;
}

bool Allowed(const std::vector<uint64_t>& bits, uint32_t doc) {
  return doc / 64 < bits.size() && (bits[doc / 64] >> (doc % 64) & 1) != 0;
}

void ExpectSameTopK(const TopKResult& actual, const TopKResult& expected,
                    const std::string& context) {
  EXPECT_EQ(actual.total, expected.total) << context;
  ASSERT_EQ(actual.hits.size(), expected.hits.size()) << context;
  for (size_t i = 0; i < actual.hits.size(); ++i) {
    EXPECT_EQ(actual.hits[i].doc, expected.hits[i].doc) << context << " rank " << i;
    EXPECT_EQ(actual.hits[i].score, expected.hits[i].score) << context << " rank " << i;
  }
}

TEST(TextIndexTopKTest, EqualsExhaustivePathOnRandomCorporaAndQueries) {
  const unsigned seed = std::random_device{}();
  std::mt19937 rng(seed);
  for (int round = 0; round < 12; ++round) {
    const TextIndex index = RandomIndex(rng, 200 + rng() % 3000, 0, round % 2 == 1);
    for (int q = 0; q < 80; ++q) {
      const std::string text = RandomQueryText(rng);
      absl::StatusOr<TextQuery> query = ParseTextQuery(
          text, {.prefix_last_word = rng() % 3 != 0, .typo_tolerance = rng() % 4 != 0});
      if (!query.ok()) continue;  // Only stop words.
      QueryStats stats(index.options().fields.size(), query->words.size());
      index.CollectStats(*query, &stats);
      const std::vector<ScoredDoc> matches = index.Match(*query, stats);
      const size_t k = std::vector<size_t>{0, 1, 3, 20, 100}[rng() % 5];
      const TopKOptions options = RandomOptions(rng);
      const std::string context = "query \"" + text + "\" k " + std::to_string(k) +
                                  Describe(options) + " seed " + std::to_string(seed);
      ExpectSameTopK(index.TopK(*query, stats, k, options), SelectTopK(matches, k), context);
      // A filter keeping a pseudo-random part of the documents (most of them
      // or few), as a predicate and as a bitmap.
      const uint32_t modulus = 2 + rng() % 20;
      const bool most = rng() % 2 == 0;
      auto keep = [modulus, most](uint32_t doc) {
        return ((doc * 2654435761u) % modulus == 0) != most;
      };
      const std::string filter = " keep " + std::string(most ? "all but " : "") + "1/" +
                                 std::to_string(modulus);
      ExpectSameTopK(index.TopK(*query, stats, k, keep, options), SelectTopK(matches, k, keep),
                     context + filter);
      const std::vector<uint64_t> bits = AllowedBitmap(rng, 10'000, keep);
      auto allowed = [&bits](uint32_t doc) { return Allowed(bits, doc); };
      ExpectSameTopK(index.TopK(*query, stats, k, bits, options), SelectTopK(matches, k, allowed),
                     context + filter + " as a bitmap of " + std::to_string(bits.size()));
      ExpectSameTopK(index.Search(*query, k), SelectTopK(matches, k), context + " Search");
    }
  }
}

TEST(TextIndexTopKTest, EqualsExhaustivePathWithStatisticsOfSeveralIndexes) {
  // Statistics combined over a base and a delta: the impacts computed with
  // the base's own statistics hold only once rescaled by how much the
  // average field lengths grew.
  const unsigned seed = std::random_device{}();
  std::mt19937 rng(seed);
  for (int round = 0; round < 6; ++round) {
    const TextIndex base = RandomIndex(rng, 500 + rng() % 2000, 0);
    const TextIndex delta = RandomIndex(rng, 50 + rng() % 300, 1'000'000);
    for (int q = 0; q < 60; ++q) {
      const std::string text = RandomQueryText(rng);
      absl::StatusOr<TextQuery> query = ParseTextQuery(text);
      if (!query.ok()) continue;
      QueryStats stats(base.options().fields.size(), query->words.size());
      base.CollectStats(*query, &stats);
      delta.CollectStats(*query, &stats);
      const size_t k = 1 + rng() % 30;
      const TopKOptions options = RandomOptions(rng);
      const std::string context =
          "query \"" + text + "\"" + Describe(options) + " seed " + std::to_string(seed);
      const std::vector<ScoredDoc> base_matches = base.Match(*query, stats);
      const std::vector<ScoredDoc> delta_matches = delta.Match(*query, stats);
      ExpectSameTopK(base.TopK(*query, stats, k, options), SelectTopK(base_matches, k),
                     context + " base");
      ExpectSameTopK(delta.TopK(*query, stats, k, options), SelectTopK(delta_matches, k),
                     context + " delta");
      auto keep = [](uint32_t doc) { return doc % 3 != 1; };
      ExpectSameTopK(base.TopK(*query, stats, k, keep, options),
                     SelectTopK(base_matches, k, keep), context + " base keep");
      const std::vector<uint64_t> bits = AllowedBitmap(rng, 1'010'000, keep);
      auto allowed = [&bits](uint32_t doc) { return Allowed(bits, doc); };
      ExpectSameTopK(delta.TopK(*query, stats, k, bits, options),
                     SelectTopK(delta_matches, k, allowed), context + " delta bitmap");
    }
  }
}

TEST(TextIndexTopKTest, EqualsExhaustivePathWhenOtherStatisticsStretchTheBounds) {
  // A delta of far longer descriptions grows the average description length
  // several times, so the base's impacts need a large rescaling; statistics
  // without any length in a field the index has words in leave no bound
  // below 1.
  const unsigned seed = std::random_device{}();
  std::mt19937 rng(seed);
  for (int round = 0; round < 4; ++round) {
    const TextIndex base = RandomIndex(rng, 400 + rng() % 1500, 0, round % 2 == 0, 6);
    const TextIndex delta = RandomIndex(rng, 300 + rng() % 300, 1'000'000, false, 400);
    for (int q = 0; q < 40; ++q) {
      const std::string text = RandomQueryText(rng);
      absl::StatusOr<TextQuery> query = ParseTextQuery(text);
      if (!query.ok()) continue;
      QueryStats stats(base.options().fields.size(), query->words.size());
      base.CollectStats(*query, &stats);
      delta.CollectStats(*query, &stats);
      QueryStats no_lengths = stats;
      no_lengths.field_length_sums[kTourDescription] = 0;
      const size_t k = 1 + rng() % 30;
      const TopKOptions options = RandomOptions(rng);
      const std::string context =
          "query \"" + text + "\"" + Describe(options) + " seed " + std::to_string(seed);
      ExpectSameTopK(base.TopK(*query, stats, k, options),
                     SelectTopK(base.Match(*query, stats), k), context + " grown");
      ExpectSameTopK(base.TopK(*query, no_lengths, k, options),
                     SelectTopK(base.Match(*query, no_lengths), k), context + " no lengths");
    }
  }
}

TEST(TextIndexTopKTest, EqualScoresOfSeveralWordsGoToTheLowestKeptDocIds) {
  // Many documents alike in a few groups: the k best are the lowest kept ids
  // of the best groups, whatever rounds the thresholds take.
  const unsigned seed = std::random_device{}();
  std::mt19937 rng(seed);
  absl::StatusOr<TextIndexBuilder> builder = TextIndexBuilder::Create(TextIndexOptions::Tours());
  ASSERT_TRUE(builder.ok());
  const char* const titles[] = {"sunset kayak", "sunset kayak tour", "kayak", "sunset"};
  for (uint32_t doc = 0; doc < 6000; ++doc) {
    const FieldText values[] = {{kTourTitle, titles[rng() % 4]},
                                {kTourDescription, rng() % 3 == 0 ? "calm river kayak" : "calm river"}};
    ASSERT_TRUE(builder->AddDocument(doc, values).ok());
  }
  const TextIndex index = std::move(*builder).Build();
  for (const char* text : {"sunset kayak", "kayak", "kayak sun"}) {
    absl::StatusOr<TextQuery> query = ParseTextQuery(text);
    ASSERT_TRUE(query.ok());
    QueryStats stats(index.options().fields.size(), query->words.size());
    index.CollectStats(*query, &stats);
    const std::vector<ScoredDoc> matches = index.Match(*query, stats);
    for (int trial = 0; trial < 20; ++trial) {
      const size_t k = std::vector<size_t>{1, 10, 100, 5000}[rng() % 4];
      const TopKOptions options = RandomOptions(rng);
      const uint32_t modulus = 2 + rng() % 5;
      auto keep = [modulus](uint32_t doc) { return doc % modulus != 0; };
      const std::string context = std::string("query \"") + text + "\" k " +
                                  std::to_string(k) + Describe(options) + " keep all but 1/" +
                                  std::to_string(modulus) + " seed " + std::to_string(seed);
      ExpectSameTopK(index.TopK(*query, stats, k, options), SelectTopK(matches, k), context);
      ExpectSameTopK(index.TopK(*query, stats, k, keep, options), SelectTopK(matches, k, keep),
                     context + " predicate");
      const std::vector<uint64_t> bits = AllowedBitmap(rng, 6000, keep);
      auto allowed = [&bits](uint32_t doc) { return Allowed(bits, doc); };
      ExpectSameTopK(index.TopK(*query, stats, k, bits, options),
                     SelectTopK(matches, k, allowed), context + " bitmap");
    }
  }
}

TEST(TextIndexTopKTest, EqualScoresGoToTheLowestDocIds) {
  // Identical documents score alike: the top k must be the k lowest ids,
  // whichever windows are ranked first.
  absl::StatusOr<TextIndexBuilder> builder = TextIndexBuilder::Create(TextIndexOptions::Tours());
  ASSERT_TRUE(builder.ok());
  for (uint32_t doc = 0; doc < 5000; ++doc) {
    // Every 7th document is better (a shorter title), all of those alike.
    const std::string title = doc % 7 == 3 ? "kayak" : "kayak sunset tour";
    const FieldText values[] = {{kTourTitle, title}, {kTourDescription, "calm river"}};
    ASSERT_TRUE(builder->AddDocument(doc, values).ok());
  }
  const TextIndex index = std::move(*builder).Build();
  absl::StatusOr<TextQuery> query = ParseTextQuery("kayak");
  ASSERT_TRUE(query.ok());
  QueryStats stats(index.options().fields.size(), 1);
  index.CollectStats(*query, &stats);
  const TopKResult top = index.TopK(*query, stats, 10, TopKOptions{.first_round_candidates = 1});
  EXPECT_EQ(top.total, 5000u);
  ASSERT_EQ(top.hits.size(), 10u);
  for (size_t i = 0; i < 10; ++i) EXPECT_EQ(top.hits[i].doc, 3 + 7 * i);
  ExpectSameTopK(top, SelectTopK(index.Match(*query, stats), 10), "kayak");
}

TEST(TextIndexTopKTest, TotalCountsOnlyKeptDocumentsAndZeroKOnlyCounts) {
  const unsigned seed = std::random_device{}();
  std::mt19937 rng(seed);
  const TextIndex index = RandomIndex(rng, 3000, 0);
  absl::StatusOr<TextQuery> query = ParseTextQuery("tour city");
  ASSERT_TRUE(query.ok());
  QueryStats stats(index.options().fields.size(), query->words.size());
  index.CollectStats(*query, &stats);
  const std::vector<ScoredDoc> matches = index.Match(*query, stats);
  const TopKResult none = index.TopK(*query, stats, 0);
  EXPECT_EQ(none.total, matches.size()) << "seed " << seed;
  EXPECT_TRUE(none.hits.empty());
  const TopKResult nothing_kept = index.TopK(*query, stats, 10, [](uint32_t) { return false; });
  EXPECT_EQ(nothing_kept.total, 0u);
  EXPECT_TRUE(nothing_kept.hits.empty());
  // An empty bitmap allows no id (not every id).
  const TopKResult nothing_allowed = index.TopK(*query, stats, 10, std::span<const uint64_t>());
  EXPECT_EQ(nothing_allowed.total, 0u);
  EXPECT_TRUE(nothing_allowed.hits.empty());
}

}  // namespace
}  // namespace otter::engine::text
