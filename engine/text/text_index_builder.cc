#include "engine/text/text_index_builder.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "engine/text/normalizer.h"
#include "engine/text/stop_words.h"
#include "engine/text/tokenizer.h"

namespace otter::engine::text {
namespace {

// Debian's Abseil has its own string_view; heterogeneous look-ups need one.
absl::string_view AbslView(std::string_view view) { return {view.data(), view.size()}; }

}  // namespace

absl::StatusOr<TextIndexBuilder> TextIndexBuilder::Create(TextIndexOptions options) {
  if (absl::Status status = options.Validate(); !status.ok()) return status;
  return TextIndexBuilder(std::move(options));
}

TextIndexBuilder::TextIndexBuilder(TextIndexOptions options) {
  index_.field_count_ = options.fields.size();
  index_.field_length_sums_.assign(index_.field_count_, 0);
  index_.options_ = std::move(options);
}

uint32_t TextIndexBuilder::WordId(std::string_view word) {
  if (auto it = word_ids_.find(AbslView(word)); it != word_ids_.end()) return it->second;
  const std::string stem = stemmer_.Stem(word);
  uint32_t term = 0;
  if (auto it = index_.term_ids_.find(stem); it != index_.term_ids_.end()) {
    term = it->second;
  } else {
    term = static_cast<uint32_t>(index_.terms_.size());
    index_.term_ids_.emplace(stem, term);
    index_.terms_.push_back(stem);
    term_ords_.emplace_back();
    term_tfs_.emplace_back();
  }
  const auto id = static_cast<uint32_t>(words_.size());
  word_ids_.emplace(std::string(word), id);
  words_.emplace_back(word);
  word_infos_.push_back(WordInfo{term, 0, 0, UINT32_MAX});
  return id;
}

absl::Status TextIndexBuilder::AddDocument(uint32_t doc, absl::Span<const FieldText> values) {
  if (!index_.doc_ids_.empty() && doc <= index_.doc_ids_.back()) {
    return absl::InvalidArgumentError(absl::StrCat("document ", doc,
                                                   " added after document ",
                                                   index_.doc_ids_.back(),
                                                   "; ids must be strictly increasing"));
  }
  for (const FieldText& value : values) {
    if (value.field >= index_.field_count_) {
      return absl::InvalidArgumentError(absl::StrCat("document ", doc, " has field ", value.field,
                                                     "; the schema has ", index_.field_count_,
                                                     " fields"));
    }
  }
  const auto ord = static_cast<uint32_t>(index_.doc_ids_.size());
  index_.doc_ids_.push_back(doc);
  uint32_t lengths[kMaxFields] = {};
  scratch_.clear();
  for (const FieldText& value : values) {
    Tokenize(value.text, [&](const Token& token) {
      if (IsStopWord(token.word)) return;
      const uint32_t id = WordId(token.word);
      WordInfo& info = word_infos_[id];
      ++info.occurrences;
      if (info.last_doc_ord != ord) {
        info.last_doc_ord = ord;
        ++info.doc_frequency;
      }
      if (!token.ascii) {
        std::string display = DisplayForm(token.raw);
        if (display != token.word) ++spellings_[{id, std::move(display)}];
      }
      scratch_.emplace_back(info.term, value.field);
      ++lengths[value.field];
    });
  }
  for (size_t f = 0; f < index_.field_count_; ++f) {
    const uint16_t length = static_cast<uint16_t>(std::min<uint32_t>(lengths[f], UINT16_MAX));
    index_.field_lengths_.push_back(length);
    index_.field_length_sums_[f] += length;
  }
  std::sort(scratch_.begin(), scratch_.end());
  for (size_t i = 0; i < scratch_.size();) {
    const uint32_t term = scratch_[i].first;
    uint32_t tfs[kMaxFields] = {};
    for (; i < scratch_.size() && scratch_[i].first == term; ++i) ++tfs[scratch_[i].second];
    term_ords_[term].push_back(ord);
    term_tfs_[term].push_back(PackFieldFrequencies(tfs, index_.field_count_));
  }
  return absl::OkStatus();
}

TextIndex TextIndexBuilder::Build() && {
  TextIndex& index = index_;
  uint64_t total = 0;
  for (const auto& ords : term_ords_) total += ords.size();
  index.posting_offsets_.reserve(term_ords_.size() + 1);
  index.posting_ords_.reserve(total);
  index.posting_tfs_.reserve(total);
  index.posting_offsets_.push_back(0);
  for (size_t t = 0; t < term_ords_.size(); ++t) {
    index.posting_ords_.insert(index.posting_ords_.end(), term_ords_[t].begin(),
                               term_ords_[t].end());
    index.posting_tfs_.insert(index.posting_tfs_.end(), term_tfs_[t].begin(), term_tfs_[t].end());
    index.posting_offsets_.push_back(index.posting_ords_.size());
    std::vector<uint32_t>().swap(term_ords_[t]);
    std::vector<uint16_t>().swap(term_tfs_[t]);
  }

  // The display form of a word: its most frequent non-ASCII spelling, when
  // that is more frequent than the plain folded one.
  std::vector<uint32_t> variant_total(words_.size(), 0);
  absl::flat_hash_map<uint32_t, std::pair<std::string, uint32_t>> best;
  for (auto& [key, count] : spellings_) {
    variant_total[key.first] += count;
    auto& current = best[key.first];
    if (count > current.second || (count == current.second && key.second < current.first)) {
      current = {key.second, count};
    }
  }
  std::vector<Vocabulary::Entry> entries;
  entries.reserve(words_.size());
  for (size_t id = 0; id < words_.size(); ++id) {
    Vocabulary::Entry entry;
    entry.word = std::move(words_[id]);
    entry.term = word_infos_[id].term;
    entry.doc_frequency = word_infos_[id].doc_frequency;
    if (auto it = best.find(static_cast<uint32_t>(id)); it != best.end()) {
      const uint32_t plain = word_infos_[id].occurrences - variant_total[id];
      if (it->second.second > plain) entry.display = std::move(it->second.first);
    }
    entries.push_back(std::move(entry));
  }
  index.vocabulary_ = Vocabulary::Build(std::move(entries));
  index.doc_ids_.shrink_to_fit();
  index.field_lengths_.shrink_to_fit();

  // Impacts under the index's own statistics: those of every query on this
  // index alone.
  QueryStats own(index.field_count_, 0);
  own.doc_count = index.doc_ids_.size();
  own.field_length_sums = index.field_length_sums_;
  const Bm25FScorer own_scorer(index.options_, own);
  index.impacts_ = PostingImpacts::Build(index.postings_view(), own_scorer);
  index.dense_ = DenseBitmaps::Build(index.postings_view());
  return std::move(index_);
}

}  // namespace otter::engine::text
