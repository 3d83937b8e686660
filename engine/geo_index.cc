#include "engine/geo_index.h"

#include <algorithm>
#include <cassert>
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

// Points whose ChordSquared() to a center is below this are certainly
// within `radius_m` of it: the spheroid's metric is at most a times the
// auxiliary sphere's, so the geodesic is at most a * sigma. Slack covers the
// unit vectors' rounding; a negative result means no point qualifies.
double MaxInsideChordSquared(double radius_m) {
  const double sigma = (radius_m - 1e-6) / kWgs84SemiMajorAxisM * (1 - 1e-9);
  if (sigma <= 0) return -1;
  if (sigma >= std::numbers::pi) return 5;
  const double chord = 2 * std::sin(sigma / 2);
  return chord * chord * (1 - 1e-9);
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


// The counting grid: cells of kCellDeg x kCellDeg degrees, keyed
// row * kGridCols + col (row from latitude -90, col from longitude -180),
// with every value sorted by key and each row's first position. Cells whose
// corners all lie inside a circle's inner chord bound are counted by two
// binary searches; only points of cells crossing the boundary are looked at.
constexpr double kCellDeg = 0.005;
constexpr uint32_t kGridRows = 36'000;  // 180 / kCellDeg
constexpr uint32_t kGridCols = 72'000;  // 360 / kCellDeg

uint32_t GridRow(double lat) {
  return std::min(kGridRows - 1, static_cast<uint32_t>(std::max(0.0, (lat + 90) / kCellDeg)));
}
uint32_t GridCol(double lon) {
  return std::min(kGridCols - 1, static_cast<uint32_t>(std::max(0.0, (lon + 180) / kCellDeg)));
}
uint32_t GridKey(uint32_t row, uint32_t col) { return row * kGridCols + col; }

// The reduced latitude (radians) of geodetic latitude `lat` (degrees).
double ReducedLatitude(double lat) {
  return std::atan2((1 - kWgs84Flattening) * std::sin(lat * kDegToRad),
                    std::cos(lat * kDegToRad));
}

// The longitude half-width (radians, in [0, pi]) of the spherical cap of
// angular radius `theta` around (beta_c, any longitude) at reduced latitude
// `beta`; -1 when the cap does not reach that latitude.
double CapHalfWidth(double sin_beta_c, double cos_beta_c, double beta, double theta) {
  const double denominator = cos_beta_c * std::cos(beta);
  if (denominator <= 1e-15) {
    // A pole is involved: the angle is the latitude difference alone.
    const double sigma = std::fabs(std::asin(std::clamp(sin_beta_c, -1.0, 1.0)) - beta);
    return sigma <= theta ? std::numbers::pi : -1;
  }
  const double arg = (std::cos(theta) - sin_beta_c * std::sin(beta)) / denominator;
  if (arg > 1) return -1;
  if (arg <= -1) return std::numbers::pi;
  return std::acos(arg);
}

// Appends the column ranges [first, last] of one grid row covered by the
// longitude interval center_deg +- half_deg: cells entirely inside it when
// `inside`, else cells meeting it. Wraps across the antimeridian.
void ColumnRanges(double center_deg, double half_deg, bool inside,
                  std::vector<std::pair<int64_t, int64_t>>* out) {
  if (half_deg < 0) return;
  if (half_deg >= 180) {
    out->push_back({0, kGridCols - 1});
    return;
  }
  auto add = [&](double lo, double hi) {  // within [-180, 180]
    int64_t first;
    int64_t last;
    if (inside) {
      first = static_cast<int64_t>(std::ceil((lo + 180) / kCellDeg));
      last = static_cast<int64_t>(std::floor((hi + 180) / kCellDeg)) - 1;
    } else {
      first = static_cast<int64_t>(std::floor((lo + 180) / kCellDeg));
      last = static_cast<int64_t>(std::floor((hi + 180) / kCellDeg));
    }
    first = std::max<int64_t>(first, 0);
    last = std::min<int64_t>(last, kGridCols - 1);
    if (first <= last) out->push_back({first, last});
  };
  const double lo = center_deg - half_deg;
  const double hi = center_deg + half_deg;
  if (lo < -180) {
    add(-180, hi);
    add(lo + 360, 180);
  } else if (hi > 180) {
    add(-180, hi - 360);
    add(lo, 180);
  } else {
    add(lo, hi);
  }
  std::sort(out->begin(), out->end());
}

// Whether GridCountRadius counts a point at `p`: the test it applies to the
// points of cells crossing the boundary. Cells it counts wholesale hold only
// points within the inner bound, which this test counts as well.
bool CountedInCircle(const GeoCircle& circle, double inner, const GeoPoint& p) {
  const double chord_squared = ChordSquared(circle.center(), p);
  if (chord_squared > circle.max_chord_squared()) return false;
  return chord_squared < inner || circle.DistanceTo(p, chord_squared).has_value();
}

// The counting grid (see kCellDeg): keys ascending, values in that order,
// and row_begin[r] the first position of row r (kGridRows + 1 entries).
struct CountGrid {
  std::vector<uint32_t> keys;
  std::vector<TreeValue> values;
  std::vector<uint32_t> row_begin;
};

// Visits the values of `tree` within `circle` with the grid: calls
// `whole(begin, end)` for each run of values [begin, end) in cells inside
// the inner chord bound (all of them within), and `boundary(i,
// chord_squared)` for each value of the other cells met whose
// ChordSquared() to the center is at most the outer bound (the caller
// decides those as CountedInCircle does).
template <typename Whole, typename Boundary>
void GridVisitRadius(const CountGrid& tree, const GeoCircle& circle, double inner, Whole&& whole,
                     Boundary&& boundary) {
  const double outer = circle.max_chord_squared();
  const GeoPoint& c = circle.center();
  const double theta_outer = 2 * std::asin(std::min(1.0, std::sqrt(outer) / 2)) + 1e-9;
  const double theta_inner =
      inner > 0 ? 2 * std::asin(std::min(1.0, std::sqrt(inner) / 2)) - 1e-9 : -1;
  const double beta_c = std::asin(std::clamp(c.z, -1.0, 1.0));
  const double sin_beta_c = c.z;
  const double cos_beta_c = std::hypot(c.x, c.y);
  const double center_lon = c.lat_lon.lon;
  // Rows the outer cap reaches, by geodetic latitude (monotone in beta).
  auto geodetic = [](double beta) {
    return std::atan2(std::sin(beta), (1 - kWgs84Flattening) * std::cos(beta)) / kDegToRad;
  };
  const double beta_low = std::max(-std::numbers::pi / 2, beta_c - theta_outer);
  const double beta_high = std::min(std::numbers::pi / 2, beta_c + theta_outer);
  const uint32_t first_row = GridRow(geodetic(beta_low) - kCellDeg);
  const uint32_t last_row = GridRow(geodetic(beta_high) + kCellDeg);
  // Where the cap is widest in longitude (sin beta* = sin beta_c / cos theta).
  const double widest_sin = sin_beta_c / std::cos(theta_outer);
  const bool has_widest = theta_outer < std::numbers::pi / 2 && std::fabs(widest_sin) <= 1;
  const double widest_beta = has_widest ? std::asin(widest_sin) : 0;

  std::vector<std::pair<int64_t, int64_t>> outer_cols;
  std::vector<std::pair<int64_t, int64_t>> inner_cols;
  for (uint32_t row = first_row; row <= last_row; ++row) {
    const uint32_t row_first = tree.row_begin[row];
    const uint32_t row_end = tree.row_begin[row + 1];
    if (row_first == row_end) continue;
    const double beta_a = ReducedLatitude(std::max(-90.0, row * kCellDeg - 90));
    const double beta_b = ReducedLatitude(std::min(90.0, (row + 1) * kCellDeg - 90));
    double outer_half = std::max(CapHalfWidth(sin_beta_c, cos_beta_c, beta_a, theta_outer),
                                 CapHalfWidth(sin_beta_c, cos_beta_c, beta_b, theta_outer));
    if (has_widest && widest_beta >= beta_a && widest_beta <= beta_b) {
      outer_half = std::max(outer_half,
                            CapHalfWidth(sin_beta_c, cos_beta_c, widest_beta, theta_outer));
    }
    // Within the band the cap may still be reached between the edges only
    // at its widest latitude, handled above; a band inside the cap's
    // latitude range but with both edges outside cannot occur.
    if (beta_b >= beta_c - theta_outer && beta_a <= beta_c + theta_outer && outer_half < 0) {
      outer_half = 0;  // touches the band at the cap's northern or southern tip
    }
    outer_cols.clear();
    inner_cols.clear();
    ColumnRanges(center_lon, outer_half < 0 ? -1 : outer_half / kDegToRad + 1e-7, false,
                 &outer_cols);
    if (theta_inner > 0) {
      const double inner_half =
          std::min(CapHalfWidth(sin_beta_c, cos_beta_c, beta_a, theta_inner),
                   CapHalfWidth(sin_beta_c, cos_beta_c, beta_b, theta_inner));
      if (inner_half >= 0) {
        ColumnRanges(center_lon, inner_half >= std::numbers::pi ? 180 : inner_half / kDegToRad - 1e-7,
                     true, &inner_cols);
      }
    }
    const uint32_t* keys = tree.keys.data();
    auto position = [&](int64_t col) {
      return static_cast<uint32_t>(
          std::lower_bound(keys + row_first, keys + row_end,
                           GridKey(row, static_cast<uint32_t>(col))) -
          keys);
    };
    auto scan = [&](int64_t first_col, int64_t last_col, bool inside) {
      const uint32_t begin = position(first_col);
      const uint32_t end = last_col + 1 >= kGridCols ? row_end : position(last_col + 1);
      if (inside) {
        if (begin < end) whole(begin, end);
        return;
      }
      for (uint32_t i = begin; i < end; ++i) {
        const Vec3& p = tree.values[i].position;
        const double dx = c.x - p.x;
        const double dy = c.y - p.y;
        const double dz = c.z - p.z;
        const double chord_squared = dx * dx + dy * dy + dz * dz;
        if (chord_squared <= outer) boundary(i, chord_squared);
      }
    };
    for (const auto& [outer_first, outer_last] : outer_cols) {
      int64_t next = outer_first;
      for (const auto& [inner_first, inner_last] : inner_cols) {
        const int64_t first = std::max(inner_first, next);
        const int64_t last = std::min(inner_last, outer_last);
        if (first > last) continue;
        if (next < first) scan(next, first - 1, false);
        scan(first, last, true);
        next = last + 1;
      }
      if (next <= outer_last) scan(next, outer_last, false);
    }
  }
}

// Counts the accepted values of `tree` within `circle` with the grid;
// `accept` null accepts all (cells inside are then counted wholesale).
size_t GridCountRadius(const CountGrid& tree, const GeoCircle& circle, double inner,
                       const DocPredicate* accept) {
  size_t count = 0;
  GridVisitRadius(
      tree, circle, inner,
      [&](uint32_t begin, uint32_t end) {
        if (accept == nullptr) {
          count += end - begin;
        } else {
          for (uint32_t i = begin; i < end; ++i) count += (*accept)(tree.values[i].doc) ? 1 : 0;
        }
      },
      [&](uint32_t i, double chord_squared) {
        const TreeValue& v = tree.values[i];
        if (accept != nullptr && !(*accept)(v.doc)) return;
        if (chord_squared < inner || circle.DistanceTo(v.geo_point(), chord_squared).has_value()) {
          ++count;
        }
      });
  return count;
}

}  // namespace

