#pragma once
// Splits text into normalized words: maximal runs of letters and digits
// (Unicode categories L* and N*) after folding each code point with
// FoldCodePoint (normalizer.h). Everything else separates words, except an
// apostrophe (U+0027 or U+2019) between two word characters, which is dropped
// so that "guide's" gives "guides" and "O'Brien" gives "obrien". Words are
// truncated to kMaxWordBytes at a code point boundary. Scripts written
// without spaces (Chinese, Japanese, Thai) give one word per run, not one per
// dictionary word.
//
//   Tokenize("Café crème, Montréal!", [](const Token& t) { ... });
//   // t.word: "cafe", "creme", "montreal"; t.raw: "Café", "crème", "Montréal"
//
// Thread safety: Tokenize is pure and safe to call concurrently.

#include <cstddef>
#include <string_view>

#include "absl/functional/function_ref.h"

namespace otter::engine::text {

// Longest word kept, in bytes of its folded UTF-8 form.
inline constexpr size_t kMaxWordBytes = 64;

// One word of a text.
struct Token {
  // The folded word (lowercase, no accents), valid during the callback only.
  std::string_view word;
  // The bytes of the input the word came from ("Café" for "cafe").
  std::string_view raw;
  // True when `raw` is all ASCII, so that `word` is simply its lowercase.
  bool ascii = true;
};

// Calls `on_token` for each word of `text`, in order. Never fails: invalid
// UTF-8 bytes count as separators.
void Tokenize(std::string_view text, absl::FunctionRef<void(const Token&)> on_token);

// Returns the number of Unicode code points of the valid UTF-8 `word`.
size_t CodePointCount(std::string_view word);

}  // namespace otter::engine::text
