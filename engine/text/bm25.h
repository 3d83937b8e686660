#pragma once
// Ranking for the text index: the field schema with its weights, the corpus
// statistics a query is scored with, and the BM25F formula.
//
// Formula (BM25F, one b for all fields). For a query word w, a document d and
// a term t (a stem) that w matches:
//
//   tf~(t, d)  = sum over fields f of  weight_f * tf_f(t, d)
//                                      / (1 - b + b * len_f(d) / avglen_f)
//   idf(t)     = ln(1 + (N - df(t) + 0.5) / (df(t) + 0.5))
//   s(t, d)    = factor(w, t) * idf(t) * (k1 + 1) * tf~ / (tf~ + k1)
//   score(d)   = sum over query words w of  max over matched t of s(t, d)
//
// where tf_f is the number of occurrences of t in field f, capped at
// kMaxFieldTermFrequency (repeating a word more often earns nothing, which
// also blunts keyword stuffing); len_f(d) the number of indexed words (stop
// words excluded) of field f of d; avglen_f = (sum of len_f over all docs) /
// N; N the number of documents; df(t) the number of documents containing t
// in any field; factor(w, t) is 1 for an exact match (t is the stem of w),
// else the largest of prefix_factor (some indexed word of stem t starts with
// w, w being the last query word) and the typo factor of the fewest edits
// between w and an indexed word of stem t.
//
// Combining indexes: N, the sums of field lengths and df(t) are sums over
// documents, and factor(w, t) a maximum over indexed words, so a QueryStats
// filled by CollectStats of several indexes (a big base and a small delta)
// holds the statistics of one index over the union of their documents for
// exact words. Not always for typo and prefix words: each index reports a
// stem only when its own vocabulary reaches it, so an index whose documents
// spell the stem another way reports no df for it (engine/snapshot.cc counts
// df by exact stem to stay exact). Each index then scores its own documents
// with the combined statistics:
//
//   QueryStats stats(options.fields.size(), query.words.size());
//   base.CollectStats(query, &stats);
//   delta.CollectStats(query, &stats);
//   std::vector<ScoredDoc> a = base.Match(query, stats), b = delta.Match(query, stats);
//
// A stale version of a document that the engine hides in the base (with the
// predicate of SelectTopK) still counts in these statistics until the next
// merge; the effect is one document's worth of N and df.
//
// Thread safety: QueryStats is a plain value; a Bm25FScorer is immutable
// after construction and safe to share.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"

namespace otter::engine::text {

// Most fields a text index can have.
inline constexpr size_t kMaxFields = 5;
// Occurrences of a term in one field beyond this count are ignored.
inline constexpr uint32_t kMaxFieldTermFrequency = 7;

// A named, weighted field of the indexed documents.
struct FieldSpec {
  std::string name;
  double weight = 1.0;
};

// The schema and scoring parameters of a text index. Indexes whose
// statistics are combined must be built with equal options.
struct TextIndexOptions {
  std::vector<FieldSpec> fields;
  double k1 = 1.2;
  double b = 0.75;
  // factor(w, t) for a match through a prefix or through typos (see above).
  double prefix_factor = 0.7;
  double one_edit_factor = 0.5;
  double two_edit_factor = 0.3;

  // Tours: title 4, tags 2.5, category 2, location (city and country) 1.5,
  // description 1; field numbers in that order (kTourTitle...).
  static TextIndexOptions Tours();
  // Leaders: display_name 4, specialties 2.5, city 1.5, bio 1.
  static TextIndexOptions Leaders();

  // Returns kInvalidArgument naming the problem unless there are 1 to
  // kMaxFields fields with positive finite weights, k1 >= 0, b in [0, 1],
  // and each factor in (0, 1].
  absl::Status Validate() const;
};

// Field numbers of TextIndexOptions::Tours() and ::Leaders().
enum TourField : uint32_t { kTourTitle, kTourTags, kTourCategory, kTourLocation, kTourDescription };
enum LeaderField : uint32_t { kLeaderName, kLeaderSpecialties, kLeaderCity, kLeaderBio };

// What the corpus says about one term that a query word matches.
struct TermStats {
  uint64_t doc_frequency = 0;  // df(t), summed over the indexes collected.
  double factor = 0;           // factor(w, t), the maximum over them.
};

// Corpus statistics for one query, filled by TextIndex::CollectStats of each
// index searched (see the header comment).
struct QueryStats {
  // Empty statistics for a schema of `field_count` fields and a query of
  // `word_count` words.
  QueryStats(size_t field_count, size_t word_count)
      : field_length_sums(field_count, 0), word_terms(word_count) {}

  uint64_t doc_count = 0;                  // N.
  std::vector<uint64_t> field_length_sums;  // Sum of len_f over all docs.
  // For each query word, the terms (stems) it matches.
  std::vector<absl::flat_hash_map<std::string, TermStats>> word_terms;
};

// Evaluates the formula above for given statistics.
class Bm25FScorer {
 public:
  // Requires stats.field_length_sums.size() == options.fields.size().
  Bm25FScorer(const TextIndexOptions& options, const QueryStats& stats);

  // factor * idf(t) * (k1 + 1): the part of s(t, d) that does not depend on d.
  double TermWeight(const TermStats& term) const;

  // s(t, d) / TermWeight: the saturated tf~ for the per-field term
  // frequencies `tfs` (tfs[f] for field f) and field lengths `lengths`.
  double DocumentPart(const uint32_t* tfs, const uint16_t* lengths) const;

  // DocumentPart with the term frequencies packed as in PackFieldFrequencies.
  double PackedDocumentPart(uint16_t packed_tfs, const uint16_t* lengths) const {
    double tf = 0;
    for (size_t f = 0; packed_tfs != 0; ++f, packed_tfs >>= 3) {
      const uint32_t count = packed_tfs & 7u;
      if (count == 0) continue;
      tf += count * (lengths[f] < kNormTableSize ? inverse_norm_[f][lengths[f]]
                                                 : InverseNorm(f, lengths[f]));
    }
    return tf / (tf + k1_);
  }

 private:
  // Field lengths below this use a table of weight / norm made per query.
  static constexpr size_t kNormTableSize = 128;

  // weight_f / (1 - b + b * length / avglen_f).
  double InverseNorm(size_t field, uint32_t length) const {
    return weight_[field] / (one_minus_b_ + b_over_average_[field] * length);
  }

  size_t field_count_;
  double k1_;
  double one_minus_b_;
  double weight_[kMaxFields];
  double b_over_average_[kMaxFields];  // b / avglen_f (0 for an empty field).
  double doc_count_;
  double inverse_norm_[kMaxFields][kNormTableSize];
};

// Packs per-field term frequencies (each capped at kMaxFieldTermFrequency)
// into 3 bits per field, field f at bits [3f, 3f + 3).
uint16_t PackFieldFrequencies(const uint32_t* tfs, size_t field_count);

}  // namespace otter::engine::text
