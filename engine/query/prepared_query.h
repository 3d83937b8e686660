#pragma once
// A search request compiled against one snapshot: the text query parsed,
// the near circle prepared, filters compiled, the personality resolved, the
// sort tiers and rank expression fixed, the cursor decoded. Everything the
// executor checks per candidate is a const method here.
//
//   OTTER_ASSIGN_OR_RETURN(auto q, PreparedQuery::Create(snapshot, request, scorer));
//   if (q->PassesFilters(doc) && q->PassesGeo(doc, &distance_m)) ...
//
// Thread safety: per query; refers to the snapshot, which must outlive it.

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/catalog/tour_filter.h"
#include "engine/compatibility_scorer.h"
#include "engine/geodesy.h"
#include "engine/query/cursor.h"
#include "engine/query/doc_fields.h"
#include "engine/query/personality.h"
#include "engine/query/planner.h"
#include "engine/query/ranking.h"
#include "engine/query/search_request.h"
#include "engine/query/sort_key.h"
#include "engine/snapshot.h"
#include "engine/text/text_query.h"

namespace otter::engine::query {

// Whether (lat, lon) lies in `box` as GeoIndex::Box decides it (edges
// included, west > east crossing the antimeridian, -180 = 180).
bool InGeoBox(const GeoBox& box, double lat, double lon);

class PreparedQuery {
 public:
  // Validates `request` and compiles it. Errors: kInvalidArgument naming the
  // field (from Validate, the text parser "q: ...", the filters, the
  // cursor); kNotFound for a personality.user_id without traits.
  static absl::StatusOr<std::unique_ptr<PreparedQuery>> Create(const Snapshot& snapshot,
                                                               const SearchRequest& request,
                                                               const CompatibilityScorer& scorer);

  const Snapshot& snapshot() const { return *snapshot_; }
  const SearchRequest& request() const { return *request_; }
  const DocFields& fields() const { return fields_; }
  const DocumentIndexes& indexes() const {
    return fields_.tours() ? snapshot_->tours() : snapshot_->leaders();
  }

  const std::optional<text::TextQuery>& text() const { return text_; }
  const std::optional<GeoCircle>& circle() const { return circle_; }
  const std::optional<GeoBox>& box() const { return request_->bbox; }
  bool has_geo() const { return circle_.has_value() || request_->bbox.has_value(); }
  // Whether any filter condition was given (beyond matchability).
  bool has_filter_conditions() const { return has_filter_conditions_; }
  bool has_personality() const { return user_.has_value(); }
  // The resolved personality; requires has_personality().
  const UserTraits& user() const { return *user_; }
  LeaderCompatibility& compatibility() const { return *compat_; }

  // Matchable and meets every filter. Requires doc < fields().id_limit().
  bool PassesFilters(uint32_t doc) const;
  // Meets the near circle or bbox (true without geo); sets *distance_m
  // (with near) to the distance from the center.
  bool PassesGeo(uint32_t doc, double* distance_m) const;

  // The order: tiers, then ascending dense id.
  const std::vector<SortTier>& tiers() const { return tiers_; }
  // The rank expression when the first tier is kRank.
  const std::optional<RankWeights>& rank() const { return rank_; }
  // Fingerprint of the order, for cursors.
  uint32_t fingerprint() const { return fingerprint_; }
  // The decoded cursor and the dense id of its last document.
  const std::optional<Cursor>& cursor() const { return cursor_; }
  uint32_t cursor_doc() const { return cursor_doc_; }
  // Hits before this page: offset, or the cursor's position.
  uint32_t depth() const;

  // The estimate-and-choose step of the planner for this query.
  PlanChoice Plan() const;

 private:
  PreparedQuery(const Snapshot& snapshot, const SearchRequest& request, IndexKind kind)
      : snapshot_(&snapshot), request_(&request), fields_(snapshot.catalog(), kind) {}
  absl::Status CompileFilters();
  void ChooseOrder();

  const Snapshot* snapshot_;
  const SearchRequest* request_;
  DocFields fields_;
  std::optional<text::TextQuery> text_;
  std::optional<GeoCircle> circle_;
  // Points farther than this in latitude from the near center are outside.
  double near_max_lat_delta_deg_ = 0;
  std::optional<TourFilter> tour_filter_;
  std::optional<LeaderFilter> leader_filter_;
  int32_t leader_rating_min_x100_ = 0;
  int64_t leader_price_min_cents_ = 0;
  int64_t leader_price_max_cents_ = 0;
  bool has_filter_conditions_ = false;
  std::optional<UserTraits> user_;
  std::unique_ptr<LeaderCompatibility> compat_;
  std::vector<SortTier> tiers_;
  std::optional<RankWeights> rank_;
  uint32_t fingerprint_ = 0;
  std::optional<Cursor> cursor_;
  uint32_t cursor_doc_ = 0;
};

}  // namespace otter::engine::query
