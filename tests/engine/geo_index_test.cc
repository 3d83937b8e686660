#include "engine/geo_index.h"

#include <algorithm>
#include <cmath>
#include <iostream>
#include <map>
#include <numbers>
#include <random>
#include <set>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace otter::engine {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAreArray;

// Points ignored by set comparisons: PostGIS and we may disagree on them.
constexpr double kBoundaryToleranceM = 0.5;

unsigned TestSeed() {
  const unsigned seed = std::random_device{}();
  std::cout << "random seed " << seed << "\n";
  return seed;
}

double WrapLon(double lon) {
  while (lon > 180) lon -= 360;
  while (lon < -180) lon += 360;
  return lon;
}

// Thousands of points where geodesy is hardest: clusters at both poles (and
// on them), across the antimeridian (and on it, spelled 180 and -180), on
// the equator, a dense city, exact duplicates, and the rest of the world.
std::vector<GeoEntry> RandomEntries(unsigned seed, size_t count) {
  std::mt19937_64 rng(seed);
  auto uniform = [&rng](double lo, double hi) {
    return std::uniform_real_distribution<double>(lo, hi)(rng);
  };
  auto normal = [&rng](double sigma) { return std::normal_distribution<double>(0, sigma)(rng); };
  std::vector<GeoEntry> entries;
  for (uint32_t doc = 0; doc < count; ++doc) {
    LatLon p;
    switch (doc % 8) {
      case 0:  // north pole
        p = {doc % 40 == 0 ? 90.0 : 90 - std::fabs(normal(0.3)), uniform(-180, 180)};
        break;
      case 1:  // south pole
        p = {doc % 40 == 1 ? -90.0 : -90 + std::fabs(normal(0.3)), uniform(-180, 180)};
        break;
      case 2:  // across the antimeridian
        p = {normal(2),
             doc % 24 == 2 ? (doc % 48 == 2 ? 180.0 : -180.0) : WrapLon(180 + normal(0.3))};
        break;
      case 3:  // on the equator
        p = {doc % 16 == 3 ? 0.0 : normal(0.05), uniform(-180, 180)};
        break;
      case 4:  // a dense city (Lisbon)
        p = {38.72 + normal(0.1), -9.14 + normal(0.12)};
        break;
      case 5:  // duplicates of an earlier point
        p = doc > 8 ? entries[doc - 8].point : LatLon{1, 1};
        break;
      default:
        p = {std::asin(uniform(-1, 1)) * 180 / std::numbers::pi, uniform(-180, 180)};
        break;
    }
    p.lat = std::clamp(p.lat, -90.0, 90.0);
    entries.push_back({doc, p});
  }
  // Scramble doc ids so they do not follow the layout above.
  std::vector<uint32_t> docs(count);
  for (uint32_t i = 0; i < count; ++i) docs[i] = i;
  std::shuffle(docs.begin(), docs.end(), rng);
  for (size_t i = 0; i < count; ++i) entries[i].doc = docs[i];
  return entries;
}

// Query centres in the same hard places, plus some data points.
std::vector<LatLon> QueryCenters(const std::vector<GeoEntry>& entries, unsigned seed) {
  std::vector<LatLon> centers = {{90, 0},    {-90, 45},     {89.95, 170},   {-89.9, -10},
                                 {0, 180},   {0, -179.99},  {10, 179.5},    {-5, -179.8},
                                 {0, 0},     {0.01, 90},    {38.72, -9.14}, {38.8, -9.3},
                                 {45, -100}, {-33.9, 151.2}};
  std::mt19937 rng(seed);
  for (int i = 0; i < 12; ++i) centers.push_back(entries[rng() % entries.size()].point);
  return centers;
}

// The oracle: every point's exact distance, by brute force.
std::vector<double> ExactDistances(const LatLon& center, const std::vector<GeoEntry>& entries) {
  std::vector<double> d;
  d.reserve(entries.size());
  for (const GeoEntry& e : entries) d.push_back(GeodesicDistance(center, e.point));
  return d;
}

