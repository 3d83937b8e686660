#include "engine/text/normalizer.h"

#include <cstdlib>
#include <memory>

#include <utf8proc.h>

namespace otter::engine::text {
namespace {

// Case folding, compatibility decomposition, mark stripping and removal of
// default-ignorable code points (soft hyphen, zero-width joiner...).
constexpr int kFoldOptions = UTF8PROC_DECOMPOSE | UTF8PROC_COMPAT | UTF8PROC_CASEFOLD |
                             UTF8PROC_STRIPMARK | UTF8PROC_IGNORE;

}  // namespace

char32_t DecodeCodePoint(std::string_view text, size_t pos, size_t* length) {
  const auto* bytes = reinterpret_cast<const utf8proc_uint8_t*>(text.data() + pos);
  if (bytes[0] < 0x80) {
    *length = 1;
    return bytes[0];
  }
  utf8proc_int32_t cp = 0;
  const utf8proc_ssize_t n =
      utf8proc_iterate(bytes, static_cast<utf8proc_ssize_t>(text.size() - pos), &cp);
  if (n <= 0 || cp < 0) {
    *length = 1;
    return kReplacementCharacter;
  }
  *length = static_cast<size_t>(n);
  return static_cast<char32_t>(cp);
}

void AppendUtf8(char32_t cp, std::string* out) {
  utf8proc_uint8_t buffer[4];
  const utf8proc_ssize_t n = utf8proc_encode_char(static_cast<utf8proc_int32_t>(cp), buffer);
  out->append(reinterpret_cast<const char*>(buffer), static_cast<size_t>(n));
}

bool IsWordCodePoint(char32_t cp) {
  if (cp < 0x80) {
    return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') || (cp >= '0' && cp <= '9');
  }
  switch (utf8proc_category(static_cast<utf8proc_int32_t>(cp))) {
    case UTF8PROC_CATEGORY_LU:
    case UTF8PROC_CATEGORY_LL:
    case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM:
    case UTF8PROC_CATEGORY_LO:
    case UTF8PROC_CATEGORY_ND:
    case UTF8PROC_CATEGORY_NL:
    case UTF8PROC_CATEGORY_NO:
      return true;
    default:
      return false;
  }
}

size_t FoldCodePoint(char32_t cp, char32_t* out, size_t capacity) {
  if (capacity == 0) return 0;
  if (cp < 0x80) {
    out[0] = (cp >= 'A' && cp <= 'Z') ? cp + ('a' - 'A') : cp;
    return 1;
  }
  // Full decompositions of a single code point are at most 18 code points.
  utf8proc_int32_t buffer[32];
  int boundclass = UTF8PROC_BOUNDCLASS_START;
  const utf8proc_ssize_t n = utf8proc_decompose_char(static_cast<utf8proc_int32_t>(cp), buffer,
                                                     32, static_cast<utf8proc_option_t>(kFoldOptions),
                                                     &boundclass);
  if (n < 0) {
    out[0] = cp;
    return 1;
  }
  size_t count = 0;
  for (utf8proc_ssize_t i = 0; i < n && i < 32 && count < capacity; ++i) {
    out[count++] = static_cast<char32_t>(buffer[i]);
  }
  return count;
}

std::string FoldText(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  char32_t folded[32];
  for (size_t pos = 0; pos < text.size();) {
    size_t length = 0;
    const char32_t cp = DecodeCodePoint(text, pos, &length);
    pos += length;
    const size_t n = FoldCodePoint(cp, folded, 32);
    for (size_t i = 0; i < n; ++i) AppendUtf8(folded[i], &out);
  }
  return out;
}

std::string DisplayForm(std::string_view text) {
  utf8proc_uint8_t* mapped = nullptr;
  const utf8proc_ssize_t n = utf8proc_map(
      reinterpret_cast<const utf8proc_uint8_t*>(text.data()),
      static_cast<utf8proc_ssize_t>(text.size()), &mapped,
      static_cast<utf8proc_option_t>(UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_CASEFOLD |
                                     UTF8PROC_IGNORE));
  if (n < 0) return FoldText(text);
  std::unique_ptr<utf8proc_uint8_t, decltype(&std::free)> owned(mapped, &std::free);
  return std::string(reinterpret_cast<const char*>(mapped), static_cast<size_t>(n));
}

}  // namespace otter::engine::text
