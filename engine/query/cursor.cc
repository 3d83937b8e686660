#include "engine/query/cursor.h"

#include <array>
#include <cstring>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"

namespace otter::engine::query {
namespace {

constexpr uint8_t kCursorVersion = 1;

void PutU32(std::string& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
void PutU64(std::string& out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
uint64_t GetLe(const std::string& in, size_t at, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v |= uint64_t{static_cast<uint8_t>(in[at + i])} << (8 * i);
  return v;
}

}  // namespace

std::string EncodeCursor(const Cursor& cursor) {
  std::string raw;
  raw.push_back(static_cast<char>(kCursorVersion));
  PutU32(raw, cursor.fingerprint);
  PutU32(raw, cursor.position);
  raw.push_back(static_cast<char>(cursor.sort_values.size()));
  for (double value : cursor.sort_values) {
    uint64_t bits;
    std::memcpy(&bits, &value, sizeof bits);
    PutU64(raw, bits);
  }
  raw.append(reinterpret_cast<const char*>(cursor.last_id.bytes().data()), 16);
  return absl::WebSafeBase64Escape(raw);
}

absl::StatusOr<Cursor> DecodeCursor(std::string_view text, uint32_t fingerprint,
                                    size_t value_count) {
  std::string raw;
  if (!absl::WebSafeBase64Unescape(std::string(text), &raw) || raw.size() < 10 ||
      static_cast<uint8_t>(raw[0]) != kCursorVersion) {
    return absl::InvalidArgumentError("cursor is malformed");
  }
  Cursor cursor;
  cursor.fingerprint = static_cast<uint32_t>(GetLe(raw, 1, 4));
  cursor.position = static_cast<uint32_t>(GetLe(raw, 5, 4));
  const size_t count = static_cast<uint8_t>(raw[9]);
  if (raw.size() != 10 + 8 * count + 16) return absl::InvalidArgumentError("cursor is malformed");
  if (cursor.fingerprint != fingerprint || count != value_count) {
    return absl::InvalidArgumentError("cursor belongs to a query with a different order");
  }
  for (size_t i = 0; i < count; ++i) {
    const uint64_t bits = GetLe(raw, 10 + 8 * i, 8);
    double value;
    std::memcpy(&value, &bits, sizeof value);
    cursor.sort_values.push_back(value);
  }
  std::array<uint8_t, 16> id{};
  std::memcpy(id.data(), raw.data() + 10 + 8 * count, 16);
  cursor.last_id = Uuid(id);
  return cursor;
}

}  // namespace otter::engine::query
