#include "engine/engine_writer.h"

#include <algorithm>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "engine/status_macros.h"

namespace otter::engine {
namespace {

using snapshot_internal::BaseIndexes;
using snapshot_internal::UserTraitShard;

catalog_internal::ChunkList<UserTraitShard> EmptyUserShards() {
  auto shards = std::make_shared<std::vector<std::shared_ptr<const UserTraitShard>>>();
  auto empty = std::make_shared<const UserTraitShard>();
  shards->assign(kUuidShards, empty);
  return shards;
}

// OK when `traits` has no empty or repeated name and every value is in
// [0, 1]; kInvalidArgument naming the trait otherwise.
absl::Status ValidateTraits(absl::Span<const NamedTrait> traits) {
  absl::flat_hash_set<std::string_view> seen;
  for (const NamedTrait& trait : traits) {
    if (trait.name.empty()) return absl::InvalidArgumentError("trait names must not be empty");
    if (!seen.insert(trait.name).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("trait \"", std::string(trait.name), "\" appears more than once"));
    }
    OTTER_RETURN_IF_ERROR(ValidateTraitValue(trait.name, trait.value));
  }
  return absl::OkStatus();
}

std::vector<uint32_t> SortedIds(const absl::flat_hash_set<uint32_t>& ids) {
  std::vector<uint32_t> sorted(ids.begin(), ids.end());
  std::sort(sorted.begin(), sorted.end());
  return sorted;
}

}  // namespace

EngineWriter::EngineWriter(EngineWriterOptions options)
    : options_(options),
      leader_traits_(std::make_shared<const LeaderTraitMatrix>()),
      user_shards_(EmptyUserShards()) {}

EngineWriter::~EngineWriter() { WaitForMerge(); }

absl::Status EngineWriter::UpsertTour(TourRecord tour) {
  const Uuid id = tour.id;
  OTTER_RETURN_IF_ERROR(catalog_builder_.UpsertTour(std::move(tour)));
  if (has_base_) changed_tours_.push_back(id);
  return absl::OkStatus();
}

absl::Status EngineWriter::DeleteTour(const Uuid& id) {
  OTTER_RETURN_IF_ERROR(catalog_builder_.DeleteTour(id));
  if (has_base_) changed_tours_.push_back(id);
  return absl::OkStatus();
}

absl::Status EngineWriter::UpsertLeader(LeaderRecord leader) {
  const Uuid id = leader.id;
  OTTER_RETURN_IF_ERROR(catalog_builder_.UpsertLeader(std::move(leader)));
  if (has_base_) changed_leaders_.push_back(id);
  return absl::OkStatus();
}

absl::Status EngineWriter::DeleteLeader(const Uuid& id) {
  OTTER_RETURN_IF_ERROR(catalog_builder_.DeleteLeader(id));
  if (has_base_) changed_leaders_.push_back(id);
  return absl::OkStatus();
}

// Schedules feed availability filters, which read the catalog directly; no
// index holds them.
absl::Status EngineWriter::UpsertSchedule(ScheduleRecord schedule) {
  return catalog_builder_.UpsertSchedule(std::move(schedule));
}

absl::Status EngineWriter::DeleteSchedule(const Uuid& id) {
  return catalog_builder_.DeleteSchedule(id);
}

absl::Status EngineWriter::SetLeaderTraits(const Uuid& leader,
                                           absl::Span<const NamedTrait> traits) {
  OTTER_RETURN_IF_ERROR(ValidateTraits(traits));
  std::optional<uint32_t> id;
  if (catalog_ != nullptr) id = catalog_->FindLeader(leader);
  if (id.has_value()) {
    OTTER_RETURN_IF_ERROR(trait_builder_.SetLeader(*id, traits));
    traits_changed_ = true;
    pending_leader_traits_.erase(leader);
    return absl::OkStatus();
  }
  std::vector<std::pair<std::string, double>> copy;
  copy.reserve(traits.size());
  for (const NamedTrait& trait : traits) copy.emplace_back(std::string(trait.name), trait.value);
  pending_leader_traits_[leader] = std::move(copy);
  return absl::OkStatus();
}

void EngineWriter::RemoveLeaderTraits(const Uuid& leader) {
  std::optional<uint32_t> id;
  if (catalog_ != nullptr) id = catalog_->FindLeader(leader);
  if (id.has_value()) {
    traits_changed_ = trait_builder_.RemoveLeader(*id) || traits_changed_;
    pending_leader_traits_.erase(leader);
  } else {
    pending_leader_traits_[leader] = std::nullopt;
  }
}

