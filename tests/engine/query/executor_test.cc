// The executor against a brute-force reference written out here: every
// document of the snapshot's catalog scanned, conditions applied as the spec
// states them, exact geodesic distances, compatibility in double, the rank
// expression written out; randomized requests with a printed seed.

#include "engine/query/executor.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "engine/catalog/buckets.h"
#include "engine/geodesy.h"
#include "engine/query/sort_key.h"
#include "engine/text/text_query.h"
#include "gtest/gtest.h"
#include "tests/engine/query/query_test_data.h"

namespace otter::engine::query {
namespace {

using testing_data::TestData;

// One document of the reference answer with its sort values.
struct RefHit {
  uint32_t doc = 0;
  std::vector<double> values;
  double distance_m = 0;
  double compatibility = 0;
};

std::vector<std::string> Words(const std::string& text) {
  std::vector<std::string> words;
  std::string word;
  for (char c : text + " ") {
    if (std::isalnum(static_cast<unsigned char>(c))) {
      word.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    } else if (!word.empty()) {
      words.push_back(word);
      word.clear();
    }
  }
  return words;
}

double Compatibility(const std::vector<std::pair<std::string, double>>& user,
                     const std::vector<std::pair<std::string, double>>* leader) {
  double sum = 0;
  for (const auto& [name, u] : user) {
    double l = 0.5;
    if (leader != nullptr) {
      for (const auto& [lname, lv] : *leader) {
        if (lname == name) l = lv;
      }
    }
    sum += (u - l) * (u - l);
  }
  return 100 * (1 - std::sqrt(sum / static_cast<double>(user.size())));
}

// The raw signals of one reference hit.
struct RefSignals {
  double text_score = 0;
  double distance_km = 0;
  double compatibility = 0;
  double rating = 0;
  double total_reviews = 0;
};

class Reference {
 public:
  explicit Reference(const TestData& data) : data_(data), catalog_(data.snapshot->catalog()) {
    for (size_t n = 0; n < data.leaders.size(); ++n) leader_n_[*catalog_.FindLeader(data.leaders[n].id)] = n;
  }

