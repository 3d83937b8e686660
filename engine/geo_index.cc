#include "engine/geo_index.h"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <queue>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include <boost/geometry.hpp>
#include <boost/geometry/geometries/register/point.hpp>
#include <boost/geometry/index/rtree.hpp>
#include <boost/iterator/function_output_iterator.hpp>

#include "engine/status_macros.h"

namespace otter::engine {
namespace {

// A position on the auxiliary unit sphere (see GeoPoint): the R-tree's
// coordinate space. Chords there order points by central angle, which
// bounds geodesic distance, and the antimeridian and poles are ordinary.
struct Vec3 {
  double x = 0;
  double y = 0;
  double z = 0;
};

}  // namespace
}  // namespace otter::engine

BOOST_GEOMETRY_REGISTER_POINT_3D(otter::engine::Vec3, double, boost::geometry::cs::cartesian, x, y,
                                 z)

namespace otter::engine {
namespace {

namespace bg = boost::geometry;
namespace bgi = boost::geometry::index;

constexpr double kDegToRad = std::numbers::pi / 180;
// Widens query boxes against rounding in the unit vectors (~1e-16).
constexpr double kBoxSlack = 1e-12;

struct TreeValue {
  Vec3 position;
  LatLon lat_lon;
  uint32_t doc = 0;

  GeoPoint geo_point() const { return {lat_lon, position.x, position.y, position.z}; }
};

struct TreeValueIndexable {
  using result_type = const Vec3&;
  const Vec3& operator()(const TreeValue& v) const { return v.position; }
};

struct TreeValueEqual {
  bool operator()(const TreeValue& a, const TreeValue& b) const { return a.doc == b.doc; }
};

// std::allocator that keeps a running total of the bytes it holds, so the
// index can report its memory. The tree is only written during Build().
template <typename T>
class CountingAllocator {
 public:
  using value_type = T;

  explicit CountingAllocator(size_t* bytes) : bytes_(bytes) {}
  template <typename U>
  CountingAllocator(const CountingAllocator<U>& other) : bytes_(other.bytes_) {}  // NOLINT

  T* allocate(size_t n) {
    *bytes_ += n * sizeof(T);
    return std::allocator<T>().allocate(n);
  }
  void deallocate(T* p, size_t n) {
    *bytes_ -= n * sizeof(T);
    std::allocator<T>().deallocate(p, n);
  }

  friend bool operator==(const CountingAllocator& a, const CountingAllocator& b) {
    return a.bytes_ == b.bytes_;
  }

 private:
  template <typename U>
  friend class CountingAllocator;

  size_t* bytes_;
};

using Box3 = bg::model::box<Vec3>;
using Rtree = bgi::rtree<TreeValue, bgi::rstar<16>, TreeValueIndexable, TreeValueEqual,
                         CountingAllocator<TreeValue>>;

// Calls `visit` on every value in `box`, without copying values out.
template <typename Visit>
void ForEachInBox(const Rtree& rtree, const Box3& box, Visit&& visit) {
  rtree.query(bgi::intersects(box),
              boost::make_function_output_iterator([&visit](const TreeValue& v) { visit(v); }));
}

// The bounding box, on the unit sphere, of the spherical cap of angular
// radius `theta` around unit vector `c`: along each axis the angle to it
// ranges over [angle(c) - theta, angle(c) + theta].
Box3 CapBox(const GeoPoint& c, double theta) {
  auto axis_range = [theta](double component, double& low, double& high) {
    const double angle = std::acos(std::clamp(component, -1.0, 1.0));
    low = std::cos(std::min(std::numbers::pi, angle + theta)) - kBoxSlack;
    high = std::cos(std::max(0.0, angle - theta)) + kBoxSlack;
  };
  Vec3 low;
  Vec3 high;
  axis_range(c.x, low.x, high.x);
  axis_range(c.y, low.y, high.y);
  axis_range(c.z, low.z, high.z);
  return Box3(low, high);
}

// A longitude interval [low, high] (low <= high) of a query box.
// `alias_180`: a point stored at lon 180 (or -180) belongs here when the
// interval starts at -180, the same meridian.
struct LonRange {
  double low;
  double high;
  bool alias_180;