struct GeoIndex::Tree {
  Rtree rtree;
  CountGrid grid;
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
                 CountingAllocator<TreeValue>(&index->allocated_bytes_)),
           CountGrid{}});
  CountGrid& tree = index->tree_->grid;
  std::vector<std::pair<uint32_t, uint32_t>> order;  // (key, value index)
  order.reserve(values.size());
  for (uint32_t i = 0; i < values.size(); ++i) {
    order.push_back({GridKey(GridRow(values[i].lat_lon.lat), GridCol(values[i].lat_lon.lon)), i});
  }
  std::sort(order.begin(), order.end());
  tree.keys.reserve(order.size());
  tree.values.reserve(order.size());
  for (const auto& [key, i] : order) {
    tree.keys.push_back(key);
    tree.values.push_back(values[i]);
  }
  tree.row_begin.assign(kGridRows + 1, 0);
  for (uint32_t key : tree.keys) ++tree.row_begin[key / kGridCols + 1];
  for (uint32_t r = 0; r < kGridRows; ++r) tree.row_begin[r + 1] += tree.row_begin[r];
  return index;
}

size_t GeoIndex::size() const { return tree_->rtree.size(); }

size_t GeoIndex::MemoryBytes() const {
  return sizeof(*this) + sizeof(Tree) + allocated_bytes_ +
         tree_->grid.keys.capacity() * sizeof(uint32_t) +
         tree_->grid.values.capacity() * sizeof(TreeValue) +
         tree_->grid.row_begin.capacity() * sizeof(uint32_t);
}

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