  // Every matching document in the request's order.
  std::vector<RefHit> Run(const SearchRequest& r, std::vector<SortTier>* tiers_out) const {
    const bool tours = r.index == IndexKind::kTours;
    std::optional<text::TextQuery> query;
    std::map<uint32_t, double> text_scores;
    if (r.q) {
      query = *text::ParseTextQuery(*r.q);
      const DocumentIndexes& idx = tours ? data_.snapshot->tours() : data_.snapshot->leaders();
      for (const text::ScoredDoc& m : idx.TextMatches(*query)) text_scores[m.doc] = m.score;
    }
    std::vector<std::pair<std::string, double>> user;
    if (r.personality) {
      user = r.personality->user_id
                 ? data_.user_traits.at(r.personality->user_id->bytes()[15])
                 : r.personality->traits;
    }
    std::vector<RefHit> hits;
    std::vector<RefSignals> raws;
    const uint32_t limit = tours ? catalog_.tour_id_limit() : catalog_.leader_id_limit();
    for (uint32_t doc = 0; doc < limit; ++doc) {
      const TourRecord* tour = tours ? catalog_.tour(doc) : nullptr;
      const uint32_t leader_doc = tours ? catalog_.tour_leader(doc) : doc;
      const LeaderRecord* leader = catalog_.leader(leader_doc);
      if (tours && (tour == nullptr || !tour->is_active)) continue;
      if (leader == nullptr || !leader->is_active) continue;
      if (!PassesFilters(r, tour, *leader)) continue;
      const std::optional<LatLon> location = tours ? tour->location : leader->location;
      RefHit hit;
      hit.doc = doc;
      if (r.near) {
        if (!location) continue;
        hit.distance_m = GeodesicDistance(LatLon{r.near->lat, r.near->lon}, *location);
        if (hit.distance_m > r.near->radius_km * 1000) continue;
      }
      if (r.bbox) {
        if (!location || location->lat < r.bbox->south || location->lat > r.bbox->north) continue;
        const double lon = location->lon;
        const bool in = r.bbox->west <= r.bbox->east ? lon >= r.bbox->west && lon <= r.bbox->east
                                                     : lon >= r.bbox->west || lon <= r.bbox->east;
        if (!in) continue;
      }
      double text_score = 0;
      if (query) {
        // The naive check: every query word appears among the document's words.
        const std::vector<std::string> words = Words(
            tours ? tour->title + " " + tour->description + " " + tour->category + " " +
                        tour->city + " " + tour->country + " " + tour->tags[0]
                  : leader->display_name + " " + leader->city + " " + leader->bio);
        bool all = true;
        for (const text::QueryWord& w : query->words) {
          all = all && std::find(words.begin(), words.end(), w.word) != words.end();
        }
        EXPECT_EQ(all, text_scores.count(doc) == 1) << "text index disagrees on doc " << doc;
        if (!all) continue;
        text_score = text_scores.count(doc) ? text_scores.at(doc) : 0;
      }
      if (r.personality) {
        const auto it = data_.leader_traits.find(leader_n_.at(leader_doc));
        hit.compatibility = Compatibility(user, it == data_.leader_traits.end() ? nullptr : &it->second);
      }
      raws.push_back(RefSignals{text_score, hit.distance_m / 1000, hit.compatibility,
                                (tours ? tour->average_rating_x100 : leader->average_rating_x100) / 100.0,
                                static_cast<double>(tours ? tour->total_reviews : leader->total_reviews)});
      hits.push_back(hit);
    }
    // The order, as the spec defines it.
    std::vector<SortTier> tiers;
    std::optional<RankSpec> rank = r.rank;
    if (!rank && r.sort.empty() && r.q && r.near && r.personality) {
      rank = RankSpec{1.0, DistanceDecaySpec{"gauss", std::max(1.0, r.near->radius_km / 2), 0, 0.5, 0.5},
                      0.5, std::nullopt, std::nullopt};
    }
    if (rank) tiers.push_back({SortKey::kRank, true});
    for (const SortSpec& s : r.sort) tiers.push_back({*ParseSortKey(s.key), IsDescending(*ParseSortKey(s.key), s.order)});
    if (tiers.empty()) {
      tiers.push_back(r.q ? SortTier{SortKey::kRelevance, true}
                      : r.near ? SortTier{SortKey::kDistance, false}
                      : r.personality ? SortTier{SortKey::kCompatibility, true}
                                      : SortTier{SortKey::kPopularity, true});
    }
    double max_text = 0, max_reviews = 0;
    for (const RefSignals& raw : raws) {
      max_text = std::max(max_text, raw.text_score);
      max_reviews = std::max(max_reviews, raw.total_reviews);
    }
    for (size_t i = 0; i < hits.size(); ++i) {
      const RefSignals& raw = raws[i];
      double rank_value = 0;
      if (rank) {
        if (rank->text) rank_value += *rank->text * (max_text > 0 ? raw.text_score / max_text : 0);
        if (rank->distance) {
          const DistanceDecaySpec& d = *rank->distance;
          const double x = std::max(0.0, raw.distance_km - d.offset_km);
          double v;
          if (d.decay == "gauss") {
            v = std::exp(-x * x * -std::log(d.decay_at_scale) / (d.scale_km * d.scale_km));
          } else if (d.decay == "exp") {
            v = std::pow(d.decay_at_scale, x / d.scale_km);
          } else {
            v = std::max(0.0, 1 - x * (1 - d.decay_at_scale) / d.scale_km);
          }
          rank_value += d.weight * v;
        }
        if (rank->compatibility) rank_value += *rank->compatibility * raw.compatibility / 100;
        if (rank->rating) rank_value += *rank->rating * raw.rating / 5;
        if (rank->popularity && max_reviews > 0) {
          rank_value += *rank->popularity * std::log1p(raw.total_reviews) / std::log1p(max_reviews);
        }
      }
      for (const SortTier& t : tiers) {
        const uint32_t doc = hits[i].doc;
        double v = 0;
        switch (t.key) {
          case SortKey::kRelevance: v = raw.text_score; break;
          case SortKey::kDistance: v = hits[i].distance_m; break;
          case SortKey::kPrice: v = static_cast<double>(tours ? catalog_.tour(doc)->price_cents : catalog_.leader(doc)->hourly_rate_cents); break;
          case SortKey::kRating: v = raw.rating * 100; break;
          case SortKey::kCompatibility: v = raw.compatibility; break;
          case SortKey::kNewest: v = static_cast<double>(tours ? catalog_.tour(doc)->created_at_us : catalog_.leader(doc)->created_at_us); break;
          case SortKey::kPopularity: v = raw.total_reviews; break;
          case SortKey::kRank: v = rank_value; break;
        }
        hits[i].values.push_back(v);
      }
    }
    std::sort(hits.begin(), hits.end(), [&](const RefHit& a, const RefHit& b) {
      for (size_t t = 0; t < tiers.size(); ++t) {
        if (std::round(a.values[t] * 1e6) != std::round(b.values[t] * 1e6)) {
          return tiers[t].descending ? a.values[t] > b.values[t] : a.values[t] < b.values[t];
        }
      }
      return a.doc < b.doc;
    });
    *tiers_out = tiers;
    return hits;
  }

