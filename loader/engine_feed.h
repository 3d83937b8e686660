#pragma once
// EngineFeed: the sink that turns what the loader reads (the bulk load's
// rows, a catch-up's re-fetched rows and deletions) into calls on an
// engine::EngineWriter, and remembers which users' traits changed so that
// their cached match scores can be recomputed.
//
//   engine::EngineWriter writer;
//   EngineFeed feed(writer);
//   OTTER_ASSIGN_OR_RETURN(CatalogReadResult load, ReadCatalog(conn, feed));
//   OTTER_ASSIGN_OR_RETURN(auto snapshot, writer.Publish(load.fence));
//   std::vector<engine::Uuid> users = feed.DrainChangedUsers();
//
// What the engine takes: tours, leaders (with languages and specialties),
// schedules, leader traits and users' current traits. Personality types are
// not forwarded: the engine needs only trait names from them, and a new name
// is registered when a leader's or user's traits first use it.
//
// A trait object the engine cannot take (a 65th trait name: kMaxTraits) is
// not an error of the row: the leader's or user's traits are removed (they
// read 0.5, or the user has none) and the rejection is counted, so that one
// such row cannot stop the load or the change following behind it.
//
// Thread safety: used by one thread at a time, the writer's.

#include <cstdint>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/types/span.h"
#include "engine/engine_writer.h"
#include "engine/traits.h"
#include "engine/uuid.h"
#include "loader/catalog_rows.h"
#include "loader/change_reader.h"

namespace otter::loader {

class EngineFeed : public ChangeSink {
 public:
  // `writer` must outlive the feed.
  explicit EngineFeed(engine::EngineWriter& writer) : writer_(writer) {}

  absl::Status OnPersonalityType(PersonalityTypeRow&& type) override;
  absl::Status OnLeader(engine::LeaderRecord&& leader) override;
  absl::Status OnLeaderTraits(const engine::Uuid& leader_id,
                              absl::Span<const engine::NamedTrait> traits) override;
  absl::Status OnTour(engine::TourRecord&& tour) override;
  absl::Status OnSchedule(engine::ScheduleRecord&& schedule) override;
  absl::Status OnUserTraits(const engine::Uuid& user_id, absl::Span<const engine::NamedTrait> traits) override;

  absl::Status OnPersonalityTypeDeleted(const engine::Uuid& id) override;
  // Also removes the leader's traits.
  absl::Status OnLeaderDeleted(const engine::Uuid& id) override;
  absl::Status OnTourDeleted(const engine::Uuid& id) override;
  absl::Status OnScheduleDeleted(const engine::Uuid& id, absl::Span<const engine::Uuid> tour_ids) override;
  absl::Status OnUserTraitsDeleted(const engine::Uuid& user_id) override;

  // The users whose traits were set or removed since the last call, sorted,
  // each once; forgets them.
  std::vector<engine::Uuid> DrainChangedUsers();

  // Trait objects the engine rejected so far (see the header comment).
  uint64_t rejected_traits() const { return rejected_traits_; }

 private:
  engine::EngineWriter& writer_;
  absl::flat_hash_set<engine::Uuid> changed_users_;
  uint64_t rejected_traits_ = 0;
};

}  // namespace otter::loader