std::unique_ptr<GeoIndex> BuildOrDie(const std::vector<GeoEntry>& entries) {
  absl::StatusOr<std::unique_ptr<GeoIndex>> index = GeoIndex::Build(entries);
  EXPECT_TRUE(index.ok()) << index.status();
  return std::move(index).value();
}

// Fixture: one random data set and its index, shared by the oracle tests.
class GeoIndexOracleTest : public testing::Test {
 protected:
  static void SetUpTestSuite() {
    seed_ = TestSeed();
    entries_ = new std::vector<GeoEntry>(RandomEntries(seed_, 6000));
    index_ = BuildOrDie(*entries_).release();
  }
  static void TearDownTestSuite() {
    delete index_;
    delete entries_;
  }

  static unsigned seed_;
  static std::vector<GeoEntry>* entries_;
  static GeoIndex* index_;
};

unsigned GeoIndexOracleTest::seed_ = 0;
std::vector<GeoEntry>* GeoIndexOracleTest::entries_ = nullptr;
GeoIndex* GeoIndexOracleTest::index_ = nullptr;

TEST_F(GeoIndexOracleTest, RadiusMatchesBruteForceAtPolesAntimeridianAndEquator) {
  const std::vector<GeoEntry>& entries = *entries_;
  for (const LatLon& center : QueryCenters(entries, seed_)) {
    const std::vector<double> exact = ExactDistances(center, entries);
    for (double radius : {0.0, 10.0, 1'000.0, 25'000.0, 300'000.0, 2'500'000.0, 12'000'000.0,
                          19'990'000.0, 20'000'000.0}) {
      SCOPED_TRACE(testing::Message() << "seed " << seed_ << " center " << center.lat << ","
                                      << center.lon << " radius " << radius);
      absl::StatusOr<std::vector<GeoHit>> hits = index_->Radius(center, radius);
      ASSERT_TRUE(hits.ok()) << hits.status();
      std::map<uint32_t, double> got;
      for (const GeoHit& h : *hits) {
        ASSERT_TRUE(got.emplace(h.doc, h.distance_m).second) << "doc " << h.doc << " twice";
      }
      for (size_t i = 0; i < entries.size(); ++i) {
        const uint32_t doc = entries[i].doc;
        if (std::fabs(exact[i] - radius) <= kBoundaryToleranceM) continue;
        const bool inside = exact[i] <= radius;
        ASSERT_EQ(got.count(doc) == 1, inside) << "doc " << doc << " exact " << exact[i];
        if (inside) {
          // ST_Distance within 0.1% is the spec; the estimate bound is tighter.
          ASSERT_NEAR(got[doc], exact[i],
                      kEstimateRelativeError * exact[i] + kEstimateAbsoluteErrorM)
              << "doc " << doc;
        }
      }
    }
  }
}

