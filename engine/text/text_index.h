#pragma once
// An immutable in-memory inverted index over documents with weighted fields
// (tours: title, tags, category, location, description; leaders: name,
// specialties, city, bio), built once by TextIndexBuilder.
//
// Matching: a document matches a query when it matches every query word
// (AND). A word w matches the documents containing, in any field:
//   - its stem (exact: "hiking" matches "hike", "hikes");
//   - an indexed word within MaxEditsFor(w) typo edits of w (vocabulary.h
//     says which distance) - "snorkling" matches "snorkeling";
//   - for the last word, an indexed word that starts with w ("kay" matches
//     "kayak"),
// each through the stem of that indexed word. The sets are exact: Match
// returns every matching document. Scores are BM25F (bm25.h), with typo and
// prefix matches scaled down by a factor so that exact matches rank first.
//
// TopK (and so Search) returns the same hits and total as SelectTopK over
// Match without scoring every match: it counts the matches exactly without
// scoring (match_count.h), then scores only the documents whose per-posting
// score bounds (impacts, postings.h) can reach a threshold, lowered until
// the k best are certain (text_index_top_k.cc).
//
//   absl::StatusOr<TextQuery> query = ParseTextQuery("sunset kay");
//   TopKResult top = index.Search(*query, 20);
//   // or, over a base and a delta index, see bm25.h:
//   QueryStats stats(...); base.CollectStats(*query, &stats); ...
//
// Thread safety: immutable after Build; any number of threads may call its
// const methods concurrently without locking.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/functional/function_ref.h"
#include "absl/types/span.h"
#include "engine/text/bm25.h"
#include "engine/text/match_count.h"
#include "engine/text/postings.h"
#include "engine/text/text_query.h"
#include "engine/text/vocabulary.h"

namespace otter::engine::text {

// A matching document and its score.
struct ScoredDoc {
  uint32_t doc = 0;
  float score = 0;

  friend bool operator==(const ScoredDoc&, const ScoredDoc&) = default;
};

// The best documents of a match set.
struct TopKResult {
  std::vector<ScoredDoc> hits;  // By descending score, then ascending doc id.
  uint64_t total = 0;           // Matching documents that were kept.
};

// A completion of a prefix.
struct Suggestion {
  std::string text;  // The word as documents spell it, lowercase ("montréal").
  std::string word;  // The folded word ("montreal").
  uint32_t doc_frequency = 0;
};

// Selects the k best of `matches` (any order) among those for which `keep`
// returns true, and counts those. Ties in score go to the lower doc id.
TopKResult SelectTopK(absl::Span<const ScoredDoc> matches, size_t k,
                      absl::FunctionRef<bool(uint32_t doc)> keep);
// SelectTopK keeping every document.
TopKResult SelectTopK(absl::Span<const ScoredDoc> matches, size_t k);

// Tuning of TextIndex::TopK; the result does not depend on it.
struct TopKOptions {
  // The first score threshold is set so that about this many times k
  // matches are expected to reach it. Lower costs less when the estimate
  // is right and one more round when it is not.
  double first_round_candidates = 16;
};

class TextIndex {
 public:
  // An empty index with no fields; real ones come from TextIndexBuilder.
  TextIndex() = default;
  TextIndex(TextIndex&&) = default;
  TextIndex& operator=(TextIndex&&) = default;

  // The schema and scoring parameters the index was built with.
  const TextIndexOptions& options() const { return options_; }
  // Number of documents indexed.
  size_t doc_count() const { return doc_ids_.size(); }
  // Number of distinct terms (stems) and of distinct indexed words.
  size_t term_count() const { return terms_.size(); }
  size_t word_count() const { return vocabulary_.size(); }

  // Adds this index's statistics for `query` to `stats`: its document count
  // and field lengths, and for each query word the terms it matches here,
  // with their document frequencies (added) and match factors (maximum).
  // Requires `stats` built for options().fields.size() fields and
  // query.words.size() words.
  void CollectStats(const TextQuery& query, QueryStats* stats) const;

  // Returns every document of this index matching all words of `query`, by
  // ascending doc id, scored with `stats` (which must include this index's
  // CollectStats for the same query; otherwise the result holds only the
  // documents whose terms `stats` lists).
  std::vector<ScoredDoc> Match(const TextQuery& query, const QueryStats& stats) const;

