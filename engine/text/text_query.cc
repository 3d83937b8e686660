#include "engine/text/text_query.h"

#include <algorithm>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "engine/text/stop_words.h"
#include "engine/text/tokenizer.h"

namespace otter::engine::text {

int MaxEditsFor(std::string_view word) {
  if (std::any_of(word.begin(), word.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return 0;
  }
  const size_t letters = CodePointCount(word);
  if (letters >= 9) return 2;
  if (letters >= 5) return 1;
  return 0;
}

absl::StatusOr<TextQuery> Analyzer::ParseQuery(std::string_view text,
                                               const QueryParseOptions& options) {
  if (text.size() > kMaxQueryBytes) {
    return absl::InvalidArgumentError(absl::StrCat("query text is ", text.size(),
                                                   " bytes long; the limit is ", kMaxQueryBytes));
  }
  std::vector<std::string> words;
  size_t word_count = 0;
  Tokenize(text, [&](const Token& token) {
    ++word_count;
    if (!IsStopWord(token.word)) words.emplace_back(token.word);
  });
  if (word_count > kMaxQueryWords) {
    return absl::InvalidArgumentError(absl::StrCat("query has ", word_count,
                                                   " words; the limit is ", kMaxQueryWords));
  }
  if (words.empty()) {
    return absl::InvalidArgumentError(
        word_count == 0 ? "query has no words to search for (it is empty or only punctuation)"
                        : "query has no words to search for (only stop words such as \"the\")");
  }
  TextQuery query;
  for (size_t i = 0; i < words.size(); ++i) {
    QueryWord word;
    word.stem = stemmer_.Stem(words[i]);
    word.max_edits = options.typo_tolerance ? MaxEditsFor(words[i]) : 0;
    word.prefix = options.prefix_last_word && i + 1 == words.size();
    word.word = std::move(words[i]);
    if (std::find(query.words.begin(), query.words.end(), word) == query.words.end()) {
      query.words.push_back(std::move(word));
    }
  }
  return query;
}

absl::StatusOr<TextQuery> ParseTextQuery(std::string_view text, const QueryParseOptions& options) {
  thread_local Analyzer analyzer;
  return analyzer.ParseQuery(text, options);
}

}  // namespace otter::engine::text
