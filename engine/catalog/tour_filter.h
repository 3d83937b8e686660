#pragma once
// Filters over the catalog (SPEC section 2, "Filters and facets"): a spec as
// the request states it, validated and compiled once against one Catalog
// (names resolved to ids, thresholds to column units), then Matches(doc)
// per candidate, reading columns and touching a record only for the
// availability rule.
//
//   TourFilterSpec spec;
//   spec.categories = {"water"};
//   spec.price_max_cents = 12000;
//   OTTER_ASSIGN_OR_RETURN(TourFilter filter, TourFilter::Compile(spec, *catalog));
//   for (uint32_t tour : candidates) if (filter.Matches(tour)) hits.push_back(tour);
//
// Thread safety: a compiled filter is immutable; any number of threads may
// call its const methods. It refers to the Catalog it was compiled against,
// which must outlive it.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/catalog/catalog.h"
#include "engine/catalog/civil_day.h"
#include "engine/catalog/records.h"

namespace otter::engine {

// filters.available: the tour must be bookable on every day of [from, to]
// (inclusive) for `participants` people.
struct AvailabilitySpec {
  CivilDay from = 0;
  CivilDay to = 0;
  int32_t participants = 1;
};

// THE availability rule, in one place. A tour is available for `want` when
// either
//  (a) its availability window holds the range — availability_start <= from
//      and to <= availability_end, a missing bound being open, but a tour
//      with neither bound has no window — and no blackout date lies in
//      [from, to], and participants <= max_participants (no limit when
//      NULL); or
//  (b) one of its schedules has status open, start_date <= from and
//      to <= end_date, and max_participants - current_participants >=
//      participants.
// Requires want.from <= want.to.
bool IsTourAvailable(const TourRecord& tour, std::span<const ScheduleRecord> schedules,
                     const AvailabilitySpec& want);

// Conditions on a leader (of a tour, or in a leader search). Every present
// condition must hold.
struct LeaderFilterSpec {
  // filters.languages.any: speaks at least one (any proficiency).
  std::vector<std::string> languages_any;
  // filters.languages.all: speaks every one.
  std::vector<std::string> languages_all;
  // filters.specialties: has at least one (ASCII case-insensitive).
  std::vector<std::string> specialties_any;
  // filters.leader_type: is one of these types (empty: any type).
  std::vector<LeaderType> types;
  // filters.verified: only verified leaders.
  bool verified_only = false;
};

// Conditions on a tour. Every present condition must hold, and the tour and
// its leader must be active (always).
struct TourFilterSpec {
  // filters.category: any of these categories (ASCII case-insensitive).
  std::vector<std::string> categories;
  // filters.price.min / .max: inclusive, in cents of the tour's own currency.
  std::optional<int64_t> price_min_cents;
  std::optional<int64_t> price_max_cents;
  // filters.duration.min_days / .max_days: inclusive bounds on duration_days.
  std::optional<int32_t> duration_min_days;
  std::optional<int32_t> duration_max_days;
  // filters.duration.min_hours / .max_hours: inclusive bounds on
  // duration_hours; a tour whose duration_hours is NULL does not match them.
  std::optional<double> duration_min_hours;
  std::optional<double> duration_max_hours;
  // filters.rating.min: average_rating >= this, in [0, 5].
  std::optional<double> rating_min;
  // Conditions on the tour's leader.
  LeaderFilterSpec leader;
  // filters.available: see IsTourAvailable.
  std::optional<AvailabilitySpec> available;
};

// A LeaderFilterSpec compiled against one Catalog.
class LeaderFilter {
 public:
  // Validates `spec` and resolves it against `catalog`. Returns
  // kInvalidArgument naming the field (e.g. "filters.languages.any[0] must be
  // an ISO 639-1 code (two letters), got \"eng\"").
  static absl::StatusOr<LeaderFilter> Compile(const LeaderFilterSpec& spec,
                                              const Catalog& catalog);

  // Whether the leader is active and meets every condition. Requires
  // leader < catalog.leader_id_limit().
  bool Matches(uint32_t leader) const;
  // Whether any condition is set (beyond being active).
  bool has_conditions() const { return has_conditions_; }

 private:
  bool MatchesLanguages(uint32_t leader, uint64_t mask) const;
  bool MatchesSpecialties(uint32_t leader, uint64_t bloom) const;

  const Catalog* catalog_ = nullptr;
  bool has_conditions_ = false;
  // Languages with a mask bit in the catalog are tested on the leader's
  // language_mask; the others (past the 63 bits) against the record.
  bool any_set_ = false;  // languages_any was given
  uint64_t any_mask_ = 0;
  std::vector<uint16_t> any_overflow_codes_;  // LanguageCodeIndex values
  uint64_t all_mask_ = 0;
  std::vector<uint16_t> all_overflow_codes_;
  bool all_impossible_ = false;  // a required language no leader speaks
  std::vector<std::string> specialties_;  // ASCII-lowercased
  uint64_t specialty_bloom_ = 0;
  uint8_t type_mask_ = 0;  // bit per LeaderType; 0: any
  bool verified_only_ = false;
};

// A TourFilterSpec compiled against one Catalog.
class TourFilter {
 public:
  // Validates `spec` and resolves it against `catalog`. Returns
  // kInvalidArgument naming the field, e.g. "filters.price.min must be <=
  // filters.price.max", "filters.available.participants must be >= 1".
  static absl::StatusOr<TourFilter> Compile(const TourFilterSpec& spec, const Catalog& catalog);

  // Whether the tour meets every condition (and is matchable). Requires
  // tour < catalog.tour_id_limit().
  bool Matches(uint32_t tour) const;

  // Every matching tour id, ascending (a full scan).
  std::vector<uint32_t> MatchingTours() const;

  // The estimated fraction of the active tours that match, in [0, 1], for
  // choosing the driving index: exact category and price-bucket counts
  // (interpolated inside a bucket), fixed factors for the rest, combined as
  // if independent.
  double EstimatedSelectivity() const;

 private:
  const Catalog* catalog_ = nullptr;
  LeaderFilter leader_;
  bool has_categories_ = false;
  std::vector<uint8_t> category_allowed_;  // by category id
  int64_t price_min_cents_;
  int64_t price_max_cents_;
  int32_t min_days_;
  int32_t max_days_;
  bool has_hours_ = false;
  double min_hours_;
  double max_hours_;
  int32_t rating_min_x100_;
  std::optional<AvailabilitySpec> available_;
};

}  // namespace otter::engine
