#include "engine/text/tokenizer.h"

#include <string>

#include "engine/text/normalizer.h"

namespace otter::engine::text {
namespace {

bool IsApostrophe(char32_t cp) { return cp == U'\'' || cp == U'\u2019'; }

bool IsAsciiWordByte(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// Whether the code point at `pos` (if any) folds to a word character.
bool WordCharacterAt(std::string_view text, size_t pos) {
  if (pos >= text.size()) return false;
  size_t length = 0;
  const char32_t cp = DecodeCodePoint(text, pos, &length);
  char32_t folded[32];
  const size_t n = FoldCodePoint(cp, folded, 32);
  return n > 0 && IsWordCodePoint(folded[0]);
}

// Accumulates one word and hands it to the callback.
class WordBuffer {
 public:
  explicit WordBuffer(std::string_view text, absl::FunctionRef<void(const Token&)> on_token)
      : text_(text), on_token_(on_token) {}

  bool empty() const { return word_.empty(); }

  // Appends the folded code point `cp` taken from text_[start, end).
  void Append(char32_t cp, size_t start, size_t end, bool ascii) {
    if (word_.empty()) {
      start_ = start;
      ascii_ = true;
    }
    const size_t before = word_.size();
    AppendUtf8(cp, &word_);
    if (word_.size() > kMaxWordBytes) {
      word_.resize(before);  // Truncated: the rest of the run is skipped.
      return;
    }
    end_ = end;
    ascii_ = ascii_ && ascii;
  }

  void Flush() {
    if (word_.empty()) return;
    on_token_(Token{word_, text_.substr(start_, end_ - start_), ascii_});
    word_.clear();
  }

 private:
  std::string_view text_;
  absl::FunctionRef<void(const Token&)> on_token_;
  std::string word_;
  size_t start_ = 0;
  size_t end_ = 0;
  bool ascii_ = true;
};

}  // namespace

void Tokenize(std::string_view text, absl::FunctionRef<void(const Token&)> on_token) {
  WordBuffer buffer(text, on_token);
  char32_t folded[32];
  for (size_t pos = 0; pos < text.size();) {
    const auto byte = static_cast<unsigned char>(text[pos]);
    if (IsAsciiWordByte(byte)) {
      const char lower = (byte >= 'A' && byte <= 'Z') ? static_cast<char>(byte + ('a' - 'A'))
                                                      : static_cast<char>(byte);
      buffer.Append(static_cast<char32_t>(lower), pos, pos + 1, true);
      ++pos;
      continue;
    }
    size_t length = 0;
    const char32_t cp = DecodeCodePoint(text, pos, &length);
    const size_t start = pos;
    pos += length;
    if (IsApostrophe(cp) && !buffer.empty() && WordCharacterAt(text, pos)) continue;
    const size_t n = FoldCodePoint(cp, folded, 32);
    // A code point that folds to nothing (a combining mark, a soft hyphen)
    // neither extends nor ends the word, as if it were absent.
    for (size_t i = 0; i < n; ++i) {
      if (IsWordCodePoint(folded[i])) {
        buffer.Append(folded[i], start, pos, false);
      } else {
        buffer.Flush();
      }
    }
  }
  buffer.Flush();
}

size_t CodePointCount(std::string_view word) {
  size_t count = 0;
  for (char c : word) {
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++count;
  }
  return count;
}

}  // namespace otter::engine::text
