// A Snapshot's DocumentIndexes (base + delta segments) answer every query as
// indexes built from scratch from that snapshot's catalog would: random
// catalogs, random streams of changes, publishes and forced merges.

#include "engine/snapshot.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "engine/engine_writer.h"
#include "engine/text/text_query.h"
#include "gtest/gtest.h"
#include "tests/engine/engine_test_corpus.h"

namespace otter::engine {
namespace {

using testing_corpus::Oracle;
using testing_corpus::RandomLeader;
using testing_corpus::RandomTour;
using testing_records::LeaderId;
using testing_records::TourId;

std::vector<GeoHit> ByDoc(std::vector<GeoHit> hits) {
  std::sort(hits.begin(), hits.end(),
            [](const GeoHit& a, const GeoHit& b) { return a.doc < b.doc; });
  return hits;
}

void ExpectSameHits(const std::vector<GeoHit>& got, const std::vector<GeoHit>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].doc, want[i].doc) << "at " << i;
    EXPECT_NEAR(got[i].distance_m, want[i].distance_m, 1e-4 * want[i].distance_m + 1e-6);
  }
}

LatLon RandomCenter(std::mt19937_64& rng) {
  std::uniform_real_distribution<double> u(0, 1);
  if (rng() % 4 == 0) return {-15 + 10 * u(rng), rng() % 2 ? 179.5 : -179.5};
  return {35 + 15 * u(rng), -10 + 30 * u(rng)};
}

std::string RandomQueryText(std::mt19937_64& rng) {
  const auto& words = testing_corpus::Words();
  std::string text = words[rng() % words.size()];
  if (rng() % 2) text += " " + words[rng() % words.size()];
  switch (rng() % 4) {
    case 0:  // a prefix of the last word
      text.resize(text.size() - std::min<size_t>(text.size() - 1, 1 + rng() % 3));
      break;
    case 1:  // a typo in a long word
      if (text.size() >= 6) text[text.size() - 2] = 'x';
      break;
    default:
      break;
  }
  return text;
}

