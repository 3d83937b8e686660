#include "engine/text/text_index.h"

#include <algorithm>
#include <cassert>
#include <functional>
#include <utility>

#include "engine/text/tokenizer.h"

namespace otter::engine::text {
namespace {

// Whether a is ranked before b: higher score, then lower doc id.
bool RanksBefore(const ScoredDoc& a, const ScoredDoc& b) {
  return a.score != b.score ? a.score > b.score : a.doc < b.doc;
}

}  // namespace

TopKResult SelectTopK(absl::Span<const ScoredDoc> matches, size_t k,
                      absl::FunctionRef<bool(uint32_t doc)> keep) {
  TopKResult result;
  // A heap whose top is the worst of the best k seen so far.
  std::vector<ScoredDoc>& heap = result.hits;
  heap.reserve(std::min(k, matches.size()));
  for (const ScoredDoc& match : matches) {
    if (!keep(match.doc)) continue;
    ++result.total;
    if (k == 0) continue;
    if (heap.size() < k) {
      heap.push_back(match);
      std::push_heap(heap.begin(), heap.end(), RanksBefore);
    } else if (RanksBefore(match, heap.front())) {
      std::pop_heap(heap.begin(), heap.end(), RanksBefore);
      heap.back() = match;
      std::push_heap(heap.begin(), heap.end(), RanksBefore);
    }
  }
  std::sort_heap(heap.begin(), heap.end(), RanksBefore);
  return result;
}

TopKResult SelectTopK(absl::Span<const ScoredDoc> matches, size_t k) {
  return SelectTopK(matches, k, [](uint32_t) { return true; });
}

absl::flat_hash_map<uint32_t, double> TextIndex::ExpandWord(const QueryWord& word) const {
  absl::flat_hash_map<uint32_t, double> factors;
  auto offer = [&factors](uint32_t term, double factor) {
    double& best = factors[term];
    best = std::max(best, factor);
  };
  if (auto it = term_ids_.find(word.stem); it != term_ids_.end()) offer(it->second, 1.0);
  if (word.prefix) {
    const auto [first, last] = vocabulary_.PrefixRange(word.word);
    for (size_t i = first; i < last; ++i) {
      offer(vocabulary_.term(i), vocabulary_.word(i) == word.word ? 1.0 : options_.prefix_factor);
    }
  }
  if (word.max_edits > 0) {
    vocabulary_.ForEachWithinEdits(word.word, word.max_edits, [&](size_t i, int edits) {
      offer(vocabulary_.term(i), edits == 0   ? 1.0
                                 : edits == 1 ? options_.one_edit_factor
                                              : options_.two_edit_factor);
    });
  }
  return factors;
}

void TextIndex::CollectStats(const TextQuery& query, QueryStats* stats) const {
  assert(stats->field_length_sums.size() == field_count_);
  assert(stats->word_terms.size() == query.words.size());
  stats->doc_count += doc_count();
  for (size_t f = 0; f < field_count_; ++f) stats->field_length_sums[f] += field_length_sums_[f];
  for (size_t w = 0; w < query.words.size(); ++w) {
    for (const auto& [term, factor] : ExpandWord(query.words[w])) {
      TermStats& term_stats = stats->word_terms[w][terms_[term]];
      term_stats.doc_frequency += posting_offsets_[term + 1] - posting_offsets_[term];
      term_stats.factor = std::max(term_stats.factor, factor);
    }
  }
}

void TextIndex::Union(absl::Span<const WordTerm> terms, const Bm25FScorer& scorer,
                      std::vector<uint32_t>* ords, std::vector<double>* scores) const {
  ords->clear();
  scores->clear();
  if (terms.size() == 1) {
    const uint64_t begin = terms[0].begin;
    const uint64_t end = terms[0].end;
    ords->assign(posting_ords_.begin() + begin, posting_ords_.begin() + end);
    scores->resize(end - begin);
    for (uint64_t p = begin; p < end; ++p) {
      (*scores)[p - begin] = terms[0].weight * scorer.PackedDocumentPart(
                                                   posting_tfs_[p], lengths(posting_ords_[p]));
    }
    return;
  }
  // A k-way merge of the postings, by ordinal, keeping the best score.
  struct Cursor {
    uint64_t position;
    uint64_t end;
    double weight;
  };
  std::vector<Cursor> cursors;
  std::vector<std::pair<uint32_t, size_t>> heap;  // (ordinal, cursor), smallest on top.
  uint64_t total = 0;
  for (const WordTerm& term : terms) {
    const uint64_t begin = term.begin;
    const uint64_t end = term.end;
    if (begin == end) continue;
    heap.emplace_back(posting_ords_[begin], cursors.size());
    cursors.push_back(Cursor{begin, end, term.weight});
    total += end - begin;
  }
  ords->reserve(total);
  scores->reserve(total);
  const auto later = std::greater<std::pair<uint32_t, size_t>>();
  std::make_heap(heap.begin(), heap.end(), later);
  while (!heap.empty()) {
    std::pop_heap(heap.begin(), heap.end(), later);
    const auto [ord, index] = heap.back();
    Cursor& cursor = cursors[index];
    const double score =
        cursor.weight * scorer.PackedDocumentPart(posting_tfs_[cursor.position], lengths(ord));
    if (!ords->empty() && ords->back() == ord) {
      scores->back() = std::max(scores->back(), score);
    } else {
      ords->push_back(ord);
      scores->push_back(score);
    }
    if (++cursor.position < cursor.end) {
      heap.back().first = posting_ords_[cursor.position];
      std::push_heap(heap.begin(), heap.end(), later);
    } else {
      heap.pop_back();
    }
  }
}

void TextIndex::Intersect(absl::Span<const WordTerm> terms, const Bm25FScorer& scorer,
                          std::vector<uint32_t>* ords, std::vector<double>* scores) const {
  const size_t n = ords->size();
  std::vector<double> best(n, -1.0);
  const uint32_t* candidates = ords->data();
  for (const WordTerm& term : terms) {
    const uint64_t begin = term.begin;
    const uint64_t end = term.end;
    const uint32_t* postings = posting_ords_.data();
    auto hit = [&](size_t c, uint64_t p) {
      const double score =
          term.weight * scorer.PackedDocumentPart(posting_tfs_[p], lengths(postings[p]));
      best[c] = std::max(best[c], score);
    };
    // Walk the shorter list and gallop in the longer one.
    if (end - begin < n) {
      size_t c = 0;
      for (uint64_t p = begin; p < end && c < n; ++p) {
        c = Gallop(candidates, c, n, postings[p]);
        if (c < n && candidates[c] == postings[p]) hit(c, p);
      }
    } else {
      uint64_t p = begin;
      for (size_t c = 0; c < n && p < end; ++c) {
        p = Gallop(postings, p, end, candidates[c]);
        if (p < end && postings[p] == candidates[c]) hit(c, p);
      }
    }
  }
  size_t kept = 0;
  for (size_t c = 0; c < n; ++c) {
    if (best[c] < 0) continue;
    (*ords)[kept] = (*ords)[c];
    (*scores)[kept] = (*scores)[c] + best[c];
    ++kept;
  }
  ords->resize(kept);
  scores->resize(kept);
}

std::vector<std::vector<TextIndex::WordTerm>> TextIndex::WordTerms(
    const QueryStats& stats, const Bm25FScorer& scorer, std::vector<size_t>* order) const {
  std::vector<std::vector<WordTerm>> word_terms(stats.word_terms.size());
  std::vector<std::pair<uint64_t, size_t>> costs;
  for (size_t w = 0; w < stats.word_terms.size(); ++w) {
    uint64_t cost = 0;
    for (const auto& [term_text, term_stats] : stats.word_terms[w]) {
      auto it = term_ids_.find(term_text);
      if (it == term_ids_.end()) continue;
      const uint64_t begin = posting_offsets_[it->second];
      const uint64_t end = posting_offsets_[it->second + 1];
      word_terms[w].push_back(WordTerm{it->second, scorer.TermWeight(term_stats), begin, end});
      cost += end - begin;
    }
    if (word_terms[w].empty()) return {};
    costs.emplace_back(cost, w);
  }
  // The rarest word drives; the others only probe its candidates.
  std::sort(costs.begin(), costs.end());
  order->clear();
  for (const auto& [cost, w] : costs) order->push_back(w);
  return word_terms;
}

void TextIndex::MatchRanges(const std::vector<std::vector<WordTerm>>& word_terms,
                            absl::Span<const size_t> order, const Bm25FScorer& scorer,
                            std::vector<uint32_t>* ords, std::vector<double>* scores) const {
  Union(word_terms[order[0]], scorer, ords, scores);
  for (size_t i = 1; i < order.size() && !ords->empty(); ++i) {
    Intersect(word_terms[order[i]], scorer, ords, scores);
  }
}

std::vector<ScoredDoc> TextIndex::Match(const TextQuery& query, const QueryStats& stats) const {
  if (query.words.empty() || doc_count() == 0) return {};
  assert(stats.word_terms.size() == query.words.size());
  const Bm25FScorer scorer(options_, stats);
  std::vector<size_t> order;
  const std::vector<std::vector<WordTerm>> word_terms = WordTerms(stats, scorer, &order);
  if (word_terms.empty()) return {};
  std::vector<uint32_t> ords;
  std::vector<double> scores;
  MatchRanges(word_terms, order, scorer, &ords, &scores);
  std::vector<ScoredDoc> matches(ords.size());
  for (size_t i = 0; i < ords.size(); ++i) {
    matches[i] = ScoredDoc{doc_ids_[ords[i]], static_cast<float>(scores[i])};
  }
  return matches;
}

TopKResult TextIndex::Search(const TextQuery& query, size_t k,
                             absl::FunctionRef<bool(uint32_t doc)> keep) const {
  QueryStats stats(field_count_, query.words.size());
  CollectStats(query, &stats);
  return TopK(query, stats, k, keep);
}

TopKResult TextIndex::Search(const TextQuery& query, size_t k) const {
  QueryStats stats(field_count_, query.words.size());
  CollectStats(query, &stats);
  return TopK(query, stats, k);
}

std::vector<Suggestion> TextIndex::Suggest(std::string_view prefix, size_t limit) const {
  std::string last;
  Tokenize(prefix, [&last](const Token& token) { last.assign(token.word); });
  if (last.empty() || limit == 0) return {};
  const auto [first, end] = vocabulary_.PrefixRange(last);
  auto better = [this](size_t a, size_t b) {
    const uint32_t da = vocabulary_.doc_frequency(a);
    const uint32_t db = vocabulary_.doc_frequency(b);
    return da != db ? da > db : vocabulary_.word(a) < vocabulary_.word(b);
  };
  std::vector<size_t> heap;  // The best `limit` so far, worst on top.
  for (size_t i = first; i < end; ++i) {
    if (heap.size() < limit) {
      heap.push_back(i);
      std::push_heap(heap.begin(), heap.end(), better);
    } else if (better(i, heap.front())) {
      std::pop_heap(heap.begin(), heap.end(), better);
      heap.back() = i;
      std::push_heap(heap.begin(), heap.end(), better);
    }
  }
  std::sort_heap(heap.begin(), heap.end(), better);
  std::vector<Suggestion> suggestions;
  suggestions.reserve(heap.size());
  for (size_t i : heap) {
    suggestions.push_back(Suggestion{std::string(vocabulary_.display(i)),
                                     std::string(vocabulary_.word(i)),
                                     vocabulary_.doc_frequency(i)});
  }
  return suggestions;
}

size_t TextIndex::MemoryBytes() const {
  size_t bytes = doc_ids_.capacity() * sizeof(uint32_t) +
                 field_lengths_.capacity() * sizeof(uint16_t) +
                 posting_offsets_.capacity() * sizeof(uint64_t) +
                 posting_ords_.capacity() * sizeof(uint32_t) +
                 posting_tfs_.capacity() * sizeof(uint16_t) + impacts_.MemoryBytes() +
                 dense_.MemoryBytes() + vocabulary_.MemoryBytes();
  for (const std::string& term : terms_) {
    // The term itself, its copy as a key and the hash table slot.
    bytes += 2 * (sizeof(std::string) + term.capacity()) + sizeof(uint32_t) + 1;
  }
  return bytes;
}

}  // namespace otter::engine::text
