// TextIndex::TopK: the k best matches of a query without scoring them all.
//
// 1. The total is counted exactly without scores (match_count.h).
// 2. Every posting has an impact (postings.h): a bound of its score part in
//    one byte. A word scores at most its best impact in any document, so a
//    document whose word i scores below T minus the other words' best
//    cannot score T: that is MaxScore's bound (Turtle and Flood, 1995),
//    applied here to single postings. For a threshold T each word's
//    postings are filtered by impact, sixteen at a time; the lists left are
//    intersected, the shortest first (or, when that is cheaper, probed in
//    the next word's postings), and only the documents left are scored,
//    exactly as Match scores them (the same operations in the same order).
// 3. T is first set so that, were the words' impacts independent, about
//    first_round_candidates * k matches would reach it (estimated from a
//    sample of each term's impacts). When the k-th best score found reaches
//    T, no document left out can rank above it and the result is exact.
//    Otherwise the round is repeated with T lowered: to that k-th best
//    score, which makes the next round exact, or, with fewer than k found,
//    to a threshold expected to let eight times more through, and at last
//    to none: score-safe threshold estimation, as in Petri et al. (SIGIR
//    2019).
//
// Bounds under statistics other than the index's own (a base index scored
// with base and delta statistics): a field's length norm 1 - b + b * len /
// avglen shrinks at most by the factor g by which avglen grows
// (LengthGrowth), so tf~ grows at most g times, and a part p = tf~ / (tf~ +
// k1) that is at most P under the own statistics is at most
// g * P / (g * P + 1 - P).

#include <algorithm>
#include <cassert>
#include <cmath>
#include <limits>
#include <utility>

#include "engine/text/match_count.h"
#include "engine/text/text_index.h"

namespace otter::engine::text {
namespace {

// Bounds are raised by this factor: PackedDocumentPart ends in a division
// that is monotone in exact arithmetic but may not be to the last ulp, and
// sums of bounds round.
constexpr double kBoundSlack = 1 + 1e-9;

// Impacts sampled per term to estimate how many of its postings pass a
// level: more for the long lists, where the estimate matters.
constexpr size_t kSamples = 256;
constexpr size_t kShortListSamples = 16;
constexpr uint64_t kLongList = 4096;

// A word is intersected by filtering its own postings when it is expected
// to pass at most this many times the candidates left; else each candidate
// is looked up in its postings.
constexpr double kScanRatio = 4;

// Rounds with an estimated threshold before the last, which scores every
// match.
constexpr int kEstimatedRounds = 3;

constexpr float kNoThreshold = -std::numeric_limits<float>::infinity();

// Whether a is ranked before b: higher score, then lower doc id.
bool RanksBefore(const ScoredDoc& a, const ScoredDoc& b) {
  return a.score != b.score ? a.score > b.score : a.doc < b.doc;
}

// Upper bounds of PackedDocumentPart under a query's statistics, from
// bounds under the index's own statistics (see the file comment).
class PartBounds {
 public:
  // `growth`: TextIndex::LengthGrowth() of the query's statistics.
  explicit PartBounds(double growth) : growth_(growth) {
    for (uint32_t level = 0; level <= PostingImpacts::kLevels; ++level) {
      levels_[level] = Of(PostingImpacts::Bound(level));
    }
  }

  // The bound of a part that is at most `own` under the own statistics.
  double Of(double own) const {
    // Parts never exceed 1.
    if (own >= 1 || !std::isfinite(growth_)) return kBoundSlack;
    return growth_ * own / (growth_ * own + 1 - own) * kBoundSlack;
  }
  // The bound of a posting of impact `level`.
  double operator[](uint32_t level) const { return levels_[level]; }

