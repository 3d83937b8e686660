#pragma once
// A small deterministic catalog for the query tests, built through the real
// EngineWriter, with the raw values the tests' brute-force oracle reads.

#include <array>
#include <cmath>
#include <cstdint>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "engine/engine_writer.h"
#include "engine/snapshot.h"
#include "engine/traits.h"
#include "engine/uuid.h"
#include "gtest/gtest.h"

namespace otter::engine::query::testing_data {

inline Uuid TestUuid(uint8_t kind, uint64_t n) {
  std::array<uint8_t, 16> bytes{};
  bytes[0] = kind;
  for (int i = 0; i < 8; ++i) bytes[8 + i] = static_cast<uint8_t>(n >> (8 * (7 - i)));
  bytes[7] = 1;
  return Uuid(bytes);
}
inline Uuid TourId(uint64_t n) { return TestUuid(0x70, n); }
inline Uuid LeaderId(uint64_t n) { return TestUuid(0x1e, n); }
inline Uuid UserId(uint64_t n) { return TestUuid(0x05, n); }

struct City {
  const char* name;
  const char* country;
  double lat;
  double lon;
};
inline constexpr std::array<City, 6> kCities = {{{"Lisbon", "Portugal", 38.72, -9.14},
                                                  {"Porto", "Portugal", 41.15, -8.61},
                                                  {"Kyoto", "Japan", 35.01, 135.77},
                                                  {"Quito", "Ecuador", -0.18, -78.47},
                                                  {"Suva", "Fiji", -18.14, 178.44},
                                                  {"Oslo", "Norway", 59.91, 10.75}}};
// Query words: far apart in edits, none a prefix of another indexed word.
inline constexpr std::array<const char*, 10> kVocabulary = {
    "sunset", "kayak", "volcano", "museum", "harbor", "glacier", "vineyard", "cathedral",
    "jungle", "waterfall"};
inline constexpr std::array<const char*, 4> kCategories = {"water", "culture", "food", "hiking"};
inline constexpr std::array<const char*, 5> kLanguages = {"en", "pt", "ja", "es", "no"};
inline constexpr std::array<const char*, 5> kTraitNames = {"adventurous", "social", "cultural",
                                                           "relaxed", "foodie"};

struct TestData {
  std::shared_ptr<const Snapshot> snapshot;
  std::vector<TourRecord> tours;      // the current values, by n
  std::vector<LeaderRecord> leaders;  // by n
  // Leader traits by leader n (absent: the leader has none: 0.5 everywhere).
  std::map<uint64_t, std::vector<std::pair<std::string, double>>> leader_traits;
  std::map<uint64_t, std::vector<std::pair<std::string, double>>> user_traits;
};

inline std::vector<NamedTrait> Named(const std::vector<std::pair<std::string, double>>& traits) {
  std::vector<NamedTrait> named;
  for (const auto& [name, value] : traits) named.push_back(NamedTrait{name, value});
  return named;
}

// Builds `tour_count` tours over `leader_count` leaders; after the first
// Publish, changes a few documents and publishes again, so queries run over
// base indexes plus a delta.
inline TestData BuildTestData(uint32_t seed, int leader_count, int tour_count) {
  std::mt19937_64 rng(seed);
  auto uniform = [&](double lo, double hi) { return std::uniform_real_distribution<>(lo, hi)(rng); };
  auto pick = [&](size_t n) { return static_cast<size_t>(rng() % n); };
  TestData data;
  EngineWriterOptions options;
  options.background_merge = false;
  EngineWriter writer(options);
  for (int n = 0; n < leader_count; ++n) {
    LeaderRecord leader;
    leader.id = LeaderId(n);
    leader.user_id = TestUuid(0x0a, n);
    leader.type = static_cast<LeaderType>(pick(3));
    leader.display_name = "Guide " + std::string(kVocabulary[pick(kVocabulary.size())]);
    const City& city = kCities[pick(kCities.size())];
    leader.city = city.name;
    leader.country = city.country;
    leader.location = LatLon{city.lat + uniform(-0.5, 0.5), city.lon + uniform(-0.5, 0.5)};
    leader.hourly_rate_cents = 1000 + static_cast<int64_t>(pick(40)) * 250;
    leader.is_verified = pick(2) == 0;
    leader.average_rating_x100 = 300 + static_cast<int32_t>(pick(201));
    leader.total_reviews = static_cast<int32_t>(pick(500));
    leader.created_at_us = 1'600'000'000'000'000 + static_cast<int64_t>(pick(1000)) * 1'000'000;
    leader.is_active = pick(15) != 0;
    leader.languages.push_back({kLanguages[pick(kLanguages.size())], Proficiency::kFluent});
    if (pick(2) == 0) leader.languages.push_back({"en", Proficiency::kNative});
    if (leader.languages.size() == 2 && leader.languages[0].code == "en") leader.languages.pop_back();
    if (pick(4) != 0) {  // a quarter of the leaders have no traits
      std::vector<std::pair<std::string, double>> traits;
      for (const char* name : kTraitNames) {
        if (pick(3) != 0) traits.emplace_back(name, std::round(uniform(0, 1) * 100) / 100);
      }
      if (traits.empty()) traits.emplace_back("social", 0.3);
      data.leader_traits[n] = traits;
    }
    data.leaders.push_back(leader);
    EXPECT_TRUE(writer.UpsertLeader(leader).ok());
  }
  for (int n = 0; n < tour_count; ++n) {
    TourRecord tour;
    tour.id = TourId(n);
    tour.leader_id = LeaderId(pick(leader_count));
    std::string words;
    for (int w = 0; w < 2; ++w) words += std::string(kVocabulary[pick(kVocabulary.size())]) + " ";
    tour.title = words + "tour";
    tour.slug = "tour-" + std::to_string(n);
    tour.description = "A day of " + std::string(kVocabulary[pick(kVocabulary.size())]);
    tour.category = kCategories[pick(kCategories.size())];
    tour.tags = {kVocabulary[pick(kVocabulary.size())]};
    tour.price_cents = 1000 + static_cast<int64_t>(pick(120)) * 500;
    tour.currency = "EUR";
    tour.duration_days = 1 + static_cast<int32_t>(pick(20));
    tour.max_participants = 12;
    const City& city = kCities[pick(kCities.size())];
    tour.city = city.name;
    tour.country = city.country;
    if (pick(20) != 0) {
      tour.location = LatLon{city.lat + uniform(-0.8, 0.8), city.lon + uniform(-0.8, 0.8)};
    }
    tour.total_reviews = static_cast<int32_t>(pick(300));
    tour.average_rating_x100 = 250 + static_cast<int32_t>(pick(251));
    tour.is_active = pick(12) != 0;
    tour.created_at_us = 1'600'000'000'000'000 + static_cast<int64_t>(pick(5000)) * 1'000'000;
    data.tours.push_back(tour);
    EXPECT_TRUE(writer.UpsertTour(tour).ok());
  }
  for (const auto& [n, traits] : data.leader_traits) {
    EXPECT_TRUE(writer.SetLeaderTraits(LeaderId(n), Named(traits)).ok());
  }
  for (int u = 0; u < 5; ++u) {
    std::vector<std::pair<std::string, double>> traits;
    for (const char* name : kTraitNames) traits.emplace_back(name, std::round(uniform(0, 1) * 10) / 10);
    if (u == 4) traits.emplace_back("stargazing", 0.9);  // a name no leader has
    data.user_traits[u] = traits;
    EXPECT_TRUE(writer.SetUserTraits(UserId(u), Named(traits)).ok());
  }
  absl::StatusOr<std::shared_ptr<const Snapshot>> first = writer.Publish(1);
  EXPECT_TRUE(first.ok()) << first.status();
  // A second batch: changed prices, titles, locations and activity go to
  // the delta (the base keeps the old entries, stale).
  for (int i = 0; i < tour_count / 20; ++i) {
    TourRecord& tour = data.tours[pick(data.tours.size())];
    tour.price_cents += 700;
    tour.title = std::string(kVocabulary[pick(kVocabulary.size())]) + " special";
    if (tour.location.has_value() && pick(2) == 0) {
      tour.location->lat += uniform(-0.4, 0.4);
      tour.location->lon += uniform(-0.4, 0.4);
    }
    tour.is_active = pick(6) != 0;
    EXPECT_TRUE(writer.UpsertTour(tour).ok());
  }
  absl::StatusOr<std::shared_ptr<const Snapshot>> second = writer.Publish(2);
  EXPECT_TRUE(second.ok()) << second.status();
  data.snapshot = second.ok() ? *second : nullptr;
  return data;
}

}  // namespace otter::engine::query::testing_data
