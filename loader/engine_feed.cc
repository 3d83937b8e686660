#include "loader/engine_feed.h"

#include <algorithm>
#include <utility>

namespace otter::loader {

absl::Status EngineFeed::OnPersonalityType(PersonalityTypeRow&& /*type*/) { return absl::OkStatus(); }

absl::Status EngineFeed::OnLeader(engine::LeaderRecord&& leader) {
  return writer_.UpsertLeader(std::move(leader));
}

absl::Status EngineFeed::OnLeaderTraits(const engine::Uuid& leader_id,
                                        absl::Span<const engine::NamedTrait> traits) {
  absl::Status status = writer_.SetLeaderTraits(leader_id, traits);
  if (status.code() == absl::StatusCode::kInvalidArgument) {
    writer_.RemoveLeaderTraits(leader_id);
    ++rejected_traits_;
    return absl::OkStatus();
  }
  return status;
}

absl::Status EngineFeed::OnTour(engine::TourRecord&& tour) { return writer_.UpsertTour(std::move(tour)); }

absl::Status EngineFeed::OnSchedule(engine::ScheduleRecord&& schedule) {
  return writer_.UpsertSchedule(std::move(schedule));
}

absl::Status EngineFeed::OnUserTraits(const engine::Uuid& user_id, absl::Span<const engine::NamedTrait> traits) {
  changed_users_.insert(user_id);
  absl::Status status = writer_.SetUserTraits(user_id, traits);
  if (status.code() == absl::StatusCode::kInvalidArgument) {
    writer_.RemoveUserTraits(user_id);
    ++rejected_traits_;
    return absl::OkStatus();
  }
  return status;
}

absl::Status EngineFeed::OnPersonalityTypeDeleted(const engine::Uuid& /*id*/) { return absl::OkStatus(); }

absl::Status EngineFeed::OnLeaderDeleted(const engine::Uuid& id) {
  writer_.RemoveLeaderTraits(id);
  return writer_.DeleteLeader(id);
}

absl::Status EngineFeed::OnTourDeleted(const engine::Uuid& id) { return writer_.DeleteTour(id); }

// The catalog knows which tour a schedule belongs to; the tour ids the log
// named are not needed here.
absl::Status EngineFeed::OnScheduleDeleted(const engine::Uuid& id, absl::Span<const engine::Uuid> /*tour_ids*/) {
  return writer_.DeleteSchedule(id);
}

absl::Status EngineFeed::OnUserTraitsDeleted(const engine::Uuid& user_id) {
  changed_users_.insert(user_id);
  writer_.RemoveUserTraits(user_id);
  return absl::OkStatus();
}

std::vector<engine::Uuid> EngineFeed::DrainChangedUsers() {
  std::vector<engine::Uuid> users(changed_users_.begin(), changed_users_.end());
  std::sort(users.begin(), users.end());
  changed_users_.clear();
  return users;
}

}  // namespace otter::loader
