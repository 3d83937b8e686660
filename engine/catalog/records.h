#pragma once
// The documents the catalog stores, as the loader delivers them from the
// tours, tour_leaders (+ leader_languages, leader_specialties) and
// tour_schedules tables (SPEC section 1, column contract). Money and ratings
// are fixed-point integers so that numeric(10,2) / numeric(3,2) values are
// stored exactly; dates are CivilDay (days since 1970-01-01); timestamps are
// unix microseconds.
//
//   TourRecord tour;
//   tour.id = *Uuid::Parse("…");
//   OTTER_ASSIGN_OR_RETURN(tour.price_cents, ParseCents("129.50", "tours.price"));
//
// Thread safety: plain values; the catalog shares them as shared_ptr<const>.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/catalog/civil_day.h"
#include "engine/geodesy.h"
#include "engine/uuid.h"

namespace otter::engine {

// tour_leaders.type.
enum class LeaderType : uint8_t { kLeader = 0, kExpert = 1, kManager = 2 };

// leader_languages.proficiency, in increasing order.
enum class Proficiency : uint8_t { kBasic = 0, kConversational = 1, kFluent = 2, kNative = 3 };

// tour_schedules.status.
enum class ScheduleStatus : uint8_t { kOpen = 0, kFull = 1, kCancelled = 2, kCompleted = 3 };

// Parse the database's text forms ("expert", "fluent", "open"). Return
// kInvalidArgument naming `field` for any other text.
absl::StatusOr<LeaderType> ParseLeaderType(std::string_view text,
                                           std::string_view field = "type");
absl::StatusOr<Proficiency> ParseProficiency(std::string_view text,
                                             std::string_view field = "proficiency");
absl::StatusOr<ScheduleStatus> ParseScheduleStatus(std::string_view text,
                                                   std::string_view field = "status");

// The database's text forms of the enums.
std::string_view LeaderTypeName(LeaderType type);
std::string_view ProficiencyName(Proficiency proficiency);
std::string_view ScheduleStatusName(ScheduleStatus status);

// Parses a decimal with at most two fractional digits ("129.5", "-3.25",
// "40") into hundredths, exactly. Returns kInvalidArgument naming `field` for
// anything else (more digits, exponent, overflow).
absl::StatusOr<int64_t> ParseCents(std::string_view text, std::string_view field);

// One row of `tours`, with the fields the engine filters, sorts or returns.
struct TourRecord {
  Uuid id;
  Uuid leader_id;
  std::string title;
  std::string slug;
  std::string description;
  std::string category;  // matched ASCII-case-insensitively
  std::vector<std::string> tags;
  int64_t price_cents = 0;  // numeric(10,2) × 100
  std::string currency;     // char(3); prices are compared without conversion
  int32_t duration_days = 0;
  std::optional<double> duration_hours;    // numeric; absent when NULL
  std::optional<int32_t> max_participants;  // absent: no limit
  std::string city;
  std::string country;
  std::optional<LatLon> location;
  std::vector<std::string> images;  // image URLs, in the order of `images`
  std::optional<CivilDay> availability_start;
  std::optional<CivilDay> availability_end;
  std::vector<CivilDay> blackout_dates;  // the catalog sorts and dedups them
  int32_t total_reviews = 0;
  int32_t average_rating_x100 = 0;  // numeric(3,2) × 100, e.g. 4.75 -> 475
  bool is_active = true;
  int64_t created_at_us = 0;
  int64_t updated_at_us = 0;
};

// One leader_languages row (the leader is implied).
struct LeaderLanguage {
  std::string code;  // ISO 639-1, two letters
  Proficiency proficiency = Proficiency::kBasic;
  friend bool operator==(const LeaderLanguage&, const LeaderLanguage&) = default;
};

// One row of `tour_leaders` with its leader_languages and leader_specialties.
struct LeaderRecord {
  Uuid id;
  Uuid user_id;
  LeaderType type = LeaderType::kLeader;
  std::string display_name;
  std::string bio;
  std::string city;
  std::string country;
  std::optional<LatLon> location;
  int64_t hourly_rate_cents = 0;  // numeric(10,2) × 100
  bool is_verified = false;
  int32_t average_rating_x100 = 0;  // numeric(3,2) × 100
  int32_t total_reviews = 0;
  int32_t followers_count = 0;
  bool is_active = true;
  int64_t created_at_us = 0;
  std::vector<LeaderLanguage> languages;
  std::vector<std::string> specialties;  // matched ASCII-case-insensitively
};

// One row of `tour_schedules`.
struct ScheduleRecord {
  Uuid id;
  Uuid tour_id;
  CivilDay start_date = 0;
  CivilDay end_date = 0;
  int32_t max_participants = 0;
  int32_t current_participants = 0;
  ScheduleStatus status = ScheduleStatus::kOpen;
  friend bool operator==(const ScheduleRecord&, const ScheduleRecord&) = default;
};

}  // namespace otter::engine