 private:
  static bool HasCode(const LeaderRecord& leader, const std::string& code) {
    for (const LeaderLanguage& l : leader.languages) {
      if (l.code == code) return true;
    }
    return false;
  }

  bool PassesFilters(const SearchRequest& r, const TourRecord* tour, const LeaderRecord& leader) const {
    const LeaderFilterSpec& lf = tour ? r.tour_filters.leader : r.leader_filters.leader;
    if (!lf.languages_any.empty()) {
      bool any = false;
      for (const std::string& code : lf.languages_any) any = any || HasCode(leader, code);
      if (!any) return false;
    }
    if (lf.verified_only && !leader.is_verified) return false;
    if (tour != nullptr) {
      const TourFilterSpec& f = r.tour_filters;
      if (!f.categories.empty() &&
          std::find(f.categories.begin(), f.categories.end(), tour->category) == f.categories.end()) {
        return false;
      }
      if (f.price_min_cents && tour->price_cents < *f.price_min_cents) return false;
      if (f.price_max_cents && tour->price_cents > *f.price_max_cents) return false;
      if (f.rating_min && tour->average_rating_x100 < *f.rating_min * 100 - 1e-9) return false;
      return true;
    }
    const LeaderSearchFilterSpec& f = r.leader_filters;
    if (f.rating_min && leader.average_rating_x100 < *f.rating_min * 100 - 1e-9) return false;
    if (f.price_min_cents && leader.hourly_rate_cents < *f.price_min_cents) return false;
    if (f.price_max_cents && leader.hourly_rate_cents > *f.price_max_cents) return false;
    return true;
  }

