// Text index over synthetic tours: query latency (p50/p99 per query), build
// time and memory. The corpus has kDocs tours (OTTER_BENCH_DOCS overrides it)
// drawn deterministically from a travel vocabulary with Zipf-like word
// frequencies: titles of 3-8 words, descriptions of 30-80 words (a quarter
// of them stop words), 2-4 tags, a category, a city and its country.
//
//   text_index_benchmark --benchmark_filter=Search

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "benchmark/benchmark.h"
#include "engine/text/text_index.h"
#include "engine/text/text_index_builder.h"
#include "engine/text/text_query.h"

namespace otter::engine::text {
namespace {

constexpr size_t kDefaultDocs = 1'000'000;
constexpr size_t kVocabularySize = 4000;

// The commonest words first; Zipf ranks follow this order.
const char* const kTravelWords[] = {
    "tour", "guided", "city", "walking", "local", "food", "experience", "historic", "old",
    "town", "street", "sunset", "wine", "tasting", "hike", "kayak", "beach", "market",
    "museum", "boat", "cruise", "mountain", "river", "private", "small", "group", "night",
    "views", "cooking", "class", "traditional", "village", "castle", "island", "lake",
    "cathedral", "garden", "bike", "ride", "photography", "adventure", "culture", "history",
    "architecture", "coffee", "chocolate", "cheese", "seafood", "tapas", "vineyard", "brewery",
    "craft", "beer", "harbor", "coast", "cliffs", "waterfall", "forest", "canyon", "desert",
    "safari", "wildlife", "birdwatching", "snorkeling", "diving", "surfing", "sailing",
    "paddleboard", "fishing", "climbing", "trekking", "glacier", "volcano", "hot", "springs",
    "spa", "yoga", "temple", "palace", "monastery", "ruins", "ancient", "medieval", "roman",
    "gothic", "baroque", "art", "gallery", "street art", "murals", "nightlife", "jazz",
    "music", "dance", "flamenco", "festival", "lantern", "sunrise", "stargazing", "picnic",
    "family", "kids", "romantic", "luxury", "budget", "hidden", "gems", "secret", "rooftop",
    "panoramic", "scenic", "train", "tram", "ferry", "canal", "gondola", "horseback", "camel",
    "jeep", "quad", "zipline", "cave", "caving", "canoe", "rafting", "whale", "dolphin",
    "olive", "oil", "truffle", "pasta", "pizza", "sushi", "ramen", "noodles", "dumplings",
    "spices", "bazaar", "souk", "tea", "ceremony", "pottery", "weaving", "workshop", "artisan",
    "fado", "tango", "opera", "theater", "bridge", "tower", "fortress", "lighthouse", "pier",
    "promenade", "boulevard", "square", "plaza", "cemetery", "crypt", "catacombs", "ghost",
    "legends", "myths", "literary", "poets", "painters", "sculpture", "design", "fashion",
    "shopping", "vintage", "antiques", "flea", "sunday", "morning", "afternoon", "evening",
    "half", "full", "multi", "expert", "historian", "sommelier", "chef", "farmer", "fisherman"};

const char* const kTags[] = {"outdoor", "water", "food", "wine", "history", "art", "nature",
                             "family", "adventure", "nightlife", "photography", "culture",
                             "romantic", "budget", "luxury", "wildlife", "walking", "cycling"};
const char* const kCategories[] = {"food", "culture", "outdoor", "water", "nightlife",
                                   "history", "wellness", "adventure", "art", "family"};
const char* const kCities[] = {
    "Lisbon Portugal", "Porto Portugal", "Paris France", "Lyon France", "Rome Italy",
    "Florence Italy", "Barcelona Spain", "Seville Spain", "Montréal Canada", "Kyoto Japan",
    "Tokyo Japan", "Marrakesh Morocco", "Istanbul Turkey", "Athens Greece", "Prague Czechia",
    "Kraków Poland", "Berlin Germany", "München Germany", "Zürich Switzerland",
    "Reykjavík Iceland", "Cusco Peru", "Mexico City Mexico", "Cape Town South Africa",
    "Hanoi Vietnam", "Bangkok Thailand", "Bali Indonesia", "Sydney Australia",
    "Queenstown New Zealand", "New York USA", "New Orleans USA"};
const char* const kStopWords[] = {"the", "and", "with", "in", "of", "a", "to", "our", "you", "for"};

// The vocabulary: real travel words, then pronounceable made-up words.
std::vector<std::string> BuildVocabulary() {
  std::vector<std::string> words(std::begin(kTravelWords), std::end(kTravelWords));
  const char* const syllables[] = {"ka", "lo", "mi", "ra", "tu", "sen", "vel", "dor", "qui",
                                   "ban", "zo", "ter", "pa", "ni", "gal", "mor", "es", "fi"};
  std::mt19937_64 rng(7);
  while (words.size() < kVocabularySize) {
    std::string word;
    for (size_t i = 0, n = 2 + rng() % 3; i < n; ++i) word += syllables[rng() % 18];
    if (std::find(words.begin(), words.end(), word) == words.end()) words.push_back(word);
  }
  return words;
}

// Samples ranks 0..n-1 with probability proportional to 1 / (rank + 1).
class Zipf {
 public:
  explicit Zipf(size_t n) : cdf_(n) {
    double sum = 0;
    for (size_t i = 0; i < n; ++i) cdf_[i] = sum += 1.0 / static_cast<double>(i + 1);
    for (double& value : cdf_) value /= sum;
  }
  size_t operator()(std::mt19937_64& rng) const {
    const double u = std::uniform_real_distribution<double>(0, 1)(rng);
    return std::min<size_t>(std::lower_bound(cdf_.begin(), cdf_.end(), u) - cdf_.begin(),
                            cdf_.size() - 1);
  }

