#include "engine/catalog/catalog.h"

#include <utility>

#include "absl/hash/hash.h"
#include "absl/strings/ascii.h"

namespace otter::engine {

std::optional<uint16_t> LanguageCodeIndex(std::string_view code) {
  if (code.size() != 2) return std::nullopt;
  const char a = absl::ascii_tolower(static_cast<unsigned char>(code[0]));
  const char b = absl::ascii_tolower(static_cast<unsigned char>(code[1]));
  if (a < 'a' || a > 'z' || b < 'a' || b > 'z') return std::nullopt;
  return static_cast<uint16_t>((a - 'a') * 26 + (b - 'a'));
}

std::string LanguageCodeFromIndex(uint16_t index) {
  return {static_cast<char>('a' + index / 26), static_cast<char>('a' + index % 26)};
}

namespace catalog_internal {

size_t UuidShardOf(const Uuid& id) {
  // The top bits: absl's flat_hash_map places keys by the low bits of the
  // same hash, so every shard still spreads its keys evenly.
  return absl::Hash<Uuid>{}(id) >> (64 - kUuidShardBits);
}

int SpecialtyBit(std::string_view name) {
  return static_cast<int>(absl::Hash<std::string>{}(absl::AsciiStrToLower(std::string(name))) &
                          63);
}

}  // namespace catalog_internal

std::shared_ptr<const Catalog> Catalog::Empty() {
  catalog_internal::CatalogParts parts;
  using Shards = std::vector<std::shared_ptr<const catalog_internal::UuidShard>>;
  for (auto* shards : {&parts.tour_ids, &parts.leader_ids, &parts.schedule_ids}) {
    *shards = std::make_shared<const Shards>(
        kUuidShards, std::make_shared<const catalog_internal::UuidShard>());
  }
  parts.tour_columns = std::make_shared<const decltype(parts.tour_columns)::element_type>();
  parts.tour_records = std::make_shared<const decltype(parts.tour_records)::element_type>();
  parts.tour_schedules = std::make_shared<const decltype(parts.tour_schedules)::element_type>();
  parts.leader_columns = std::make_shared<const decltype(parts.leader_columns)::element_type>();
  parts.leader_records = std::make_shared<const decltype(parts.leader_records)::element_type>();
  parts.categories = std::make_shared<const catalog_internal::CategoryDict>();
  parts.languages = std::make_shared<const catalog_internal::LanguageDict>();
  parts.stats = std::make_shared<const catalog_internal::TourStats>();
  return std::make_shared<const Catalog>(std::move(parts));
}

std::optional<uint32_t> Catalog::FindCategory(std::string_view name) const {
  const auto& ids = parts_.categories->ids;
  auto it = ids.find(absl::AsciiStrToLower(std::string(name)));
  if (it == ids.end()) return std::nullopt;
  return it->second;
}

std::optional<uint32_t> Catalog::Find(
    const catalog_internal::ChunkList<catalog_internal::UuidShard>& shards, const Uuid& id) {
  const catalog_internal::UuidShard& shard = *(*shards)[catalog_internal::UuidShardOf(id)];
  auto it = shard.find(id);
  if (it == shard.end()) return std::nullopt;
  return it->second;
}

}  // namespace otter::engine
