#pragma once
// The catalog: every tour and leader the engine knows, as one immutable
// value. Documents have dense uint32 ids (tours and leaders in separate id
// spaces) found from their Uuid; the fields that filters and sorts read are
// stored column-oriented; the records returned in hits are shared, never
// copied. CatalogBuilder (catalog_builder.h) makes the first Catalog and
// every later version; TourFilter (tour_filter.h) and the facet counter
// (facets.h) read it.
//
//   std::shared_ptr<const Catalog> catalog = current.load();
//   if (std::optional<uint32_t> tour = catalog->FindTour(id)) {
//     if (catalog->TourMatchable(*tour)) Reply(*catalog->tour(*tour));
//   }
//
// Design:
// - Dense ids are handed out in arrival order and never reused. A deleted
//   document keeps its id as a tombstone (inactive, no record); upserting its
//   Uuid again revives the same id. An id may also be a placeholder: a tour
//   naming a leader not loaded yet reserves the leader's id (inactive until
//   the leader arrives), and a schedule does the same for its tour, so load
//   and change order never matter.
// - Per-document data lives in chunks of kCatalogChunkRows rows held by
//   shared_ptr<const>; a new version copies the chunks it changes and
//   shares all others. Uuid maps are split into kUuidShards shards by hash,
//   each an immutable absl::flat_hash_map, copied on write the same way.
// - A tour matches only when it is active and its leader is active
//   (TourMatchable); placeholders and tombstones are inactive.
//
// Thread safety: a Catalog is immutable; any number of threads may read one
// concurrently without locks. Publish versions through
// std::atomic<std::shared_ptr<const Catalog>>.

#include <array>
#include <cmath>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "engine/catalog/cow.h"
#include "engine/catalog/records.h"
#include "engine/uuid.h"

namespace otter::engine {

// Rows per column chunk: the unit of copy-on-write. 2048 rows keep one
// tour update (a columns chunk and a records chunk copied, two chunk lists
// re-made) near 40 µs at 1,000,000 tours (bench/engine/catalog_benchmark.cc).
inline constexpr int kCatalogChunkShift = 11;
inline constexpr uint32_t kCatalogChunkRows = 1u << kCatalogChunkShift;
inline constexpr uint32_t kCatalogChunkMask = kCatalogChunkRows - 1;
// Shards of each Uuid map: the unit of copy-on-write of the maps (about
// 1,000 entries per shard at 1,000,000 tours).
inline constexpr int kUuidShardBits = 10;
inline constexpr size_t kUuidShards = size_t{1} << kUuidShardBits;

// The index (0..675) of a two-letter ISO 639-1 code, case-insensitively;
// nullopt when `code` is not two ASCII letters.
std::optional<uint16_t> LanguageCodeIndex(std::string_view code);
// The lowercase two-letter code of a LanguageCodeIndex.
std::string LanguageCodeFromIndex(uint16_t index);

namespace catalog_internal {

// Filter and sort columns of kCatalogChunkRows tours.
struct TourColumns {
  std::array<uint8_t, kCatalogChunkRows> active;  // record present and is_active
  std::array<uint32_t, kCatalogChunkRows> leader;
  std::array<uint32_t, kCatalogChunkRows> category;
  std::array<int64_t, kCatalogChunkRows> price_cents;
  std::array<int32_t, kCatalogChunkRows> rating_x100;
  std::array<int32_t, kCatalogChunkRows> total_reviews;
  std::array<int32_t, kCatalogChunkRows> duration_days;
  std::array<double, kCatalogChunkRows> duration_hours;  // NaN when NULL
  std::array<int64_t, kCatalogChunkRows> created_at_us;
  std::array<double, kCatalogChunkRows> lat;  // NaN when no location
  std::array<double, kCatalogChunkRows> lon;
};

// Filter and sort columns of kCatalogChunkRows leaders.
struct LeaderColumns {
  std::array<uint8_t, kCatalogChunkRows> active;  // record present and is_active
  std::array<uint8_t, kCatalogChunkRows> type;    // LeaderType
  std::array<uint8_t, kCatalogChunkRows> verified;
  std::array<int32_t, kCatalogChunkRows> rating_x100;
  std::array<int32_t, kCatalogChunkRows> total_reviews;
  std::array<int32_t, kCatalogChunkRows> followers_count;
  std::array<int64_t, kCatalogChunkRows> hourly_rate_cents;
  std::array<int64_t, kCatalogChunkRows> created_at_us;
  std::array<double, kCatalogChunkRows> lat;  // NaN when no location
  std::array<double, kCatalogChunkRows> lon;
  // Bit LanguageDict::bit[code] for each language spoken; bit 63 when one of
  // them has no bit of its own (then the record is checked).
  std::array<uint64_t, kCatalogChunkRows> language_mask;
  // Bit SpecialtyBit(name) for each specialty: a one-hash Bloom filter.
  std::array<uint64_t, kCatalogChunkRows> specialty_bloom;
};

template <typename T>
using PtrChunk = std::array<std::shared_ptr<const T>, kCatalogChunkRows>;
using TourRecordChunk = PtrChunk<TourRecord>;
using LeaderRecordChunk = PtrChunk<LeaderRecord>;
// A tour's schedules, sorted by (start_date, id); null when it has none.
using ScheduleList = std::vector<ScheduleRecord>;
using ScheduleChunk = PtrChunk<ScheduleList>;
// Uuid -> dense id (schedules: Uuid -> dense id of their tour).
using UuidShard = absl::flat_hash_map<Uuid, uint32_t>;

// Category names (ASCII-lowercased) and their dense ids.
struct CategoryDict {
  std::vector<std::string> names;
  absl::flat_hash_map<std::string, uint32_t> ids;
};

// Language code index -> mask bit (0..62), in order of first appearance.
inline constexpr int kLanguageOverflowBit = 63;
struct LanguageDict {
  std::array<int8_t, 26 * 26> bit;  // -1: no bit
  std::vector<uint16_t> code_by_bit;
  LanguageDict() { bit.fill(-1); }
};

// Counts of active tours, for the filter's selectivity estimate.
struct TourStats {
  uint32_t active_tours = 0;
  std::vector<uint32_t> by_category;       // by category id
  std::array<uint32_t, 5> by_price_bucket{};  // buckets.h
};

// Every part of a Catalog version; untouched parts are shared between versions.
struct CatalogParts {
  uint64_t version = 0;
  uint32_t tour_limit = 0;    // dense tour ids are [0, tour_limit)
  uint32_t leader_limit = 0;  // dense leader ids are [0, leader_limit)
  ChunkList<TourColumns> tour_columns;
  ChunkList<TourRecordChunk> tour_records;
  ChunkList<ScheduleChunk> tour_schedules;
  ChunkList<LeaderColumns> leader_columns;
  ChunkList<LeaderRecordChunk> leader_records;
  ChunkList<UuidShard> tour_ids;
  ChunkList<UuidShard> leader_ids;
  ChunkList<UuidShard> schedule_ids;
  std::shared_ptr<const CategoryDict> categories;
  std::shared_ptr<const LanguageDict> languages;
  std::shared_ptr<const TourStats> stats;
};

// The shard of the Uuid maps that holds `id`.
size_t UuidShardOf(const Uuid& id);
// The specialty Bloom bit of `name` (ASCII case-insensitive).
int SpecialtyBit(std::string_view name);

}  // namespace catalog_internal

class Catalog {
 public:
  // An empty catalog (version 0).
  static std::shared_ptr<const Catalog> Empty();