  // Returns exactly SelectTopK(Match(query, stats), k, keep): the same hits
  // in the same order with the same scores, and the same total, without
  // scoring every match. `stats` as for Match. `keep` must be a pure function
  // of the doc id; it may be called more than once per document. Over a base
  // and a delta index, merge the hits of each (by descending score, then
  // ascending doc id) and add the totals.
  TopKResult TopK(const TextQuery& query, const QueryStats& stats, size_t k,
                  absl::FunctionRef<bool(uint32_t doc)> keep,
                  const TopKOptions& options = {}) const;
  // TopK keeping every document.
  TopKResult TopK(const TextQuery& query, const QueryStats& stats, size_t k,
                  const TopKOptions& options = {}) const;
  // TopK keeping the documents whose id has its bit set in `allowed_docs`
  // (bit d % 64 of allowed_docs[d / 64]; ids past its end are not kept):
  // exactly SelectTopK(Match(query, stats), k, keep) for that keep. Cheaper
  // than a predicate: the total of frequent words is an AND and a popcount
  // when doc ids are the ordinals 0..doc_count()-1.
  TopKResult TopK(const TextQuery& query, const QueryStats& stats, size_t k,
                  std::span<const uint64_t> allowed_docs, const TopKOptions& options = {}) const;

  // CollectStats and TopK on this index alone.
  TopKResult Search(const TextQuery& query, size_t k) const;
  TopKResult Search(const TextQuery& query, size_t k,
                    absl::FunctionRef<bool(uint32_t doc)> keep) const;

  // Up to `limit` indexed words starting with the last word of `prefix`
  // (folded like documents), by descending document frequency, then word.
  // Empty when `prefix` has no word.
  std::vector<Suggestion> Suggest(std::string_view prefix, size_t limit) const;

  // Bytes of memory held by the index.
  size_t MemoryBytes() const;

 private:
  friend class TextIndexBuilder;

  // One term a query word matches here, with its s(t, d) factor, and the
  // part of its postings considered: posting_ords_[begin, end).
  struct WordTerm {
    uint32_t term;
    double weight;
    uint64_t begin;
    uint64_t end;
  };

  // The terms of this index matched by `word`, with their factors.
  absl::flat_hash_map<uint32_t, double> ExpandWord(const QueryWord& word) const;
  // The terms of each query word listed in `stats` and present here, with
  // their whole postings, and the words in Match's order (ascending total
  // postings, then word number). Empty when some word has no term here.
  std::vector<std::vector<WordTerm>> WordTerms(const QueryStats& stats, const Bm25FScorer& scorer,
                                               std::vector<size_t>* order) const;
  // The documents of the words `word_terms` in `order` within their
  // WordTerm ranges, scored like Match, by ordinal.
  void MatchRanges(const std::vector<std::vector<WordTerm>>& word_terms,
                   absl::Span<const size_t> order, const Bm25FScorer& scorer,
                   std::vector<uint32_t>* ords, std::vector<double>* scores) const;
  // TopK keeping the documents `keep` keeps.
  TopKResult TopKImpl(const TextQuery& query, const QueryStats& stats, size_t k,
                      const MatchKeep& keep, const TopKOptions& options) const;
  // A factor bounding how much larger tf~ (bm25.h) can be under `stats`
  // than under this index's own statistics, for any posting: the largest
  // growth of a field's average length (at least 1); infinity when `stats`
  // have no length for a field this index has words in.
  double LengthGrowth(const QueryStats& stats) const;
  PostingsView postings_view() const {
    return PostingsView{posting_offsets_, posting_ords_, posting_tfs_, field_lengths_,
                        field_count_, doc_ids_.size()};
  }
  // Applies a further word to the sorted candidates `ords`/`scores`.
  void Intersect(absl::Span<const WordTerm> terms, const Bm25FScorer& scorer,
                 std::vector<uint32_t>* ords, std::vector<double>* scores) const;
  // The documents of any of `terms` with their best score, by ordinal.
  void Union(absl::Span<const WordTerm> terms, const Bm25FScorer& scorer,
             std::vector<uint32_t>* ords, std::vector<double>* scores) const;

  const uint16_t* lengths(uint32_t ord) const { return &field_lengths_[ord * field_count_]; }

  TextIndexOptions options_;
  size_t field_count_ = 0;
  // Documents by ordinal (ascending doc id) and their field lengths.
  std::vector<uint32_t> doc_ids_;
  std::vector<uint16_t> field_lengths_;  // field_count_ per document.
  std::vector<uint64_t> field_length_sums_;
  // Terms (stems) and their postings: term t has the documents
  // posting_ords_[posting_offsets_[t], posting_offsets_[t + 1]) by ascending
  // ordinal, with per-field frequencies packed in posting_tfs_.
  std::vector<std::string> terms_;
  absl::flat_hash_map<std::string, uint32_t> term_ids_;
  std::vector<uint64_t> posting_offsets_;
  std::vector<uint32_t> posting_ords_;
  std::vector<uint16_t> posting_tfs_;
  // Score bounds of postings and bitmaps of frequent terms, for TopK.
  PostingImpacts impacts_;
  DenseBitmaps dense_;
  Vocabulary vocabulary_;
};

}  // namespace otter::engine::text
