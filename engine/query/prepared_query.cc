#include "engine/query/prepared_query.h"

#include <cmath>
#include <limits>
#include <numbers>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "engine/status_macros.h"

namespace otter::engine::query {
namespace {

bool TourSpecHasConditions(const TourFilterSpec& s) {
  return !s.categories.empty() || s.price_min_cents || s.price_max_cents ||
         s.duration_min_days || s.duration_max_days || s.duration_min_hours ||
         s.duration_max_hours || s.rating_min || s.available || !s.leader.languages_any.empty() ||
         !s.leader.languages_all.empty() || !s.leader.specialties_any.empty() ||
         !s.leader.types.empty() || s.leader.verified_only;
}

bool LeaderSpecHasConditions(const LeaderSearchFilterSpec& s) {
  return !s.leader.languages_any.empty() || !s.leader.languages_all.empty() ||
         !s.leader.specialties_any.empty() || !s.leader.types.empty() || s.leader.verified_only ||
         s.rating_min || s.price_min_cents || s.price_max_cents;
}

}  // namespace

bool InGeoBox(const GeoBox& box, double lat, double lon) {
  if (std::isnan(lat) || lat < box.south || lat > box.north) return false;
  auto in_lon = [&](double x) {
    return box.west <= box.east ? (x >= box.west && x <= box.east)
                                : (x >= box.west || x <= box.east);
  };
  if (lon == 180 || lon == -180) return in_lon(180) || in_lon(-180);
  return in_lon(lon);
}

absl::StatusOr<std::unique_ptr<PreparedQuery>> PreparedQuery::Create(
    const Snapshot& snapshot, const SearchRequest& request, const CompatibilityScorer& scorer) {
  OTTER_RETURN_IF_ERROR(request.Validate());
  std::unique_ptr<PreparedQuery> q(new PreparedQuery(snapshot, request, request.index));
  if (request.q.has_value()) {
    absl::StatusOr<text::TextQuery> parsed = text::ParseTextQuery(*request.q);
    if (!parsed.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("q: ", std::string(parsed.status().message())));
    }
    q->text_ = std::move(*parsed);
  }
  if (request.near.has_value()) {
    OTTER_ASSIGN_OR_RETURN(
        GeoCircle circle,
        GeoCircle::Create(LatLon{request.near->lat, request.near->lon},
                          request.near->radius_km * 1000, "near."));
    q->circle_ = circle;
    // The geodesic is at least b * (1 - f) times the latitude difference in
    // radians (b: the central angle bound; 1 - f: reduced against geodetic
    // latitude), so a point farther in latitude is outside without trig.
    q->near_max_lat_delta_deg_ = (circle.radius_m() + 1e-6) /
                                     (kWgs84SemiMinorAxisM * (1 - kWgs84Flattening)) *
                                     (1 + 1e-9) * (180 / std::numbers::pi) +
                                 1e-9;
  }
  OTTER_RETURN_IF_ERROR(q->CompileFilters());
  if (request.personality.has_value()) {
    OTTER_ASSIGN_OR_RETURN(UserTraits user, ResolvePersonality(snapshot, *request.personality));
    q->user_ = std::move(user);
    q->compat_ = std::make_unique<LeaderCompatibility>(snapshot.leader_traits(), *q->user_, scorer,
                                                        snapshot.catalog().leader_id_limit());
  }
  q->ChooseOrder();
  if (request.cursor.has_value()) {
    OTTER_ASSIGN_OR_RETURN(Cursor cursor,
                           DecodeCursor(*request.cursor, q->fingerprint_, q->tiers_.size()));
    const std::optional<uint32_t> doc = q->fields_.Find(cursor.last_id);
    if (!doc.has_value()) {
      return absl::InvalidArgumentError("cursor refers to a document this index does not know");
    }
    if (cursor.position + static_cast<uint64_t>(request.limit) > kMaxDepth) {
      return absl::InvalidArgumentError(
          absl::StrCat("cursor: paging deeper than ", kMaxDepth, " hits is not allowed"));
    }
    q->cursor_doc_ = *doc;
    q->cursor_ = std::move(cursor);
  }
  return q;
}