// Compares `indexes` with `oracle` on `rounds` random queries of each kind.
void ExpectSameAnswers(const DocumentIndexes& indexes, const Oracle& oracle, std::mt19937_64& rng,
                       int rounds) {
  for (int round = 0; round < rounds; ++round) {
    const uint32_t modulus = 2 + static_cast<uint32_t>(rng() % 3);
    const bool filtered = rng() % 2 == 0;
    auto accept = [&](uint32_t doc) { return !filtered || doc % modulus != 0; };
    const LatLon center = RandomCenter(rng);
    const double radius = 1'000.0 * static_cast<double>(50 + rng() % 2'000);
    SCOPED_TRACE(testing::Message() << "round " << round << " center " << center.lat << ","
                                    << center.lon << " radius " << radius << " filtered "
                                    << filtered << " modulus " << modulus);

    auto got_radius = indexes.Radius(center, radius, accept);
    auto want_radius = oracle.geo->Radius(center, radius, accept);
    ASSERT_TRUE(got_radius.ok() && want_radius.ok());
    ExpectSameHits(ByDoc(*got_radius), ByDoc(*want_radius));
    auto got_count = indexes.CountRadius(center, radius, accept);
    ASSERT_TRUE(got_count.ok());
    EXPECT_EQ(*got_count, want_radius->size());
    // Without a predicate: the base counted whole, stale entries subtracted.
    auto got_count_all = indexes.CountRadius(center, radius);
    auto want_radius_all = oracle.geo->Radius(center, radius);
    ASSERT_TRUE(got_count_all.ok() && want_radius_all.ok());
    EXPECT_EQ(*got_count_all, want_radius_all->size());
    // ...and marked in a bitmap, which replaces what it held.
    std::vector<uint64_t> marked(rng() % 3, ~uint64_t{0});
    std::set<uint32_t> want_marked;
    for (const GeoHit& hit : *want_radius_all) want_marked.insert(hit.doc);
    ASSERT_TRUE(indexes.MarkRadius(center, radius, &marked).ok());
    std::set<uint32_t> got_marked;
    for (size_t w = 0; w < marked.size(); ++w) {
      for (uint64_t bits = marked[w]; bits != 0; bits &= bits - 1) {
        got_marked.insert(static_cast<uint32_t>(w * 64 + __builtin_ctzll(bits)));
      }
    }
    EXPECT_EQ(got_marked, want_marked);

    const size_t k = 1 + rng() % 25;
    const double bound = rng() % 2 ? radius : std::numeric_limits<double>::infinity();
    auto got_nearest = indexes.Nearest(center, k, accept, bound);
    auto want_nearest = oracle.geo->Nearest(center, k, accept, bound);
    ASSERT_TRUE(got_nearest.ok() && want_nearest.ok());
    ExpectSameHits(*got_nearest, *want_nearest);

    GeoBox box{center.lat - 5, center.lon - 8, center.lat + 5, center.lon + 8};
    if (box.west < -180) box.west += 360;  // crosses the antimeridian
    if (box.east > 180) box.east -= 360;
    auto got_box = indexes.Box(box, accept);
    auto want_box = oracle.geo->Box(box, accept);
    ASSERT_TRUE(got_box.ok() && want_box.ok());
    std::sort(want_box->begin(), want_box->end());
    EXPECT_EQ(*got_box, *want_box);

    const std::string text = RandomQueryText(rng);
    SCOPED_TRACE("text \"" + text + "\"");
    auto query = text::ParseTextQuery(text);
    if (!query.ok()) continue;
    text::QueryStats stats(oracle.text.options().fields.size(), query->words.size());
    oracle.text.CollectStats(*query, &stats);
    EXPECT_EQ(indexes.TextMatches(*query), oracle.text.Match(*query, stats));
    const size_t text_k = 1 + rng() % 30;
    text::TopKResult got_top = indexes.TextTopK(*query, text_k, accept);
    text::TopKResult want_top = oracle.text.Search(*query, text_k, accept);
    EXPECT_EQ(got_top.hits, want_top.hits);
    EXPECT_EQ(got_top.total, want_top.total);
    // Every matchable document, without a predicate (stale base entries
    // masked by a bitmap).
    text::TopKResult got_all = indexes.TextTopK(*query, text_k);
    text::TopKResult want_all = oracle.text.Search(*query, text_k);
    EXPECT_EQ(got_all.hits, want_all.hits);
    EXPECT_EQ(got_all.total, want_all.total);
    // `accept` as a bitmap of allowed ids, sometimes cut short (ids past its
    // end are not allowed).
    const uint32_t id_limit = oracle.id_limit;
    std::vector<uint64_t> allowed((id_limit + 63) / 64, 0);
    for (uint32_t doc = 0; doc < id_limit; ++doc) {
      if (accept(doc)) allowed[doc / 64] |= uint64_t{1} << (doc % 64);
    }
    if (rng() % 3 == 0 && !allowed.empty()) allowed.resize(rng() % allowed.size());
    auto in_bitmap = [&](uint32_t doc) {
      return doc / 64 < allowed.size() && ((allowed[doc / 64] >> (doc % 64)) & 1) != 0;
    };
    SCOPED_TRACE(testing::Message() << "bitmap of " << allowed.size() << " words");
    text::TopKResult got_bits = indexes.TextTopK(*query, text_k, allowed);
    text::TopKResult want_bits = oracle.text.Search(*query, text_k, in_bitmap);
    EXPECT_EQ(got_bits.hits, want_bits.hits);
    EXPECT_EQ(got_bits.total, want_bits.total);
  }
}

