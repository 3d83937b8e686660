#pragma once
// Unicode normalization of text for the text index: case folding (full, so
// "Straße" folds to "strasse"), compatibility decomposition ("ﬁ" -> "fi",
// full-width letters -> ASCII) and accent folding (combining marks dropped:
// "Montréal" -> "montreal"), all through utf8proc. Invalid UTF-8 bytes are
// replaced by U+FFFD, which is not a word character, so they split words.
//
//   std::string folded;
//   AppendFoldedCodePoint(U'É', &folded);        // folded == "e"
//   std::string shown = DisplayForm("CAFÉ");     // "café"
//
// Thread safety: every function here is pure and safe to call concurrently.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace otter::engine::text {

// The replacement for a byte sequence that is not valid UTF-8.
inline constexpr char32_t kReplacementCharacter = 0xFFFD;

// Decodes the code point that starts at `text[pos]` and stores its length in
// bytes (at least 1) in `*length`. Returns kReplacementCharacter, with
// `*length` == 1, when the bytes there are not valid UTF-8. Requires
// pos < text.size().
char32_t DecodeCodePoint(std::string_view text, size_t pos, size_t* length);

// Appends the UTF-8 encoding of `cp` to `*out`. Requires a valid scalar value.
void AppendUtf8(char32_t cp, std::string* out);

// Returns true when `cp` is a letter or a digit (general categories L* and
// N*): the characters that make up indexed words.
bool IsWordCodePoint(char32_t cp);

// Case-folds, decomposes (compatibility) and strips the marks of `cp`, then
// appends the resulting code points to `out` (up to `capacity` of them).
// Returns how many it produced: 0 for a mark or a default-ignorable code
// point such as a soft hyphen, more than 1 for expansions such as "ß" -> "ss",
// and never more than `capacity`.
size_t FoldCodePoint(char32_t cp, char32_t* out, size_t capacity);

// The folded form of a whole word or phrase: each code point through
// FoldCodePoint, non-word code points kept as they are. For ASCII input it is
// the lowercase text.
std::string FoldText(std::string_view text);

// The lowercase form of `text` with its accents kept ("Montréal" ->
// "montréal"), NFC-composed: what suggestions show. Returns the FoldText of
// `text` when it is not valid UTF-8.
std::string DisplayForm(std::string_view text);

}  // namespace otter::engine::text
