// Text index over synthetic tours: query latency (p50/p99 per query, wall
// clock and thread CPU time), build time and memory. The corpus has kDocs
// tours (OTTER_BENCH_DOCS overrides it), drawn deterministically:
//   - descriptions of 30-80 words (a quarter of them stop words) from a
//     vocabulary of kVocabularySize words (real travel words first, then
//     made-up ones) with Zipf-Mandelbrot frequencies 1 / (rank + 15): the
//     commonest content words land in 20-30% of descriptions, as in real
//     travel text once stop words are gone;
//   - titles of 3-8 words from the narrower travel vocabulary alone (Zipf,
//     1 / (rank + 2)), 2-4 tags, a category, a city and its country.
// OTTER_BENCH_CORPUS=legacy selects the first corpus of this benchmark
// instead (4,000 words, Zipf 1 / rank in every field: the top words are in
// 77% of the documents), kept to compare with earlier figures.
//
// Each query set runs twice: TopK (what Search does) and Exhaustive (Match
// then SelectTopK, the path before TopK, still what facets need); filtered
// sets also run with the filter as a bitmap of allowed ids (TopKBitmap).
//
//   text_index_benchmark --benchmark_filter=Search

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "benchmark/benchmark.h"
#include "engine/text/text_index.h"
#include "engine/text/text_index_builder.h"
#include "engine/text/text_query.h"