void EngineWriter::ApplyPendingLeaderTraits(const Catalog& catalog) {
  std::vector<NamedTrait> named;
  for (auto it = pending_leader_traits_.begin(); it != pending_leader_traits_.end();) {
    std::optional<uint32_t> id = catalog.FindLeader(it->first);
    if (!id.has_value()) {
      ++it;
      continue;
    }
    if (it->second.has_value()) {
      named.clear();
      for (const auto& [name, value] : *it->second) named.push_back({name, value});
      if (trait_builder_.SetLeader(*id, named).ok()) {
        traits_changed_ = true;
      } else {
        ++stats_.rejected_leader_traits;
      }
    } else {
      traits_changed_ = trait_builder_.RemoveLeader(*id) || traits_changed_;
    }
    pending_leader_traits_.erase(it++);
  }
}

absl::Status EngineWriter::SetUserTraits(const Uuid& user, absl::Span<const NamedTrait> traits) {
  OTTER_RETURN_IF_ERROR(ValidateTraits(traits));
  StoredUserTraits stored;
  stored.traits.reserve(traits.size());
  for (const NamedTrait& trait : traits) {
    stored.traits.emplace_back(std::string(trait.name), static_cast<float>(trait.value));
  }
  user_shards_.Mutable(catalog_internal::UuidShardOf(user))[user] = std::move(stored);
  users_changed_ = true;
  return absl::OkStatus();
}

void EngineWriter::RemoveUserTraits(const Uuid& user) {
  const size_t shard = catalog_internal::UuidShardOf(user);
  if (!user_shards_.Get(shard).contains(user)) return;
  user_shards_.Mutable(shard).erase(user);
  users_changed_ = true;
}

void EngineWriter::ResolveChanges(const Catalog& catalog, std::vector<uint32_t>* tours,
                                  std::vector<uint32_t>* leaders) {
  tours->clear();
  leaders->clear();
  for (const Uuid& id : changed_tours_) {
    if (std::optional<uint32_t> doc = catalog.FindTour(id)) tours->push_back(*doc);
  }
  // A leader whose matching flipped changes whether its tours match.
  std::vector<uint8_t> flipped;
  bool any_flipped = false;
  for (const Uuid& id : changed_leaders_) {
    std::optional<uint32_t> doc = catalog.FindLeader(id);
    if (!doc.has_value()) continue;
    leaders->push_back(*doc);
    const bool was = *doc < catalog_->leader_id_limit() && catalog_->leader_active(*doc);
    if (was != catalog.leader_active(*doc)) {
      if (flipped.empty()) flipped.resize(catalog.leader_id_limit());
      flipped[*doc] = 1;
      any_flipped = true;
    }
  }
  if (any_flipped) {
    const uint32_t limit = catalog.tour_id_limit();
    for (uint32_t chunk_start = 0; chunk_start < limit; chunk_start += kCatalogChunkRows) {
      const auto& columns = catalog.tour_columns_of(chunk_start);
      const uint32_t rows = std::min(kCatalogChunkRows, limit - chunk_start);
      for (uint32_t row = 0; row < rows; ++row) {
        const uint32_t leader = columns.leader[row];
        if (leader < flipped.size() && flipped[leader] != 0) tours->push_back(chunk_start + row);
      }
    }
  }
  for (std::vector<uint32_t>* ids : {tours, leaders}) {
    std::sort(ids->begin(), ids->end());
    ids->erase(std::unique(ids->begin(), ids->end()), ids->end());
  }
  changed_tours_.clear();
  changed_leaders_.clear();
}

size_t EngineWriter::MergeThreshold(size_t documents) const {
  const auto by_fraction = static_cast<size_t>(options_.merge_fraction * double(documents));
  return std::min(options_.merge_max_changes, std::max(options_.merge_min_changes, by_fraction));
}

