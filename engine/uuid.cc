#include "engine/uuid.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace otter::engine {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

absl::StatusOr<Uuid> Uuid::Parse(std::string_view text) {
  std::string_view digits = text;
  if (digits.size() == 38 && digits.front() == '{' && digits.back() == '}') {
    digits = digits.substr(1, 36);
  }
  const bool hyphenated = digits.size() == 36;
  if (!hyphenated && digits.size() != 32) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid UUID \"", std::string(text.substr(0, 64)),
                     "\": expected 36 characters like 123e4567-e89b-12d3-a456-426614174000"));
  }
  std::array<uint8_t, 16> bytes{};
  size_t pos = 0;
  for (size_t i = 0; i < 16; ++i) {
    if (hyphenated && (pos == 8 || pos == 13 || pos == 18 || pos == 23)) {
      if (digits[pos] != '-') {
        return absl::InvalidArgumentError(
            absl::StrCat("invalid UUID \"", std::string(text), "\": expected '-' at position ", pos));
      }
      ++pos;
    }
    const int hi = HexValue(digits[pos]);
    const int lo = HexValue(digits[pos + 1]);
    if (hi < 0 || lo < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("invalid UUID \"", std::string(text), "\": non-hexadecimal character"));
    }
    bytes[i] = static_cast<uint8_t>(hi << 4 | lo);
    pos += 2;
  }
  return Uuid(bytes);
}

std::string Uuid::ToString() const {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(36);
  for (size_t i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out.push_back('-');
    out.push_back(kHex[bytes_[i] >> 4]);
    out.push_back(kHex[bytes_[i] & 0xf]);
  }
  return out;
}

}  // namespace otter::engine
