#pragma once
// Builds a TextIndex from documents given once, in ascending doc id order.
// Each document is a list of (field, text) values; a field may appear more
// than once (one value per tag, city and country both in "location").
// Words are tokenized and folded (tokenizer.h), stop words dropped
// (stop_words.h) and stemmed (stemmer.h); each distinct word is stemmed
// once per builder.
//
//   absl::StatusOr<TextIndexBuilder> builder =
//       TextIndexBuilder::Create(TextIndexOptions::Tours());
//   OTTER_RETURN_IF_ERROR(builder->AddDocument(7, {{kTourTitle, "Sunset kayak"},
//                                                  {kTourTags, "water"}}));
//   TextIndex index = std::move(*builder).Build();
//
// Thread safety: a builder is used by one thread at a time.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "engine/text/bm25.h"
#include "engine/text/stemmer.h"
#include "engine/text/text_index.h"

namespace otter::engine::text {

// One value of one field of a document.
struct FieldText {
  uint32_t field = 0;  // Index into TextIndexOptions::fields.
  std::string_view text;
};

class TextIndexBuilder {
 public:
  // Returns a builder for `options`, or the kInvalidArgument of
  // TextIndexOptions::Validate.
  static absl::StatusOr<TextIndexBuilder> Create(TextIndexOptions options);

  TextIndexBuilder(TextIndexBuilder&&) = default;
  TextIndexBuilder& operator=(TextIndexBuilder&&) = default;

  // Indexes document `doc`. Returns kInvalidArgument when `doc` is not
  // greater than the previous document's id, or a value names a field
  // outside the schema (nothing of the document is indexed then).
  absl::Status AddDocument(uint32_t doc, absl::Span<const FieldText> values);

  // Number of documents added so far.
  size_t doc_count() const { return index_.doc_ids_.size(); }

  // Finishes the index. The builder is spent afterwards.
  TextIndex Build() &&;

 private:
  // Everything known about one distinct indexed word.
  struct WordInfo {
    uint32_t term = 0;
    uint32_t doc_frequency = 0;
    uint32_t occurrences = 0;
    uint32_t last_doc_ord = UINT32_MAX;  // To count each document once.
  };

  explicit TextIndexBuilder(TextIndexOptions options);

  // The id of the folded word `word`, adding it (and its stem) if new.
  uint32_t WordId(std::string_view word);

  TextIndex index_;
  Stemmer stemmer_;
  absl::flat_hash_map<std::string, uint32_t> word_ids_;
  std::vector<std::string> words_;
  std::vector<WordInfo> word_infos_;
  // How often each word was spelled in a non-ASCII way, by display form.
  absl::flat_hash_map<std::pair<uint32_t, std::string>, uint32_t> spellings_;
  // Postings under construction, per term.
  std::vector<std::vector<uint32_t>> term_ords_;
  std::vector<std::vector<uint16_t>> term_tfs_;
  // Scratch of AddDocument: (term, field) per indexed word.
  std::vector<std::pair<uint32_t, uint32_t>> scratch_;
};

}  // namespace otter::engine::text
