#include "engine/catalog/records.h"

#include <array>
#include <limits>

#include "absl/strings/str_cat.h"

namespace otter::engine {
namespace {

template <typename Enum, size_t N>
absl::StatusOr<Enum> ParseEnum(std::string_view text, std::string_view field,
                               const std::array<std::string_view, N>& names) {
  for (size_t i = 0; i < N; ++i) {
    if (text == names[i]) return static_cast<Enum>(i);
  }
  std::string expected;
  for (size_t i = 0; i < N; ++i) absl::StrAppend(&expected, i == 0 ? "" : ", ", std::string(names[i]));
  return absl::InvalidArgumentError(absl::StrCat(std::string(field), " must be one of ",
                                                 expected, "; got \"", std::string(text),
                                                 "\""));
}

constexpr std::array<std::string_view, 3> kLeaderTypes = {"leader", "expert", "manager"};
constexpr std::array<std::string_view, 4> kProficiencies = {"basic", "conversational", "fluent",
                                                            "native"};
constexpr std::array<std::string_view, 4> kStatuses = {"open", "full", "cancelled", "completed"};

}  // namespace

absl::StatusOr<LeaderType> ParseLeaderType(std::string_view text, std::string_view field) {
  return ParseEnum<LeaderType>(text, field, kLeaderTypes);
}
absl::StatusOr<Proficiency> ParseProficiency(std::string_view text, std::string_view field) {
  return ParseEnum<Proficiency>(text, field, kProficiencies);
}
absl::StatusOr<ScheduleStatus> ParseScheduleStatus(std::string_view text,
                                                   std::string_view field) {
  return ParseEnum<ScheduleStatus>(text, field, kStatuses);
}

std::string_view LeaderTypeName(LeaderType type) {
  return kLeaderTypes[static_cast<size_t>(type)];
}
std::string_view ProficiencyName(Proficiency proficiency) {
  return kProficiencies[static_cast<size_t>(proficiency)];
}
std::string_view ScheduleStatusName(ScheduleStatus status) {
  return kStatuses[static_cast<size_t>(status)];
}

absl::StatusOr<int64_t> ParseCents(std::string_view text, std::string_view field) {
  auto invalid = [&] {
    return absl::InvalidArgumentError(
        absl::StrCat(std::string(field), " must be a decimal with at most 2 fractional digits, got \"",
                     std::string(text), "\""));
  };
  size_t i = 0;
  bool negative = false;
  if (i < text.size() && (text[i] == '-' || text[i] == '+')) negative = text[i++] == '-';
  int64_t units = 0;
  int digits = 0;
  constexpr int64_t kMaxUnits = std::numeric_limits<int64_t>::max() / 100 - 1;
  for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i, ++digits) {
    units = units * 10 + (text[i] - '0');
    if (units > kMaxUnits) return invalid();
  }
  int64_t fraction = 0;
  int fraction_digits = 0;
  if (i < text.size() && text[i] == '.') {
    for (++i; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i, ++fraction_digits) {
      if (fraction_digits >= 2) {
        if (text[i] != '0') return invalid();  // "1.500" is still exact
        continue;
      }
      fraction = fraction * 10 + (text[i] - '0');
    }
  }
  if (i != text.size() || digits + fraction_digits == 0) return invalid();
  if (fraction_digits == 1) fraction *= 10;
  const int64_t cents = units * 100 + fraction;
  return negative ? -cents : cents;
}

}  // namespace otter::engine
