#pragma once
// CatalogBuilder: the one writer of the catalog. It makes the first Catalog
// from the bulk load and every later version from the one before, applying
// upserts and deletes with copy-on-write: a version shares every chunk and
// Uuid-map shard it did not change with the version it came from.
//
//   CatalogBuilder builder;                      // bulk load
//   for (TourRecord& t : tours) OTTER_RETURN_IF_ERROR(builder.UpsertTour(std::move(t)));
//   current.store(builder.Publish());
//   OTTER_RETURN_IF_ERROR(builder.DeleteTour(gone));   // later, a change
//   current.store(builder.Publish());            // readers see all of it or none
//
// Writes between two Publish() calls copy each touched chunk at most once and
// then write it in place, so a bulk load costs no per-row copying and a batch
// of changes costs one copy per chunk it touches. Dense ids are never reused
// (see catalog.h).
//
// Thread safety: a builder is used by one thread at a time; the Catalogs it
// publishes are immutable and may be read by any number of threads while
// the builder goes on writing.

#include <cstddef>
#include <cstdint>
#include <memory>

#include "absl/status/status.h"
#include "engine/catalog/catalog.h"
#include "engine/catalog/cow.h"
#include "engine/catalog/records.h"
#include "engine/uuid.h"

namespace otter::engine {

class CatalogBuilder {
 public:
  // Starts from an empty catalog.
  CatalogBuilder();
  // Starts from `base` (typically the latest published version), which is
  // left unchanged.
  explicit CatalogBuilder(const Catalog& base);
  CatalogBuilder(const CatalogBuilder&) = delete;
  CatalogBuilder& operator=(const CatalogBuilder&) = delete;

  // Pre-sizes the Uuid maps for about this many more tours and leaders.
  void Reserve(size_t tours, size_t leaders);

  // Inserts or replaces the tour with `tour.id` (keeping its dense id if the
  // Uuid is known). Its leader is referenced by Uuid and may arrive later.
  // Returns kInvalidArgument when tour.id is nil.
  absl::Status UpsertTour(TourRecord tour);
  // Makes the tour a tombstone: it keeps its dense id and never matches.
  // Unknown ids are ignored (deletes are idempotent).
  absl::Status DeleteTour(const Uuid& id);

  // Inserts or replaces a leader with its languages and specialties. Language
  // codes that are not two ASCII letters are kept in the record but not
  // indexed. Returns kInvalidArgument when leader.id is nil.
  absl::Status UpsertLeader(LeaderRecord leader);
  // Makes the leader a tombstone; its tours never match. Unknown ids are
  // ignored.
  absl::Status DeleteLeader(const Uuid& id);

  // Inserts or replaces a schedule; a changed tour_id moves it. Returns
  // kInvalidArgument when schedule.id or schedule.tour_id is nil.
  absl::Status UpsertSchedule(ScheduleRecord schedule);
  // Removes a schedule. Unknown ids are ignored.
  absl::Status DeleteSchedule(const Uuid& id);

  // Returns the catalog with every write so far, as a new immutable version.
  // The builder stays usable; its next writes copy what they touch again.
  std::shared_ptr<const Catalog> Publish();

 private:
  template <typename T>
  using Chunks = catalog_internal::CowChunks<T>;
  template <typename T>
  using Value = catalog_internal::CowValue<T>;

  // The dense id of a tour or leader Uuid, allocating the next id (and a new
  // chunk every kCatalogChunkRows ids) when the Uuid is new.
  uint32_t FindOrAddTour(const Uuid& id);
  uint32_t FindOrAddLeader(const Uuid& id);
  uint32_t FindOrAddCategory(const std::string& name);
  void AddToStats(uint32_t tour, int delta);
  void RemoveScheduleFromTour(uint32_t tour, const Uuid& schedule_id);

  uint64_t version_;
  uint32_t tour_limit_;
  uint32_t leader_limit_;
  Chunks<catalog_internal::TourColumns> tour_columns_;
  Chunks<catalog_internal::TourRecordChunk> tour_records_;
  Chunks<catalog_internal::ScheduleChunk> tour_schedules_;
  Chunks<catalog_internal::LeaderColumns> leader_columns_;
  Chunks<catalog_internal::LeaderRecordChunk> leader_records_;
  Chunks<catalog_internal::UuidShard> tour_ids_;
  Chunks<catalog_internal::UuidShard> leader_ids_;
  Chunks<catalog_internal::UuidShard> schedule_ids_;
  Value<catalog_internal::CategoryDict> categories_;
  Value<catalog_internal::LanguageDict> languages_;
  Value<catalog_internal::TourStats> stats_;
};

}  // namespace otter::engine