absl::Status EngineWriter::SwapIn(MergeResult result, const Catalog& catalog) {
  OTTER_RETURN_IF_ERROR(result.tours.status());
  OTTER_RETURN_IF_ERROR(result.leaders.status());
  const auto start = std::chrono::steady_clock::now();
  OTTER_RETURN_IF_ERROR(tours_.Reset(*std::move(result.tours), catalog,
                                     SortedIds(tours_since_merge_)));
  OTTER_RETURN_IF_ERROR(leaders_.Reset(*std::move(result.leaders), catalog,
                                       SortedIds(leaders_since_merge_)));
  tours_since_merge_.clear();
  leaders_since_merge_.clear();
  merge_catalog_ = nullptr;
  ++stats_.merges_completed;
  stats_.last_merge_build = result.build_time;
  stats_.last_merge_swap = std::chrono::steady_clock::now() - start;
  return absl::OkStatus();
}

absl::Status EngineWriter::MaybeFinishMerge(const Catalog& catalog) {
  if (!merge_.valid() ||
      merge_.wait_for(std::chrono::seconds(0)) != std::future_status::ready) {
    return absl::OkStatus();
  }
  return SwapIn(merge_.get(), catalog);
}

absl::Status EngineWriter::MaybeStartMerge(const std::shared_ptr<const Catalog>& catalog) {
  if (merge_.valid()) return absl::OkStatus();
  if (tours_.delta_size() <= MergeThreshold(catalog->tour_id_limit()) &&
      leaders_.delta_size() <= MergeThreshold(catalog->leader_id_limit())) {
    return absl::OkStatus();
  }
  ++stats_.merges_started;
  auto build = [](std::shared_ptr<const Catalog> from) {
    const auto start = std::chrono::steady_clock::now();
    MergeResult result{DocumentIndexWriter::BuildBase(DocumentKind::kTour, from),
                       DocumentIndexWriter::BuildBase(DocumentKind::kLeader, from)};
    result.build_time = std::chrono::steady_clock::now() - start;
    return result;
  };
  merge_catalog_ = catalog;
  tours_since_merge_.clear();
  leaders_since_merge_.clear();
  if (!options_.background_merge) return SwapIn(build(catalog), *catalog);
  // The builder reads only the immutable catalog version it is given.
  merge_ = std::async(std::launch::async, build, catalog);
  return absl::OkStatus();
}

void EngineWriter::WaitForMerge() const {
  if (merge_.valid()) merge_.wait();
}

absl::StatusOr<std::shared_ptr<const Snapshot>> EngineWriter::Publish(uint64_t as_of) {
  std::shared_ptr<const Catalog> catalog = catalog_builder_.Publish();
  if (!has_base_) {
    OTTER_ASSIGN_OR_RETURN(auto tour_base, DocumentIndexWriter::BuildBase(DocumentKind::kTour,
                                                                          catalog));
    OTTER_ASSIGN_OR_RETURN(auto leader_base,
                           DocumentIndexWriter::BuildBase(DocumentKind::kLeader, catalog));
    OTTER_RETURN_IF_ERROR(tours_.Reset(std::move(tour_base), *catalog, {}));
    OTTER_RETURN_IF_ERROR(leaders_.Reset(std::move(leader_base), *catalog, {}));
    has_base_ = true;
  } else {
    std::vector<uint32_t> tours;
    std::vector<uint32_t> leaders;
    ResolveChanges(*catalog, &tours, &leaders);
    OTTER_RETURN_IF_ERROR(tours_.Apply(*catalog, tours));
    OTTER_RETURN_IF_ERROR(leaders_.Apply(*catalog, leaders));
    if (merge_.valid()) {
      tours_since_merge_.insert(tours.begin(), tours.end());
      leaders_since_merge_.insert(leaders.begin(), leaders.end());
    }
    OTTER_RETURN_IF_ERROR(MaybeFinishMerge(*catalog));
    OTTER_RETURN_IF_ERROR(MaybeStartMerge(catalog));
  }
  catalog_ = catalog;

  ApplyPendingLeaderTraits(*catalog);
  if (traits_changed_) {
    leader_traits_ = std::make_shared<const LeaderTraitMatrix>(trait_builder_.Snapshot());
    traits_changed_ = false;
  }
  if (users_changed_ || user_traits_ == nullptr) {
    auto shards = std::make_shared<Snapshot::UserTraitShards>();
    shards->shards = user_shards_.Publish();
    user_traits_ = std::move(shards);
    users_changed_ = false;
  }
  ++stats_.publishes;
  return SnapshotBuilder::MakeSnapshot(catalog, tours_.Publish(), leaders_.Publish(),
                                       leader_traits_, user_traits_, as_of);
}

}  // namespace otter::engine
