// TextIndex::TopK: the k best matches of a query without scoring them all.
//
// 1. The total is counted exactly without scores (match_count.h), per
//    window of 2^window_log2 document ordinals.
// 2. Each window gets an upper bound of the scores in it: per query word,
//    the largest term weight times block bound (postings.h) over the blocks
//    of its terms (typo and prefix expansions included) that touch the
//    window, summed over the words in the order Match sums them.
// 3. Windows are scored by descending bound, exactly as Match scores (the
//    same code, on the postings within the window), into a heap of the k
//    best; ranking stops at the first window whose bound, rounded to float
//    like the scores, is below the k-th best score.

#include <algorithm>
#include <cassert>
#include <utility>

#include "engine/text/match_count.h"
#include "engine/text/text_index.h"

namespace otter::engine::text {
namespace {

// Bounds are raised by this factor: PackedDocumentPart ends in a division
// that is monotone in exact arithmetic but may not be to the last ulp.
constexpr double kBoundSlack = 1 + 1e-9;

// A block spanning more windows than this marks only the windows of its
// postings, not the whole span (only sparse terms have such blocks).
constexpr size_t kMaxSpanToFill = 8;

// Whether a is ranked before b: higher score, then lower doc id.
bool RanksBefore(const ScoredDoc& a, const ScoredDoc& b) {
  return a.score != b.score ? a.score > b.score : a.doc < b.doc;
}

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
  return TopKImpl(query, stats, k,
                  MatchKeep{nullptr, doc_ids_, allowed_docs.data(), allowed_docs.size()}, options);
}

bool TextIndex::HasOwnStatistics(const QueryStats& stats) const {
  return stats.doc_count == doc_count() && stats.field_length_sums == field_length_sums_;
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
  const uint32_t shift = std::clamp<uint32_t>(options.window_log2, 6, 24);
  const size_t window_count = ((doc_count() - 1) >> shift) + 1;

  // 1. The exact total; per window when that can spare windows without
  // matches (a single word without a filter matches in every window its
  // postings touch).
  std::vector<std::vector<uint32_t>> terms(order.size());
  for (size_t i = 0; i < order.size(); ++i) {
    for (const WordTerm& term : word_terms[order[i]]) terms[i].push_back(term.term);
  }
  const bool count_windows = order.size() > 1 || keep.filters();
  std::vector<uint32_t> window_counts;
  result.total = CountMatches(postings_view(), dense_, terms, keep, shift,
                              count_windows ? &window_counts : nullptr);
  if (k == 0 || result.total == 0) return result;

  // 2. Window bounds; negative where some word has no postings.
  const bool own_stats = HasOwnStatistics(stats);
  std::vector<double> bounds(window_count, 0.0);
  std::vector<double> word_bounds(window_count);
  for (size_t w : order) {
    std::fill(word_bounds.begin(), word_bounds.end(), -1.0);
    for (const WordTerm& term : word_terms[w]) {
      uint64_t block = blocks_.first_block(term.term);
      for (uint64_t start = term.begin; start < term.end; start += kPostingBlockSize, ++block) {
        const uint64_t stop = std::min<uint64_t>(term.end, start + kPostingBlockSize);
        const double bound =
            term.weight * (own_stats ? blocks_.OwnBound(block) : blocks_.AnyBound(block, scorer));
        const size_t first = posting_ords_[start] >> shift;
        const size_t last = posting_ords_[stop - 1] >> shift;
        if (last - first <= kMaxSpanToFill) {
          for (size_t x = first; x <= last; ++x) word_bounds[x] = std::max(word_bounds[x], bound);
        } else {
          for (uint64_t p = start; p < stop; ++p) {
            double& window_bound = word_bounds[posting_ords_[p] >> shift];
            window_bound = std::max(window_bound, bound);
          }
        }
      }
    }
    for (size_t x = 0; x < window_count; ++x) {
      bounds[x] = bounds[x] < 0 || word_bounds[x] < 0 ? -1.0 : bounds[x] + word_bounds[x];
    }
  }

  // 3. Windows by descending bound, then ascending position.
  std::vector<std::pair<double, size_t>> queue;
  for (size_t x = 0; x < window_count; ++x) {
    if (bounds[x] < 0 || (count_windows && window_counts[x] == 0)) continue;
    queue.emplace_back(bounds[x] * kBoundSlack, x);
  }
  auto lower = [](const std::pair<double, size_t>& a, const std::pair<double, size_t>& b) {
    return a.first != b.first ? a.first < b.first : a.second > b.second;
  };
  std::make_heap(queue.begin(), queue.end(), lower);
  // A heap whose top is the worst of the best k so far.
  std::vector<ScoredDoc>& heap = result.hits;
  heap.reserve(std::min<uint64_t>(k, result.total));
  std::vector<std::vector<WordTerm>> window_terms = word_terms;
  std::vector<uint32_t> ords;
  std::vector<double> scores;
  while (!queue.empty()) {
    std::pop_heap(queue.begin(), queue.end(), lower);
    const auto [bound, x] = queue.back();
    queue.pop_back();
    const auto lo = static_cast<uint32_t>(x << shift);
    if (heap.size() == k) {
      // Scores are compared as floats; float rounding is monotone.
      const auto best_possible = static_cast<float>(bound);
      if (best_possible < heap.front().score) break;  // So are all later windows.
      // Equal scores rank by doc id, and every doc here comes after it.
      if (best_possible == heap.front().score && doc_ids_[lo] > heap.front().doc) continue;
    }
    const auto hi = static_cast<uint32_t>(std::min<uint64_t>(doc_count(), uint64_t{x + 1} << shift));
    bool word_missing = false;
    for (size_t w : order) {
      bool any = false;
      for (size_t i = 0; i < word_terms[w].size(); ++i) {
        const WordTerm& whole = word_terms[w][i];
        WordTerm& part = window_terms[w][i];
        const uint32_t* begin = posting_ords_.data() + whole.begin;
        const uint32_t* end = posting_ords_.data() + whole.end;
        const uint32_t* from = std::lower_bound(begin, end, lo);
        part.begin = whole.begin + (from - begin);
        part.end = whole.begin + (std::lower_bound(from, end, hi) - begin);
        any |= part.begin < part.end;
      }
      if (!any) {
        word_missing = true;
        break;
      }
    }
    if (word_missing) continue;
    MatchRanges(window_terms, order, scorer, &ords, &scores);
    for (size_t i = 0; i < ords.size(); ++i) {
      const ScoredDoc match{doc_ids_[ords[i]], static_cast<float>(scores[i])};
      if (heap.size() == k && !RanksBefore(match, heap.front())) continue;
      if (keep.filters() && !keep(ords[i])) continue;
      if (heap.size() < k) {
        heap.push_back(match);
        std::push_heap(heap.begin(), heap.end(), RanksBefore);
      } else {
        std::pop_heap(heap.begin(), heap.end(), RanksBefore);
        heap.back() = match;
        std::push_heap(heap.begin(), heap.end(), RanksBefore);
      }
    }
  }
  std::sort_heap(heap.begin(), heap.end(), RanksBefore);
  return result;
}

}  // namespace otter::engine::text
