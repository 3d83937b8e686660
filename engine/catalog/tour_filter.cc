#include "engine/catalog/tour_filter.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "engine/catalog/buckets.h"
#include "engine/status_macros.h"

namespace otter::engine {
namespace {

using catalog_internal::kLanguageOverflowBit;

constexpr uint64_t kOverflowMask = uint64_t{1} << kLanguageOverflowBit;

absl::Status MinAboveMax(std::string_view min_field, std::string_view max_field) {
  return absl::InvalidArgumentError(absl::StrCat("filters.", std::string(min_field),
                                                 " must be <= filters.",
                                                 std::string(max_field)));
}

absl::Status Negative(std::string_view field) {
  return absl::InvalidArgumentError(
      absl::StrCat("filters.", std::string(field), " must be >= 0"));
}

// Validates and resolves a list of language codes to LanguageCodeIndex values.
absl::StatusOr<std::vector<uint16_t>> ResolveLanguages(const std::vector<std::string>& codes,
                                                       std::string_view field) {
  std::vector<uint16_t> resolved;
  for (size_t i = 0; i < codes.size(); ++i) {
    const std::optional<uint16_t> code = LanguageCodeIndex(codes[i]);
    if (!code) {
      return absl::InvalidArgumentError(absl::StrCat(
          "filters.", std::string(field), "[", i, "] must be an ISO 639-1 code (two letters), got \"",
          codes[i], "\""));
    }
    resolved.push_back(*code);
  }
  std::sort(resolved.begin(), resolved.end());
  resolved.erase(std::unique(resolved.begin(), resolved.end()), resolved.end());
  return resolved;
}

bool SpeaksAny(const LeaderRecord& leader, const std::vector<uint16_t>& codes) {
  for (const LeaderLanguage& language : leader.languages) {
    const std::optional<uint16_t> code = LanguageCodeIndex(language.code);
    if (code && std::binary_search(codes.begin(), codes.end(), *code)) return true;
  }
  return false;
}

bool Speaks(const LeaderRecord& leader, uint16_t code) {
  for (const LeaderLanguage& language : leader.languages) {
    if (LanguageCodeIndex(language.code) == code) return true;
  }
  return false;
}

// The fraction of [lower, upper) that [min, max] covers.
double Overlap(int64_t min, int64_t max, int64_t lower, int64_t upper) {
  const double from = static_cast<double>(std::max(min, lower));
  const double to = std::min(static_cast<double>(max) + 1, static_cast<double>(upper));
  return to <= from ? 0.0 : (to - from) / static_cast<double>(upper - lower);
}

}  // namespace

bool IsTourAvailable(const TourRecord& tour, std::span<const ScheduleRecord> schedules,
                     const AvailabilitySpec& want) {
  const bool has_window = tour.availability_start || tour.availability_end;
  if (has_window &&
      tour.availability_start.value_or(std::numeric_limits<CivilDay>::min()) <= want.from &&
      want.to <= tour.availability_end.value_or(std::numeric_limits<CivilDay>::max()) &&
      want.participants <= tour.max_participants.value_or(std::numeric_limits<int32_t>::max()) &&
      std::none_of(tour.blackout_dates.begin(), tour.blackout_dates.end(),
                   [&](CivilDay day) { return want.from <= day && day <= want.to; })) {
    return true;
  }
  return std::any_of(schedules.begin(), schedules.end(), [&](const ScheduleRecord& s) {
    return s.status == ScheduleStatus::kOpen && s.start_date <= want.from &&
           want.to <= s.end_date &&
           int64_t{s.max_participants} - s.current_participants >= want.participants;
  });
}

absl::StatusOr<LeaderFilter> LeaderFilter::Compile(const LeaderFilterSpec& spec,
                                                   const Catalog& catalog) {
  LeaderFilter filter;
  filter.catalog_ = &catalog;
  const catalog_internal::LanguageDict& dict = *catalog.parts().languages;
  // With free bits left, every language any leader speaks has a bit, so a
  // code without one is spoken by nobody; once full, it may be in overflow.
  const bool dict_full = dict.code_by_bit.size() >= kLanguageOverflowBit;

  OTTER_ASSIGN_OR_RETURN(const std::vector<uint16_t> any,
                         ResolveLanguages(spec.languages_any, "languages.any"));
  filter.any_set_ = !spec.languages_any.empty();
  for (uint16_t code : any) {
    if (dict.bit[code] >= 0) {
      filter.any_mask_ |= uint64_t{1} << dict.bit[code];
    } else if (dict_full) {
      filter.any_overflow_codes_.push_back(code);
    }
  }
  OTTER_ASSIGN_OR_RETURN(const std::vector<uint16_t> all,
                         ResolveLanguages(spec.languages_all, "languages.all"));
  for (uint16_t code : all) {
    if (dict.bit[code] >= 0) {
      filter.all_mask_ |= uint64_t{1} << dict.bit[code];
    } else if (dict_full) {
      filter.all_overflow_codes_.push_back(code);
    } else {
      filter.all_impossible_ = true;
    }
  }

  for (size_t i = 0; i < spec.specialties_any.size(); ++i) {
    if (spec.specialties_any[i].empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("filters.specialties[", i, "] must not be empty"));
    }
    filter.specialties_.push_back(absl::AsciiStrToLower(spec.specialties_any[i]));
    filter.specialty_bloom_ |= uint64_t{1}
                               << catalog_internal::SpecialtyBit(spec.specialties_any[i]);
  }
  for (LeaderType type : spec.types) {
    const auto bit = static_cast<unsigned>(type);
    if (bit > static_cast<unsigned>(LeaderType::kManager)) {
      return absl::InvalidArgumentError("filters.leader_type must be leader, expert or manager");
    }
    filter.type_mask_ |= static_cast<uint8_t>(1u << bit);
  }
  filter.verified_only_ = spec.verified_only;
  filter.has_conditions_ = filter.any_set_ || !all.empty() || !filter.specialties_.empty() ||
                           filter.type_mask_ != 0 || filter.verified_only_;
  return filter;
}