 private:
  double growth_;
  double levels_[PostingImpacts::kLevels + 1];
};

// One term of a query word: its postings, weight and sampled impacts.
struct Term {
  uint32_t id = 0;
  uint64_t begin = 0;
  uint64_t end = 0;
  double weight = 0;
  std::vector<uint8_t> sample;  // levels of evenly spaced postings, ascending
  uint32_t min_level = 0;       // what passes in the current round
};

// A query word, in the order Match sums the words.
struct Word {
  std::vector<Term> terms;
  uint64_t postings = 0;
  double max_score = 0;  // the most the word scores in any document
  double rest = 0;       // the most the other words score together
  double passing = 0;    // postings expected to pass the current round
};

// Finds the k best of one query's matches by rounds of thresholds (see the
// file comment, 2 and 3).
class ThresholdRanker {
 public:
  ThresholdRanker(const PostingsView& postings, const PostingImpacts& impacts,
                  const DenseBitmaps& dense, absl::Span<const uint32_t> doc_ids,
                  const Bm25FScorer& scorer, const PartBounds& bounds, const MatchKeep& keep,
                  std::vector<Word> words, uint64_t total, size_t k, std::vector<ScoredDoc>* heap)
      : postings_(postings),
        impacts_(impacts),
        dense_(dense),
        doc_ids_(doc_ids),
        scorer_(scorer),
        bounds_(bounds),
        keep_(keep),
        words_(std::move(words)),
        total_(total),
        k_(k),
        heap_(*heap) {}

  // Fills the heap with the k best matches (unordered).
  void Run(const TopKOptions& options) {
    if (k_ >= total_) {
      Round(kNoThreshold);
      return;
    }
    double target = std::max(1.0, options.first_round_candidates * static_cast<double>(k_));
    float threshold = EstimateThreshold(target);
    for (int round = 0;; ++round) {
      heap_.clear();
      Round(threshold);
      if (threshold == kNoThreshold) return;
      if (heap_.size() == k_) {
        // Whatever scores below the threshold was left out; nothing else.
        if (heap_.front().score >= threshold) return;
        threshold = heap_.front().score;  // the next round is exact
        continue;
      }
      target *= 8;
      const float lower = round + 1 < kEstimatedRounds ? EstimateThreshold(target) : kNoThreshold;
      threshold = lower < threshold ? lower : kNoThreshold;
    }
  }

 private:
  // The highest threshold that about `target` matches are expected to
  // reach, or kNoThreshold when even all of them are too few.
  float EstimateThreshold(double target) {
    double top = 0;
    for (const Word& word : words_) top += word.max_score;
    if (Expected(0) < target) return kNoThreshold;
    double low = 0;  // Expected(low) >= target
    double high = top * kBoundSlack;
    for (int step = 0; step < 40; ++step) {
      const double mid = (low + high) / 2;
      if (Expected(static_cast<float>(mid)) >= target) {
        low = mid;
      } else {
        high = mid;
      }
    }
    return static_cast<float>(low);
  }

  // Sets every term's min_level and word's passing for `threshold`, and
  // returns the matches expected to pass all words.
  double Expected(float threshold) {
    double expected = static_cast<double>(total_);
    for (Word& word : words_) {
      word.passing = 0;
      for (Term& term : word.terms) {
        term.min_level = MinLevel(term.weight, word.rest, threshold);
        const size_t passing_samples =
            term.sample.end() -
            std::lower_bound(term.sample.begin(), term.sample.end(), term.min_level);
        word.passing += static_cast<double>(term.end - term.begin) *
                        static_cast<double>(passing_samples) /
                        static_cast<double>(term.sample.size());
      }
      expected *= std::min(1.0, word.passing / static_cast<double>(word.postings));
    }
    return expected;
  }

  // The lowest level at which a posting of a term of `weight` may bring a
  // document to `threshold` when the other words score `rest`; past
  // kLevels when none may.
  uint32_t MinLevel(double weight, double rest, float threshold) const {
    if (threshold == kNoThreshold) return 0;
    auto reaches = [&](uint32_t level) {
      return static_cast<float>((weight * bounds_[level] + rest) * kBoundSlack) >= threshold;
    };
    uint32_t low = 0;
    uint32_t high = PostingImpacts::kLevels + 1;  // reaches(high) taken as true
    while (low < high) {
      const uint32_t mid = (low + high) / 2;
      if (reaches(mid)) {
        high = mid;
      } else {
        low = mid + 1;
      }
    }
    return low;
  }