absl::StatusOr<size_t> GeoIndex::CountRadius(const LatLon& center, double radius_m) const {
  return CountRadiusExcluding(center, radius_m, {});
}

absl::StatusOr<size_t> GeoIndex::CountRadiusExcluding(
    const LatLon& center, double radius_m, std::span<const GeoCandidate> excluded) const {
  OTTER_ASSIGN_OR_RETURN(const GeoCircle circle, GeoCircle::Create(center, radius_m));
  const double inner = MaxInsideChordSquared(radius_m);
  size_t count = circle.max_chord_squared() >= 4 && inner >= 4
                     ? size()
                     : GridCountRadius(tree_->grid, circle, inner, nullptr);
  for (const GeoCandidate& c : excluded) {
    if (!CountedInCircle(circle, inner, c.point)) continue;
    assert(count > 0);  // `excluded` lists indexed docs only
    --count;
  }
  return count;
}

absl::Status GeoIndex::ForEachInRadius(const LatLon& center, double radius_m,
                                       absl::FunctionRef<void(uint32_t doc)> emit) const {
  OTTER_ASSIGN_OR_RETURN(const GeoCircle circle, GeoCircle::Create(center, radius_m));
  const double inner = MaxInsideChordSquared(radius_m);
  const CountGrid& grid = tree_->grid;
  if (circle.max_chord_squared() >= 4 && inner >= 4) {
    for (const TreeValue& v : grid.values) emit(v.doc);
    return absl::OkStatus();
  }
  GridVisitRadius(
      grid, circle, inner,
      [&](uint32_t begin, uint32_t end) {
        for (uint32_t i = begin; i < end; ++i) emit(grid.values[i].doc);
      },
      [&](uint32_t i, double chord_squared) {
        const TreeValue& v = grid.values[i];
        if (chord_squared < inner || circle.DistanceTo(v.geo_point(), chord_squared).has_value()) {
          emit(v.doc);
        }
      });
  return absl::OkStatus();
}