  const TestData& data_;
  const Catalog& catalog_;
  std::map<uint32_t, size_t> leader_n_;
};

// Whether two reference values are equal up to the engine's documented
// precision (float compatibility, distance estimates).
bool NearlyEqual(double a, double b) {
  return std::abs(a - b) <= 2e-3 + 1e-4 * std::max(std::abs(a), std::abs(b));
}

// Checks that `got` lists the reference hits `want[from, from + got.size())`
// in order, allowing two hits to swap only when the reference sees them as
// near-ties on every tier.
void ExpectSameOrder(const std::vector<SearchHit>& got, const std::vector<RefHit>& want,
                     size_t from, const std::map<uint32_t, const RefHit*>& by_doc,
                     const std::vector<SortTier>& tiers) {
  if (got.empty()) return;
  ASSERT_LE(from + got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    const RefHit& expected = want[from + i];
    if (got[i].doc == expected.doc) continue;
    ASSERT_TRUE(by_doc.count(got[i].doc)) << "hit " << i << ": doc " << got[i].doc << " should not match";
    const RefHit& actual = *by_doc.at(got[i].doc);
    for (size_t t = 0; t < expected.values.size(); ++t) {
      // Compatibility (single precision in the engine), distances
      // (estimates) and the rank built on them are exact only to their
      // precision: a near-tie there leaves the order to precision, and later
      // tiers do not decide it.
      const SortKey key = tiers[t].key;
      const bool imprecise =
          key == SortKey::kCompatibility || key == SortKey::kDistance || key == SortKey::kRank;
      if (actual.values[t] == expected.values[t] && !imprecise) continue;
      EXPECT_TRUE(NearlyEqual(actual.values[t], expected.values[t]))
          << "position " << from + i << ": got doc " << got[i].doc << " want doc " << expected.doc
          << " (tier " << t << ": " << actual.values[t] << " vs " << expected.values[t] << ")";
      break;
    }
  }
}

SearchRequest RandomRequest(std::mt19937_64& rng, const TestData& data) {
  auto pick = [&](size_t n) { return static_cast<size_t>(rng() % n); };
  auto uniform = [&](double lo, double hi) { return std::uniform_real_distribution<>(lo, hi)(rng); };
  SearchRequest r;
  r.index = pick(5) == 0 ? IndexKind::kLeaders : IndexKind::kTours;
  const bool tours = r.index == IndexKind::kTours;
  if (pick(2) == 0) {
    r.q = testing_data::kVocabulary[pick(testing_data::kVocabulary.size())];
    if (tours && pick(3) == 0) *r.q += std::string(" ") + testing_data::kVocabulary[pick(testing_data::kVocabulary.size())];
  }
  if (pick(2) == 0) {
    const auto& city = testing_data::kCities[pick(testing_data::kCities.size())];
    r.near = NearSpec{city.lat + uniform(-0.3, 0.3), city.lon + uniform(-0.3, 0.3), uniform(5, 120)};
  } else if (pick(8) == 0) {
    const auto& city = testing_data::kCities[pick(testing_data::kCities.size())];
    r.bbox = GeoBox{city.lat - 0.5, city.lon - 0.6, city.lat + 0.4, city.lon + 0.7};
    if (r.bbox->east > 180) r.bbox->east -= 360;
  }
  if (pick(2) == 0) {
    if (tours) {
      if (pick(2) == 0) r.tour_filters.categories = {testing_data::kCategories[pick(4)], testing_data::kCategories[pick(4)]};
      if (pick(2) == 0) r.tour_filters.price_max_cents = 5000 + static_cast<int64_t>(pick(50000));
      if (pick(3) == 0) r.tour_filters.rating_min = 3.5;
      if (pick(3) == 0) r.tour_filters.leader.languages_any = {testing_data::kLanguages[pick(5)]};
      if (pick(4) == 0) r.tour_filters.leader.verified_only = true;
    } else {
      if (pick(2) == 0) r.leader_filters.rating_min = 4;
      if (pick(2) == 0) r.leader_filters.price_max_cents = 6000;
      if (pick(2) == 0) r.leader_filters.leader.languages_any = {"en"};
    }
  }
  if (pick(5) < 2) {
    PersonalitySpec p;
    if (pick(2) == 0) {
      p.user_id = testing_data::UserId(pick(data.user_traits.size()));
    } else {
      p.traits = {{"adventurous", std::round(uniform(0, 1) * 100) / 100}, {"foodie", 0.25}};
    }
    r.personality = p;
  }
  std::vector<std::string> keys = {"price", "rating", "newest", "popularity"};
  if (r.q) keys.push_back("relevance");
  if (r.near) keys.push_back("distance");
  if (r.personality) keys.push_back("compatibility");
  std::shuffle(keys.begin(), keys.end(), rng);
  const size_t sorts = pick(3);
  for (size_t i = 0; i < sorts; ++i) {
    r.sort.push_back(SortSpec{keys[i], static_cast<SortOrder>(pick(3))});
  }
  if (pick(4) == 0) {
    RankSpec rank;
    if (r.q && pick(2) == 0) rank.text = uniform(0.1, 2);
    if (r.near && pick(2) == 0) {
      static const char* kDecays[] = {"gauss", "exp", "linear"};
      rank.distance = DistanceDecaySpec{kDecays[pick(3)], uniform(1, 40), pick(2) ? 0.0 : uniform(0, 5), uniform(0.2, 0.8), uniform(0.1, 1)};
    }
    if (r.personality && pick(2) == 0) rank.compatibility = uniform(0.1, 1);
    if (pick(2) == 0) rank.rating = uniform(0.1, 1);
    if (pick(2) == 0) rank.popularity = uniform(0.1, 1);
    r.rank = rank;
  }
  if (tours && pick(3) == 0) r.facets = {"category", "price", "duration", "language"};
  r.limit = 1 + static_cast<int>(pick(25));
  r.offset = pick(3) == 0 ? static_cast<int>(pick(30)) : 0;
  r.explain = pick(4) == 0;
  return r;
}

std::string Describe(const SearchRequest& r) {
  std::ostringstream out;
  out << (r.index == IndexKind::kTours ? "tours" : "leaders");
  if (r.q) out << " q=\"" << *r.q << "\"";
  if (r.near) out << " near=(" << r.near->lat << "," << r.near->lon << "," << r.near->radius_km << ")";
  if (r.bbox) out << " bbox";
  if (r.personality) out << " personality";
  for (const SortSpec& s : r.sort) out << " sort=" << s.key << "/" << static_cast<int>(s.order);
  if (r.rank) out << " rank";
  out << " limit=" << r.limit << " offset=" << r.offset;
  return out.str();
}

void ExpectFacets(const TestData& data, const std::vector<RefHit>& hits, const TourFacets& got) {
  const Catalog& catalog = data.snapshot->catalog();
  std::map<std::string, uint32_t> categories, languages;
  std::array<uint32_t, 5> price{}, duration{};
  for (const RefHit& hit : hits) {
    const TourRecord& tour = *catalog.tour(hit.doc);
    ++categories[tour.category];
    ++price[static_cast<size_t>(PriceBucket(tour.price_cents))];
    ++duration[static_cast<size_t>(DurationBucket(tour.duration_days))];
    for (const LeaderLanguage& l : catalog.leader(catalog.tour_leader(hit.doc))->languages) ++languages[l.code];
  }
  std::map<std::string, uint32_t> got_categories, got_languages;
  for (const FacetValue& v : got.categories) got_categories[v.value] = v.count;
  for (const FacetValue& v : got.languages) got_languages[v.value] = v.count;
  EXPECT_EQ(got_categories, categories);
  EXPECT_EQ(got_languages, languages);
  EXPECT_EQ(got.price_buckets, price);
  EXPECT_EQ(got.duration_buckets, duration);
}

// Runs `request` and checks total, page, distances, compatibility, facets
// and paging through every hit with the cursor against the reference.
void ExpectMatchesReference(const TestData& data, const Reference& reference,
                            const QueryExecutor& executor, const SearchRequest& request);

TEST(QueryExecutorTest, RandomRequestsMatchBruteForceWithPaging) {
  // OTTER_TEST_SEED=<n> replays a printed seed.
  const char* fixed = std::getenv("OTTER_TEST_SEED");
  const uint32_t seed = fixed != nullptr ? static_cast<uint32_t>(std::strtoul(fixed, nullptr, 10))
                                         : std::random_device{}();
  SCOPED_TRACE(::testing::Message() << "seed " << seed);
  std::printf("QueryExecutorTest seed %u\n", seed);
  const TestData data = testing_data::BuildTestData(seed, 60, 900);
  ASSERT_NE(data.snapshot, nullptr);
  const Reference reference(data);
  const QueryExecutor executor;
  std::mt19937_64 rng(seed);
  for (int round = 0; round < 300; ++round) {
    const SearchRequest request = RandomRequest(rng, data);
    SCOPED_TRACE(::testing::Message() << "round " << round << ": " << Describe(request));
    ExpectMatchesReference(data, reference, executor, request);
    if (::testing::Test::HasFatalFailure()) return;
  }
}

// The executor's top-k paths (geo nearest with a counted total, the
// scorer's top-k merged with leaders without traits) with the conditions
// they accept, many times each, against the same reference.
TEST(QueryExecutorTest, TopKPathsMatchBruteForceWithPaging) {
  const char* fixed = std::getenv("OTTER_TEST_SEED");
  const uint32_t seed = fixed != nullptr ? static_cast<uint32_t>(std::strtoul(fixed, nullptr, 10))
                                         : std::random_device{}();
  SCOPED_TRACE(::testing::Message() << "seed " << seed);
  std::printf("QueryExecutorTest.TopKPaths seed %u\n", seed);
  const TestData data = testing_data::BuildTestData(seed, 80, 900);
  ASSERT_NE(data.snapshot, nullptr);
  const Reference reference(data);
  const QueryExecutor executor;
  std::mt19937_64 rng(seed);
  auto pick = [&](size_t n) { return static_cast<size_t>(rng() % n); };
  auto uniform = [&](double lo, double hi) { return std::uniform_real_distribution<>(lo, hi)(rng); };
  for (int round = 0; round < 120; ++round) {
    SearchRequest r;
    r.limit = 1 + static_cast<int>(pick(25));
    r.offset = pick(3) == 0 ? static_cast<int>(pick(30)) : 0;
    r.explain = pick(4) == 0;
    if (round % 2 == 0) {
      // Leaders by compatibility: a quarter of them have no traits.
      r.index = IndexKind::kLeaders;
      PersonalitySpec p;
      if (pick(2) == 0) {
        p.user_id = testing_data::UserId(pick(data.user_traits.size()));
      } else {
        // Every trait at 0.5 makes leaders without traits tie with some.
        p.traits = {{"adventurous", pick(3) == 0 ? 0.5 : std::round(uniform(0, 1) * 100) / 100},
                    {"foodie", pick(2) == 0 ? 0.5 : 0.25}};
      }
      r.personality = p;
      if (pick(2) == 0) r.leader_filters.rating_min = 4;
      if (pick(3) == 0) r.leader_filters.leader.languages_any = {"en"};
    } else {
      // Tours near a point, by distance, optionally filtered, some with a
      // personality (compatibility on the hits only).
      const auto& city = testing_data::kCities[pick(testing_data::kCities.size())];
      r.near = NearSpec{city.lat + uniform(-0.3, 0.3), city.lon + uniform(-0.3, 0.3),
                        pick(4) == 0 ? uniform(0, 3) : uniform(5, 150)};
      if (pick(2) == 0) r.tour_filters.price_max_cents = 5000 + static_cast<int64_t>(pick(50000));
      if (pick(3) == 0) r.tour_filters.categories = {testing_data::kCategories[pick(4)]};
      if (pick(3) == 0) r.personality = PersonalitySpec{testing_data::UserId(pick(4)), {}};
      if (pick(3) == 0) r.sort.push_back(SortSpec{"distance", SortOrder::kAscending});
    }
    SCOPED_TRACE(::testing::Message() << "round " << round << ": " << Describe(r));
    ExpectMatchesReference(data, reference, executor, r);
    if (::testing::Test::HasFatalFailure()) return;
  }
}

void ExpectMatchesReference(const TestData& data, const Reference& reference,
                            const QueryExecutor& executor, const SearchRequest& request) {
  {
    std::vector<SortTier> tiers;
    const std::vector<RefHit> want = reference.Run(request, &tiers);
    std::map<uint32_t, const RefHit*> by_doc;
    for (const RefHit& hit : want) by_doc[hit.doc] = &hit;
    const absl::StatusOr<SearchResponse> got = executor.Search(*data.snapshot, request);
    ASSERT_TRUE(got.ok()) << got.status();
    ASSERT_EQ(got->total, want.size());
    const size_t expected_hits =
        std::min<size_t>(request.limit, want.size() > static_cast<size_t>(request.offset) ? want.size() - request.offset : 0);
    ASSERT_EQ(got->hits.size(), expected_hits);
    ExpectSameOrder(got->hits, want, static_cast<size_t>(request.offset), by_doc, tiers);
    for (const SearchHit& hit : got->hits) {
      if (!by_doc.count(hit.doc)) continue;
      const RefHit& ref = *by_doc.at(hit.doc);
      if (request.near) {
        ASSERT_TRUE(hit.distance_km.has_value());
        EXPECT_NEAR(*hit.distance_km * 1000, ref.distance_m, 1e-3 * ref.distance_m + 1e-6);
      }
      if (request.personality) {
        EXPECT_NEAR(*hit.compatibility, ref.compatibility, 1e-3);
      }
      if (request.explain) {
        ASSERT_TRUE(hit.explain.has_value());
        EXPECT_EQ(hit.explain->tiers, tiers);
      }
      EXPECT_EQ(hit.id, request.index == IndexKind::kTours ? hit.tour->id : hit.leader->id);
    }
    if (!request.facets.empty()) {
      ASSERT_TRUE(got->facets.has_value());
      ExpectFacets(data, want, *got->facets);
    }
    if (request.explain) {
      EXPECT_TRUE(got->plan.has_value());
    }
    // Paging through everything with the cursor yields the full list.
    SearchRequest page = request;
    page.offset = 0;
    std::vector<SearchHit> all;
    std::set<uint32_t> seen;
    for (int pages = 0; pages < 1000; ++pages) {
      const absl::StatusOr<SearchResponse> next = executor.Search(*data.snapshot, page);
      ASSERT_TRUE(next.ok()) << next.status();
      EXPECT_EQ(next->total, want.size());
      for (const SearchHit& hit : next->hits) {
        EXPECT_TRUE(seen.insert(hit.doc).second) << "doc " << hit.doc << " twice";
        all.push_back(hit);
      }
      if (!next->next) break;
      page.cursor = *next->next;
    }
    ASSERT_EQ(all.size(), want.size());
    ExpectSameOrder(all, want, 0, by_doc, tiers);
  }
}

TEST(QueryExecutorTest, ScoreGetMatchAndSuggest) {
  const TestData data = testing_data::BuildTestData(7, 30, 200);
  const QueryExecutor executor;
  ScoreRequest score;
  score.personality.user_id = testing_data::UserId(1);
  score.leader_ids = {testing_data::LeaderId(3), testing_data::TestUuid(0x99, 1)};
  const absl::StatusOr<ScoreResponse> scored = executor.Score(*data.snapshot, score);
  ASSERT_TRUE(scored.ok()) << scored.status();
  ASSERT_EQ(scored->scores.size(), 2u);
  EXPECT_EQ(scored->scores[0].found, data.leaders[3].is_active);
  if (scored->scores[0].found) {
    const auto it = data.leader_traits.find(3);
    EXPECT_NEAR(scored->scores[0].compatibility,
                Compatibility(data.user_traits.at(1), it == data.leader_traits.end() ? nullptr : &it->second), 1e-3);
  }
  EXPECT_FALSE(scored->scores[1].found);

  const absl::StatusOr<SearchHit> got = executor.Get(*data.snapshot, GetRequest{IndexKind::kTours, testing_data::TourId(5)});
  const bool matchable = data.tours[5].is_active &&
                         data.snapshot->catalog().leader_active(data.snapshot->catalog().tour_leader(*data.snapshot->catalog().FindTour(testing_data::TourId(5))));
  ASSERT_EQ(got.ok(), matchable) << got.status();
  if (got.ok()) {
    EXPECT_EQ(got->tour->title, data.tours[5].title);
  }
  const absl::StatusOr<SearchHit> missing = executor.Get(*data.snapshot, GetRequest{IndexKind::kLeaders, testing_data::TestUuid(0x99, 2)});
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);