namespace otter::engine::text {
namespace {

constexpr size_t kDefaultDocs = 1'000'000;
constexpr size_t kVocabularySize = 30'000;
constexpr size_t kLegacyVocabularySize = 4000;

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
// Made-up words have 2 to max_syllables syllables.
std::vector<std::string> BuildVocabulary(size_t size, size_t max_syllables) {
  std::vector<std::string> words(std::begin(kTravelWords), std::end(kTravelWords));
  const char* const syllables[] = {"ka", "lo", "mi", "ra", "tu", "sen", "vel", "dor", "qui",
                                   "ban", "zo", "ter", "pa", "ni", "gal", "mor", "es", "fi"};
  std::mt19937_64 rng(7);
  absl::flat_hash_set<std::string> seen(words.begin(), words.end());
  while (words.size() < size) {
    std::string word;
    for (size_t i = 0, n = 2 + rng() % (max_syllables - 1); i < n; ++i) {
      word += syllables[rng() % 18];
    }
    if (seen.insert(word).second) words.push_back(word);
  }
  return words;
}

// Samples ranks 0..n-1 with probability proportional to 1 / (rank + 1 +
// shift) (Zipf-Mandelbrot with s = 1).
class Zipf {
 public:
  explicit Zipf(size_t n, double shift = 0) : cdf_(n) {
    double sum = 0;
    for (size_t i = 0; i < n; ++i) cdf_[i] = sum += 1.0 / (static_cast<double>(i + 1) + shift);
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
  bool legacy = false;
};

size_t DocCount() {
  const char* env = std::getenv("OTTER_BENCH_DOCS");
  return env != nullptr ? std::strtoull(env, nullptr, 10) : kDefaultDocs;
}

bool LegacyCorpus() {
  const char* env = std::getenv("OTTER_BENCH_CORPUS");
  return env != nullptr && std::string_view(env) == "legacy";
}

const Corpus& GetCorpus() {
  static const Corpus* corpus = [] {
    auto* c = new Corpus;
    c->legacy = LegacyCorpus();
    // 5 syllables give 18^5 words, enough for a vocabulary of 30,000.
    c->vocabulary = c->legacy ? BuildVocabulary(kLegacyVocabularySize, 4)
                              : BuildVocabulary(kVocabularySize, 5);
    c->docs = DocCount();
    const Zipf words(c->vocabulary.size(), c->legacy ? 0 : 15);
    const Zipf title_words(c->legacy ? c->vocabulary.size() : std::size(kTravelWords),
                           c->legacy ? 0 : 2);
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
        (title += c->vocabulary[title_words(rng)]) += ' ';
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

// How a query is answered.
enum class Path {
  kTopK,        // TextIndex::Search (CollectStats, TopK).
  kTopKBitmap,  // CollectStats, TopK with the filter as a bitmap of ids.
  kExhaustive,  // CollectStats, Match, SelectTopK: scores every match.
};

// A filter as the engine passes one (deleted tours, filters): keeps 90%.
bool KeepNineInTen(uint32_t doc) { return doc % 10 != 7; }

// KeepNineInTen as a bitmap of the corpus's ids.
const std::vector<uint64_t>& NineInTenBitmap() {
  static const std::vector<uint64_t> bits = [] {
    std::vector<uint64_t> words((GetCorpus().docs + 63) / 64, 0);
    for (uint32_t doc = 0; doc < GetCorpus().docs; ++doc) {
      if (KeepNineInTen(doc)) words[doc / 64] |= uint64_t{1} << (doc % 64);
    }
    return words;
  }();
  return bits;
}

double ThreadCpuMicros() {
  timespec now{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) * 1e6 + static_cast<double>(now.tv_nsec) / 1e3;
}

// Runs `queries` round-robin, one per iteration, top 20, and reports
// latency percentiles (wall clock and thread CPU time) and the average total.
void RunQueries(benchmark::State& state, Path path, bool filtered,
                const std::vector<std::string>& queries) {
  const Corpus& corpus = GetCorpus();
  const TextIndex& index = corpus.index;
  const std::vector<uint64_t>& allowed = NineInTenBitmap();
  std::vector<double> micros, cpu_micros;
  micros.reserve(1 << 16);
  cpu_micros.reserve(1 << 16);
  uint64_t matches = 0;
  size_t next = 0;
  for (auto _ : state) {
    const auto start = std::chrono::steady_clock::now();
    const double cpu_start = ThreadCpuMicros();
    absl::StatusOr<TextQuery> query = ParseTextQuery(queries[next]);
    TopKResult top;
    if (path == Path::kTopK) {
      top = filtered ? index.Search(*query, 20, KeepNineInTen) : index.Search(*query, 20);
    } else if (path == Path::kTopKBitmap) {
      QueryStats stats(index.options().fields.size(), query->words.size());
      index.CollectStats(*query, &stats);
      top = filtered ? index.TopK(*query, stats, 20, allowed) : index.TopK(*query, stats, 20);
    } else {
      QueryStats stats(index.options().fields.size(), query->words.size());
      index.CollectStats(*query, &stats);
      const std::vector<ScoredDoc> all = index.Match(*query, stats);
      top = filtered ? SelectTopK(all, 20, KeepNineInTen) : SelectTopK(all, 20);
    }
    benchmark::DoNotOptimize(top);
    cpu_micros.push_back(ThreadCpuMicros() - cpu_start);
    micros.push_back(
        std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start)
            .count());
    matches += top.total;
    next = (next + 1) % queries.size();
  }
  auto percentile = [](std::vector<double>& values, double p) {
    std::sort(values.begin(), values.end());
    return values.empty() ? 0.0 : values[static_cast<size_t>(p * (values.size() - 1))];
  };
  state.counters["p50_us"] = percentile(micros, 0.50);
  state.counters["p99_us"] = percentile(micros, 0.99);
  state.counters["max_us"] = micros.empty() ? 0.0 : micros.back();
  state.counters["cpu_p50_us"] = percentile(cpu_micros, 0.50);
  state.counters["cpu_p99_us"] = percentile(cpu_micros, 0.99);
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
  state.counters["legacy_corpus"] = corpus.legacy ? 1 : 0;
  // Share of the documents holding the commonest words, to judge the corpus.
  for (const char* word : {"tour", "city", "local"}) {
    const std::vector<Suggestion> top = corpus.index.Suggest(word, 1);
    if (!top.empty() && top[0].word == word) {
      state.counters[std::string("df_") + word] =
          static_cast<double>(top[0].doc_frequency) / static_cast<double>(corpus.docs);
    }
  }
}
BENCHMARK(BM_TextIndex_Build)->Iterations(1);

const std::vector<std::string>& CommonWords() {
  static const std::vector<std::string> queries = {"tour",  "guided", "city",      "walking",
                                                   "local", "food",   "experience"};
  return queries;
}

const std::vector<std::string>& CommonPairs() {
  static const std::vector<std::string> queries = {
      "guided tour", "old town walking", "street food",   "wine tasting",
      "sunset kayak", "local food market", "historic city"};
  return queries;
}

const std::vector<std::string>& RareWords() {
  static const std::vector<std::string> queries = [] {
    const std::vector<std::string>& vocabulary = GetCorpus().vocabulary;
    std::vector<std::string> words;
    for (size_t i = 0; i < 20; ++i) words.push_back(vocabulary[3000 + 37 * i]);
    for (size_t i = 0; i < 20; ++i) {
      words.push_back(vocabulary[1000 + 53 * i] + " " + vocabulary[2000 + 41 * i]);
    }
    return words;
  }();
  return queries;
}

const std::vector<std::string>& Typos() {
  static const std::vector<std::string> queries = {
      "snorkling", "sunest kayak", "musem",      "vinyard tour",
      "cathedarl", "photograpy",   "architecure", "wildlfe safari"};
  return queries;
}

const std::vector<std::string>& Prefixes() {
  static const std::vector<std::string> queries = {"kay",  "sunset kay", "wine tas", "snork",
                                                   "old town wal", "mus", "cath", "street fo"};
  return queries;
}

void BM_TextIndex_Search(benchmark::State& state, Path path, bool filtered,
                         const std::vector<std::string>& (*queries)()) {
  RunQueries(state, path, filtered, queries());
}
BENCHMARK_CAPTURE(BM_TextIndex_Search, CommonWord_TopK, Path::kTopK, false, CommonWords);
BENCHMARK_CAPTURE(BM_TextIndex_Search, CommonWord_Exhaustive, Path::kExhaustive, false,
                  CommonWords);
BENCHMARK_CAPTURE(BM_TextIndex_Search, CommonWords_TopK, Path::kTopK, false, CommonPairs);
BENCHMARK_CAPTURE(BM_TextIndex_Search, CommonWords_Exhaustive, Path::kExhaustive, false,
                  CommonPairs);
BENCHMARK_CAPTURE(BM_TextIndex_Search, CommonWordFiltered_TopK, Path::kTopK, true, CommonWords);
BENCHMARK_CAPTURE(BM_TextIndex_Search, CommonWordFiltered_TopKBitmap, Path::kTopKBitmap, true,
                  CommonWords);
BENCHMARK_CAPTURE(BM_TextIndex_Search, CommonWordFiltered_Exhaustive, Path::kExhaustive, true,
                  CommonWords);
BENCHMARK_CAPTURE(BM_TextIndex_Search, CommonWordsFiltered_TopK, Path::kTopK, true, CommonPairs);
BENCHMARK_CAPTURE(BM_TextIndex_Search, CommonWordsFiltered_TopKBitmap, Path::kTopKBitmap, true,
                  CommonPairs);
BENCHMARK_CAPTURE(BM_TextIndex_Search, CommonWordsFiltered_Exhaustive, Path::kExhaustive, true,
                  CommonPairs);
BENCHMARK_CAPTURE(BM_TextIndex_Search, RareWords_TopK, Path::kTopK, false, RareWords);
BENCHMARK_CAPTURE(BM_TextIndex_Search, RareWords_Exhaustive, Path::kExhaustive, false, RareWords);
BENCHMARK_CAPTURE(BM_TextIndex_Search, Typo_TopK, Path::kTopK, false, Typos);
BENCHMARK_CAPTURE(BM_TextIndex_Search, Typo_Exhaustive, Path::kExhaustive, false, Typos);
BENCHMARK_CAPTURE(BM_TextIndex_Search, Prefix_TopK, Path::kTopK, false, Prefixes);
BENCHMARK_CAPTURE(BM_TextIndex_Search, Prefix_Exhaustive, Path::kExhaustive, false, Prefixes);

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
