#include "engine/traits.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <new>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace otter::engine {
namespace {

constexpr std::align_val_t kColumnAlignment{64};

absl::string_view AsAbsl(std::string_view s) { return absl::string_view(s.data(), s.size()); }

absl::Status TooManyTraitsError(std::string_view name) {
  return absl::InvalidArgumentError(absl::StrCat("cannot add trait \"", AsAbsl(name), "\": at most ",
                                                 kMaxTraits, " distinct trait names are supported"));
}

// Checks everything about a trait object that does not depend on a registry:
// non-empty, unique names and finite values in [0, 1].
absl::Status ValidateTraitObject(absl::Span<const NamedTrait> traits) {
  if (traits.size() > static_cast<size_t>(kMaxTraits)) {
    return absl::InvalidArgumentError(absl::StrCat("trait object has ", traits.size(),
                                                   " traits: at most ", kMaxTraits, " are supported"));
  }
  for (size_t i = 0; i < traits.size(); ++i) {
    if (traits[i].name.empty()) return absl::InvalidArgumentError("trait name is empty");
    if (absl::Status s = ValidateTraitValue(traits[i].name, traits[i].value); !s.ok()) return s;
    for (size_t j = 0; j < i; ++j) {
      if (traits[j].name == traits[i].name) {
        return absl::InvalidArgumentError(
            absl::StrCat("trait \"", AsAbsl(traits[i].name), "\" appears more than once"));
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateTraitValue(std::string_view name, double value) {
  if (!std::isfinite(value)) {
    return absl::InvalidArgumentError(
        absl::StrCat("trait \"", AsAbsl(name), "\" is not a finite number (", value, ")"));
  }
  if (value < 0.0 || value > 1.0) {
    return absl::InvalidArgumentError(
        absl::StrCat("trait \"", AsAbsl(name), "\" has value ", value, " outside [0, 1]"));
  }
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------
// TraitRegistry

TraitRegistry::TraitRegistry() {
  for (std::string_view name : kCanonicalTraitNames) {
    slots_.emplace(std::string(name), size());
    names_.emplace_back(name);
  }
}

std::optional<int> TraitRegistry::Find(std::string_view name) const {
  auto it = slots_.find(AsAbsl(name));
  if (it == slots_.end()) return std::nullopt;
  return it->second;
}

absl::StatusOr<int> TraitRegistry::Intern(std::string_view name) {
  if (name.empty()) return absl::InvalidArgumentError("trait name is empty");
  if (std::optional<int> slot = Find(name)) return *slot;
  if (size() >= kMaxTraits) return TooManyTraitsError(name);
  const int slot = size();
  slots_.emplace(std::string(name), slot);
  names_.emplace_back(name);
  return slot;
}

// ---------------------------------------------------------------------------
// UserTraits

absl::StatusOr<UserTraits> UserTraits::Resolve(const TraitRegistry& registry,
                                               absl::Span<const NamedTrait> traits) {
  if (traits.empty()) {
    return absl::InvalidArgumentError("user traits are empty: compatibility is undefined");
  }
  if (absl::Status s = ValidateTraitObject(traits); !s.ok()) return s;
  UserTraits user;
  user.registry_size_ = registry.size();
  user.known_.reserve(traits.size());
  for (const NamedTrait& trait : traits) {
    const float value = static_cast<float>(trait.value);
    if (std::optional<int> slot = registry.Find(trait.name)) {
      user.known_.push_back(Entry{*slot, value});
    } else {
      user.unknown_.emplace_back(std::string(trait.name), value);
    }
  }
  std::sort(user.known_.begin(), user.known_.end(),
            [](const Entry& a, const Entry& b) { return a.slot < b.slot; });
  return user;
}

// ---------------------------------------------------------------------------
// TraitChunk

void TraitChunk::AlignedDelete::operator()(float* p) const { ::operator delete[](p, kColumnAlignment); }

TraitChunk::TraitChunk(int column_count) : column_count_(column_count) {
  const size_t n = static_cast<size_t>(column_count) * kLeaders;
  values_.reset(static_cast<float*>(::operator new[](std::max<size_t>(n, 1) * sizeof(float), kColumnAlignment)));
  std::fill_n(values_.get(), n, kMissingTraitValue);
}

TraitChunk::TraitChunk(const TraitChunk& other, int column_count)
    : TraitChunk(std::max(column_count, other.column_count_)) {
  live_count_ = other.live_count_;
  live_ = other.live_;
  std::memcpy(values_.get(), other.values_.get(),
              static_cast<size_t>(other.column_count_) * kLeaders * sizeof(float));
}

// ---------------------------------------------------------------------------
// LeaderTraitMatrix

LeaderTraitMatrix::LeaderTraitMatrix() : registry_(std::make_shared<const TraitRegistry>()) {}

bool LeaderTraitMatrix::Contains(uint32_t leader) const {
  const size_t index = leader / TraitChunk::kLeaders;
  return index < chunks_.size() && chunks_[index] != nullptr &&
         chunks_[index]->live(leader % TraitChunk::kLeaders);
}

float LeaderTraitMatrix::Value(uint32_t leader, int slot) const {
  const TraitChunk& chunk = *chunks_[leader / TraitChunk::kLeaders];
  if (slot >= chunk.column_count()) return kMissingTraitValue;
  return chunk.column(slot)[leader % TraitChunk::kLeaders];
}

// ---------------------------------------------------------------------------
// LeaderTraitMatrixBuilder

LeaderTraitMatrixBuilder::LeaderTraitMatrixBuilder()
    : LeaderTraitMatrixBuilder(LeaderTraitMatrix()) {}

LeaderTraitMatrixBuilder::LeaderTraitMatrixBuilder(const LeaderTraitMatrix& base)
    : registry_(base.registry_),
      chunks_(base.chunks_),
      owned_chunks_(base.chunks_.size(), nullptr),
      leader_count_(base.leader_count_) {}

TraitRegistry* LeaderTraitMatrixBuilder::MutableRegistry() {
  if (owned_registry_ == nullptr) {
    auto copy = std::make_shared<TraitRegistry>(*registry_);
    owned_registry_ = copy.get();
    registry_ = std::move(copy);
  }
  return owned_registry_;
}

TraitChunk* LeaderTraitMatrixBuilder::MutableChunk(size_t index) {
  if (index >= chunks_.size()) {
    chunks_.resize(index + 1);
    owned_chunks_.resize(index + 1, nullptr);
  }
  TraitChunk* owned = owned_chunks_[index];
  // A chunk is copied when a snapshot may share it, and also when it lacks
  // columns for names registered since it was made (new names are rare).
  if (owned == nullptr || owned->column_count() < registry_->size()) {
    std::shared_ptr<TraitChunk> fresh =
        chunks_[index] == nullptr ? std::make_shared<TraitChunk>(registry_->size())
                                  : std::make_shared<TraitChunk>(*chunks_[index], registry_->size());
    owned = fresh.get();
    owned_chunks_[index] = owned;
    chunks_[index] = std::move(fresh);
  }
  return owned;
}

absl::Status LeaderTraitMatrixBuilder::SetLeader(uint32_t leader, absl::Span<const NamedTrait> traits) {
  if (absl::Status s = ValidateTraitObject(traits); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("leader ", leader, ": ", s.message()));
  }
  // Check the name limit before registering anything so that a failed call
  // changes nothing.
  int new_names = 0;
  for (const NamedTrait& trait : traits) {
    if (registry_->Find(trait.name).has_value()) continue;
    if (registry_->size() + ++new_names > kMaxTraits) {
      absl::Status s = TooManyTraitsError(trait.name);
      return absl::InvalidArgumentError(absl::StrCat("leader ", leader, ": ", s.message()));
    }
  }
  std::array<int, kMaxTraits> slots{};
  for (size_t i = 0; i < traits.size(); ++i) {
    std::optional<int> slot = registry_->Find(traits[i].name);
    if (!slot.has_value()) {
      absl::StatusOr<int> interned = MutableRegistry()->Intern(traits[i].name);
      if (!interned.ok()) return interned.status();
      slot = *interned;
    }
    slots[i] = *slot;
  }

  TraitChunk* chunk = MutableChunk(leader / TraitChunk::kLeaders);
  const uint32_t offset = leader % TraitChunk::kLeaders;
  for (int slot = 0; slot < chunk->column_count(); ++slot) {
    chunk->mutable_column(slot)[offset] = kMissingTraitValue;
  }
  for (size_t i = 0; i < traits.size(); ++i) {
    chunk->mutable_column(slots[i])[offset] = static_cast<float>(traits[i].value);
  }
  if (!chunk->live(offset)) {
    chunk->live_[offset / 64] |= uint64_t{1} << (offset % 64);
    ++chunk->live_count_;
    ++leader_count_;
  }
  return absl::OkStatus();
}

bool LeaderTraitMatrixBuilder::RemoveLeader(uint32_t leader) {
  const size_t index = leader / TraitChunk::kLeaders;
  const uint32_t offset = leader % TraitChunk::kLeaders;
  if (index >= chunks_.size() || chunks_[index] == nullptr || !chunks_[index]->live(offset)) {
    return false;
  }
  --leader_count_;
  if (chunks_[index]->live_count() == 1) {
    chunks_[index] = nullptr;
    owned_chunks_[index] = nullptr;
    while (!chunks_.empty() && chunks_.back() == nullptr) {
      chunks_.pop_back();
      owned_chunks_.pop_back();
    }
    return true;
  }
  TraitChunk* chunk = MutableChunk(index);
  chunk->live_[offset / 64] &= ~(uint64_t{1} << (offset % 64));
  --chunk->live_count_;
  // Dead slots hold 0.5 so that a later SetLeader starts from a clean state.
  for (int slot = 0; slot < chunk->column_count(); ++slot) {
    chunk->mutable_column(slot)[offset] = kMissingTraitValue;
  }
  return true;
}

absl::StatusOr<int> LeaderTraitMatrixBuilder::AddTraitName(std::string_view name) {
  if (name.empty()) return absl::InvalidArgumentError("trait name is empty");
  if (std::optional<int> slot = registry_->Find(name)) return *slot;
  return MutableRegistry()->Intern(name);
}

LeaderTraitMatrix LeaderTraitMatrixBuilder::Snapshot() {
  LeaderTraitMatrix matrix(registry_, chunks_, leader_count_);
  owned_registry_ = nullptr;
  std::fill(owned_chunks_.begin(), owned_chunks_.end(), nullptr);
  return matrix;
}

}  // namespace otter::engine
