#include "engine/text/bm25.h"

#include <algorithm>
#include <cassert>
#include <cmath>

#include "absl/strings/str_cat.h"

namespace otter::engine::text {

TextIndexOptions TextIndexOptions::Tours() {
  TextIndexOptions options;
  options.fields = {{"title", 4.0}, {"tags", 2.5}, {"category", 2.0},
                    {"location", 1.5}, {"description", 1.0}};
  return options;
}

TextIndexOptions TextIndexOptions::Leaders() {
  TextIndexOptions options;
  options.fields = {{"display_name", 4.0}, {"specialties", 2.5}, {"city", 1.5}, {"bio", 1.0}};
  return options;
}

absl::Status TextIndexOptions::Validate() const {
  if (fields.empty() || fields.size() > kMaxFields) {
    return absl::InvalidArgumentError(absl::StrCat("text index has ", fields.size(),
                                                   " fields; it needs 1 to ", kMaxFields));
  }
  for (const FieldSpec& field : fields) {
    if (!(field.weight > 0) || !std::isfinite(field.weight)) {
      return absl::InvalidArgumentError(
          absl::StrCat("weight of field \"", field.name, "\" must be positive and finite"));
    }
  }
  if (!(k1 >= 0) || !std::isfinite(k1)) return absl::InvalidArgumentError("k1 must be >= 0");
  if (!(b >= 0 && b <= 1)) return absl::InvalidArgumentError("b must be within [0, 1]");
  for (double factor : {prefix_factor, one_edit_factor, two_edit_factor}) {
    if (!(factor > 0 && factor <= 1)) {
      return absl::InvalidArgumentError("prefix and typo factors must be within (0, 1]");
    }
  }
  return absl::OkStatus();
}

Bm25FScorer::Bm25FScorer(const TextIndexOptions& options, const QueryStats& stats)
    : field_count_(options.fields.size()),
      k1_(options.k1),
      one_minus_b_(1 - options.b),
      weight_{},
      b_over_average_{},
      doc_count_(static_cast<double>(stats.doc_count)) {
  assert(stats.field_length_sums.size() == field_count_);
  for (size_t f = 0; f < field_count_; ++f) {
    weight_[f] = options.fields[f].weight;
    const double average =
        stats.doc_count == 0 ? 0 : static_cast<double>(stats.field_length_sums[f]) / doc_count_;
    b_over_average_[f] = average > 0 ? options.b / average : 0;
    for (size_t length = 0; length < kNormTableSize; ++length) {
      inverse_norm_[f][length] = InverseNorm(f, static_cast<uint32_t>(length));
    }
  }
}

double Bm25FScorer::TermWeight(const TermStats& term) const {
  const double df = static_cast<double>(term.doc_frequency);
  const double idf = std::log(1 + (doc_count_ - df + 0.5) / (df + 0.5));
  return term.factor * idf * (k1_ + 1);
}

double Bm25FScorer::DocumentPart(const uint32_t* tfs, const uint16_t* lengths) const {
  double tf = 0;
  for (size_t f = 0; f < field_count_; ++f) {
    if (tfs[f] == 0) continue;
    const double capped = std::min(tfs[f], kMaxFieldTermFrequency);
    tf += capped * InverseNorm(f, lengths[f]);
  }
  return tf / (tf + k1_);
}

uint16_t PackFieldFrequencies(const uint32_t* tfs, size_t field_count) {
  uint32_t packed = 0;
  for (size_t f = 0; f < field_count && f < kMaxFields; ++f) {
    packed |= std::min(tfs[f], kMaxFieldTermFrequency) << (3 * f);
  }
  return static_cast<uint16_t>(packed);
}

}  // namespace otter::engine::text