  MatchRequest match;
  match.personality.traits = {{"social", 0.9}};
  match.limit = 5;
  const absl::StatusOr<SearchResponse> matched = executor.Match(*data.snapshot, match);
  ASSERT_TRUE(matched.ok()) << matched.status();
  ASSERT_FALSE(matched->hits.empty());
  for (size_t i = 1; i < matched->hits.size(); ++i) {
    EXPECT_GE(*matched->hits[i - 1].compatibility, *matched->hits[i].compatibility);
  }

  const absl::StatusOr<SuggestResponse> suggested =
      executor.Suggest(*data.snapshot, SuggestRequest{IndexKind::kTours, "volc", 5});
  ASSERT_TRUE(suggested.ok());
  ASSERT_FALSE(suggested->suggestions.empty());
  EXPECT_EQ(suggested->suggestions[0].word, "volcano");
}

TEST(QueryExecutorTest, UnknownUserAndBadCursorAreErrors) {
  const TestData data = testing_data::BuildTestData(11, 10, 50);
  const QueryExecutor executor;
  SearchRequest request;
  request.personality = PersonalitySpec{testing_data::UserId(77), {}};
  EXPECT_EQ(executor.Search(*data.snapshot, request).status().code(), absl::StatusCode::kNotFound);
  SearchRequest bad;
  bad.cursor = "not a cursor";
  const absl::Status status = executor.Search(*data.snapshot, bad).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(), "cursor is malformed");
  // A cursor of one order does not continue another.
  SearchRequest by_price;
  by_price.sort = {SortSpec{"price", SortOrder::kDefault}};
  by_price.limit = 2;
  const absl::StatusOr<SearchResponse> first = executor.Search(*data.snapshot, by_price);
  ASSERT_TRUE(first.ok() && first->next.has_value());
  SearchRequest by_rating;
  by_rating.sort = {SortSpec{"rating", SortOrder::kDefault}};
  by_rating.cursor = first->next;
  EXPECT_EQ(executor.Search(*data.snapshot, by_rating).status().message(),
            "cursor belongs to a query with a different order");
}

}  // namespace
}  // namespace otter::engine::query
