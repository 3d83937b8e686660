#pragma once
// Small record factories shared by the catalog tests.

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "engine/catalog/records.h"
#include "engine/uuid.h"

namespace otter::engine::testing_records {

// A distinct non-nil Uuid per (kind, n): kind tells tours, leaders and
// schedules apart in failure messages.
inline Uuid TestUuid(uint8_t kind, uint64_t n) {
  std::array<uint8_t, 16> bytes{};
  bytes[0] = kind;
  for (int i = 0; i < 8; ++i) bytes[8 + i] = static_cast<uint8_t>(n >> (8 * (7 - i)));
  bytes[7] = 1;  // never nil, even for n == 0
  return Uuid(bytes);
}
inline Uuid TourId(uint64_t n) { return TestUuid(0x70, n); }
inline Uuid LeaderId(uint64_t n) { return TestUuid(0x1e, n); }
inline Uuid ScheduleId(uint64_t n) { return TestUuid(0x5c, n); }

inline TourRecord MakeTour(uint64_t n, uint64_t leader, std::string category = "water",
                           int64_t price_cents = 10000) {
  TourRecord tour;
  tour.id = TourId(n);
  tour.leader_id = LeaderId(leader);
  tour.title = "Tour " + std::to_string(n);
  tour.slug = "tour-" + std::to_string(n);
  tour.category = std::move(category);
  tour.price_cents = price_cents;
  tour.currency = "EUR";
  tour.duration_days = 1;
  tour.max_participants = 10;
  tour.average_rating_x100 = 450;
  return tour;
}

inline LeaderRecord MakeLeader(uint64_t n, std::vector<std::string> languages = {"en"},
                               std::vector<std::string> specialties = {}) {
  LeaderRecord leader;
  leader.id = LeaderId(n);
  leader.user_id = TestUuid(0x05, n);
  leader.display_name = "Leader " + std::to_string(n);
  for (std::string& code : languages) {
    leader.languages.push_back({std::move(code), Proficiency::kFluent});
  }
  leader.specialties = std::move(specialties);
  return leader;
}

inline ScheduleRecord MakeSchedule(uint64_t n, uint64_t tour, CivilDay start, CivilDay end,
                                   int32_t max, int32_t current,
                                   ScheduleStatus status = ScheduleStatus::kOpen) {
  return ScheduleRecord{ScheduleId(n), TourId(tour), start, end, max, current, status};
}

}  // namespace otter::engine::testing_records
