// Boost's karney_inverse swaps its geodesic scale M21 even when it does not
// compute it, and GCC reports that (harmless) read from std::swap, whose
// location is fixed by the first include: so the warning is silenced here,
// for this file only, before any include.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#include "engine/geodesy.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <numbers>
#include <string>

#include "absl/strings/str_cat.h"
#include <boost/geometry/formulas/karney_inverse.hpp>
#include <boost/geometry/srs/spheroid.hpp>

namespace otter::engine {
namespace {

constexpr double kDegToRad = std::numbers::pi / 180;

// Lambert's formula is used up to a central angle of 150 degrees, where its
// error stays below 7e-6 relative; past it (nearly antipodal lines) the error
// grows without bound. This is the squared chord of that angle: 4 sin^2(75°).
constexpr double kLambertMaxChordSquared = 3.7320508075688772;

// Slack against floating-point rounding in the rigorous chord bounds: the
// unit vectors carry ~1e-16 of error, i.e. nanometres on the ground.
constexpr double kChordRelativeSlack = 1e-9;
constexpr double kDistanceSlackM = 1e-6;

// Lambert's formula on the auxiliary sphere, given the squared chord between
// the unit vectors (0 < chord_squared <= kLambertMaxChordSquared).
double LambertDistance(const GeoPoint& a, const GeoPoint& b, double chord_squared) {
  const double sin2_half = chord_squared / 4;  // sin^2(sigma / 2)
  const double cos2_half = 1 - sin2_half;
  const double sin_half = std::sqrt(sin2_half);
  const double cos_half = std::sqrt(cos2_half);
  const double sigma = 2 * std::atan2(sin_half, cos_half);
  const double sin_sigma = 2 * sin_half * cos_half;
  // With P, Q the half sum and half difference of the reduced latitudes,
  // sin P cos Q and cos P sin Q are the half sum and difference of their sines,
  // which are the z components.
  const double p = (a.z + b.z) / 2;
  const double q = (b.z - a.z) / 2;
  const double x = (sigma - sin_sigma) * p * p / cos2_half;
  const double y = (sigma + sin_sigma) * q * q / sin2_half;
  return kWgs84SemiMajorAxisM * (sigma - kWgs84Flattening / 2 * (x + y));
}

DistanceEstimate EstimateWithChord(const GeoPoint& a, const GeoPoint& b, double chord_squared) {
  if (chord_squared == 0) return {0, kEstimateAbsoluteErrorM};
  if (chord_squared > kLambertMaxChordSquared) {
    return {GeodesicDistance(a.lat_lon, b.lat_lon), 0};
  }
  const double d = LambertDistance(a, b, chord_squared);
  return {d, kEstimateRelativeError * d + kEstimateAbsoluteErrorM};
}

}  // namespace

absl::Status ValidateLatLon(const LatLon& point, std::string_view field_prefix) {
  // Written so that NaN fails both comparisons.
  if (!(point.lat >= -90 && point.lat <= 90)) {
    return absl::InvalidArgumentError(
        absl::StrCat(std::string(field_prefix), "lat must be within [-90, 90], got ", point.lat));
  }
  if (!(point.lon >= -180 && point.lon <= 180)) {
    return absl::InvalidArgumentError(
        absl::StrCat(std::string(field_prefix), "lon must be within [-180, 180], got ", point.lon));
  }
  return absl::OkStatus();
}

absl::Status ValidateRadius(double radius_m, std::string_view field) {
  if (!(radius_m >= 0 && std::isfinite(radius_m))) {
    return absl::InvalidArgumentError(
        absl::StrCat(std::string(field), " must be a finite number >= 0, got ", radius_m));
  }
  return absl::OkStatus();
}

double GeodesicDistance(const LatLon& a, const LatLon& b) {
  namespace bg = boost::geometry;
  const bg::srs::spheroid<double> wgs84(kWgs84SemiMajorAxisM, kWgs84SemiMinorAxisM);
  // Boost's formula takes radians, longitude first.
  return bg::formula::karney_inverse<double, /*EnableDistance=*/true,
                                     /*EnableAzimuth=*/false>::apply(a.lon * kDegToRad,
                                                                     a.lat * kDegToRad,
                                                                     b.lon * kDegToRad,
                                                                     b.lat * kDegToRad, wgs84)
      .distance;
}

GeoPoint GeoPoint::FromLatLon(const LatLon& lat_lon) {
  const double phi = lat_lon.lat * kDegToRad;
  const double lambda = lat_lon.lon * kDegToRad;
  // tan(beta) = (1 - f) tan(phi), without tan's pole at 90 degrees.
  double sin_beta = (1 - kWgs84Flattening) * std::sin(phi);
  double cos_beta = std::cos(phi);
  const double norm = std::hypot(sin_beta, cos_beta);
  sin_beta /= norm;
  cos_beta /= norm;
  return GeoPoint{lat_lon, cos_beta * std::cos(lambda), cos_beta * std::sin(lambda), sin_beta};
}

double ChordSquared(const GeoPoint& a, const GeoPoint& b) {
  const double dx = a.x - b.x;
  const double dy = a.y - b.y;
  const double dz = a.z - b.z;
  return dx * dx + dy * dy + dz * dz;
}

double MinDistanceForChordSquared(double chord_squared) {
  const double half_chord = std::min(1.0, std::sqrt(std::max(0.0, chord_squared)) / 2);
  const double sigma = 2 * std::asin(half_chord);
  return std::max(0.0, kWgs84SemiMinorAxisM * sigma * (1 - kChordRelativeSlack) - kDistanceSlackM);
}

double MaxChordSquaredForDistance(double distance_m) {
  const double sigma =
      (distance_m + kDistanceSlackM) / kWgs84SemiMinorAxisM * (1 + kChordRelativeSlack);
  if (sigma >= std::numbers::pi) return 5;  // every pair: chords never exceed 2
  const double chord = 2 * std::sin(sigma / 2);
  return chord * chord * (1 + kChordRelativeSlack) + 1e-18;
}

DistanceEstimate EstimateDistance(const GeoPoint& a, const GeoPoint& b) {
  return EstimateWithChord(a, b, ChordSquared(a, b));
}

absl::StatusOr<GeoCircle> GeoCircle::Create(const LatLon& center, double radius_m,
                                            std::string_view field_prefix) {
  if (absl::Status s = ValidateLatLon(center, field_prefix); !s.ok()) return s;
  if (absl::Status s =
          ValidateRadius(radius_m, absl::StrCat(std::string(field_prefix), "radius_m"));
      !s.ok()) {
    return s;
  }
  return GeoCircle(GeoPoint::FromLatLon(center), radius_m);
}

GeoCircle::GeoCircle(const GeoPoint& center, double radius_m)
    : center_(center),
      radius_m_(radius_m),
      max_chord_squared_(MaxChordSquaredForDistance(radius_m)) {}

std::optional<double> GeoCircle::DistanceTo(const GeoPoint& point) const {
  return DistanceTo(point, ChordSquared(center_, point));
}

std::optional<double> GeoCircle::DistanceTo(const GeoPoint& point, double chord_squared) const {
  if (chord_squared > max_chord_squared_) return std::nullopt;
  const DistanceEstimate estimate = EstimateWithChord(center_, point, chord_squared);
  if (estimate.distance_m + estimate.error_m <= radius_m_) return estimate.distance_m;
  if (estimate.distance_m - estimate.error_m > radius_m_) return std::nullopt;
  // Within the estimate's error of the boundary: only the exact distance can
  // say on which side the point lies.
  const double exact = GeodesicDistance(center_.lat_lon, point.lat_lon);
  if (exact <= radius_m_) return exact;
  return std::nullopt;
}

std::vector<GeoHit> RankNearest(const GeoPoint& center, std::span<const GeoCandidate> candidates,
                                size_t k) {
  std::vector<geodesy_internal::EstimatedCandidate> estimated;
  estimated.reserve(candidates.size());
  for (const GeoCandidate& c : candidates) {
    estimated.push_back({c.doc, c.point.lat_lon, EstimateDistance(center, c.point)});
  }
  return geodesy_internal::RankNearestEstimated(center.lat_lon, estimated, k);
}

void SortByDistance(std::vector<GeoHit>& hits) {
  std::sort(hits.begin(), hits.end(), [](const GeoHit& a, const GeoHit& b) {
    return a.distance_m != b.distance_m ? a.distance_m < b.distance_m : a.doc < b.doc;
  });
}

namespace geodesy_internal {

std::vector<GeoHit> RankNearestEstimated(const LatLon& center,
                                         std::vector<EstimatedCandidate>& candidates, size_t k) {
  std::vector<GeoHit> hits;
  if (k == 0 || candidates.empty()) return hits;
  std::sort(candidates.begin(), candidates.end(),
            [](const EstimatedCandidate& a, const EstimatedCandidate& b) {
              return a.estimate.distance_m != b.estimate.distance_m
                         ? a.estimate.distance_m < b.estimate.distance_m
                         : a.doc < b.doc;
            });
  hits.reserve(candidates.size());
  for (const EstimatedCandidate& c : candidates) hits.push_back({c.doc, c.estimate.distance_m});

  // Group candidates into runs whose error intervals overlap. Between runs
  // the estimates already give the exact order; inside a run with more than
  // one position only exact distances can. Runs starting at rank k or later
  // cannot reach the result.
  size_t begin = 0;
  while (begin < hits.size() && begin < k) {
    const DistanceEstimate& first = candidates[begin].estimate;
    double run_high = first.distance_m + first.error_m;
    bool one_position = true;
    size_t end = begin + 1;
    for (; end < candidates.size(); ++end) {
      const DistanceEstimate& e = candidates[end].estimate;
      if (e.distance_m - e.error_m > run_high) break;
      run_high = std::max(run_high, e.distance_m + e.error_m);
      one_position = one_position && candidates[end].lat_lon == candidates[begin].lat_lon;
    }
    if (!one_position) {
      for (size_t i = begin; i < end; ++i) {
        // Equal positions have equal estimates, so they are usually adjacent.
        hits[i].distance_m = i > begin && candidates[i].lat_lon == candidates[i - 1].lat_lon
                                 ? hits[i - 1].distance_m
                                 : GeodesicDistance(center, candidates[i].lat_lon);
      }
      std::sort(hits.begin() + static_cast<std::ptrdiff_t>(begin),
                hits.begin() + static_cast<std::ptrdiff_t>(end),
                [](const GeoHit& a, const GeoHit& b) {
                  return a.distance_m != b.distance_m ? a.distance_m < b.distance_m : a.doc < b.doc;
                });
    }
    begin = end;
  }
  if (hits.size() > k) hits.resize(k);
  return hits;
}

}  // namespace geodesy_internal
}  // namespace otter::engine