absl::Status PreparedQuery::CompileFilters() {
  const Catalog& catalog = snapshot_->catalog();
  if (fields_.tours()) {
    has_filter_conditions_ = TourSpecHasConditions(request_->tour_filters);
    OTTER_ASSIGN_OR_RETURN(TourFilter filter, TourFilter::Compile(request_->tour_filters, catalog));
    tour_filter_ = std::move(filter);
    return absl::OkStatus();
  }
  const LeaderSearchFilterSpec& spec = request_->leader_filters;
  has_filter_conditions_ = LeaderSpecHasConditions(spec);
  OTTER_ASSIGN_OR_RETURN(LeaderFilter filter, LeaderFilter::Compile(spec.leader, catalog));
  leader_filter_ = std::move(filter);
  // Ratings are numeric(3,2): the smallest stored value >= rating_min.
  leader_rating_min_x100_ =
      spec.rating_min.has_value() ? static_cast<int32_t>(std::ceil(*spec.rating_min * 100 - 1e-9))
                                  : std::numeric_limits<int32_t>::min();
  leader_price_min_cents_ = spec.price_min_cents.value_or(std::numeric_limits<int64_t>::min());
  leader_price_max_cents_ = spec.price_max_cents.value_or(std::numeric_limits<int64_t>::max());
  return absl::OkStatus();
}

void PreparedQuery::ChooseOrder() {
  const SearchRequest& r = *request_;
  if (r.rank.has_value()) {
    rank_ = RankWeights::From(*r.rank);
    tiers_.push_back(SortTier{SortKey::kRank, true});
  } else if (r.sort.empty() && text_ && circle_ && user_) {
    rank_ = RankWeights::DefaultBlend(r.near->radius_km);
    tiers_.push_back(SortTier{SortKey::kRank, true});
  }
  for (const SortSpec& spec : r.sort) {
    const SortKey key = *ParseSortKey(spec.key);  // Validate() accepted it
    tiers_.push_back(SortTier{key, IsDescending(key, spec.order)});
  }
  if (tiers_.empty()) {
    if (text_) {
      tiers_.push_back(SortTier{SortKey::kRelevance, true});
    } else if (circle_) {
      tiers_.push_back(SortTier{SortKey::kDistance, false});
    } else if (user_) {
      tiers_.push_back(SortTier{SortKey::kCompatibility, true});
    } else {
      tiers_.push_back(SortTier{SortKey::kPopularity, true});
    }
  }
  // FNV-1a over the index and the tiers: a cursor only continues the same order.
  uint32_t h = 2166136261u;
  auto mix = [&h](uint32_t byte) { h = (h ^ byte) * 16777619u; };
  mix(static_cast<uint32_t>(r.index));
  for (const SortTier& tier : tiers_) {
    mix(static_cast<uint32_t>(tier.key));
    mix(tier.descending ? 1 : 0);
  }
  fingerprint_ = h;
}

bool PreparedQuery::PassesFilters(uint32_t doc) const {
  if (tour_filter_.has_value()) return tour_filter_->Matches(doc);
  if (!leader_filter_->Matches(doc)) return false;
  const Catalog& c = snapshot_->catalog();
  const int64_t rate = c.leader_hourly_rate_cents(doc);
  return c.leader_rating_x100(doc) >= leader_rating_min_x100_ && rate >= leader_price_min_cents_ &&
         rate <= leader_price_max_cents_;
}

bool PreparedQuery::PassesGeo(uint32_t doc, double* distance_m) const {
  if (circle_.has_value()) {
    if (!fields_.has_location(doc)) return false;
    // NaN-free here: has_location() checked the latitude.
    if (std::fabs(fields_.lat(doc) - circle_->center().lat_lon.lat) > near_max_lat_delta_deg_) {
      return false;
    }
    const std::optional<double> d =
        circle_->DistanceTo(GeoPoint::FromLatLon(LatLon{fields_.lat(doc), fields_.lon(doc)}));
    if (!d.has_value()) return false;
    *distance_m = *d;
    return true;
  }
  if (request_->bbox.has_value()) {
    return InGeoBox(*request_->bbox, fields_.lat(doc), fields_.lon(doc));
  }
  return true;
}

uint32_t PreparedQuery::depth() const {
  return cursor_.has_value() ? cursor_->position : static_cast<uint32_t>(request_->offset);
}

PlanChoice PreparedQuery::Plan() const {
  std::vector<SourceCost> costs;
  const DocumentIndexes& idx = indexes();
  const uint32_t id_limit = fields_.id_limit();
  auto add = [&](Source source, double estimate) {
    costs.push_back(SourceCost{source, estimate, DriverWork(source, estimate, id_limit)});
  };
  if (text_.has_value()) add(Source::kText, static_cast<double>(idx.TextTopK(*text_, 0).total));
  if (has_geo()) {
    double unused = 0;
    add(Source::kGeo,
        EstimateBySample(fields_, [&](uint32_t doc) { return PassesGeo(doc, &unused); }));
  }
  if (has_filter_conditions_) {
    add(Source::kFilters,
        fields_.tours()
            ? tour_filter_->EstimatedSelectivity() * snapshot_->catalog().active_tour_count()
            : EstimateBySample(fields_, [&](uint32_t doc) { return PassesFilters(doc); }));
  }
  add(Source::kAll, static_cast<double>(id_limit));
  return ChooseDriver(std::move(costs));
}

}  // namespace otter::engine::query