bool LeaderFilter::Matches(uint32_t leader) const {
  const catalog_internal::LeaderColumns& columns = catalog_->leader_columns_of(leader);
  const uint32_t row = Catalog::Row(leader);
  if (columns.active[row] == 0) return false;
  if (!has_conditions_) return true;
  if (verified_only_ && columns.verified[row] == 0) return false;
  if (type_mask_ != 0 && (type_mask_ & (1u << columns.type[row])) == 0) return false;
  if (!MatchesLanguages(leader, columns.language_mask[row])) return false;
  if (!specialties_.empty() && !MatchesSpecialties(leader, columns.specialty_bloom[row])) {
    return false;
  }
  return true;
}

bool LeaderFilter::MatchesLanguages(uint32_t leader, uint64_t mask) const {
  if (any_set_ && (mask & any_mask_) == 0) {
    if (any_overflow_codes_.empty() || (mask & kOverflowMask) == 0) return false;
    if (!SpeaksAny(*catalog_->leader(leader), any_overflow_codes_)) return false;
  }
  if (all_impossible_ || (mask & all_mask_) != all_mask_) return false;
  if (!all_overflow_codes_.empty()) {
    if ((mask & kOverflowMask) == 0) return false;
    const LeaderRecord& record = *catalog_->leader(leader);
    for (uint16_t code : all_overflow_codes_) {
      if (!Speaks(record, code)) return false;
    }
  }
  return true;
}

bool LeaderFilter::MatchesSpecialties(uint32_t leader, uint64_t bloom) const {
  if ((bloom & specialty_bloom_) == 0) return false;
  for (const std::string& specialty : catalog_->leader(leader)->specialties) {
    for (const std::string& wanted : specialties_) {
      if (absl::EqualsIgnoreCase(specialty, wanted)) return true;
    }
  }
  return false;
}

absl::StatusOr<TourFilter> TourFilter::Compile(const TourFilterSpec& spec,
                                               const Catalog& catalog) {
  TourFilter filter;
  filter.catalog_ = &catalog;

  filter.has_categories_ = !spec.categories.empty();
  filter.category_allowed_.assign(catalog.category_count(), 0);
  for (size_t i = 0; i < spec.categories.size(); ++i) {
    if (spec.categories[i].empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("filters.category[", i, "] must not be empty"));
    }
    if (std::optional<uint32_t> category = catalog.FindCategory(spec.categories[i])) {
      filter.category_allowed_[*category] = 1;
    }
  }

  if (spec.price_min_cents && *spec.price_min_cents < 0) return Negative("price.min");
  if (spec.price_max_cents && *spec.price_max_cents < 0) return Negative("price.max");
  filter.price_min_cents_ = spec.price_min_cents.value_or(std::numeric_limits<int64_t>::min());
  filter.price_max_cents_ = spec.price_max_cents.value_or(std::numeric_limits<int64_t>::max());
  if (filter.price_min_cents_ > filter.price_max_cents_) {
    return MinAboveMax("price.min", "price.max");
  }

  if (spec.duration_min_days && *spec.duration_min_days < 0) {
    return Negative("duration.min_days");
  }
  if (spec.duration_max_days && *spec.duration_max_days < 0) {
    return Negative("duration.max_days");
  }
  filter.min_days_ = spec.duration_min_days.value_or(std::numeric_limits<int32_t>::min());
  filter.max_days_ = spec.duration_max_days.value_or(std::numeric_limits<int32_t>::max());
  if (filter.min_days_ > filter.max_days_) {
    return MinAboveMax("duration.min_days", "duration.max_days");
  }

  for (const auto& [value, field] :
       {std::pair{spec.duration_min_hours, "duration.min_hours"},
        std::pair{spec.duration_max_hours, "duration.max_hours"}}) {
    if (value && !(*value >= 0 && std::isfinite(*value))) {
      return absl::InvalidArgumentError(
          absl::StrCat("filters.", field, " must be a finite number >= 0"));
    }
  }
  filter.has_hours_ = spec.duration_min_hours || spec.duration_max_hours;
  filter.min_hours_ = spec.duration_min_hours.value_or(0);
  filter.max_hours_ = spec.duration_max_hours.value_or(std::numeric_limits<double>::infinity());
  if (filter.min_hours_ > filter.max_hours_) {
    return MinAboveMax("duration.min_hours", "duration.max_hours");
  }

  filter.rating_min_x100_ = std::numeric_limits<int32_t>::min();
  if (spec.rating_min) {
    if (!(*spec.rating_min >= 0 && *spec.rating_min <= 5)) {
      return absl::InvalidArgumentError("filters.rating.min must be within [0, 5]");
    }
    // Ratings are stored exactly in hundredths; the epsilon keeps 4.3 (which
    // is 429.99999… × 1) at 430.
    filter.rating_min_x100_ = static_cast<int32_t>(std::ceil(*spec.rating_min * 100 - 1e-6));
  }

  if (spec.available) {
    if (spec.available->from > spec.available->to) {
      return MinAboveMax("available.from", "available.to");
    }
    if (spec.available->participants < 1) {
      return absl::InvalidArgumentError("filters.available.participants must be >= 1");
    }
    filter.available_ = spec.available;
  }

  OTTER_ASSIGN_OR_RETURN(filter.leader_, LeaderFilter::Compile(spec.leader, catalog));
  return filter;
}

