#include "engine/geodesy.h"

#include <algorithm>
#include <cmath>
#include <iostream>
#include <numbers>
#include <optional>
#include <random>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace otter::engine {
namespace {

using ::testing::HasSubstr;

// ---------------------------------------------------------------------------
// An independent oracle: Vincenty's inverse formula (1975), written from the
// paper, not from Boost. Accurate to ~0.1 mm where it converges; returns
// nullopt for the nearly antipodal pairs where it does not.
std::optional<double> VincentyDistance(const LatLon& p1, const LatLon& p2) {
  constexpr double a = kWgs84SemiMajorAxisM;
  constexpr double f = kWgs84Flattening;
  constexpr double b = a * (1 - f);
  constexpr double d2r = std::numbers::pi / 180;
  const double u1 = std::atan((1 - f) * std::tan(p1.lat * d2r));
  const double u2 = std::atan((1 - f) * std::tan(p2.lat * d2r));
  const double sin_u1 = std::sin(u1), cos_u1 = std::cos(u1);
  const double sin_u2 = std::sin(u2), cos_u2 = std::cos(u2);
  double l = (p2.lon - p1.lon) * d2r;
  if (l > std::numbers::pi) l -= 2 * std::numbers::pi;
  if (l < -std::numbers::pi) l += 2 * std::numbers::pi;
  double lambda = l;
  double sin_sigma = 0, cos_sigma = 1, sigma = 0, cos2_alpha = 1, cos_2sigma_m = 0;
  for (int iteration = 0;; ++iteration) {
    if (iteration == 200) return std::nullopt;
    const double sin_lambda = std::sin(lambda), cos_lambda = std::cos(lambda);
    sin_sigma = std::hypot(cos_u2 * sin_lambda, cos_u1 * sin_u2 - sin_u1 * cos_u2 * cos_lambda);
    if (sin_sigma == 0) return 0.0;  // coincident points
    cos_sigma = sin_u1 * sin_u2 + cos_u1 * cos_u2 * cos_lambda;
    sigma = std::atan2(sin_sigma, cos_sigma);
    const double sin_alpha = cos_u1 * cos_u2 * sin_lambda / sin_sigma;
    cos2_alpha = 1 - sin_alpha * sin_alpha;
    cos_2sigma_m = cos2_alpha != 0 ? cos_sigma - 2 * sin_u1 * sin_u2 / cos2_alpha : 0;
    const double c = f / 16 * cos2_alpha * (4 + f * (4 - 3 * cos2_alpha));
    const double previous = lambda;
    lambda = l + (1 - c) * f * sin_alpha *
                     (sigma +
                      c * sin_sigma *
                          (cos_2sigma_m + c * cos_sigma * (-1 + 2 * cos_2sigma_m * cos_2sigma_m)));
    if (std::fabs(lambda) > std::numbers::pi) return std::nullopt;
    // Relative: short lines have a tiny lambda, and an absolute tolerance
    // would stop them early.
    if (std::fabs(lambda - previous) <= 1e-14 * std::fabs(lambda)) break;
  }
  const double u_sq = cos2_alpha * (a * a - b * b) / (b * b);
  const double big_a = 1 + u_sq / 16384 * (4096 + u_sq * (-768 + u_sq * (320 - 175 * u_sq)));
  const double big_b = u_sq / 1024 * (256 + u_sq * (-128 + u_sq * (74 - 47 * u_sq)));
  const double delta_sigma =
      big_b * sin_sigma *
      (cos_2sigma_m + big_b / 4 *
                          (cos_sigma * (-1 + 2 * cos_2sigma_m * cos_2sigma_m) -
                           big_b / 6 * cos_2sigma_m * (-3 + 4 * sin_sigma * sin_sigma) *
                               (-3 + 4 * cos_2sigma_m * cos_2sigma_m)));
  return b * big_a * (sigma - delta_sigma);
}

// Random pairs of every kind the index meets: anywhere, short, at the poles,
// across the antimeridian, on the equator, nearly antipodal.
class PairGenerator {
 public:
  explicit PairGenerator(unsigned seed) : rng_(seed) {}