  // Scores into the heap every match that may reach `threshold`.
  void Round(float threshold) {
    Expected(threshold);
    std::vector<size_t> by_passing(words_.size());
    for (size_t i = 0; i < words_.size(); ++i) by_passing[i] = i;
    std::sort(by_passing.begin(), by_passing.end(),
              [&](size_t a, size_t b) { return words_[a].passing < words_[b].passing; });
    candidates_.clear();
    const Word& first = words_[by_passing[0]];
    if (!ScanAllowedBitmap(first, &candidates_)) {
      Scan(first, &candidates_);
      if (keep_.allowed != nullptr) {
        std::erase_if(candidates_, [&](uint32_t ord) { return !Allowed(ord); });
      }
    }
    for (size_t i = 1; i < by_passing.size() && !candidates_.empty(); ++i) {
      const Word& word = words_[by_passing[i]];
      if (word.passing <= kScanRatio * static_cast<double>(candidates_.size())) {
        scanned_.clear();
        Scan(word, &scanned_);
        Intersect(scanned_, &candidates_);
      } else {
        Probe(word, &candidates_);
      }
    }
    Score(candidates_);
  }

  // Sets `out` to the ordinals of the postings of `word` at or above their
  // term's min_level, ascending, without repeats.
  void Scan(const Word& word, std::vector<uint32_t>* out) const {
    for (const Term& term : word.terms) {
      impacts_.AppendAtLeast(postings_, term.begin, term.end, term.min_level, out);
    }
    if (word.terms.size() > 1) {
      std::sort(out->begin(), out->end());
      out->erase(std::unique(out->begin(), out->end()), out->end());
    }
  }

  // With a bitmap of allowed ids that are ordinals, when every posting of
  // `word` passes and its one term has a bitmap, sets `out` to the allowed
  // ordinals of the word by ANDing the two bitmaps (not a posting read).
  // Returns whether it did.
  bool ScanAllowedBitmap(const Word& word, std::vector<uint32_t>* out) const {
    if (keep_.allowed == nullptr || word.terms.size() != 1 || word.terms[0].min_level > 1 ||
        doc_ids_.empty() || doc_ids_.back() != doc_ids_.size() - 1) {
      return false;
    }
    const uint64_t* bits = dense_.bitmap(word.terms[0].id);
    if (bits == nullptr) return false;
    const size_t words = std::min(keep_.allowed_words, dense_.words_per_bitmap());
    for (size_t i = 0; i < words; ++i) {
      for (uint64_t both = bits[i] & keep_.allowed[i]; both != 0; both &= both - 1) {
        out->push_back(static_cast<uint32_t>(i * 64 + __builtin_ctzll(both)));
      }
    }
    return true;
  }

  // Keeps in `candidates` those also in `other` (both ascending).
  static void Intersect(const std::vector<uint32_t>& other, std::vector<uint32_t>* candidates) {
    size_t kept = 0;
    size_t j = 0;
    for (const uint32_t ord : *candidates) {
      j = Gallop(other.data(), j, other.size(), ord);
      if (j == other.size()) break;
      if (other[j] == ord) (*candidates)[kept++] = ord;
    }
    candidates->resize(kept);
  }

  // Keeps in `candidates` the documents with a posting of `word` at or
  // above its term's min_level.
  void Probe(const Word& word, std::vector<uint32_t>* candidates) {
    cursors_.clear();
    bitmaps_.clear();
    for (const Term& term : word.terms) {
      cursors_.push_back(term.begin);
      bitmaps_.push_back(dense_.bitmap(term.id));
    }
    const uint32_t* ords = postings_.ords.data();
    size_t kept = 0;
    for (const uint32_t ord : *candidates) {
      bool passes = false;
      for (size_t t = 0; t < word.terms.size() && !passes; ++t) {
        const Term& term = word.terms[t];
        // A frequent term's bitmap answers membership without the postings.
        if (const uint64_t* bits = bitmaps_[t]; bits != nullptr) {
          if (((bits[ord / 64] >> (ord % 64)) & 1) == 0) continue;
          if (term.min_level <= 1) {
            passes = true;
            continue;
          }
        }
        uint64_t& c = cursors_[t];
        c = Gallop(ords, c, term.end, ord);
        passes = c < term.end && ords[c] == ord && impacts_.level(c) >= term.min_level;
      }
      if (passes) (*candidates)[kept++] = ord;
    }
    candidates->resize(kept);
  }

