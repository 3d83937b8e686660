#include "engine/catalog/civil_day.h"

#include "absl/strings/str_cat.h"

namespace otter::engine {
namespace {

bool IsLeapYear(int year) { return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0; }

int DaysInMonth(int year, int month) {
  static constexpr int kDays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && IsLeapYear(year) ? 29 : kDays[month - 1];
}

}  // namespace

// Howard Hinnant's days_from_civil.
CivilDay DaysFromCivil(int year, int month, int day) {
  year -= month <= 2 ? 1 : 0;
  const int era = (year >= 0 ? year : year - 399) / 400;
  const int yoe = year - era * 400;
  const int doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
  const int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

absl::StatusOr<CivilDay> ParseIsoDate(std::string_view text, std::string_view field) {
  auto invalid = [&] {
    return absl::InvalidArgumentError(absl::StrCat(
        std::string(field), " must be a date written YYYY-MM-DD, got \"", std::string(text),
        "\""));
  };
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return invalid();
  int parts[3] = {0, 0, 0};
  const int starts[3] = {0, 5, 8};
  const int lengths[3] = {4, 2, 2};
  for (int p = 0; p < 3; ++p) {
    for (int i = 0; i < lengths[p]; ++i) {
      const char c = text[starts[p] + i];
      if (c < '0' || c > '9') return invalid();
      parts[p] = parts[p] * 10 + (c - '0');
    }
  }
  const int year = parts[0], month = parts[1], day = parts[2];
  if (year < 1 || month < 1 || month > 12 || day < 1 || day > DaysInMonth(year, month)) {
    return invalid();
  }
  return DaysFromCivil(year, month, day);
}

// Howard Hinnant's civil_from_days.
std::string FormatIsoDate(CivilDay day) {
  const int z = day + 719468;
  const int era = (z >= 0 ? z : z - 146096) / 146097;
  const int doe = z - era * 146097;
  const int yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int mp = (5 * doy + 2) / 153;
  const int d = doy - (153 * mp + 2) / 5 + 1;
  const int m = mp < 10 ? mp + 3 : mp - 9;
  const int y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  // Month and day are 1..12 and 1..31: two digits each.
  std::string text = absl::StrCat(y, "-", m < 10 ? "0" : "", m, "-", d < 10 ? "0" : "", d);
  if (y >= 0 && y < 1000) text.insert(0, y < 10 ? "000" : y < 100 ? "00" : "0");
  return text;
}

}  // namespace otter::engine