  std::pair<LatLon, LatLon> Next() {
    const int kind = static_cast<int>(count_++ % 6);
    LatLon a = AnyPoint();
    LatLon b = AnyPoint();
    switch (kind) {
      case 1:  // short lines, metres to ~100 km
        b = Near(a, std::pow(10.0, Uniform(-5, 0)));
        break;
      case 2:  // within a few degrees of a pole, or exactly on it
        a = {Pick({90.0, -90.0, 89.9999, -89.9999, Uniform(85, 90)}), Uniform(-180, 180)};
        b = {std::copysign(Uniform(80, 90), Uniform(-1, 1) < -0.8 ? -a.lat : a.lat),
             Uniform(-180, 180)};
        break;
      case 3:  // across the antimeridian
        a = {Uniform(-80, 80), Uniform(175, 180)};
        b = {std::clamp(a.lat + Uniform(-3, 3), -90.0, 90.0), Uniform(-180, -175)};
        break;
      case 4:  // on or near the equator
        a = {Pick({0.0, Uniform(-1e-3, 1e-3)}), Uniform(-180, 180)};
        b = {Pick({0.0, Uniform(-1, 1)}), Uniform(-180, 180)};
        break;
      case 5: {  // nearly antipodal
        const LatLon anti{-a.lat, a.lon > 0 ? a.lon - 180 : a.lon + 180};
        b = Near(anti, std::pow(10.0, Uniform(-4, 1)));
        break;
      }
      default:
        break;
    }
    return {a, b};
  }

 private:
  double Uniform(double lo, double hi) {
    return std::uniform_real_distribution<double>(lo, hi)(rng_);
  }
  double Pick(std::initializer_list<double> values) {
    return values.begin()[std::uniform_int_distribution<size_t>(0, values.size() - 1)(rng_)];
  }
  LatLon AnyPoint() {
    return {std::asin(Uniform(-1, 1)) * 180 / std::numbers::pi, Uniform(-180, 180)};
  }
  LatLon Near(const LatLon& p, double degrees) {
    double lon = p.lon + Uniform(-degrees, degrees);
    if (lon > 180) lon -= 360;
    if (lon < -180) lon += 360;
    return {std::clamp(p.lat + Uniform(-degrees, degrees), -90.0, 90.0), lon};
  }