  // Scores the candidates (ascending), which hold every word, as Match
  // does, and offers them to the heap. The heap starts empty, so once it is
  // full a candidate only enters with a score above its worst: equal scores
  // go to the lower doc ids, seen first.
  void Score(const std::vector<uint32_t>& candidates) {
    cursors_.clear();
    for (const Word& word : words_) {
      for (const Term& term : word.terms) cursors_.push_back(term.begin);
    }
    double top = 0;
    for (const Word& word : words_) top += word.max_score;
    const uint32_t* ords = postings_.ords.data();
    for (const uint32_t ord : candidates) {
      if (heap_.size() == k_ && static_cast<float>(top * kBoundSlack) <= heap_.front().score) {
        return;  // no candidate can score above the worst kept
      }
      // The document's postings, and their impacts as a bound first.
      double bound = 0;
      size_t cursor = 0;
      for (const Word& word : words_) {
        double word_bound = 0;
        for (const Term& term : word.terms) {
          uint64_t& c = cursors_[cursor++];
          c = Gallop(ords, c, term.end, ord);
          if (c < term.end && ords[c] == ord) {
            word_bound = std::max(word_bound, term.weight * bounds_[impacts_.level(c)]);
          }
        }
        bound += word_bound;
      }
      if (heap_.size() == k_ && static_cast<float>(bound * kBoundSlack) <= heap_.front().score) {
        continue;
      }
      double score = 0;
      cursor = 0;
      for (size_t i = 0; i < words_.size(); ++i) {
        double best = -1;
        for (const Term& term : words_[i].terms) {
          const uint64_t c = cursors_[cursor++];
          if (c < term.end && ords[c] == ord) {
            best = std::max(best, term.weight * scorer_.PackedDocumentPart(
                                                    postings_.tfs[c], postings_.doc_lengths(ord)));
          }
        }
        assert(best >= 0);
        score = i == 0 ? best : score + best;
      }
      Offer(ord, score);
    }
  }

  bool Allowed(uint32_t ord) const {
    const uint32_t doc = doc_ids_[ord];
    return doc / 64 < keep_.allowed_words && ((keep_.allowed[doc / 64] >> (doc % 64)) & 1) != 0;
  }

  void Offer(uint32_t ord, double score) {
    const ScoredDoc match{doc_ids_[ord], static_cast<float>(score)};
    if (heap_.size() == k_ && !RanksBefore(match, heap_.front())) return;
    if (keep_.keep != nullptr && !keep_(ord)) return;
    if (heap_.size() < k_) {
      heap_.push_back(match);
      std::push_heap(heap_.begin(), heap_.end(), RanksBefore);
    } else {
      std::pop_heap(heap_.begin(), heap_.end(), RanksBefore);
      heap_.back() = match;
      std::push_heap(heap_.begin(), heap_.end(), RanksBefore);
    }
  }