TEST_F(GeoIndexOracleTest, CountRadiusMatchesBruteForceAtPolesAntimeridianAndEquator) {
  const std::vector<GeoEntry>& entries = *entries_;
  auto odd = [](uint32_t doc) { return doc % 2 == 1; };
  // The entries `odd` rejects, at their indexed points, for
  // CountRadiusExcluding to subtract.
  std::vector<GeoCandidate> evens;
  for (const GeoEntry& e : entries) {
    if (!odd(e.doc)) evens.push_back({e.doc, GeoPoint::FromLatLon(e.point)});
  }
  std::vector<LatLon> centers = QueryCenters(entries, seed_ + 2);
  // Centres exactly on data points at the poles and the antimeridian.
  for (const GeoEntry& e : entries) {
    if (std::fabs(e.point.lat) == 90 || std::fabs(e.point.lon) == 180) centers.push_back(e.point);
    if (centers.size() > 40) break;
  }
  for (const LatLon& center : centers) {
    const std::vector<double> exact = ExactDistances(center, entries);
    std::vector<double> radii = {0.0,       1.0,         10.0,         1'000.0,     25'000.0,
                                 300'000.0, 2'500'000.0, 12'000'000.0, 19'990'000.0, 20'000'000.0};
    // Radii that put data points just inside, on and just outside the edge.
    std::mt19937 rng(seed_ + static_cast<unsigned>(radii.size()));
    for (int i = 0; i < 4; ++i) {
      const double d = exact[rng() % exact.size()];
      for (double r : {d, d - 1e-3, d + 1e-3, std::nextafter(d, 0.0)}) {
        if (r >= 0) radii.push_back(r);
      }
    }
    for (double radius : radii) {
      SCOPED_TRACE(testing::Message() << "seed " << seed_ << " center " << center.lat << ","
                                      << center.lon << " radius " << radius);
      // Mode 0: no predicate (whole grid cells are counted at once); 1: the
      // predicate `odd`; 2: the same documents by subtracting the others.
      for (int mode = 0; mode < 3; ++mode) {
        const DocPredicate accept = mode == 0 ? DocPredicate(AcceptAnyDoc) : DocPredicate(odd);
        absl::StatusOr<size_t> count =
            mode == 0   ? index_->CountRadius(center, radius)
            : mode == 1 ? index_->CountRadius(center, radius, accept)
                        : index_->CountRadiusExcluding(center, radius, evens);
        ASSERT_TRUE(count.ok()) << count.status();
        // The same decisions as Radius(), point for point...
        absl::StatusOr<std::vector<GeoHit>> hits = index_->Radius(center, radius, accept);
        ASSERT_TRUE(hits.ok());
        ASSERT_EQ(*count, hits->size()) << "mode " << mode;
        if (mode == 0) {  // ...and ForEachInRadius lists them
          std::vector<uint32_t> listed;
          ASSERT_TRUE(
              index_->ForEachInRadius(center, radius, [&](uint32_t doc) { listed.push_back(doc); })
                  .ok());
          std::vector<uint32_t> want;
          for (const GeoHit& hit : *hits) want.push_back(hit.doc);
          std::sort(listed.begin(), listed.end());
          std::sort(want.begin(), want.end());
          ASSERT_EQ(listed, want);
        }
        // ...and the brute force, but for points within the tolerance of the edge.
        size_t inside = 0;
        size_t borderline = 0;
        for (size_t i = 0; i < entries.size(); ++i) {
          if (!accept(entries[i].doc)) continue;
          if (std::fabs(exact[i] - radius) <= kBoundaryToleranceM) ++borderline;
          if (exact[i] <= radius) ++inside;
        }
        ASSERT_LE(*count, inside + borderline);
        ASSERT_GE(*count + borderline, inside);
      }
    }
  }
}

TEST_F(GeoIndexOracleTest, CountBoxMatchesBoxAcrossAntimeridianAndPoles) {
  auto rare = [](uint32_t doc) { return doc % 7 == 3; };
  for (const GeoBox& box : std::vector<GeoBox>{{-90, -180, 90, 180},
                                               {80, -180, 90, 180},
                                               {-5, 170, 5, -170},
                                               {-3, 179, 3, -180},
                                               {-3, 180, 3, 180},
                                               {-90, -180, -90, 180},
                                               {38.5, -9.5, 39, -9}}) {
    SCOPED_TRACE(testing::Message() << "box S" << box.south << " W" << box.west);
    for (int with_predicate = 0; with_predicate < 2; ++with_predicate) {
      const DocPredicate accept = with_predicate ? DocPredicate(rare) : DocPredicate(AcceptAnyDoc);
      absl::StatusOr<size_t> count = index_->CountBox(box, accept);
      absl::StatusOr<std::vector<uint32_t>> docs = index_->Box(box, accept);
      ASSERT_TRUE(count.ok() && docs.ok());
      EXPECT_EQ(*count, docs->size());
    }
  }
  EXPECT_EQ(index_->CountBox({10, 0, 5, 1}).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(index_->CountRadius({91, 0}, 5).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(index_->CountRadius({0, 0}, -1, AcceptAnyDoc).status().code(),
            absl::StatusCode::kInvalidArgument);
  const absl::Status bad_radius = index_->CountRadiusExcluding({0, 0}, -1, {}).status();
  EXPECT_EQ(bad_radius.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(bad_radius.message(), HasSubstr("radius_m"));
  const absl::Status bad_lat = index_->ForEachInRadius({91, 0}, 5, [](uint32_t) {});
  EXPECT_EQ(bad_lat.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(bad_lat.message(), HasSubstr("lat"));
}

TEST_F(GeoIndexOracleTest, RadiusZeroFindsPointsAtTheCenter) {
  const GeoEntry& e = (*entries_)[5 * 8 + 5];  // a duplicated point
  absl::StatusOr<std::vector<GeoHit>> hits = index_->Radius(e.point, 0);
  ASSERT_TRUE(hits.ok());
  std::vector<uint32_t> expected;
  for (const GeoEntry& other : *entries_) {
    if (other.point == e.point) expected.push_back(other.doc);
  }
  ASSERT_GE(expected.size(), 2u);
  std::vector<uint32_t> got;
  for (const GeoHit& h : *hits) got.push_back(h.doc);
  EXPECT_THAT(got, UnorderedElementsAreArray(expected)) << "seed " << seed_;
}

// Exact order: sort by (exact distance, doc) over the accepted docs.
std::vector<GeoHit> BruteForceNearest(const std::vector<GeoEntry>& entries,
                                      const std::vector<double>& exact, size_t k,
                                      double max_distance, DocPredicate accept) {
  std::vector<GeoHit> all;
  for (size_t i = 0; i < entries.size(); ++i) {
    if (exact[i] <= max_distance && accept(entries[i].doc))
      all.push_back({entries[i].doc, exact[i]});
  }
  std::sort(all.begin(), all.end(), [](const GeoHit& a, const GeoHit& b) {
    return a.distance_m != b.distance_m ? a.distance_m < b.distance_m : a.doc < b.doc;
  });
  if (all.size() > k) all.resize(k);
  return all;
}

TEST_F(GeoIndexOracleTest, NearestMatchesBruteForceOrderWithPredicatesAndLimits) {
  const std::vector<GeoEntry>& entries = *entries_;
  auto every_third_rejected = [](uint32_t doc) { return doc % 3 != 0; };
  auto rare = [](uint32_t doc) { return doc % 97 == 5; };
  for (const LatLon& center : QueryCenters(entries, seed_ + 1)) {
    const std::vector<double> exact = ExactDistances(center, entries);
    for (size_t k : {size_t{1}, size_t{20}, size_t{150}}) {
      for (double max_distance : {std::numeric_limits<double>::infinity(), 25'000.0, 400'000.0}) {
        for (int predicate = 0; predicate < 3; ++predicate) {
          SCOPED_TRACE(testing::Message()
                       << "seed " << seed_ << " center " << center.lat << "," << center.lon << " k "
                       << k << " max " << max_distance << " predicate " << predicate);
          DocPredicate accept = predicate == 0   ? DocPredicate(AcceptAnyDoc)
                                : predicate == 1 ? DocPredicate(every_third_rejected)
                                                 : DocPredicate(rare);
          absl::StatusOr<std::vector<GeoHit>> hits =
              index_->Nearest(center, k, accept, max_distance);
          ASSERT_TRUE(hits.ok()) << hits.status();
          const std::vector<GeoHit> expected =
              BruteForceNearest(entries, exact, k, max_distance, accept);
          ASSERT_EQ(hits->size(), expected.size());
          for (size_t i = 0; i < expected.size(); ++i) {
            ASSERT_EQ((*hits)[i].doc, expected[i].doc) << "rank " << i;
            ASSERT_NEAR((*hits)[i].distance_m, expected[i].distance_m,
                        kEstimateRelativeError * expected[i].distance_m + kEstimateAbsoluteErrorM);
          }
        }
      }
    }
  }
}

// The box contract, written independently: lat in [south, north]; lon in
// [west, east], wrapping when west > east; -180 and 180 are one meridian.
bool BruteForceInBox(const GeoBox& box, const LatLon& p) {
  auto lon_inside = [&box](double lon) {
    return box.west <= box.east ? lon >= box.west && lon <= box.east
                                : lon >= box.west || lon <= box.east;
  };
  return p.lat >= box.south && p.lat <= box.north &&
         (lon_inside(p.lon) || (std::fabs(p.lon) == 180 && lon_inside(-p.lon)));
}

TEST_F(GeoIndexOracleTest, BoxMatchesBruteForceIncludingAntimeridianAndPoles) {
  const std::vector<GeoEntry>& entries = *entries_;
  std::vector<GeoBox> boxes = {
      {-90, -180, 90, 180},      // the world
      {80, -180, 90, 180},       // the north polar cap
      {-90, 10, -85, 40},        // a slice of the south pole
      {-5, 170, 5, -170},        // across the antimeridian
      {-3, 179, 3, -180},        // ending on the antimeridian, spelled -180
      {-3, -180, 3, -179},       // starting on it
      {-3, 180, 3, 180},         // only the antimeridian
      {-0.01, -180, 0.01, 180},  // the equator band
      {0, -10, 0, 10},           // exactly the equator
      {38.5, -9.5, 39, -9},      // the dense city
      {-90, -180, -90, 180},     // exactly the south pole
      {20, 100, 40, 100},        // a meridian segment
  };
  std::mt19937 rng(seed_);
  std::uniform_real_distribution<double> lat(-90, 90), lon(-180, 180);
  for (int i = 0; i < 40; ++i) {
    double s = lat(rng), n = lat(rng);
    if (s > n) std::swap(s, n);
    boxes.push_back({s, lon(rng), n, lon(rng)});  // west > east half the time
  }
  // Boxes whose edges pass exactly through data points.
  for (int i = 0; i < 10; ++i) {
    const LatLon a = entries[rng() % entries.size()].point;
    const LatLon b = entries[rng() % entries.size()].point;
    boxes.push_back({std::min(a.lat, b.lat), a.lon, std::max(a.lat, b.lat), b.lon});
  }
  for (const GeoBox& box : boxes) {
    SCOPED_TRACE(testing::Message() << "seed " << seed_ << " box S" << box.south << " W" << box.west
                                    << " N" << box.north << " E" << box.east);
    absl::StatusOr<std::vector<uint32_t>> docs = index_->Box(box);
    ASSERT_TRUE(docs.ok()) << docs.status();
    std::vector<uint32_t> expected;
    for (const GeoEntry& e : entries) {
      if (BruteForceInBox(box, e.point)) expected.push_back(e.doc);
    }
    EXPECT_THAT(*docs, UnorderedElementsAreArray(expected));
  }
}

TEST_F(GeoIndexOracleTest, PredicateIsHonouredAndAskedAtMostOncePerDoc) {
  const LatLon center{0, 180};
  std::map<uint32_t, int> asked;
  auto accept = [&asked](uint32_t doc) {
    ++asked[doc];
    return doc % 2 == 0;
  };
  absl::StatusOr<std::vector<GeoHit>> radius = index_->Radius(center, 3'000'000, accept);
  ASSERT_TRUE(radius.ok());
  EXPECT_FALSE(radius->empty());
  for (const GeoHit& h : *radius) EXPECT_EQ(h.doc % 2, 0u);
  for (const auto& [doc, n] : asked) ASSERT_EQ(n, 1) << "doc " << doc;

  asked.clear();
  absl::StatusOr<std::vector<GeoHit>> nearest = index_->Nearest(center, 50, accept);
  ASSERT_TRUE(nearest.ok());
  EXPECT_EQ(nearest->size(), 50u);
  for (const GeoHit& h : *nearest) EXPECT_EQ(h.doc % 2, 0u);
  for (const auto& [doc, n] : asked) ASSERT_EQ(n, 1) << "doc " << doc;

  asked.clear();
  absl::StatusOr<std::vector<uint32_t>> box = index_->Box({-10, 170, 10, -170}, accept);
  ASSERT_TRUE(box.ok());
  EXPECT_FALSE(box->empty());
  for (uint32_t doc : *box) EXPECT_EQ(doc % 2, 0u);
  for (const auto& [doc, n] : asked) ASSERT_EQ(n, 1) << "doc " << doc;
}

TEST_F(GeoIndexOracleTest, ConcurrentReadersSeeTheSameResults) {
  const std::vector<LatLon> centers = QueryCenters(*entries_, seed_ + 2);
  std::vector<std::vector<GeoHit>> expected;
  for (const LatLon& c : centers)
    expected.push_back(*index_->Nearest(c, 30, AcceptAnyDoc, 2'000'000));
  std::vector<std::thread> threads;
  std::vector<int> mismatches(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 5; ++round) {
        for (size_t i = 0; i < centers.size(); ++i) {
          if (*index_->Nearest(centers[i], 30, AcceptAnyDoc, 2'000'000) != expected[i])
            ++mismatches[t];
          if (!index_->Radius(centers[i], 100'000).ok()) ++mismatches[t];
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_THAT(mismatches, testing::Each(0));
}

TEST_F(GeoIndexOracleTest, ReportsSizeAndMemory) {
  EXPECT_EQ(index_->size(), entries_->size());
  // At least the values themselves (position, lat/lon, doc), at most a few
  // times that.
  EXPECT_GE(index_->MemoryBytes(), entries_->size() * 44);
  EXPECT_LE(index_->MemoryBytes(), entries_->size() * 200);
}

TEST(GeoIndexTest, EmptyIndexAnswersEverythingWithNothing) {
  std::unique_ptr<GeoIndex> index = BuildOrDie({});
  EXPECT_THAT(*index->Radius({0, 0}, 20'000'000), IsEmpty());
  EXPECT_THAT(*index->Nearest({0, 0}, 10), IsEmpty());
  EXPECT_THAT(*index->Box({-90, -180, 90, 180}), IsEmpty());
  EXPECT_EQ(index->size(), 0u);
}

TEST(GeoIndexTest, CountOnAnEmptyIndexIsZero) {
  std::unique_ptr<GeoIndex> index = BuildOrDie({});
  EXPECT_EQ(*index->CountRadius({90, 0}, 20'000'000), 0u);
  EXPECT_EQ(*index->CountRadius({10, 20}, 5'000, AcceptAnyDoc), 0u);
  EXPECT_EQ(*index->CountBox({-90, -180, 90, 180}), 0u);
}

// Points on cell corners and edges of the counting grid (multiples of
// 0.005 degrees), across the antimeridian and at a pole, counted at radii
// that put many of them exactly on the boundary.
TEST(GeoIndexTest, CountRadiusMatchesRadiusOnGridLines) {
  std::vector<GeoEntry> entries;
  uint32_t doc = 0;
  for (double lat0 : {38.7, 0.0, -89.9}) {
    for (double lon0 : {-9.1, 179.97, -180.0}) {
      for (int i = -8; i <= 8; ++i) {
        for (int j = -8; j <= 8; ++j) {
          double lon = lon0 + j * 0.005;
          if (lon > 180) lon -= 360;
          if (lon < -180) lon += 360;
          entries.push_back({doc++, {std::clamp(lat0 + i * 0.005, -90.0, 90.0), lon}});
        }
      }
    }
  }
  std::unique_ptr<GeoIndex> index = BuildOrDie(entries);
  // Every third point excluded: those on cell edges and corners are
  // subtracted exactly as the cells counted them.
  auto kept = [](uint32_t doc) { return doc % 3 != 0; };
  std::vector<GeoCandidate> excluded;
  for (const GeoEntry& e : entries) {
    if (!kept(e.doc)) excluded.push_back({e.doc, GeoPoint::FromLatLon(e.point)});
  }
  for (const GeoEntry& center : {entries[0], entries[144], entries[300], entries[700]}) {
    for (const GeoEntry& edge : {entries[5], entries[150], entries[289], entries[800]}) {
      const double d = GeodesicDistance(center.point, edge.point);
      for (double radius : {d, std::nextafter(d, 0.0), d + 1e-9, 0.0, 300.0, 1'000.0}) {
        SCOPED_TRACE(testing::Message() << "center " << center.point.lat << ","
                                        << center.point.lon << " radius " << radius);
        absl::StatusOr<std::vector<GeoHit>> hits = index->Radius(center.point, radius);
        ASSERT_TRUE(hits.ok());
        EXPECT_EQ(*index->CountRadius(center.point, radius), hits->size());
        EXPECT_EQ(*index->CountRadius(center.point, radius, AcceptAnyDoc), hits->size());
        absl::StatusOr<std::vector<GeoHit>> kept_hits = index->Radius(center.point, radius, kept);
        ASSERT_TRUE(kept_hits.ok());
        EXPECT_EQ(*index->CountRadiusExcluding(center.point, radius, excluded), kept_hits->size());
      }
    }
  }
}

TEST(GeoIndexTest, NearestWithKZeroIsEmpty) {
  std::unique_ptr<GeoIndex> index = BuildOrDie({{1, {0, 0}}});
  EXPECT_THAT(*index->Nearest({0, 0}, 0), IsEmpty());
  EXPECT_EQ(*index->Nearest({0, 0}, 5), (std::vector<GeoHit>{{1, 0}}));
}

TEST(GeoIndexTest, BuildRejectsInvalidPointsAndDuplicateDocsNamingThem) {
  struct Case {
    std::vector<GeoEntry> entries;
    const char* message;
  };
  const Case cases[] = {
      {{{1, {0, 0}}, {7, {91, 0}}}, "doc 7: lat must be within [-90, 90]"},
      {{{3, {NAN, 0}}}, "doc 3: lat must be within [-90, 90]"},
      {{{4, {0, -180.5}}}, "doc 4: lon must be within [-180, 180]"},
      {{{5, {0, 0}}, {6, {1, 1}}, {5, {2, 2}}}, "doc 5 appears more than once"},
      {{{4000000000u, {0, 0}}, {4000000000u, {1, 1}}}, "doc 4000000000 appears more than once"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<std::unique_ptr<GeoIndex>> index = GeoIndex::Build(c.entries);
    ASSERT_FALSE(index.ok()) << c.message;
    EXPECT_EQ(index.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(index.status().message(), HasSubstr(c.message));
  }
}

TEST(GeoIndexTest, QueriesRejectInvalidInputNamingTheField) {
  std::unique_ptr<GeoIndex> index = BuildOrDie({{1, {0, 0}}});
  auto expect_invalid = [](const absl::Status& status, const char* message) {
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << message;
    EXPECT_THAT(status.message(), HasSubstr(message));
  };
  expect_invalid(index->Radius({90.1, 0}, 10).status(), "lat must be within [-90, 90]");
  expect_invalid(index->Radius({NAN, 0}, 10).status(), "lat must be within [-90, 90]");
  expect_invalid(index->Radius({0, 181}, 10).status(), "lon must be within [-180, 180]");
  expect_invalid(index->Radius({0, 0}, -1).status(), "radius_m must be a finite number >= 0");
  expect_invalid(index->Radius({0, 0}, NAN).status(), "radius_m must be a finite number >= 0");
  expect_invalid(index->Radius({0, 0}, INFINITY).status(), "radius_m must be a finite number >= 0");
  expect_invalid(index->Nearest({-91, 0}, 3).status(), "lat must be within [-90, 90]");
  expect_invalid(index->Nearest({0, 0}, 3, AcceptAnyDoc, -5).status(),
                 "max_distance_m must be >= 0");
  expect_invalid(index->Nearest({0, 0}, 3, AcceptAnyDoc, NAN).status(),
                 "max_distance_m must be >= 0");
  expect_invalid(index->Box({-91, 0, 0, 1}).status(), "south must be within [-90, 90]");
  expect_invalid(index->Box({0, -181, 1, 1}).status(), "west must be within [-180, 180]");
  expect_invalid(index->Box({0, 0, 95, 1}).status(), "north must be within [-90, 90]");
  expect_invalid(index->Box({0, 0, 1, NAN}).status(), "east must be within [-180, 180]");
  expect_invalid(index->Box({5, 0, 1, 1}).status(), "south must not exceed north");
}

}  // namespace
}  // namespace otter::engine
