#pragma once
// A 128-bit UUID as the database stores it, parsed from and formatted to the
// canonical 36-character text form ("8-4-4-4-12" lowercase hex).
//
//   absl::StatusOr<Uuid> id = Uuid::Parse("6f1c0a5e-...");
//   std::string text = id->ToString();

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/hash/hash.h"
#include "absl/status/statusor.h"

namespace otter::engine {

class Uuid {
 public:
  // The nil UUID (all zero bytes).
  constexpr Uuid() = default;
  explicit constexpr Uuid(const std::array<uint8_t, 16>& bytes) : bytes_(bytes) {}

  // Parses the canonical form, case-insensitively. Also accepts the 32-digit
  // form without hyphens and one enclosed in braces, as PostgreSQL does.
  // Returns kInvalidArgument naming the problem otherwise.
  static absl::StatusOr<Uuid> Parse(std::string_view text);

  // The canonical lowercase 36-character form.
  std::string ToString() const;

  const std::array<uint8_t, 16>& bytes() const { return bytes_; }

  friend bool operator==(const Uuid&, const Uuid&) = default;
  friend auto operator<=>(const Uuid&, const Uuid&) = default;

  template <typename H>
  friend H AbslHashValue(H h, const Uuid& id) {
    return H::combine_contiguous(std::move(h), id.bytes_.data(), id.bytes_.size());
  }

 private:
  std::array<uint8_t, 16> bytes_{};
};

}  // namespace otter::engine