  std::mt19937_64 rng_;
  uint64_t count_ = 0;
};

unsigned TestSeed() {
  const unsigned seed = std::random_device{}();
  std::cout << "random seed " << seed << "\n";
  return seed;
}

// ---------------------------------------------------------------------------

TEST(GeodesyTest, MatchesPostgisAndGeographicLibReferenceDistances) {
  struct Case {
    LatLon a;
    LatLon b;
    double metres;  // PostGIS 3.3 ST_Distance(geography); GeographicLib agrees
  };
  const Case cases[] = {
      {{40.6, -73.8}, {51.6, -0.5}, 5551759.40031868},             // JFK - LHR
      {{38.72, -9.14}, {41.15, -8.61}, 273586.10689794},           // Lisbon - Porto
      {{48.8566, 2.3522}, {35.6762, 139.6503}, 9735308.65423938},  // Paris - Tokyo
      {{-33.8688, 151.2093}, {-36.8485, 174.7633}, 2160508.80901782},
      {{-18.1416, 178.4419}, {-13.8333, -171.7667}, 1151052.4755234},  // Suva - Apia
      {{64.1466, -21.9426}, {61.2181, -149.9003}, 5438984.49236383},   // Reykjavik - Anchorage
      {{51.9225, 4.47917}, {51.95, 4.55}, 5752.62900124},              // within Rotterdam
      {{0, 179.9999}, {0, -179.9999}, 22.26389816},                    // across the antimeridian
      {{10, 10}, {10.00000001, 10}, 0.00110608},
      {{90, 0}, {89.9, 45}, 11169.39784126},
      {{-90, 0}, {-77.85, 166.67}, 1356878.09743567},
      {{90, 0}, {-90, 0}, 20003931.45862545},  // pole to pole
      {{-89.999, 0}, {89.999, 180}, 20003931.45862545},
      {{0, 0}, {0, 180}, 20003931.45862545},  // antipodal on the equator: via a pole
      {{0, 0}, {0, 179.5}, 19980861.90889096},
      {{0, 0}, {0.5, 179.7}, 19944127.42075046},
      // GeographicLib's published test set (geodtest.c, GeodTest.dat).
      {{35.60777, -139.44815}, {-11.17491, -69.95921}, 8935244.5604818305},
      {{55.52454, 106.05087}, {77.03196, -162.81766}, 4105086.1713924406},
      {{-21.97856, 142.59065}, {41.84138, 98.56635}, 8394328.894657671},
      {{-66.99028, 112.2363}, {-12.70631, -74.09656}, 11150344.2312080241},
      {{-17.42761, 173.34268}, {-15.84784, 5.93557}, 16076603.1631180673},
      // Reported wrong for Boost's Karney in boostorg/geometry#1465.
      {{41.306061250198, 0}, {-52.570275453324655475, 100.88904290879072632}, 14174344.4466144},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(testing::Message()
                 << c.a.lat << "," << c.a.lon << " -> " << c.b.lat << "," << c.b.lon);
    // PostGIS prints 15 significant digits: compare to a micrometre.
    EXPECT_NEAR(GeodesicDistance(c.a, c.b), c.metres, std::max(1e-6, c.metres * 1e-14));
    EXPECT_NEAR(GeodesicDistance(c.b, c.a), c.metres, std::max(1e-6, c.metres * 1e-14));
  }
}

TEST(GeodesyTest, CoincidentPointsAreZeroApart) {
  for (const LatLon& p : {LatLon{0, 0}, LatLon{90, 0}, LatLon{-90, 123}, LatLon{12.5, 180}}) {
    EXPECT_EQ(GeodesicDistance(p, p), 0);
    EXPECT_EQ(EstimateDistance(GeoPoint::FromLatLon(p), GeoPoint::FromLatLon(p)).distance_m, 0);
  }
  // One meridian, two spellings.
  EXPECT_NEAR(GeodesicDistance({12.5, 180}, {12.5, -180}), 0, 1e-9);
}

TEST(GeodesyTest, AgreesWithIndependentVincentyOnRandomPairs) {
  const unsigned seed = TestSeed();
  PairGenerator pairs(seed);
  int compared = 0;
  for (int i = 0; i < 30000; ++i) {
    const auto [a, b] = pairs.Next();
    const std::optional<double> vincenty = VincentyDistance(a, b);
    if (!vincenty) continue;  // nearly antipodal: covered by the reference cases
    ++compared;
    const double karney = GeodesicDistance(a, b);
    ASSERT_NEAR(karney, *vincenty, std::max(1e-6 * *vincenty, 1e-9))
        << "seed " << seed << " pair " << a.lat << "," << a.lon << " -> " << b.lat << "," << b.lon;
  }
  EXPECT_GT(compared, 25000) << "seed " << seed;
}

TEST(GeodesyTest, EstimateStaysWithinItsErrorBound) {
  const unsigned seed = TestSeed();
  PairGenerator pairs(seed);
  double worst_relative = 0;
  for (int i = 0; i < 60000; ++i) {
    const auto [a, b] = pairs.Next();
    const double exact = GeodesicDistance(a, b);
    const DistanceEstimate estimate =
        EstimateDistance(GeoPoint::FromLatLon(a), GeoPoint::FromLatLon(b));
    ASSERT_LE(std::fabs(estimate.distance_m - exact), estimate.error_m)
        << "seed " << seed << " pair " << a.lat << "," << a.lon << " -> " << b.lat << "," << b.lon;
    if (exact > 1)
      worst_relative = std::max(worst_relative, std::fabs(estimate.distance_m - exact) / exact);
  }
  // The spec allows 0.1% against ST_Distance; the bound is far inside it.
  EXPECT_LT(worst_relative, kEstimateRelativeError) << "seed " << seed;
}

TEST(GeodesyTest, ChordBoundsHoldOnRandomPairs) {
  const unsigned seed = TestSeed();
  PairGenerator pairs(seed);
  for (int i = 0; i < 30000; ++i) {
    const auto [a, b] = pairs.Next();
    const double exact = GeodesicDistance(a, b);
    const double chord_squared = ChordSquared(GeoPoint::FromLatLon(a), GeoPoint::FromLatLon(b));
    ASSERT_LE(MinDistanceForChordSquared(chord_squared), exact) << "seed " << seed;
    ASSERT_GE(MaxChordSquaredForDistance(exact), chord_squared) << "seed " << seed;
  }
  EXPECT_GE(MaxChordSquaredForDistance(kMaxGeodesicDistanceM), 4);
}

TEST(GeodesyTest, CircleDecidesExactlyNearItsBoundary) {
  const unsigned seed = TestSeed();
  PairGenerator pairs(seed);
  for (int i = 0; i < 6000; ++i) {
    const auto [center, p] = pairs.Next();
    const double exact = GeodesicDistance(center, p);
    // Radii a hair inside, on, and a hair outside the exact distance.
    for (double offset : {-1e-3, -1e-6, 0.0, 1e-6, 1e-3}) {
      const double radius = std::max(0.0, exact + offset * std::max(1.0, exact * 1e-3));
      absl::StatusOr<GeoCircle> circle = GeoCircle::Create(center, radius);
      ASSERT_TRUE(circle.ok()) << circle.status();
      const std::optional<double> d = circle->DistanceTo(GeoPoint::FromLatLon(p));
      ASSERT_EQ(d.has_value(), exact <= radius)
          << "seed " << seed << " radius " << radius << " exact " << exact;
      if (d) {
        EXPECT_LE(*d, radius);
        EXPECT_NEAR(*d, exact, kEstimateRelativeError * exact + kEstimateAbsoluteErrorM);
      }
    }
  }
}

TEST(GeodesyTest, CircleOfMaximalRadiusHoldsEveryPoint) {
  absl::StatusOr<GeoCircle> circle = GeoCircle::Create({0, 0}, 20'000'000);
  ASSERT_TRUE(circle.ok());
  EXPECT_TRUE(circle->DistanceTo(GeoPoint::FromLatLon({0, 179})).has_value());   // 19.9 Mm
  EXPECT_FALSE(circle->DistanceTo(GeoPoint::FromLatLon({0, 180})).has_value());  // 20.0039 Mm
  absl::StatusOr<GeoCircle> world = GeoCircle::Create({0, 0}, kMaxGeodesicDistanceM);
  ASSERT_TRUE(world.ok());
  EXPECT_NEAR(*world->DistanceTo(GeoPoint::FromLatLon({0, 180})), 20003931.45862545, 1e-6);
}

TEST(GeodesyTest, RankNearestGivesExactOrderAmongNearTies) {
  const unsigned seed = TestSeed();
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> jitter(-2e-7, 2e-7);  // ~2 cm
  const LatLon center{51.5, -0.12};
  std::vector<GeoCandidate> candidates;
  // Points on a small ring, so that many estimates overlap, with duplicates.
  for (uint32_t doc = 0; doc < 400; ++doc) {
    const double angle = doc * 0.7;
    LatLon p{center.lat + 0.01 * std::sin(angle) + jitter(rng),
             center.lon + 0.016 * std::cos(angle) + jitter(rng)};
    if (doc % 7 == 3) p = candidates[doc - 1].point.lat_lon;
    candidates.push_back({doc, GeoPoint::FromLatLon(p)});
  }
  std::vector<GeoHit> expected;
  for (const GeoCandidate& c : candidates) {
    expected.push_back({c.doc, GeodesicDistance(center, c.point.lat_lon)});
  }
  std::sort(expected.begin(), expected.end(), [](const GeoHit& a, const GeoHit& b) {
    return a.distance_m != b.distance_m ? a.distance_m < b.distance_m : a.doc < b.doc;
  });
  for (size_t k : {size_t{1}, size_t{20}, size_t{400}, size_t{1000}}) {
    const std::vector<GeoHit> hits = RankNearest(GeoPoint::FromLatLon(center), candidates, k);
    ASSERT_EQ(hits.size(), std::min(k, expected.size()));
    for (size_t i = 0; i < hits.size(); ++i) {
      ASSERT_EQ(hits[i].doc, expected[i].doc) << "seed " << seed << " k " << k << " rank " << i;
      EXPECT_NEAR(hits[i].distance_m, expected[i].distance_m, 1e-3);
      if (i > 0) {
        EXPECT_GE(hits[i].distance_m, hits[i - 1].distance_m);
      }
    }
  }
}

TEST(GeodesyTest, SortByDistanceOrdersByDistanceThenDoc) {
  std::vector<GeoHit> hits = {{5, 10}, {2, 3}, {1, 10}, {9, 0}};
  SortByDistance(hits);
  EXPECT_EQ(hits, (std::vector<GeoHit>{{9, 0}, {2, 3}, {1, 10}, {5, 10}}));
}

TEST(GeodesyTest, ValidationNamesTheField) {
  struct Case {
    LatLon point;
    const char* message;
  };
  for (const Case& c : {Case{{91, 0}, "lat must be within [-90, 90]"},
                        Case{{-90.5, 0}, "lat must be within [-90, 90]"},
                        Case{{NAN, 0}, "lat must be within [-90, 90]"},
                        Case{{0, 180.01}, "lon must be within [-180, 180]"},
                        Case{{0, -INFINITY}, "lon must be within [-180, 180]"}}) {
    const absl::Status status = ValidateLatLon(c.point);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(status.message(), HasSubstr(c.message));
  }
  EXPECT_TRUE(ValidateLatLon({90, -180}).ok());
  EXPECT_TRUE(ValidateLatLon({-90, 180}).ok());
  EXPECT_THAT(ValidateLatLon({100, 0}, "near.").message(), HasSubstr("near.lat must be within"));

  for (double radius : {-1.0, double{NAN}, double{INFINITY}}) {
    const absl::Status status = ValidateRadius(radius);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(status.message(), HasSubstr("radius_m must be a finite number >= 0"));
  }
  absl::StatusOr<GeoCircle> circle = GeoCircle::Create({0, 0}, -5, "near.");
  EXPECT_EQ(circle.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(circle.status().message(), HasSubstr("near.radius_m"));
  EXPECT_THAT(GeoCircle::Create({0, 200}, 5).status().message(), HasSubstr("lon must be within"));
}

}  // namespace
}  // namespace otter::engine