  bool Contains(double lon) const {
    if (lon == -180) lon = 180;  // one meridian, one spelling
    return (lon >= low && lon <= high) || (alias_180 && lon == 180 && low == -180);
  }
};

// Lower and upper bounds of the product of two intervals.
std::pair<double, double> MultiplyIntervals(double a_low, double a_high, double b_low,
                                            double b_high) {
  const double p[] = {a_low * b_low, a_low * b_high, a_high * b_low, a_high * b_high};
  return {*std::min_element(std::begin(p), std::end(p)),
          *std::max_element(std::begin(p), std::end(p))};
}

// A bounding box on the unit sphere of every point with latitude in
// [south, north] and longitude in `lon`.
Box3 LatLonRangeBox(double south, double north, const LonRange& lon) {
  const GeoPoint s = GeoPoint::FromLatLon({south, 0});
  const GeoPoint n = GeoPoint::FromLatLon({north, 0});
  // For lon 0 the unit vector is (cos beta, 0, sin beta).
  const double cos_beta_low = std::min(s.x, n.x);
  const double cos_beta_high = south <= 0 && north >= 0 ? 1.0 : std::max(s.x, n.x);

  double cos_low = std::min(std::cos(lon.low * kDegToRad), std::cos(lon.high * kDegToRad));
  double cos_high = std::max(std::cos(lon.low * kDegToRad), std::cos(lon.high * kDegToRad));
  if (lon.low <= 0 && lon.high >= 0) cos_high = 1;
  if (lon.low == -180 || lon.high == 180) cos_low = -1;
  double sin_low = std::min(std::sin(lon.low * kDegToRad), std::sin(lon.high * kDegToRad));
  double sin_high = std::max(std::sin(lon.low * kDegToRad), std::sin(lon.high * kDegToRad));
  if (lon.low <= 90 && lon.high >= 90) sin_high = 1;
  if (lon.low <= -90 && lon.high >= -90) sin_low = -1;

  const auto [x_low, x_high] = MultiplyIntervals(cos_beta_low, cos_beta_high, cos_low, cos_high);
  const auto [y_low, y_high] = MultiplyIntervals(cos_beta_low, cos_beta_high, sin_low, sin_high);
  return Box3(Vec3{x_low - kBoxSlack, y_low - kBoxSlack, s.z - kBoxSlack},
              Vec3{x_high + kBoxSlack, y_high + kBoxSlack, n.z + kBoxSlack});
}

absl::Status ValidateBoxBound(double value, double limit, const char* field) {
  if (!(value >= -limit && value <= limit)) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, " must be within [", -limit, ", ", limit, "], got ", value));
  }
  return absl::OkStatus();
}

absl::Status CheckUniqueDocs(std::span<const GeoEntry> entries) {
  uint32_t max_doc = 0;
  for (const GeoEntry& e : entries) max_doc = std::max(max_doc, e.doc);
  auto duplicate = [](uint32_t doc) {
    return absl::InvalidArgumentError(absl::StrCat("doc ", doc, " appears more than once"));
  };
  // Doc ids are dense, so a bitmap is the common case; a sort guards memory
  // against a stray huge id.
  if (max_doc <= 8 * entries.size() + (1u << 20)) {
    std::vector<bool> seen(static_cast<size_t>(max_doc) + 1);
    for (const GeoEntry& e : entries) {
      if (seen[e.doc]) return duplicate(e.doc);
      seen[e.doc] = true;
    }
    return absl::OkStatus();
  }
  std::vector<uint32_t> docs;
  docs.reserve(entries.size());
  for (const GeoEntry& e : entries) docs.push_back(e.doc);
  std::sort(docs.begin(), docs.end());
  if (auto it = std::adjacent_find(docs.begin(), docs.end()); it != docs.end())
    return duplicate(*it);
  return absl::OkStatus();
}

}  // namespace

struct GeoIndex::Tree {
  Rtree rtree;
};

GeoIndex::GeoIndex() = default;
GeoIndex::~GeoIndex() = default;

absl::StatusOr<std::unique_ptr<GeoIndex>> GeoIndex::Build(std::span<const GeoEntry> entries) {
  std::vector<TreeValue> values;
  values.reserve(entries.size());
  for (const GeoEntry& e : entries) {
    OTTER_RETURN_IF_ERROR(ValidateLatLon(e.point, absl::StrCat("doc ", e.doc, ": ")));
    const GeoPoint p = GeoPoint::FromLatLon(e.point);
    values.push_back({Vec3{p.x, p.y, p.z}, e.point, e.doc});
  }
  OTTER_RETURN_IF_ERROR(CheckUniqueDocs(entries));
  std::unique_ptr<GeoIndex> index(new GeoIndex());
  // The range constructor bulk-loads with the packing algorithm: better
  // nodes than one-by-one insertion, in a fraction of the time.
  index->tree_ = std::make_unique<Tree>(
      Tree{Rtree(values, bgi::rstar<16>(), TreeValueIndexable(), TreeValueEqual(),
                 CountingAllocator<TreeValue>(&index->allocated_bytes_))});
  return index;
}

size_t GeoIndex::size() const { return tree_->rtree.size(); }

size_t GeoIndex::MemoryBytes() const { return sizeof(*this) + sizeof(Tree) + allocated_bytes_; }