  explicit Catalog(catalog_internal::CatalogParts parts) : parts_(std::move(parts)) {}
  Catalog(const Catalog&) = delete;
  Catalog& operator=(const Catalog&) = delete;

  // Incremented by every CatalogBuilder::Publish().
  uint64_t version() const { return parts_.version; }

  // Dense tour ids are [0, tour_id_limit()), including tombstones and
  // placeholders; the same for leaders.
  uint32_t tour_id_limit() const { return parts_.tour_limit; }
  uint32_t leader_id_limit() const { return parts_.leader_limit; }
  // Tours whose own is_active is true (their leader may still be inactive).
  uint32_t active_tour_count() const { return parts_.stats->active_tours; }

  // The dense id of a Uuid (also for tombstones and placeholders), or nullopt.
  std::optional<uint32_t> FindTour(const Uuid& id) const { return Find(parts_.tour_ids, id); }
  std::optional<uint32_t> FindLeader(const Uuid& id) const {
    return Find(parts_.leader_ids, id);
  }
  // The dense id of the tour a schedule belongs to, or nullopt.
  std::optional<uint32_t> FindScheduleTour(const Uuid& schedule_id) const {
    return Find(parts_.schedule_ids, schedule_id);
  }

  // Whether a tour may match any query: the tour is active and so is its
  // leader. Requires tour < tour_id_limit() (as do all per-tour accessors).
  bool TourMatchable(uint32_t tour) const {
    return tour_active(tour) && leader_active(tour_leader(tour));
  }

  // Per-tour columns.
  bool tour_active(uint32_t tour) const { return TourCol(tour).active[Row(tour)] != 0; }
  uint32_t tour_leader(uint32_t tour) const { return TourCol(tour).leader[Row(tour)]; }
  uint32_t tour_category(uint32_t tour) const { return TourCol(tour).category[Row(tour)]; }
  int64_t tour_price_cents(uint32_t tour) const { return TourCol(tour).price_cents[Row(tour)]; }
  int32_t tour_rating_x100(uint32_t tour) const { return TourCol(tour).rating_x100[Row(tour)]; }
  int32_t tour_total_reviews(uint32_t tour) const {
    return TourCol(tour).total_reviews[Row(tour)];
  }
  int32_t tour_duration_days(uint32_t tour) const {
    return TourCol(tour).duration_days[Row(tour)];
  }
  // NaN when the tour's duration_hours is NULL.
  double tour_duration_hours(uint32_t tour) const {
    return TourCol(tour).duration_hours[Row(tour)];
  }
  int64_t tour_created_at_us(uint32_t tour) const {
    return TourCol(tour).created_at_us[Row(tour)];
  }
  // NaN for both when the tour has no location.
  double tour_lat(uint32_t tour) const { return TourCol(tour).lat[Row(tour)]; }
  double tour_lon(uint32_t tour) const { return TourCol(tour).lon[Row(tour)]; }