// A random stream of changes on a random catalog; after each publish the
// snapshot must equal the oracle, and earlier snapshots must still answer
// as they did.
void RunStream(uint64_t seed, EngineWriterOptions options, bool wait_for_merges) {
  SCOPED_TRACE(testing::Message() << "seed " << seed);
  std::mt19937_64 rng(seed);
  const uint64_t leaders = 4 + rng() % 12;
  uint64_t tours = 50 + rng() % 250;
  EngineWriter writer(options);
  // Anchors: leader 0 and tour 0 (led by leader 0) hold every word and never
  // change, so the vocabulary stays the same.
  LeaderRecord anchor_leader = RandomLeader(rng, 0);
  anchor_leader.is_active = true;
  anchor_leader.bio = testing_corpus::AllWords();
  ASSERT_TRUE(writer.UpsertLeader(anchor_leader).ok());
  TourRecord anchor_tour = RandomTour(rng, 0, 1);
  anchor_tour.is_active = true;
  anchor_tour.description = testing_corpus::AllWords();
  ASSERT_TRUE(writer.UpsertTour(anchor_tour).ok());
  for (uint64_t n = 1; n < leaders; ++n) ASSERT_TRUE(writer.UpsertLeader(RandomLeader(rng, n)).ok());
  std::map<uint64_t, TourRecord> records;  // the current tours, to move them
  for (uint64_t n = 1; n < tours; ++n) {
    records[n] = RandomTour(rng, n, leaders);
    ASSERT_TRUE(writer.UpsertTour(records[n]).ok());
  }
  auto first = writer.Publish(1);
  ASSERT_TRUE(first.ok()) << first.status();
  std::vector<std::shared_ptr<const Snapshot>> kept = {*first};

  for (int batch = 0; batch < 40; ++batch) {
    SCOPED_TRACE(testing::Message() << "batch " << batch);
    const int changes = 1 + static_cast<int>(rng() % 12);
    for (int c = 0; c < changes; ++c) {
      const uint64_t tour = 1 + rng() % (tours - 1);
      const uint64_t leader = 1 + rng() % (leaders - 1);
      std::mt19937_64 record_rng(rng());
      switch (rng() % 10) {
        case 0:
        case 1:  // a move: only the location changes
          if (auto it = records.find(tour); it != records.end()) {
            it->second.location = testing_corpus::RandomLocation(record_rng);
            ASSERT_TRUE(writer.UpsertTour(it->second).ok());
          }
          break;
        case 2:
          ASSERT_TRUE(writer.DeleteTour(TourId(tour)).ok());
          records.erase(tour);
          break;
        case 3: {  // a new tour
          TourRecord added = RandomTour(record_rng, tours, leaders);
          records[tours++] = added;
          ASSERT_TRUE(writer.UpsertTour(std::move(added)).ok());
          break;
        }
        case 4:  // leader text, location or activity (hides or shows its tours)
          ASSERT_TRUE(writer.UpsertLeader(RandomLeader(record_rng, leader)).ok());
          break;
        case 5:
          if (rng() % 3 == 0) {
            ASSERT_TRUE(writer.DeleteLeader(LeaderId(leader)).ok());
          }
          break;
        default: {  // text, location, activity, leader: anything
          TourRecord changed = RandomTour(record_rng, tour, leaders);
          records[tour] = changed;
          ASSERT_TRUE(writer.UpsertTour(std::move(changed)).ok());
          break;
        }
      }
    }
    if (wait_for_merges && rng() % 3 == 0) writer.WaitForMerge();
    auto snap = writer.Publish(static_cast<uint64_t>(batch) + 2);
    ASSERT_TRUE(snap.ok()) << snap.status();
    EXPECT_EQ((*snap)->as_of(), static_cast<uint64_t>(batch) + 2);
    {
      SCOPED_TRACE("tours");
      ExpectSameAnswers((*snap)->tours(), Oracle((*snap)->catalog(), DocumentKind::kTour), rng, 6);
    }
    {
      SCOPED_TRACE("leaders");
      ExpectSameAnswers((*snap)->leaders(), Oracle((*snap)->catalog(), DocumentKind::kLeader), rng,
                        3);
    }
    if (rng() % 4 == 0) kept.push_back(*snap);
  }
  EXPECT_GT(writer.stats().merges_completed, 0u);
  // Old snapshots still answer as indexes over their own catalogs.
  for (size_t i = 0; i < kept.size(); ++i) {
    SCOPED_TRACE(testing::Message() << "kept snapshot " << i);
    ExpectSameAnswers(kept[i]->tours(), Oracle(kept[i]->catalog(), DocumentKind::kTour), rng, 4);
    ExpectSameAnswers(kept[i]->leaders(), Oracle(kept[i]->catalog(), DocumentKind::kLeader), rng,
                      2);
  }
}

uint64_t BaseSeed() {
  const uint64_t seed = std::random_device{}();
  std::printf("snapshot_test base seed %llu\n", static_cast<unsigned long long>(seed));
  return seed;
}

TEST(SnapshotTest, BaseOnlySnapshotEqualsIndexesOverItsCatalog) {
  const uint64_t seed = BaseSeed();
  for (uint64_t i = 0; i < 5; ++i) {
    std::mt19937_64 rng(seed + i);
    SCOPED_TRACE(testing::Message() << "seed " << seed + i);
    EngineWriter writer;
    for (uint64_t n = 0; n < 10; ++n) ASSERT_TRUE(writer.UpsertLeader(RandomLeader(rng, n)).ok());
    for (uint64_t n = 0; n < 400; ++n) ASSERT_TRUE(writer.UpsertTour(RandomTour(rng, n, 10)).ok());
    auto snap = writer.Publish(7);
    ASSERT_TRUE(snap.ok());
    EXPECT_EQ((*snap)->tours().delta_size(), 0u);
    ExpectSameAnswers((*snap)->tours(), Oracle((*snap)->catalog(), DocumentKind::kTour), rng, 20);
    ExpectSameAnswers((*snap)->leaders(), Oracle((*snap)->catalog(), DocumentKind::kLeader), rng,
                      10);
  }
}