bool TourFilter::Matches(uint32_t tour) const {
  const catalog_internal::TourColumns& columns = catalog_->tour_columns_of(tour);
  const uint32_t row = Catalog::Row(tour);
  if (columns.active[row] == 0) return false;
  if (has_categories_ && category_allowed_[columns.category[row]] == 0) return false;
  const int64_t price = columns.price_cents[row];
  if (price < price_min_cents_ || price > price_max_cents_) return false;
  const int32_t days = columns.duration_days[row];
  if (days < min_days_ || days > max_days_) return false;
  if (has_hours_) {
    const double hours = columns.duration_hours[row];
    // NaN (NULL) fails both comparisons.
    if (!(hours >= min_hours_ && hours <= max_hours_)) return false;
  }
  if (columns.rating_x100[row] < rating_min_x100_) return false;
  if (!leader_.Matches(columns.leader[row])) return false;
  if (available_) {
    const TourRecord* record = catalog_->tour(tour);
    if (record == nullptr ||
        !IsTourAvailable(*record, catalog_->tour_schedules(tour), *available_)) {
      return false;
    }
  }
  return true;
}

std::vector<uint32_t> TourFilter::MatchingTours() const {
  std::vector<uint32_t> tours;
  const uint32_t limit = catalog_->tour_id_limit();
  for (uint32_t tour = 0; tour < limit; ++tour) {
    if (Matches(tour)) tours.push_back(tour);
  }
  return tours;
}

double TourFilter::EstimatedSelectivity() const {
  const catalog_internal::TourStats& stats = *catalog_->parts().stats;
  if (stats.active_tours == 0) return 0;
  const double active = stats.active_tours;
  double fraction = 1;
  if (has_categories_) {
    double matching = 0;
    for (size_t category = 0; category < category_allowed_.size(); ++category) {
      if (category_allowed_[category] != 0 && category < stats.by_category.size()) {
        matching += stats.by_category[category];
      }
    }
    fraction *= matching / active;
  }
  if (price_min_cents_ != std::numeric_limits<int64_t>::min() ||
      price_max_cents_ != std::numeric_limits<int64_t>::max()) {
    double matching = 0;
    for (int bucket = 0; bucket < 5; ++bucket) {
      const int64_t lower = bucket == 0 ? 0 : kPriceBucketUpperCents[bucket - 1];
      // The open top bucket is taken to end at twice its start.
      const int64_t upper = bucket == 4 ? 2 * lower : kPriceBucketUpperCents[bucket];
      matching += stats.by_price_bucket[bucket] *
                  Overlap(price_min_cents_, price_max_cents_, lower, upper);
    }
    fraction *= matching / active;
  }
  // Fixed guesses for conditions without statistics.
  if (min_days_ != std::numeric_limits<int32_t>::min() ||
      max_days_ != std::numeric_limits<int32_t>::max()) {
    fraction *= 0.5;
  }
  if (has_hours_) fraction *= 0.5;
  if (rating_min_x100_ > 0) fraction *= 0.5;
  if (leader_.has_conditions()) fraction *= 0.3;
  if (available_) fraction *= 0.3;
  return std::clamp(fraction, 0.0, 1.0);
}

}  // namespace otter::engine
