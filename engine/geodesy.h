#pragma once
// Geodesic distances on the WGS84 spheroid, computed as PostGIS `geography`
// does (Karney's inverse solution), plus the fast, bounded-error helpers that
// the geo index and the engine's brute-force scans share so that every part
// of the engine makes the same decisions:
//
//   GeoPoint center = GeoPoint::FromLatLon({38.72, -9.14});
//   absl::StatusOr<GeoCircle> near = GeoCircle::Create({38.72, -9.14}, 25'000);
//   if (std::optional<double> d = near->DistanceTo(GeoPoint::FromLatLon(p))) ...
//
// Three tiers, cheapest first: the chord between points on the auxiliary
// sphere (reduced latitude) bounds the distance rigorously within 0.34%;
// Lambert's formula estimates it within kEstimateRelativeError; Karney's
// method (Boost.Geometry's karney_inverse, ~6 us a call) settles whatever
// the estimate leaves undecided.
//
// Thread safety: every function here is pure; objects are immutable values
// safe to share between threads.

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace otter::engine {

// WGS84, as EPSG:4326 (and so PostGIS geography) defines it.
inline constexpr double kWgs84SemiMajorAxisM = 6378137.0;
inline constexpr double kWgs84Flattening = 1 / 298.257223563;
inline constexpr double kWgs84SemiMinorAxisM = kWgs84SemiMajorAxisM * (1 - kWgs84Flattening);

// The longest geodesic on WGS84 (pole to pole along a meridian), rounded up.
// A radius at least this long contains every point.
inline constexpr double kMaxGeodesicDistanceM = 20'003'931.46;

// Relative error bound of EstimateDistance() where it does not fall back to
// the exact method: |estimate - exact| <= kEstimateRelativeError * estimate
// + kEstimateAbsoluteErrorM. Measured worst case is 1.4e-5 (short lines at
// mid latitudes); geodesy_test checks the bound on random pairs.
inline constexpr double kEstimateRelativeError = 3e-5;
inline constexpr double kEstimateAbsoluteErrorM = 1e-6;

// A position in degrees (EPSG:4326 order is lon, lat; fields are named).
struct LatLon {
  double lat = 0;
  double lon = 0;

  friend bool operator==(const LatLon&, const LatLon&) = default;
};

// Returns OK when `point.lat` is finite and within [-90, 90] and `point.lon`
// within [-180, 180]; kInvalidArgument naming the field otherwise, e.g.
// "near.lat must be within [-90, 90]" for field_prefix "near.".
absl::Status ValidateLatLon(const LatLon& point, std::string_view field_prefix = {});

// Returns OK when `radius_m` is finite and >= 0; kInvalidArgument naming
// `field` otherwise.
absl::Status ValidateRadius(double radius_m, std::string_view field = "radius_m");

// The geodesic distance in metres between two valid points on WGS84
// (Karney's algorithm, to about 1 um; agrees with PostGIS ST_Distance on
// geography). Slow (~6 us): use EstimateDistance() or GeoCircle in loops.
// Requires ValidateLatLon() to accept both points.
double GeodesicDistance(const LatLon& a, const LatLon& b);

// A valid point with its unit vector on the auxiliary sphere (latitude
// replaced by the reduced latitude), the form the fast tiers work on.
struct GeoPoint {
  LatLon lat_lon;
  // The unit vector: x towards (0, 0), y towards (0, 90), z to the north pole.
  double x = 1;
  double y = 0;
  double z = 0;

  // The point at `lat_lon` with its unit vector. Requires
  // ValidateLatLon(lat_lon).ok().
  static GeoPoint FromLatLon(const LatLon& lat_lon);
};

// The squared chord between the unit vectors of `a` and `b`, in [0, 4]; a
// monotone function of the central angle between them.
double ChordSquared(const GeoPoint& a, const GeoPoint& b);

// A lower bound on the geodesic distance of two points whose ChordSquared()
// is `chord_squared`: b * sigma, sigma the central angle (the spheroid's
// metric exceeds b times the auxiliary sphere's everywhere). Rigorous.
double MinDistanceForChordSquared(double chord_squared);

// The largest ChordSquared() a pair of points within `distance_m` of each
// other can have (the inverse of MinDistanceForChordSquared, rounded up);
// 4 or more when every point qualifies. Requires distance_m >= 0.
double MaxChordSquaredForDistance(double distance_m);

// A distance with a guaranteed error bound: |exact - distance_m| <= error_m.
struct DistanceEstimate {
  double distance_m = 0;
  double error_m = 0;
};

// Estimates the geodesic distance with Lambert's formula (~20 ns) when the
// central angle is at most 150 degrees, within kEstimateRelativeError; falls
// back to GeodesicDistance() (error 0) for longer, nearly antipodal lines
// where Lambert is inaccurate.
DistanceEstimate EstimateDistance(const GeoPoint& a, const GeoPoint& b);

// A point with a distance from some query origin, in metres.
struct GeoHit {
  uint32_t doc = 0;
  double distance_m = 0;

  friend bool operator==(const GeoHit&, const GeoHit&) = default;
};

// A geodesic disc ("within radius_m metres of center"), prepared once and
// tested against many points. Decisions are exact: a point is inside iff
// GeodesicDistance(center, point) <= radius_m; estimates settle most points
// and the exact method the few within their error of the boundary.
class GeoCircle {
 public:
  // Returns kInvalidArgument naming the field ("lat", "lon", "radius_m",
  // after `field_prefix`) when the center or radius is invalid.
  static absl::StatusOr<GeoCircle> Create(const LatLon& center, double radius_m,
                                          std::string_view field_prefix = {});

  // The distance from the center to `point` when it lies within the radius;
  // nullopt otherwise. The distance is exact when the point is near the
  // boundary, else an estimate within kEstimateRelativeError.
  std::optional<double> DistanceTo(const GeoPoint& point) const;

  // DistanceTo(), given a ChordSquared(center(), point) already computed.
  std::optional<double> DistanceTo(const GeoPoint& point, double chord_squared) const;

  // The center and radius the circle was created with.
  const GeoPoint& center() const { return center_; }
  double radius_m() const { return radius_m_; }
  // Points with a larger ChordSquared() to the center are certainly outside.
  double max_chord_squared() const { return max_chord_squared_; }

 private:
  GeoCircle(const GeoPoint& center, double radius_m);

  GeoPoint center_;
  double radius_m_ = 0;
  double max_chord_squared_ = 0;
};

// A document at a point, a candidate for RankNearest().
struct GeoCandidate {
  uint32_t doc = 0;
  GeoPoint point;
};

// The (at most) `k` candidates nearest to `center`, ascending in exact
// geodesic distance, equal distances by ascending doc id. Distances whose
// estimates could tie are resolved with GeodesicDistance(), so the order is
// exact; reported distances are exact for those, estimates otherwise (still
// non-decreasing). The engine uses it to merge GeoIndex::Nearest() results
// with its recently changed documents.
std::vector<GeoHit> RankNearest(const GeoPoint& center, std::span<const GeoCandidate> candidates,
                                size_t k);

// Sorts hits by ascending distance_m, then doc id: the order of reported
// distances (see RankNearest for exact order among near-ties).
void SortByDistance(std::vector<GeoHit>& hits);

namespace geodesy_internal {

// A candidate with its estimate, as RankNearestEstimated() takes it.
struct EstimatedCandidate {
  uint32_t doc = 0;
  LatLon lat_lon;
  DistanceEstimate estimate;
};

// RankNearest() over candidates whose estimates are already computed;
// reorders `candidates`. Shared by RankNearest() and GeoIndex.
std::vector<GeoHit> RankNearestEstimated(const LatLon& center,
                                         std::vector<EstimatedCandidate>& candidates, size_t k);

}  // namespace geodesy_internal
}  // namespace otter::engine