absl::StatusOr<std::vector<GeoHit>> GeoIndex::Radius(const LatLon& center, double radius_m,
                                                     DocPredicate accept) const {
  OTTER_ASSIGN_OR_RETURN(const GeoCircle circle, GeoCircle::Create(center, radius_m));
  std::vector<GeoHit> hits;
  auto visit = [&](const TreeValue& v) {
    const GeoPoint p = v.geo_point();
    // The box holds the cap's corners too; the chord test drops them before
    // the predicate, which may be costly, is asked.
    const double chord_squared = ChordSquared(circle.center(), p);
    if (chord_squared > circle.max_chord_squared() || !accept(v.doc)) return;
    if (std::optional<double> d = circle.DistanceTo(p, chord_squared)) hits.push_back({v.doc, *d});
  };
  if (circle.max_chord_squared() >= 4) {
    for (const TreeValue& v : tree_->rtree) visit(v);
    return hits;
  }
  const double theta = 2 * std::asin(std::sqrt(circle.max_chord_squared()) / 2);
  ForEachInBox(tree_->rtree, CapBox(circle.center(), theta), visit);
  return hits;
}

absl::StatusOr<std::vector<GeoHit>> GeoIndex::Nearest(const LatLon& center, size_t k,
                                                      DocPredicate accept,
                                                      double max_distance_m) const {
  OTTER_RETURN_IF_ERROR(ValidateLatLon(center));
  if (!(max_distance_m >= 0)) {
    return absl::InvalidArgumentError(
        absl::StrCat("max_distance_m must be >= 0, got ", max_distance_m));
  }
  if (k == 0 || size() == 0) return std::vector<GeoHit>();
  const GeoPoint c = GeoPoint::FromLatLon(center);
  const double limit_chord_squared =
      std::isinf(max_distance_m) ? 5.0 : MaxChordSquaredForDistance(max_distance_m);

  std::vector<geodesy_internal::EstimatedCandidate> candidates;
  // Upper bounds of the k best accepted distances so far (max-heap), and the
  // chord past which no point can beat the worst of them.
  std::priority_queue<double> best_upper;
  double stop_chord_squared = limit_chord_squared;

  // The tree yields points by increasing chord, i.e. increasing central
  // angle; geodesic distance is not monotone in it, but is bounded by it,
  // so scanning stops only once the bound rules out every later point.
  for (auto it = tree_->rtree.qbegin(bgi::nearest(Vec3{c.x, c.y, c.z}, tree_->rtree.size()));
       it != tree_->rtree.qend(); ++it) {
    const GeoPoint p = it->geo_point();
    if (ChordSquared(c, p) > stop_chord_squared) break;
    if (!accept(it->doc)) continue;
    DistanceEstimate estimate = EstimateDistance(c, p);
    if (estimate.distance_m - estimate.error_m > max_distance_m) continue;
    if (estimate.distance_m + estimate.error_m > max_distance_m) {
      // Straddles the radius: the exact distance decides membership.
      const double exact = GeodesicDistance(center, p.lat_lon);
      if (exact > max_distance_m) continue;
      estimate = {exact, 0};
    }
    candidates.push_back({it->doc, p.lat_lon, estimate});
    const double upper = estimate.distance_m + estimate.error_m;
    if (best_upper.size() < k) {
      best_upper.push(upper);
    } else if (upper < best_upper.top()) {
      best_upper.pop();
      best_upper.push(upper);
    } else {
      continue;
    }
    if (best_upper.size() == k) {
      stop_chord_squared =
          std::min(limit_chord_squared, MaxChordSquaredForDistance(best_upper.top()));
    }
  }
  return geodesy_internal::RankNearestEstimated(center, candidates, k);
}

absl::StatusOr<std::vector<uint32_t>> GeoIndex::Box(const GeoBox& box, DocPredicate accept) const {
  OTTER_RETURN_IF_ERROR(ValidateBoxBound(box.south, 90, "south"));
  OTTER_RETURN_IF_ERROR(ValidateBoxBound(box.west, 180, "west"));
  OTTER_RETURN_IF_ERROR(ValidateBoxBound(box.north, 90, "north"));
  OTTER_RETURN_IF_ERROR(ValidateBoxBound(box.east, 180, "east"));
  if (box.south > box.north) {
    return absl::InvalidArgumentError(absl::StrCat("south must not exceed north, got south ",
                                                   box.south, " and north ", box.north));
  }
  // A box across the antimeridian is two longitude ranges; a point on the
  // antimeridian itself belongs to the first only.
  std::vector<LonRange> ranges;
  if (box.west <= box.east) {
    ranges.push_back({box.west, box.east, /*alias_180=*/true});
  } else {
    ranges.push_back({box.west, 180, /*alias_180=*/false});
    ranges.push_back({-180, box.east, /*alias_180=*/false});
  }
  std::vector<uint32_t> docs;
  for (const LonRange& range : ranges) {
    ForEachInBox(tree_->rtree, LatLonRangeBox(box.south, box.north, range),
                 [&](const TreeValue& v) {
                   if (v.lat_lon.lat >= box.south && v.lat_lon.lat <= box.north &&
                       range.Contains(v.lat_lon.lon) && accept(v.doc)) {
                     docs.push_back(v.doc);
                   }
                 });
  }
  return docs;
}

}  // namespace otter::engine