  // The stored record, or null for a tombstone or placeholder. Valid as long
  // as this Catalog (or the returned pointer's owner) lives.
  const TourRecord* tour(uint32_t tour) const {
    return (*(*parts_.tour_records)[Chunk(tour)])[Row(tour)].get();
  }
  std::shared_ptr<const TourRecord> shared_tour(uint32_t tour) const {
    return (*(*parts_.tour_records)[Chunk(tour)])[Row(tour)];
  }
  // The tour's schedules sorted by (start_date, id); empty when none.
  std::span<const ScheduleRecord> tour_schedules(uint32_t tour) const {
    const auto& list = (*(*parts_.tour_schedules)[Chunk(tour)])[Row(tour)];
    return list ? std::span<const ScheduleRecord>(*list) : std::span<const ScheduleRecord>();
  }

  // Per-leader columns. Require leader < leader_id_limit().
  bool leader_active(uint32_t leader) const { return LeaderCol(leader).active[Row(leader)] != 0; }
  LeaderType leader_type(uint32_t leader) const {
    return static_cast<LeaderType>(LeaderCol(leader).type[Row(leader)]);
  }
  bool leader_verified(uint32_t leader) const {
    return LeaderCol(leader).verified[Row(leader)] != 0;
  }
  int32_t leader_rating_x100(uint32_t leader) const {
    return LeaderCol(leader).rating_x100[Row(leader)];
  }
  int32_t leader_total_reviews(uint32_t leader) const {
    return LeaderCol(leader).total_reviews[Row(leader)];
  }
  int32_t leader_followers_count(uint32_t leader) const {
    return LeaderCol(leader).followers_count[Row(leader)];
  }
  int64_t leader_hourly_rate_cents(uint32_t leader) const {
    return LeaderCol(leader).hourly_rate_cents[Row(leader)];
  }
  int64_t leader_created_at_us(uint32_t leader) const {
    return LeaderCol(leader).created_at_us[Row(leader)];
  }
  double leader_lat(uint32_t leader) const { return LeaderCol(leader).lat[Row(leader)]; }
  double leader_lon(uint32_t leader) const { return LeaderCol(leader).lon[Row(leader)]; }
  // The stored record, or null for a tombstone or placeholder.
  const LeaderRecord* leader(uint32_t leader) const {
    return (*(*parts_.leader_records)[Chunk(leader)])[Row(leader)].get();
  }
  std::shared_ptr<const LeaderRecord> shared_leader(uint32_t leader) const {
    return (*(*parts_.leader_records)[Chunk(leader)])[Row(leader)];
  }

  // Categories: dense ids [0, category_count()), names ASCII-lowercased.
  uint32_t category_count() const {
    return static_cast<uint32_t>(parts_.categories->names.size());
  }
  const std::string& category_name(uint32_t category) const {
    return parts_.categories->names[category];
  }
  // The id of a category name (ASCII case-insensitive), or nullopt.
  std::optional<uint32_t> FindCategory(std::string_view name) const;
  // Active tours (own flag) per category, for planning; 0 when unknown.
  uint32_t active_tours_in_category(uint32_t category) const {
    const auto& counts = parts_.stats->by_category;
    return category < counts.size() ? counts[category] : 0;
  }

  // Internals, for the filter, the facets and tests (e.g. chunk sharing).
  const catalog_internal::CatalogParts& parts() const { return parts_; }
  const catalog_internal::TourColumns& tour_columns_of(uint32_t tour) const {
    return TourCol(tour);
  }
  const catalog_internal::LeaderColumns& leader_columns_of(uint32_t leader) const {
    return LeaderCol(leader);
  }
  static uint32_t Chunk(uint32_t id) { return id >> kCatalogChunkShift; }
  static uint32_t Row(uint32_t id) { return id & kCatalogChunkMask; }

 private:
  static std::optional<uint32_t> Find(
      const catalog_internal::ChunkList<catalog_internal::UuidShard>& shards, const Uuid& id);
  const catalog_internal::TourColumns& TourCol(uint32_t tour) const {
    return *(*parts_.tour_columns)[Chunk(tour)];
  }
  const catalog_internal::LeaderColumns& LeaderCol(uint32_t leader) const {
    return *(*parts_.leader_columns)[Chunk(leader)];
  }

  catalog_internal::CatalogParts parts_;
};

}  // namespace otter::engine
