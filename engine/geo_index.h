#pragma once
// GeoIndex: an immutable spatial index over documents' WGS84 coordinates,
// answering radius, bounding-box and k-nearest queries with geodesic
// distances as PostGIS `geography` defines them (see engine/geodesy.h).
//
//   absl::StatusOr<std::unique_ptr<GeoIndex>> index = GeoIndex::Build(entries);
//   absl::StatusOr<std::vector<GeoHit>> near = (*index)->Radius({38.72, -9.14}, 25'000);
//   absl::StatusOr<std::vector<GeoHit>> top = (*index)->Nearest({38.72, -9.14}, 20, is_live);
//
// Built once (Boost.Geometry R-tree, bulk-loaded by packing) over points on
// the unit sphere, so the antimeridian and the poles need no special cases;
// beside it, the same points sorted by a 0.005-degree lat/lon cell grid
// (about 52 bytes a point) let CountRadius() count whole cells at once.
// There is no update: the engine pairs a base index with a small set of
// recently changed documents that it scans with the same geodesy helpers
// (GeoCircle, RankNearest), excludes stale base documents with the
// predicate (or, to count, subtracts them: CountRadiusExcluding), and
// rebuilds the base in the background.
//
// Thread safety: immutable after Build(); any number of threads may query
// one index concurrently without locking.

#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <span>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"

#include "engine/geodesy.h"

namespace otter::engine {

// One indexed document: a dense doc id and its position.
struct GeoEntry {
  uint32_t doc = 0;
  LatLon point;
};

// A latitude/longitude box in degrees, edges included. `west > east` means
// the box crosses the antimeridian (e.g. west 170, east -170 spans 20
// degrees). Longitudes -180 and 180 name the same meridian. A point on a
// pole is compared by the longitude it was stored with.
struct GeoBox {
  double south = 0;
  double west = 0;
  double north = 0;
  double east = 0;
};

// Says whether a document may match (not deleted, not superseded, passes
// the query's filters). Called at most once per candidate, on the query's
// thread.
using DocPredicate = absl::FunctionRef<bool(uint32_t doc)>;

// A predicate that accepts every document.
inline bool AcceptAnyDoc(uint32_t /*doc*/) { return true; }

class GeoIndex {
 public:
  // Builds the index over `entries`. Returns kInvalidArgument naming the
  // entry and field when a position is invalid ("doc 7: lat must be within
  // [-90, 90], got 91") or a doc id appears twice.
  static absl::StatusOr<std::unique_ptr<GeoIndex>> Build(std::span<const GeoEntry> entries);

  ~GeoIndex();
  GeoIndex(const GeoIndex&) = delete;
  GeoIndex& operator=(const GeoIndex&) = delete;

  // Every accepted doc within `radius_m` metres (geodesic, edge included) of
  // `center`, with its distance, in no particular order: exactly the set
  // ST_DWithin(geography) selects. Distances are exact near the radius and
  // otherwise within kEstimateRelativeError. Returns kInvalidArgument naming
  // "lat", "lon" or "radius_m" for invalid input.
  absl::StatusOr<std::vector<GeoHit>> Radius(const LatLon& center, double radius_m,
                                             DocPredicate accept = AcceptAnyDoc) const;

  // The (at most) `k` accepted docs nearest to `center`, ascending in exact
  // geodesic distance (ties by doc id), only those within `max_distance_m`
  // metres: with a finite bound this is "within a radius, sorted by
  // distance, top k". Distances as in RankNearest(). Returns kInvalidArgument
  // naming "lat", "lon" or "max_distance_m" for invalid input.
  absl::StatusOr<std::vector<GeoHit>> Nearest(
      const LatLon& center, size_t k, DocPredicate accept = AcceptAnyDoc,
      double max_distance_m = std::numeric_limits<double>::infinity()) const;

  // The number of docs Radius(center, radius_m) would return, without
  // computing distances: a grid of 0.005-degree cells with sorted keys
  // counts every cell whose corners lie within the inner bound (a * sigma
  // <= radius_m) by two binary searches; only points of cells crossing the
  // boundary are tested, by chord, and those in the thin band between the
  // inner and outer (b * sigma) bounds as Radius() tests them. Errors as
  // Radius().
  absl::StatusOr<size_t> CountRadius(const LatLon& center, double radius_m) const;

  // The number of accepted docs Radius(center, radius_m, accept) would
  // return, decided as above but with `accept` asked for every point within
  // the outer bound (at most once per doc), in grid order. Errors as Radius().
  absl::StatusOr<size_t> CountRadius(const LatLon& center, double radius_m,
                                     DocPredicate accept) const;

  // Calls `emit` once for each doc Radius(center, radius_m) would return, in
  // no particular order, without computing distances: the docs of grid
  // cells inside the inner bound at once, the others decided as
  // CountRadius() decides them. Errors as Radius().
  absl::Status ForEachInRadius(const LatLon& center, double radius_m,
                               absl::FunctionRef<void(uint32_t doc)> emit) const;

  // CountRadius(center, radius_m) less the entries of `excluded` it counts:
  // exactly the count with a predicate rejecting them, at the cost of the
  // wholesale count plus one test per excluded entry. Requires `excluded`
  // to list indexed docs, each once, at the points they were indexed at
  // (GeoPoint::FromLatLon of their GeoEntry's point). Errors as Radius().
  absl::StatusOr<size_t> CountRadiusExcluding(const LatLon& center, double radius_m,
                                              std::span<const GeoCandidate> excluded) const;

  // Every accepted doc whose position lies in `box`, in no particular order.
  // Returns kInvalidArgument naming "south", "west", "north" or "east" when
  // a bound is out of range, or when south > north.
  absl::StatusOr<std::vector<uint32_t>> Box(const GeoBox& box,
                                            DocPredicate accept = AcceptAnyDoc) const;

  // The number of accepted docs Box(box, accept) would return. Errors as
  // Box().
  absl::StatusOr<size_t> CountBox(const GeoBox& box, DocPredicate accept = AcceptAnyDoc) const;

  // The number of indexed docs.
  size_t size() const;

  // Bytes held by the index (tree nodes and values), for stats.
  size_t MemoryBytes() const;

 private:
  struct Tree;
  GeoIndex();

  // Validates `box` as Box() does and calls `emit` for each accepted doc in it.
  absl::Status ForEachInGeoBox(const GeoBox& box, DocPredicate accept,
                               absl::FunctionRef<void(uint32_t doc)> emit) const;

  // Heap bytes allocated by tree_; declared first so it outlives tree_.
  size_t allocated_bytes_ = 0;
  std::unique_ptr<Tree> tree_;
};

}  // namespace otter::engine
