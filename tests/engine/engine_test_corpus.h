#pragma once
// Random tours and leaders for the snapshot and writer tests, and an oracle:
// geo and text indexes built from scratch from one catalog's matchable
// documents, to compare a Snapshot's DocumentIndexes against.

#include <cmath>
#include <cstdint>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "engine/catalog/catalog.h"
#include "engine/document_text.h"
#include "engine/geo_index.h"
#include "engine/snapshot.h"
#include "engine/text/text_index.h"
#include "engine/text/text_index_builder.h"
#include "gtest/gtest.h"
#include "tests/engine/catalog/catalog_test_records.h"

namespace otter::engine::testing_corpus {

inline const std::vector<std::string>& Words() {
  static const std::vector<std::string> words = {
      "sunset", "kayak",   "kayaking", "hiking",  "hike",    "wine",     "tasting",
      "castle", "harbour", "street",   "food",    "market",  "mountain", "lagoon",
      "cycling", "museum", "night",    "photography", "snorkeling", "volcano", "café"};
  return words;
}

// Every word once: an anchor document that never changes holds them, so the
// vocabulary (and so prefix and typo expansion) is the same for the engine
// and the oracle whatever else changes. See the report on stale-only words.
inline std::string AllWords() {
  std::string text;
  for (const std::string& w : Words()) text += w + " ";
  return text;
}

inline std::string RandomText(std::mt19937_64& rng, int max_words) {
  std::string text;
  const int n = 1 + static_cast<int>(rng() % static_cast<uint64_t>(max_words));
  for (int i = 0; i < n; ++i) text += Words()[rng() % Words().size()] + " ";
  return text;
}

inline std::optional<LatLon> RandomLocation(std::mt19937_64& rng) {
  if (rng() % 10 == 0) return std::nullopt;
  std::uniform_real_distribution<double> u(0, 1);
  if (rng() % 5 == 0) {  // around the antimeridian
    const double lon = 175 + 10 * u(rng);
    return LatLon{-20 + 10 * u(rng), lon > 180 ? lon - 360 : lon};
  }
  return LatLon{35 + 15 * u(rng), -10 + 30 * u(rng)};
}

inline TourRecord RandomTour(std::mt19937_64& rng, uint64_t n, uint64_t leaders) {
  TourRecord tour = testing_records::MakeTour(n, rng() % leaders);
  tour.title = RandomText(rng, 3);
  tour.description = RandomText(rng, 8);
  tour.tags.clear();
  for (uint64_t t = rng() % 3; t > 0; --t) tour.tags.push_back(RandomText(rng, 1));
  tour.category = rng() % 2 ? "water" : "food";
  tour.city = rng() % 2 ? "Lisboa" : "Porto";
  tour.country = "Portugal";
  tour.location = RandomLocation(rng);
  tour.is_active = rng() % 8 != 0;
  return tour;
}

inline LeaderRecord RandomLeader(std::mt19937_64& rng, uint64_t n) {
  LeaderRecord leader = testing_records::MakeLeader(n);
  leader.display_name = "Guide " + RandomText(rng, 2);
  leader.bio = RandomText(rng, 6);
  leader.specialties = {RandomText(rng, 1)};
  leader.city = rng() % 2 ? "Madrid" : "Roma";
  leader.location = RandomLocation(rng);
  leader.is_active = rng() % 6 != 0;
  return leader;
}

// Indexes built from scratch over `catalog`'s matchable documents of a kind.
struct Oracle {
  std::unique_ptr<GeoIndex> geo;
  text::TextIndex text;
  uint32_t id_limit = 0;  // of the catalog's ids of this kind

  Oracle(const Catalog& catalog, DocumentKind kind) {
    auto builder = text::TextIndexBuilder::Create(kind == DocumentKind::kTour
                                                      ? text::TextIndexOptions::Tours()
                                                      : text::TextIndexOptions::Leaders());
    std::vector<GeoEntry> points;
    std::vector<text::FieldText> fields;
    const bool tours = kind == DocumentKind::kTour;
    const uint32_t limit = tours ? catalog.tour_id_limit() : catalog.leader_id_limit();
    id_limit = limit;
    for (uint32_t doc = 0; doc < limit; ++doc) {
      if (tours ? !catalog.TourMatchable(doc) : !catalog.leader_active(doc)) continue;
      std::optional<LatLon> location;
      if (tours) {
        TourFieldTexts(*catalog.tour(doc), &fields);
        location = catalog.tour(doc)->location;
      } else {
        LeaderFieldTexts(*catalog.leader(doc), &fields);
        location = catalog.leader(doc)->location;
      }
      EXPECT_TRUE(builder->AddDocument(doc, fields).ok());
      if (location.has_value()) points.push_back({doc, *location});
    }
    text = std::move(*builder).Build();
    geo = std::move(*GeoIndex::Build(points));
  }
};

}  // namespace otter::engine::testing_corpus