 private:
  std::vector<double> cdf_;
};

struct Corpus {
  TextIndex index;
  std::vector<std::string> vocabulary;
  double build_seconds = 0;
  size_t docs = 0;
};

size_t DocCount() {
  const char* env = std::getenv("OTTER_BENCH_DOCS");
  return env != nullptr ? std::strtoull(env, nullptr, 10) : kDefaultDocs;
}

const Corpus& GetCorpus() {
  static const Corpus* corpus = [] {
    auto* c = new Corpus;
    c->vocabulary = BuildVocabulary();
    c->docs = DocCount();
    const Zipf words(c->vocabulary.size());
    const Zipf cities(std::size(kCities));
    std::mt19937_64 rng(42);
    absl::StatusOr<TextIndexBuilder> builder = TextIndexBuilder::Create(TextIndexOptions::Tours());
    if (!builder.ok()) std::abort();
    const auto start = std::chrono::steady_clock::now();
    std::string title, tags, description;
    for (size_t doc = 0; doc < c->docs; ++doc) {
      title.clear();
      tags.clear();
      description.clear();
      for (size_t i = 0, n = 3 + rng() % 6; i < n; ++i) {
        (title += c->vocabulary[words(rng)]) += ' ';
      }
      for (size_t i = 0, n = 2 + rng() % 3; i < n; ++i) (tags += kTags[rng() % 18]) += ' ';
      for (size_t i = 0, n = 30 + rng() % 51; i < n; ++i) {
        (description += rng() % 4 == 0 ? kStopWords[rng() % 10]
                                       : c->vocabulary[words(rng)].c_str()) += ' ';
      }
      const FieldText values[] = {{kTourTitle, title},
                                  {kTourTags, tags},
                                  {kTourCategory, kCategories[rng() % 10]},
                                  {kTourLocation, kCities[cities(rng)]},
                                  {kTourDescription, description}};
      if (!builder->AddDocument(static_cast<uint32_t>(doc), values).ok()) std::abort();
    }
    c->index = std::move(*builder).Build();
    c->build_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return c;
  }();
  return *corpus;
}

// Runs `queries` round-robin, one per iteration, and reports latency
// percentiles and the average number of matches.
void RunQueries(benchmark::State& state, const std::vector<std::string>& queries) {
  const Corpus& corpus = GetCorpus();
  std::vector<double> micros;
  micros.reserve(1 << 16);
  uint64_t matches = 0;
  size_t next = 0;
  for (auto _ : state) {
    const auto start = std::chrono::steady_clock::now();
    absl::StatusOr<TextQuery> query = ParseTextQuery(queries[next]);
    TopKResult top = corpus.index.Search(*query, 20);
    benchmark::DoNotOptimize(top);
    micros.push_back(
        std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start)
            .count());
    matches += top.total;
    next = (next + 1) % queries.size();
  }
  std::sort(micros.begin(), micros.end());
  auto percentile = [&micros](double p) {
    return micros.empty() ? 0.0 : micros[static_cast<size_t>(p * (micros.size() - 1))];
  };
  state.counters["p50_us"] = percentile(0.50);
  state.counters["p99_us"] = percentile(0.99);
  state.counters["max_us"] = micros.empty() ? 0.0 : micros.back();
  state.counters["avg_total"] =
      micros.empty() ? 0.0 : static_cast<double>(matches) / static_cast<double>(micros.size());
}

void BM_TextIndex_Build(benchmark::State& state) {
  const Corpus& corpus = GetCorpus();
  for (auto _ : state) benchmark::DoNotOptimize(corpus.index.doc_count());
  state.counters["docs"] = static_cast<double>(corpus.index.doc_count());
  state.counters["build_s"] = corpus.build_seconds;
  state.counters["memory_MB"] = static_cast<double>(corpus.index.MemoryBytes()) / (1 << 20);
  state.counters["terms"] = static_cast<double>(corpus.index.term_count());
  state.counters["words"] = static_cast<double>(corpus.index.word_count());
}
BENCHMARK(BM_TextIndex_Build)->Iterations(1);

void BM_TextIndex_SearchCommonWord(benchmark::State& state) {
  RunQueries(state, {"tour", "guided", "city", "walking", "local", "food", "experience"});
}
BENCHMARK(BM_TextIndex_SearchCommonWord);

void BM_TextIndex_SearchCommonWords(benchmark::State& state) {
  RunQueries(state, {"guided tour", "old town walking", "street food", "wine tasting",
                     "sunset kayak", "local food market", "historic city"});
}
BENCHMARK(BM_TextIndex_SearchCommonWords);

void BM_TextIndex_SearchRareWords(benchmark::State& state) {
  const std::vector<std::string>& vocabulary = GetCorpus().vocabulary;
  std::vector<std::string> queries;
  for (size_t i = 0; i < 20; ++i) queries.push_back(vocabulary[3000 + 37 * i]);
  for (size_t i = 0; i < 20; ++i) {
    queries.push_back(vocabulary[1000 + 53 * i] + " " + vocabulary[2000 + 41 * i]);
  }
  RunQueries(state, queries);
}
BENCHMARK(BM_TextIndex_SearchRareWords);

void BM_TextIndex_SearchTypo(benchmark::State& state) {
  RunQueries(state, {"snorkling", "sunest kayak", "musem", "vinyard tour", "cathedarl",
                     "photograpy", "architecure", "wildlfe safari"});
}
BENCHMARK(BM_TextIndex_SearchTypo);

void BM_TextIndex_SearchPrefix(benchmark::State& state) {
  RunQueries(state, {"kay", "sunset kay", "wine tas", "snork", "old town wal", "mus",
                     "cath", "street fo"});
}
BENCHMARK(BM_TextIndex_SearchPrefix);

void BM_TextIndex_Suggest(benchmark::State& state) {
  const Corpus& corpus = GetCorpus();
  const std::vector<std::string> prefixes = {"k", "su", "win", "mon", "cat", "ka", "te"};
  size_t next = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(corpus.index.Suggest(prefixes[next], 10));
    next = (next + 1) % prefixes.size();
  }
}
BENCHMARK(BM_TextIndex_Suggest);

}  // namespace
}  // namespace otter::engine::text

BENCHMARK_MAIN();