absl::StatusOr<size_t> GeoIndex::CountRadius(const LatLon& center, double radius_m,
                                             DocPredicate accept) const {
  OTTER_ASSIGN_OR_RETURN(const GeoCircle circle, GeoCircle::Create(center, radius_m));
  if (circle.max_chord_squared() < 4) {
    return GridCountRadius(tree_->grid, circle, MaxInsideChordSquared(radius_m), &accept);
  }
  const double outer = circle.max_chord_squared();
  const double inner = MaxInsideChordSquared(radius_m);
  const GeoPoint& c = circle.center();
  size_t count = 0;
  auto visit = [&](const TreeValue& v) {
    const double dx = c.x - v.position.x;
    const double dy = c.y - v.position.y;
    const double dz = c.z - v.position.z;
    const double chord_squared = dx * dx + dy * dy + dz * dz;
    if (chord_squared > outer || !accept(v.doc)) return;
    // Inside the inner chord even the longest geodesic the central angle
    // allows (a * sigma) is within the radius: no distance is needed.
    if (chord_squared < inner || circle.DistanceTo(v.geo_point(), chord_squared).has_value()) {
      ++count;
    }
  };
  if (outer >= 4) {
    for (const TreeValue& v : tree_->rtree) visit(v);
    return count;
  }
  const double theta = 2 * std::asin(std::sqrt(outer) / 2);
  ForEachInBox(tree_->rtree, CapBox(c, theta), visit);
  return count;
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
  std::vector<uint32_t> docs;
  OTTER_RETURN_IF_ERROR(ForEachInGeoBox(box, accept, [&docs](uint32_t doc) { docs.push_back(doc); }));
  return docs;
}

absl::StatusOr<size_t> GeoIndex::CountBox(const GeoBox& box, DocPredicate accept) const {
  size_t count = 0;
  OTTER_RETURN_IF_ERROR(ForEachInGeoBox(box, accept, [&count](uint32_t) { ++count; }));
  return count;
}

absl::Status GeoIndex::ForEachInGeoBox(const GeoBox& box, DocPredicate accept,
                                       absl::FunctionRef<void(uint32_t doc)> emit) const {
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
  for (const LonRange& range : ranges) {
    ForEachInBox(tree_->rtree, LatLonRangeBox(box.south, box.north, range),
                 [&](const TreeValue& v) {
                   if (v.lat_lon.lat >= box.south && v.lat_lon.lat <= box.north &&
                       range.Contains(v.lat_lon.lon) && accept(v.doc)) {
                     emit(v.doc);
                   }
                 });
  }
  return absl::OkStatus();
}

}  // namespace otter::engine
