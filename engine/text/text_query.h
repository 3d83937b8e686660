#pragma once
// Parsing of a user's text query into the words the text index matches:
// tokenized and folded like documents (tokenizer.h), stop words dropped,
// each word stemmed, with its typo budget and whether it is matched as a
// prefix (the last word, for search-as-you-type).
//
//   absl::StatusOr<TextQuery> query = ParseTextQuery("Sunset kayak tou");
//   // words: {sunset, sunset, 1 edit}, {kayak, kayak, 1 edit},
//   //        {tou, tou, 0 edits, prefix}
//
// Thread safety: an Analyzer is NOT thread-safe (it owns a Stemmer); use one
// per thread. ParseTextQuery uses a thread-local Analyzer and is safe to call
// from any number of threads.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/text/stemmer.h"

namespace otter::engine::text {

// Longest accepted query text, in bytes.
inline constexpr size_t kMaxQueryBytes = 1024;
// Most words (stop words included) accepted in one query.
inline constexpr size_t kMaxQueryWords = 32;

// One searchable word of a query.
struct QueryWord {
  std::string word;   // Folded, as Tokenize gives it ("montreal").
  std::string stem;   // Stemmer::Stem(word): the exact-match term.
  int max_edits = 0;  // Typo budget: MaxEditsFor(word), or 0 when disabled.
  bool prefix = false;  // Also matches indexed words that start with `word`.

  friend bool operator==(const QueryWord&, const QueryWord&) = default;
};

// A parsed query: documents must match every word (AND).
struct TextQuery {
  std::vector<QueryWord> words;
};

struct QueryParseOptions {
  // Match the last word as a prefix too (search-as-you-type).
  bool prefix_last_word = true;
  // Allow typos: MaxEditsFor(word) edits per word.
  bool typo_tolerance = true;
};

// The typo budget of a folded word: 0 below 5 code points, 1 from 5, 2 from
// 9; always 0 for a word containing a digit ("10001" never matches "10002").
int MaxEditsFor(std::string_view word);

class Analyzer {
 public:
  Analyzer() = default;

  // Parses `text`. Duplicate words are kept once. Returns kInvalidArgument
  // when the text is longer than kMaxQueryBytes, has more than
  // kMaxQueryWords words, or has no searchable word (empty, punctuation
  // only, or only stop words); the message says which. Invalid UTF-8 bytes
  // are treated as separators, never an error.
  absl::StatusOr<TextQuery> ParseQuery(std::string_view text,
                                       const QueryParseOptions& options = {});

  // The stem of a folded word (see Stemmer::Stem).
  std::string Stem(std::string_view word) { return stemmer_.Stem(word); }

 private:
  Stemmer stemmer_;
};

// Analyzer::ParseQuery with a thread-local Analyzer.
absl::StatusOr<TextQuery> ParseTextQuery(std::string_view text,
                                         const QueryParseOptions& options = {});

}  // namespace otter::engine::text
