#pragma once
// Calendar days as the catalog stores them: days since 1970-01-01 in the
// proleptic Gregorian calendar (PostgreSQL's `date`), as a plain int32.
//
//   absl::StatusOr<CivilDay> day = ParseIsoDate("2027-05-01");
//   std::string text = FormatIsoDate(*day);  // "2027-05-01"
//
// Thread safety: pure functions.

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace otter::engine {

// Days since 1970-01-01 (negative before it).
using CivilDay = int32_t;

// The day number of year/month/day. Requires a valid calendar date.
CivilDay DaysFromCivil(int year, int month, int day);

// Parses "YYYY-MM-DD" (years 0001..9999). Returns kInvalidArgument naming
// `field` (e.g. "filters.available.from") when the text is not a valid date.
absl::StatusOr<CivilDay> ParseIsoDate(std::string_view text,
                                      std::string_view field = "date");

// The "YYYY-MM-DD" form of `day`.
std::string FormatIsoDate(CivilDay day);

}  // namespace otter::engine