  const PostingsView& postings_;
  const PostingImpacts& impacts_;
  const DenseBitmaps& dense_;
  absl::Span<const uint32_t> doc_ids_;
  const Bm25FScorer& scorer_;
  const PartBounds& bounds_;
  const MatchKeep& keep_;
  std::vector<Word> words_;
  const uint64_t total_;
  const size_t k_;
  // A heap whose top is the worst of the best k so far.
  std::vector<ScoredDoc>& heap_;
  // Scratch of a round.
  std::vector<uint32_t> candidates_;
  std::vector<uint32_t> scanned_;
  std::vector<uint64_t> cursors_;
  std::vector<const uint64_t*> bitmaps_;
};

}  // namespace

TopKResult TextIndex::TopK(const TextQuery& query, const QueryStats& stats, size_t k,
                           absl::FunctionRef<bool(uint32_t doc)> keep,
                           const TopKOptions& options) const {
  return TopKImpl(query, stats, k, MatchKeep{&keep, doc_ids_}, options);
}

TopKResult TextIndex::TopK(const TextQuery& query, const QueryStats& stats, size_t k,
                           const TopKOptions& options) const {
  return TopKImpl(query, stats, k, MatchKeep{nullptr, doc_ids_}, options);
}

TopKResult TextIndex::TopK(const TextQuery& query, const QueryStats& stats, size_t k,
                           std::span<const uint64_t> allowed_docs,
                           const TopKOptions& options) const {
  // An empty bitmap allows nothing (its data() may be null, which MatchKeep
  // reads as "no bitmap").
  if (allowed_docs.empty()) return TopKResult{};
  return TopKImpl(query, stats, k,
                  MatchKeep{nullptr, doc_ids_, allowed_docs.data(), allowed_docs.size()}, options);
}

double TextIndex::LengthGrowth(const QueryStats& stats) const {
  double growth = 1;
  for (size_t f = 0; f < field_count_; ++f) {
    if (field_length_sums_[f] == 0) continue;  // no posting has a frequency in f
    if (stats.doc_count == 0 || stats.field_length_sums[f] == 0) {
      return std::numeric_limits<double>::infinity();
    }
    const double own =
        static_cast<double>(field_length_sums_[f]) / static_cast<double>(doc_count());
    const double other =
        static_cast<double>(stats.field_length_sums[f]) / static_cast<double>(stats.doc_count);
    growth = std::max(growth, other / own);
  }
  return growth;
}

TopKResult TextIndex::TopKImpl(const TextQuery& query, const QueryStats& stats, size_t k,
                               const MatchKeep& keep, const TopKOptions& options) const {
  TopKResult result;
  if (query.words.empty() || doc_count() == 0) return result;
  assert(stats.word_terms.size() == query.words.size());
  const Bm25FScorer scorer(options_, stats);
  std::vector<size_t> order;
  const std::vector<std::vector<WordTerm>> word_terms = WordTerms(stats, scorer, &order);
  if (word_terms.empty()) return result;

  std::vector<std::vector<uint32_t>> terms(order.size());
  for (size_t i = 0; i < order.size(); ++i) {
    for (const WordTerm& term : word_terms[order[i]]) terms[i].push_back(term.term);
  }
  result.total = CountMatches(postings_view(), dense_, terms, keep);
  if (k == 0 || result.total == 0) return result;

  const PartBounds bounds(LengthGrowth(stats));
  std::vector<Word> words(order.size());
  for (size_t i = 0; i < order.size(); ++i) {
    Word& word = words[i];
    for (const WordTerm& whole : word_terms[order[i]]) {
      Term& term = word.terms.emplace_back();
      term.id = whole.term;
      term.begin = whole.begin;
      term.end = whole.end;
      term.weight = whole.weight;
      const uint64_t n = whole.end - whole.begin;
      const uint64_t samples = std::min<uint64_t>(n, n >= kLongList ? kSamples : kShortListSamples);
      for (uint64_t s = 0; s < samples; ++s) {
        term.sample.push_back(impacts_.level(whole.begin + s * n / samples));
      }
      std::sort(term.sample.begin(), term.sample.end());
      word.postings += n;
      word.max_score =
          std::max(word.max_score, whole.weight * bounds.Of(impacts_.max_part(whole.term)));
    }
  }
  for (size_t i = 0; i < words.size(); ++i) {
    for (size_t j = 0; j < words.size(); ++j) {
      if (j != i) words[i].rest += words[j].max_score;
    }
  }
  const PostingsView postings = postings_view();
  ThresholdRanker ranker(postings, impacts_, dense_, doc_ids_, scorer, bounds, keep,
                         std::move(words), result.total, k, &result.hits);
  ranker.Run(options);
  std::sort_heap(result.hits.begin(), result.hits.end(), RanksBefore);
  return result;
}

}  // namespace otter::engine::text
