#include "engine/catalog/catalog_builder.h"

#include <algorithm>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "engine/catalog/buckets.h"

namespace otter::engine {
namespace {

using catalog_internal::kLanguageOverflowBit;
using catalog_internal::ScheduleList;
using catalog_internal::UuidShardOf;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

}  // namespace

CatalogBuilder::CatalogBuilder() : CatalogBuilder(*Catalog::Empty()) {}

CatalogBuilder::CatalogBuilder(const Catalog& base)
    : version_(base.parts().version),
      tour_limit_(base.parts().tour_limit),
      leader_limit_(base.parts().leader_limit),
      tour_columns_(base.parts().tour_columns),
      tour_records_(base.parts().tour_records),
      tour_schedules_(base.parts().tour_schedules),
      leader_columns_(base.parts().leader_columns),
      leader_records_(base.parts().leader_records),
      tour_ids_(base.parts().tour_ids),
      leader_ids_(base.parts().leader_ids),
      schedule_ids_(base.parts().schedule_ids),
      categories_(base.parts().categories),
      languages_(base.parts().languages),
      stats_(base.parts().stats) {}

void CatalogBuilder::Reserve(size_t tours, size_t leaders) {
  for (size_t shard = 0; shard < kUuidShards; ++shard) {
    // 10% slack: shards are filled unevenly.
    tour_ids_.Mutable(shard).reserve(tour_ids_.Get(shard).size() +
                                     tours / kUuidShards * 11 / 10);
    leader_ids_.Mutable(shard).reserve(leader_ids_.Get(shard).size() +
                                       leaders / kUuidShards * 11 / 10);
  }
}

uint32_t CatalogBuilder::FindOrAddTour(const Uuid& id) {
  const size_t shard = UuidShardOf(id);
  if (auto it = tour_ids_.Get(shard).find(id); it != tour_ids_.Get(shard).end()) {
    return it->second;
  }
  const uint32_t tour = tour_limit_++;
  if (Catalog::Row(tour) == 0) {
    tour_columns_.Append();
    tour_records_.Append();
    tour_schedules_.Append();
  }
  tour_ids_.Mutable(shard).emplace(id, tour);
  return tour;
}

uint32_t CatalogBuilder::FindOrAddLeader(const Uuid& id) {
  const size_t shard = UuidShardOf(id);
  if (auto it = leader_ids_.Get(shard).find(id); it != leader_ids_.Get(shard).end()) {
    return it->second;
  }
  const uint32_t leader = leader_limit_++;
  if (Catalog::Row(leader) == 0) {
    leader_columns_.Append();
    leader_records_.Append();
  }
  leader_ids_.Mutable(shard).emplace(id, leader);
  return leader;
}

uint32_t CatalogBuilder::FindOrAddCategory(const std::string& name) {
  if (auto it = categories_.Get().ids.find(name); it != categories_.Get().ids.end()) {
    return it->second;
  }
  catalog_internal::CategoryDict& dict = categories_.Mutable();
  const auto category = static_cast<uint32_t>(dict.names.size());
  dict.names.push_back(name);
  dict.ids.emplace(name, category);
  return category;
}

void CatalogBuilder::AddToStats(uint32_t tour, int delta) {
  const catalog_internal::TourColumns& columns = tour_columns_.Get(Catalog::Chunk(tour));
  const uint32_t row = Catalog::Row(tour);
  catalog_internal::TourStats& stats = stats_.Mutable();
  const uint32_t category = columns.category[row];
  if (stats.by_category.size() <= category) stats.by_category.resize(category + 1, 0);
  stats.active_tours += delta;
  stats.by_category[category] += delta;
  stats.by_price_bucket[PriceBucket(columns.price_cents[row])] += delta;
}

absl::Status CatalogBuilder::UpsertTour(TourRecord tour) {
  if (tour.id == Uuid()) return absl::InvalidArgumentError("tours.id must not be nil");
  const uint32_t id = FindOrAddTour(tour.id);
  const uint32_t leader = FindOrAddLeader(tour.leader_id);
  const uint32_t category = FindOrAddCategory(absl::AsciiStrToLower(tour.category));
  std::sort(tour.blackout_dates.begin(), tour.blackout_dates.end());
  tour.blackout_dates.erase(std::unique(tour.blackout_dates.begin(), tour.blackout_dates.end()),
                            tour.blackout_dates.end());

  const uint32_t chunk = Catalog::Chunk(id);
  const uint32_t row = Catalog::Row(id);
  if (tour_columns_.Get(chunk).active[row] != 0) AddToStats(id, -1);
  catalog_internal::TourColumns& columns = tour_columns_.Mutable(chunk);
  columns.active[row] = tour.is_active ? 1 : 0;
  columns.leader[row] = leader;
  columns.category[row] = category;
  columns.price_cents[row] = tour.price_cents;
  columns.rating_x100[row] = tour.average_rating_x100;
  columns.total_reviews[row] = tour.total_reviews;
  columns.duration_days[row] = tour.duration_days;
  columns.duration_hours[row] = tour.duration_hours.value_or(kNaN);
  columns.created_at_us[row] = tour.created_at_us;
  columns.lat[row] = tour.location ? tour.location->lat : kNaN;
  columns.lon[row] = tour.location ? tour.location->lon : kNaN;
  if (tour.is_active) AddToStats(id, +1);
  tour_records_.Mutable(chunk)[row] = std::make_shared<const TourRecord>(std::move(tour));
  return absl::OkStatus();
}

absl::Status CatalogBuilder::DeleteTour(const Uuid& id) {
  const size_t shard = UuidShardOf(id);
  auto it = tour_ids_.Get(shard).find(id);
  if (it == tour_ids_.Get(shard).end()) return absl::OkStatus();
  const uint32_t tour = it->second;
  const uint32_t chunk = Catalog::Chunk(tour);
  const uint32_t row = Catalog::Row(tour);
  if (tour_columns_.Get(chunk).active[row] != 0) {
    AddToStats(tour, -1);
    tour_columns_.Mutable(chunk).active[row] = 0;
  }
  if (tour_records_.Get(chunk)[row] != nullptr) tour_records_.Mutable(chunk)[row] = nullptr;
  return absl::OkStatus();
}

absl::Status CatalogBuilder::UpsertLeader(LeaderRecord leader) {
  if (leader.id == Uuid()) return absl::InvalidArgumentError("tour_leaders.id must not be nil");
  const uint32_t id = FindOrAddLeader(leader.id);
  uint64_t language_mask = 0;
  for (LeaderLanguage& language : leader.languages) {
    const std::optional<uint16_t> code = LanguageCodeIndex(language.code);
    if (!code) continue;
    language.code = LanguageCodeFromIndex(*code);
    int bit = languages_.Get().bit[*code];
    if (bit < 0 && languages_.Get().code_by_bit.size() < kLanguageOverflowBit) {
      catalog_internal::LanguageDict& dict = languages_.Mutable();
      bit = static_cast<int>(dict.code_by_bit.size());
      dict.bit[*code] = static_cast<int8_t>(bit);
      dict.code_by_bit.push_back(*code);
    }
    language_mask |= uint64_t{1} << (bit < 0 ? kLanguageOverflowBit : bit);
  }
  uint64_t specialty_bloom = 0;
  for (const std::string& specialty : leader.specialties) {
    specialty_bloom |= uint64_t{1} << catalog_internal::SpecialtyBit(specialty);
  }

  const uint32_t chunk = Catalog::Chunk(id);
  const uint32_t row = Catalog::Row(id);
  catalog_internal::LeaderColumns& columns = leader_columns_.Mutable(chunk);
  columns.active[row] = leader.is_active ? 1 : 0;
  columns.type[row] = static_cast<uint8_t>(leader.type);
  columns.verified[row] = leader.is_verified ? 1 : 0;
  columns.rating_x100[row] = leader.average_rating_x100;
  columns.total_reviews[row] = leader.total_reviews;
  columns.followers_count[row] = leader.followers_count;
  columns.hourly_rate_cents[row] = leader.hourly_rate_cents;
  columns.created_at_us[row] = leader.created_at_us;
  columns.lat[row] = leader.location ? leader.location->lat : kNaN;
  columns.lon[row] = leader.location ? leader.location->lon : kNaN;
  columns.language_mask[row] = language_mask;
  columns.specialty_bloom[row] = specialty_bloom;
  leader_records_.Mutable(chunk)[row] = std::make_shared<const LeaderRecord>(std::move(leader));
  return absl::OkStatus();
}

absl::Status CatalogBuilder::DeleteLeader(const Uuid& id) {
  const size_t shard = UuidShardOf(id);
  auto it = leader_ids_.Get(shard).find(id);
  if (it == leader_ids_.Get(shard).end()) return absl::OkStatus();
  const uint32_t leader = it->second;
  const uint32_t chunk = Catalog::Chunk(leader);
  const uint32_t row = Catalog::Row(leader);
  catalog_internal::LeaderColumns& columns = leader_columns_.Mutable(chunk);
  columns.active[row] = 0;
  columns.language_mask[row] = 0;
  columns.specialty_bloom[row] = 0;
  leader_records_.Mutable(chunk)[row] = nullptr;
  return absl::OkStatus();
}

void CatalogBuilder::RemoveScheduleFromTour(uint32_t tour, const Uuid& schedule_id) {
  const uint32_t chunk = Catalog::Chunk(tour);
  const uint32_t row = Catalog::Row(tour);
  const std::shared_ptr<const ScheduleList>& old = tour_schedules_.Get(chunk)[row];
  if (old == nullptr) return;
  auto list = std::make_shared<ScheduleList>();
  list->reserve(old->size());
  for (const ScheduleRecord& s : *old) {
    if (s.id != schedule_id) list->push_back(s);
  }
  tour_schedules_.Mutable(chunk)[row] =
      list->empty() ? nullptr : std::shared_ptr<const ScheduleList>(std::move(list));
}

absl::Status CatalogBuilder::UpsertSchedule(ScheduleRecord schedule) {
  if (schedule.id == Uuid()) return absl::InvalidArgumentError("tour_schedules.id must not be nil");
  if (schedule.tour_id == Uuid()) {
    return absl::InvalidArgumentError("tour_schedules.tour_id must not be nil");
  }
  const uint32_t tour = FindOrAddTour(schedule.tour_id);
  const size_t shard = UuidShardOf(schedule.id);
  auto it = schedule_ids_.Get(shard).find(schedule.id);
  if (it == schedule_ids_.Get(shard).end() || it->second != tour) {
    if (it != schedule_ids_.Get(shard).end()) RemoveScheduleFromTour(it->second, schedule.id);
    schedule_ids_.Mutable(shard)[schedule.id] = tour;
  }

  const uint32_t chunk = Catalog::Chunk(tour);
  const uint32_t row = Catalog::Row(tour);
  const std::shared_ptr<const ScheduleList>& old = tour_schedules_.Get(chunk)[row];
  auto list = std::make_shared<ScheduleList>();
  if (old != nullptr) {
    list->reserve(old->size() + 1);
    for (const ScheduleRecord& s : *old) {
      if (s.id != schedule.id) list->push_back(s);
    }
  }
  auto before = [](const ScheduleRecord& a, const ScheduleRecord& b) {
    return a.start_date != b.start_date ? a.start_date < b.start_date : a.id < b.id;
  };
  list->insert(std::upper_bound(list->begin(), list->end(), schedule, before), schedule);
  tour_schedules_.Mutable(chunk)[row] = std::move(list);
  return absl::OkStatus();
}

absl::Status CatalogBuilder::DeleteSchedule(const Uuid& id) {
  const size_t shard = UuidShardOf(id);
  auto it = schedule_ids_.Get(shard).find(id);
  if (it == schedule_ids_.Get(shard).end()) return absl::OkStatus();
  RemoveScheduleFromTour(it->second, id);
  schedule_ids_.Mutable(shard).erase(id);
  return absl::OkStatus();
}

std::shared_ptr<const Catalog> CatalogBuilder::Publish() {
  catalog_internal::CatalogParts parts;
  parts.version = ++version_;
  parts.tour_limit = tour_limit_;
  parts.leader_limit = leader_limit_;
  parts.tour_columns = tour_columns_.Publish();
  parts.tour_records = tour_records_.Publish();
  parts.tour_schedules = tour_schedules_.Publish();
  parts.leader_columns = leader_columns_.Publish();
  parts.leader_records = leader_records_.Publish();
  parts.tour_ids = tour_ids_.Publish();
  parts.leader_ids = leader_ids_.Publish();
  parts.schedule_ids = schedule_ids_.Publish();
  parts.categories = categories_.Publish();
  parts.languages = languages_.Publish();
  parts.stats = stats_.Publish();
  return std::make_shared<const Catalog>(std::move(parts));
}

}  // namespace otter::engine
