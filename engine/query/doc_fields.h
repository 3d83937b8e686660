#pragma once
// One view over the catalog columns of the searched document kind, so that
// the executor and planner read tours and leaders through the same calls.
// Price is a tour's price or a leader's hourly rate; a tour's leader is its
// leader, a leader's is itself.
//
//   DocFields fields(catalog, IndexKind::kTours);
//   for (uint32_t d = 0; d < fields.id_limit(); ++d) if (fields.matchable(d)) ...
//
// Thread safety: a view of an immutable Catalog.

#include <cmath>
#include <cstdint>
#include <optional>

#include "engine/catalog/catalog.h"
#include "engine/query/search_request.h"

namespace otter::engine::query {

class DocFields {
 public:
  DocFields(const Catalog& catalog, IndexKind kind) : catalog_(&catalog), kind_(kind) {}

  IndexKind kind() const { return kind_; }
  bool tours() const { return kind_ == IndexKind::kTours; }
  const Catalog& catalog() const { return *catalog_; }

  uint32_t id_limit() const {
    return tours() ? catalog_->tour_id_limit() : catalog_->leader_id_limit();
  }
  // Whether the document may match any query (tours: it and its leader are
  // active; leaders: active). Requires doc < id_limit() (as do all below).
  bool matchable(uint32_t doc) const {
    return tours() ? catalog_->TourMatchable(doc) : catalog_->leader_active(doc);
  }
  double lat(uint32_t doc) const { return tours() ? catalog_->tour_lat(doc) : catalog_->leader_lat(doc); }
  double lon(uint32_t doc) const { return tours() ? catalog_->tour_lon(doc) : catalog_->leader_lon(doc); }
  bool has_location(uint32_t doc) const { return !std::isnan(lat(doc)); }
  int64_t price_cents(uint32_t doc) const {
    return tours() ? catalog_->tour_price_cents(doc) : catalog_->leader_hourly_rate_cents(doc);
  }
  int32_t rating_x100(uint32_t doc) const {
    return tours() ? catalog_->tour_rating_x100(doc) : catalog_->leader_rating_x100(doc);
  }
  int32_t total_reviews(uint32_t doc) const {
    return tours() ? catalog_->tour_total_reviews(doc) : catalog_->leader_total_reviews(doc);
  }
  int64_t created_at_us(uint32_t doc) const {
    return tours() ? catalog_->tour_created_at_us(doc) : catalog_->leader_created_at_us(doc);
  }
  uint32_t leader_of(uint32_t doc) const { return tours() ? catalog_->tour_leader(doc) : doc; }
  // The Uuid of a document with a record; the nil Uuid otherwise.
  Uuid uuid(uint32_t doc) const {
    if (tours()) {
      const TourRecord* record = catalog_->tour(doc);
      return record != nullptr ? record->id : Uuid();
    }
    const LeaderRecord* record = catalog_->leader(doc);
    return record != nullptr ? record->id : Uuid();
  }
  std::optional<uint32_t> Find(const Uuid& id) const {
    return tours() ? catalog_->FindTour(id) : catalog_->FindLeader(id);
  }

 private:
  const Catalog* catalog_;
  IndexKind kind_;
};

}  // namespace otter::engine::query