TEST(SnapshotTest, DeltasEqualIndexesOverTheCatalogWithSynchronousMerges) {
  const uint64_t seed = BaseSeed();
  EngineWriterOptions options;
  options.merge_min_changes = 30;
  options.merge_max_changes = 30;
  options.background_merge = false;
  for (uint64_t i = 0; i < 6; ++i) RunStream(seed + i, options, false);
}

TEST(SnapshotTest, DeltasEqualIndexesOverTheCatalogWithBackgroundMerges) {
  const uint64_t seed = BaseSeed();
  EngineWriterOptions options;
  options.merge_min_changes = 20;
  options.merge_max_changes = 20;
  for (uint64_t i = 0; i < 6; ++i) RunStream(seed + 1000 + i, options, true);
}

TEST(SnapshotTest, DeltasWithoutMergesStayExact) {
  const uint64_t seed = BaseSeed();
  EngineWriterOptions options;
  options.merge_min_changes = 1'000'000;
  options.merge_max_changes = 1'000'000;
  for (uint64_t i = 0; i < 3; ++i) {
    std::mt19937_64 rng(seed + 2000 + i);
    SCOPED_TRACE(testing::Message() << "seed " << seed + 2000 + i);
    EngineWriter writer(options);
    for (uint64_t n = 0; n < 5; ++n) {
      LeaderRecord leader = RandomLeader(rng, n);
      leader.is_active = true;
      ASSERT_TRUE(writer.UpsertLeader(leader).ok());
    }
    TourRecord anchor = RandomTour(rng, 0, 1);
    anchor.is_active = true;
    anchor.description = testing_corpus::AllWords();
    ASSERT_TRUE(writer.UpsertTour(anchor).ok());
    for (uint64_t n = 1; n < 200; ++n) ASSERT_TRUE(writer.UpsertTour(RandomTour(rng, n, 5)).ok());
    ASSERT_TRUE(writer.Publish(1).ok());
    for (int batch = 0; batch < 30; ++batch) {
      for (int c = 0; c < 5; ++c) {
        ASSERT_TRUE(writer.UpsertTour(RandomTour(rng, 1 + rng() % 199, 5)).ok());
      }
      auto snap = writer.Publish(2);
      ASSERT_TRUE(snap.ok());
      EXPECT_LE((*snap)->tours().delta_segment_count(), 12u);
      ExpectSameAnswers((*snap)->tours(), Oracle((*snap)->catalog(), DocumentKind::kTour), rng, 4);
    }
    EXPECT_EQ(writer.stats().merges_completed, 0u);
  }
}

// ForEachUserTraits visits exactly the users with current traits, each once
// with its latest traits, in every published version (old ones included).
TEST(SnapshotTest, ForEachUserTraitsVisitsEveryUserWithTraitsOnce) {
  const uint64_t seed = BaseSeed();
  std::mt19937_64 rng(seed + 3000);
  SCOPED_TRACE(testing::Message() << "seed " << seed + 3000);
  using Expected = std::map<Uuid, float>;  // user -> value of its one trait
  auto visited = [](const Snapshot& snap) {
    Expected seen;
    size_t calls = 0;
    snap.ForEachUserTraits([&](const Uuid& user, const StoredUserTraits& traits) {
      ++calls;
      EXPECT_EQ(snap.user_traits(user), &traits);
      if (traits.traits.size() == 1) seen[user] = traits.traits[0].second;
    });
    EXPECT_EQ(calls, seen.size());
    return seen;
  };
  EngineWriter writer;
  EXPECT_TRUE(visited(**writer.Publish(1)).empty());
  Expected expected;
  std::vector<std::pair<std::shared_ptr<const Snapshot>, Expected>> versions;
  for (int round = 0; round < 20; ++round) {
    for (int change = 0; change < 200; ++change) {
      const Uuid user = testing_records::TestUuid(0x0b, rng() % 3000);
      if (rng() % 4 == 0) {
        writer.RemoveUserTraits(user);
        expected.erase(user);
      } else {
        const float value = static_cast<float>(rng() % 101) / 100.0f;
        const NamedTrait traits[] = {{"social", value}};
        ASSERT_TRUE(writer.SetUserTraits(user, traits).ok());
        expected[user] = value;
      }
    }
    auto snap = writer.Publish(2 + static_cast<uint64_t>(round));
    ASSERT_TRUE(snap.ok());
    versions.emplace_back(*snap, expected);
  }
  for (size_t i = 0; i < versions.size(); ++i) {
    SCOPED_TRACE(testing::Message() << "version " << i);
    EXPECT_EQ(visited(*versions[i].first), versions[i].second);
  }
}

}  // namespace
}  // namespace otter::engine
