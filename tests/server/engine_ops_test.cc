// EngineOps end to end without a database: JSON request lines through the
// request parser and the dispatcher into the engine ops, over a snapshot
// that EngineWriter built from generated tours, leaders, schedules and
// traits. Each reply is parsed back and compared with the QueryExecutor
// called directly with the equivalent C++ request (ids, order, totals,
// scores, facets, cursors), and each hit's stored fields with the records
// the snapshot was built from.

#include "server/engine_ops.h"

#include <array>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "simdjson.h"
#include "engine/catalog/buckets.h"
#include "engine/catalog/civil_day.h"
#include "engine/engine_writer.h"
#include "engine/query/executor.h"
#include "server/dispatcher.h"
#include "server/hit_json.h"
#include "server/request.h"
#include "server/response_writer.h"
#include "tests/engine/query/query_test_data.h"

namespace otter::server {
namespace {

using engine::LeaderRecord;
using engine::TourRecord;
using engine::Uuid;
using engine::query::IndexKind;
using engine::query::SearchRequest;
using engine::query::SearchResponse;
using engine::query::SortOrder;
using engine::query::testing_data::kCategories;
using engine::query::testing_data::kCities;
using engine::query::testing_data::kLanguages;
using engine::query::testing_data::kTraitNames;
using engine::query::testing_data::kVocabulary;
using engine::query::testing_data::LeaderId;
using engine::query::testing_data::TestUuid;
using engine::query::testing_data::TourId;
using engine::query::testing_data::UserId;
using Json = simdjson::simdjson_result<simdjson::dom::element>;

constexpr uint64_t kAsOf = 42;
constexpr uint64_t kHealthAsOf = 1;  // what health reports: replies must not use it

// The catalog the snapshot holds, by id: the oracle for stored fields.
struct OpsData {
  std::shared_ptr<const engine::Snapshot> snapshot;
  std::map<Uuid, TourRecord> tours;
  std::map<Uuid, LeaderRecord> leaders;
};

std::vector<engine::NamedTrait> RandomTraits(std::mt19937_64& rng) {
  std::vector<engine::NamedTrait> traits;
  for (const char* name : kTraitNames) {
    if (rng() % 3 != 0) traits.push_back({name, static_cast<double>(rng() % 101) / 100});
  }
  if (traits.empty()) traits.push_back({"social", 0.3});
  return traits;
}

// 60 leaders, 400 tours, schedules for a third of them, traits for most
// leaders and three users; published twice, so queries see base and delta.
OpsData BuildOpsData() {
  std::mt19937_64 rng(20270501);
  auto pick = [&](size_t n) { return static_cast<size_t>(rng() % n); };
  auto uniform = [&](double lo, double hi) {
    return std::uniform_real_distribution<>(lo, hi)(rng);
  };
  engine::EngineWriterOptions options;
  options.background_merge = false;
  engine::EngineWriter writer(options);
  OpsData data;
  constexpr int kLeaders = 60;
  constexpr int kTours = 400;
  for (int n = 0; n < kLeaders; ++n) {
    LeaderRecord leader;
    leader.id = LeaderId(n);
    leader.user_id = TestUuid(0x0a, n);
    leader.type = static_cast<engine::LeaderType>(pick(3));
    leader.display_name = absl::StrCat("Guide ", kVocabulary[pick(kVocabulary.size())], " ", n);
    leader.bio = absl::StrCat("Knows every ", kVocabulary[pick(kVocabulary.size())]);
    const auto& city = kCities[pick(kCities.size())];
    leader.city = city.name;
    leader.country = city.country;
    if (pick(10) != 0) {
      leader.location =
          engine::LatLon{city.lat + uniform(-0.5, 0.5), city.lon + uniform(-0.5, 0.5)};
    }
    leader.hourly_rate_cents = 1000 + static_cast<int64_t>(pick(80)) * 135;
    leader.is_verified = pick(2) == 0;
    leader.average_rating_x100 = 300 + static_cast<int32_t>(pick(201));
    leader.total_reviews = static_cast<int32_t>(pick(400));
    leader.created_at_us = 1'600'000'000'000'000 + static_cast<int64_t>(pick(1000)) * 1'000'000;
    leader.is_active = pick(12) != 0;
    leader.languages.push_back({kLanguages[pick(kLanguages.size())], engine::Proficiency::kFluent});
    if (leader.languages[0].code != "en" && pick(2) == 0) {
      leader.languages.push_back({"en", engine::Proficiency::kNative});
    }
    leader.specialties.push_back(kCategories[pick(kCategories.size())]);
    if (pick(3) == 0) leader.specialties.push_back("photography");
    EXPECT_TRUE(writer.UpsertLeader(leader).ok());
    if (pick(4) != 0) {
      EXPECT_TRUE(writer.SetLeaderTraits(leader.id, RandomTraits(rng)).ok());
    }
    data.leaders[leader.id] = leader;
  }
  for (int n = 0; n < kTours; ++n) {
    TourRecord tour;
    tour.id = TourId(n);
    tour.leader_id = LeaderId(pick(kLeaders));
    tour.title = absl::StrCat(kVocabulary[pick(kVocabulary.size())], " ",
                              kVocabulary[pick(kVocabulary.size())], " tour");
    tour.slug = absl::StrCat("tour-", n);
    tour.description = absl::StrCat("A day of ", kVocabulary[pick(kVocabulary.size())]);
    tour.category = kCategories[pick(kCategories.size())];
    tour.tags = {kVocabulary[pick(kVocabulary.size())]};
    tour.price_cents = 995 + static_cast<int64_t>(pick(240)) * 250;
    tour.currency = pick(4) == 0 ? "USD" : "EUR";
    tour.duration_days = static_cast<int32_t>(pick(16));
    if (pick(2) == 0) tour.duration_hours = 1.5 + static_cast<double>(pick(8));
    tour.max_participants = 8 + static_cast<int32_t>(pick(8));
    const auto& city = kCities[pick(kCities.size())];
    tour.city = city.name;
    tour.country = city.country;
    if (pick(20) != 0) {
      tour.location = engine::LatLon{city.lat + uniform(-0.8, 0.8), city.lon + uniform(-0.8, 0.8)};
    }
    if (pick(4) != 0) {
      tour.images = {absl::StrCat("https://img.example/tours/", n, "/1.jpg"),
                     absl::StrCat("https://img.example/tours/", n, "/2.jpg")};
    }
    if (pick(2) == 0) {
      tour.availability_start = engine::DaysFromCivil(2027, 3, 1) + static_cast<int32_t>(pick(90));
      tour.availability_end = *tour.availability_start + 20 + static_cast<int32_t>(pick(90));
      if (pick(3) == 0) tour.blackout_dates = {engine::DaysFromCivil(2027, 5, 3)};
    }
    tour.total_reviews = static_cast<int32_t>(pick(300));
    tour.average_rating_x100 = 250 + static_cast<int32_t>(pick(251));
    tour.is_active = pick(12) != 0;
    tour.created_at_us = 1'600'000'000'000'000 + static_cast<int64_t>(pick(5000)) * 1'000'000;
    EXPECT_TRUE(writer.UpsertTour(tour).ok());
    data.tours[tour.id] = tour;
    if (n % 3 == 0) {
      engine::ScheduleRecord schedule;
      schedule.id = TestUuid(0x5c, static_cast<uint64_t>(n));
      schedule.tour_id = tour.id;
      schedule.start_date = engine::DaysFromCivil(2027, 5, 1) - static_cast<int32_t>(pick(6));
      schedule.end_date = schedule.start_date + 2 + static_cast<int32_t>(pick(10));
      schedule.max_participants = 10;
      schedule.current_participants = static_cast<int32_t>(pick(11));
      schedule.status =
          pick(5) == 0 ? engine::ScheduleStatus::kFull : engine::ScheduleStatus::kOpen;
      EXPECT_TRUE(writer.UpsertSchedule(schedule).ok());
    }
  }
  for (int u = 0; u < 3; ++u) EXPECT_TRUE(writer.SetUserTraits(UserId(u), RandomTraits(rng)).ok());
  EXPECT_TRUE(writer.Publish(kAsOf - 1).ok());
  for (int i = 0; i < 20; ++i) {
    TourRecord& tour = data.tours[TourId(pick(kTours))];
    tour.price_cents += 1234;
    tour.title = absl::StrCat(kVocabulary[pick(kVocabulary.size())], " special");
    EXPECT_TRUE(writer.UpsertTour(tour).ok());
  }
  absl::StatusOr<std::shared_ptr<const engine::Snapshot>> snapshot = writer.Publish(kAsOf);
  EXPECT_TRUE(snapshot.ok()) << snapshot.status();
  if (snapshot.ok()) data.snapshot = *snapshot;
  return data;
}

const OpsData& Data() {
  static const OpsData* data = new OpsData(BuildOpsData());
  return *data;
}

class ReadyHealth final : public HealthProvider {
 public:
  HealthReport Health() const override {
    HealthReport report;
    report.state = HealthState::kReady;
    report.as_of = kHealthAsOf;
    return report;
  }
};

class FakeRecorder final : public SearchRecorder {
 public:
  void Record(SearchRecord record) override { records.push_back(std::move(record)); }
  std::vector<SearchRecord> records;
};

class FakeRecomputer final : public MatchRecomputer {
 public:
  absl::StatusOr<RecomputeTicket> Enqueue(std::vector<Uuid> users, size_t k) override {
    if (refuse) return absl::ResourceExhaustedError("too many recompute jobs are queued");
    calls.emplace_back(users, k);
    return RecomputeTicket{++jobs, users.size(), k, /*queued_before=*/jobs - 1};
  }
  bool refuse = false;
  uint64_t jobs = 0;
  std::vector<std::pair<std::vector<Uuid>, size_t>> calls;
};

std::string Str(Json j) {
  std::string_view s;
  EXPECT_EQ(j.get_string().get(s), simdjson::SUCCESS);
  return std::string(s);
}
double Num(Json j) {
  double d = std::nan("");
  EXPECT_EQ(j.get_double().get(d), simdjson::SUCCESS);
  return d;
}
int64_t Int(Json j) {
  int64_t i = -1;
  EXPECT_EQ(j.get_int64().get(i), simdjson::SUCCESS);
  return i;
}
uint64_t Uint(Json j) {
  uint64_t u = ~uint64_t{0};
  EXPECT_EQ(j.get_uint64().get(u), simdjson::SUCCESS);
  return u;
}
bool Bool(Json j) {
  bool b = false;
  EXPECT_EQ(j.get_bool().get(b), simdjson::SUCCESS);
  return b;
}
bool Has(Json j, std::string_view key) { return j[key].error() == simdjson::SUCCESS; }
size_t Size(Json j) {
  simdjson::dom::array array;
  EXPECT_EQ(j.get_array().get(array), simdjson::SUCCESS);
  return array.size();
}

std::string Quoted(const Uuid& id) { return absl::StrCat("\"", id.ToString(), "\""); }

void ExpectLocation(Json got, const std::optional<engine::LatLon>& want) {
  ASSERT_EQ(Has(got, "location"), want.has_value());
  if (!want.has_value()) return;
  EXPECT_EQ(Num(got["location"]["lat"]), want->lat);
  EXPECT_EQ(Num(got["location"]["lon"]), want->lon);
}

void ExpectTourFields(Json got, const TourRecord& tour) {
  EXPECT_EQ(Str(got["title"]), tour.title);
  EXPECT_EQ(Str(got["slug"]), tour.slug);
  EXPECT_EQ(Str(got["city"]), tour.city);
  EXPECT_EQ(Str(got["country"]), tour.country);
  EXPECT_EQ(Str(got["category"]), tour.category);
  EXPECT_EQ(Num(got["price"]), static_cast<double>(tour.price_cents) / 100);
  EXPECT_EQ(Str(got["currency"]), tour.currency);
  EXPECT_EQ(Int(got["duration_days"]), tour.duration_days);
  EXPECT_EQ(Has(got, "duration_hours"), tour.duration_hours.has_value());
  if (tour.duration_hours) {
    EXPECT_EQ(Num(got["duration_hours"]), *tour.duration_hours);
  }
  EXPECT_EQ(Num(got["rating"]), tour.average_rating_x100 / 100.0);
  EXPECT_EQ(Int(got["reviews"]), tour.total_reviews);
  ExpectLocation(got, tour.location);
  EXPECT_EQ(Has(got, "image"), !tour.images.empty());
  if (!tour.images.empty()) {
    EXPECT_EQ(Str(got["image"]), tour.images.front());
  }
  const LeaderRecord& leader = Data().leaders.at(tour.leader_id);
  EXPECT_EQ(Str(got["leader"]["id"]), leader.id.ToString());
  EXPECT_EQ(Str(got["leader"]["display_name"]), leader.display_name);
}

void ExpectLeaderFields(Json got, const LeaderRecord& leader) {
  EXPECT_EQ(Str(got["display_name"]), leader.display_name);
  EXPECT_EQ(Str(got["type"]), engine::LeaderTypeName(leader.type));
  EXPECT_EQ(Str(got["city"]), leader.city);
  EXPECT_EQ(Str(got["country"]), leader.country);
  ExpectLocation(got, leader.location);
  EXPECT_EQ(Num(got["hourly_rate"]), static_cast<double>(leader.hourly_rate_cents) / 100);
  EXPECT_EQ(Num(got["rating"]), leader.average_rating_x100 / 100.0);
  EXPECT_EQ(Int(got["reviews"]), leader.total_reviews);
  EXPECT_EQ(Bool(got["verified"]), leader.is_verified);
  ASSERT_EQ(Size(got["languages"]), leader.languages.size());
  for (size_t i = 0; i < leader.languages.size(); ++i) {
    EXPECT_EQ(Str(got["languages"].at(i)["code"]), leader.languages[i].code);
    EXPECT_EQ(Str(got["languages"].at(i)["proficiency"]),
              engine::ProficiencyName(leader.languages[i].proficiency));
  }
  ASSERT_EQ(Size(got["specialties"]), leader.specialties.size());
  for (size_t i = 0; i < leader.specialties.size(); ++i) {
    EXPECT_EQ(Str(got["specialties"].at(i)), leader.specialties[i]);
  }
}

// One hit of a reply against the executor's hit and the stored records.
void ExpectHit(Json got, const engine::query::SearchHit& want) {
  EXPECT_EQ(Str(got["id"]), want.id.ToString());
  EXPECT_EQ(Num(got["score"]), want.score);
  EXPECT_EQ(Has(got, "distance_km"), want.distance_km.has_value());
  if (want.distance_km) {
    EXPECT_EQ(Num(got["distance_km"]), *want.distance_km);
  }
  EXPECT_EQ(Has(got, "compatibility"), want.compatibility.has_value());
  if (want.compatibility) {
    EXPECT_EQ(Num(got["compatibility"]), *want.compatibility);
  }
  if (want.tour != nullptr) {
    ExpectTourFields(got, Data().tours.at(want.id));
  } else {
    ExpectLeaderFields(got, Data().leaders.at(want.id));
  }
  EXPECT_EQ(Has(got, "explain"), want.explain.has_value());
  if (!want.explain) return;
  const engine::query::HitExplanation& e = *want.explain;
  ASSERT_EQ(Size(got["explain"]["sort"]), e.tiers.size());
  for (size_t t = 0; t < e.tiers.size(); ++t) {
    Json tier = got["explain"]["sort"].at(t);
    EXPECT_EQ(Str(tier["key"]), engine::query::SortKeyName(e.tiers[t].key));
    EXPECT_EQ(Str(tier["order"]), e.tiers[t].descending ? "desc" : "asc");
    EXPECT_EQ(Num(tier["value"]), e.sort_values[t]);
  }
  ASSERT_EQ(Size(got["explain"]["signals"]), e.signals.size());
  for (size_t s = 0; s < e.signals.size(); ++s) {
    Json signal = got["explain"]["signals"].at(s);
    EXPECT_EQ(Str(signal["name"]), e.signals[s].name);
    EXPECT_EQ(Num(signal["raw"]), e.signals[s].raw);
    EXPECT_EQ(Num(signal["value"]), e.signals[s].value);
    EXPECT_EQ(Num(signal["weight"]), e.signals[s].weight);
    EXPECT_EQ(Num(signal["contribution"]), e.signals[s].contribution);
  }
  EXPECT_EQ(Num(got["explain"]["sum"]), e.sum);
}

void ExpectFacetValues(Json got, const std::vector<engine::FacetValue>& want) {
  ASSERT_EQ(Size(got), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(Str(got.at(i)["value"]), want[i].value);
    EXPECT_EQ(Uint(got.at(i)["count"]), want[i].count);
  }
}

void ExpectBuckets(Json got, const std::array<std::string_view, 5>& labels,
                   const std::array<uint32_t, 5>& want) {
  ASSERT_EQ(Size(got), labels.size());
  for (size_t i = 0; i < labels.size(); ++i) {
    EXPECT_EQ(Str(got.at(i)["value"]), labels[i]);
    EXPECT_EQ(Uint(got.at(i)["count"]), want[i]);
  }
}

// A search or match reply against the executor's response.
void ExpectSameSearch(Json reply, const SearchResponse& want,
                      const std::vector<std::string>& facets) {
  ASSERT_TRUE(Bool(reply["ok"]));
  EXPECT_EQ(Uint(reply["as_of"]), kAsOf);
  EXPECT_EQ(Uint(reply["total"]), want.total);
  ASSERT_EQ(Size(reply["hits"]), want.hits.size());
  for (size_t i = 0; i < want.hits.size(); ++i) {
    SCOPED_TRACE(testing::Message() << "hit " << i);
    ExpectHit(reply["hits"].at(i), want.hits[i]);
  }
  EXPECT_EQ(Has(reply, "next"), want.next.has_value());
  if (want.next) {
    EXPECT_EQ(Str(reply["next"]), *want.next);
  }
  EXPECT_EQ(Has(reply, "facets"), !facets.empty());
  if (!facets.empty()) {
    ASSERT_TRUE(want.facets.has_value());
    for (const std::string& kind : facets) {
      Json got = reply["facets"][kind];
      if (kind == "category") ExpectFacetValues(got, want.facets->categories);
      if (kind == "language") ExpectFacetValues(got, want.facets->languages);
      if (kind == "price") {
        ExpectBuckets(got, engine::kPriceBucketLabels, want.facets->price_buckets);
      }
      if (kind == "duration") {
        ExpectBuckets(got, engine::kDurationBucketLabels, want.facets->duration_buckets);
      }
    }
  }
  EXPECT_EQ(Has(reply, "plan"), want.plan.has_value());
  if (want.plan) {
    Json plan = reply["plan"];
    EXPECT_EQ(Str(plan["driver"]), want.plan->driver);
    EXPECT_EQ(Str(plan["strategy"]), want.plan->strategy);
    EXPECT_EQ(Uint(plan["candidates"]), want.plan->candidates);
    ASSERT_EQ(Size(plan["estimates"]), want.plan->estimates.size());
    for (size_t i = 0; i < want.plan->estimates.size(); ++i) {
      EXPECT_EQ(Str(plan["estimates"].at(i)["source"]), want.plan->estimates[i].source);
      EXPECT_EQ(Num(plan["estimates"].at(i)["estimate"]), want.plan->estimates[i].estimate);
    }
    ASSERT_EQ(Size(plan["checks"]), want.plan->checks.size());
    for (size_t i = 0; i < want.plan->checks.size(); ++i) {
      EXPECT_EQ(Str(plan["checks"].at(i)), want.plan->checks[i]);
    }
  }
}

class EngineOpsTest : public testing::Test {
 protected:
  EngineOpsTest()
      : snapshots_(Data().snapshot),
        ops_(&snapshots_, &recorder_, &recomputer_),
        dispatcher_(&stats_, {.health = &health_, .engine = &ops_}) {}

  // The reply to one JSON request line, parsed (valid until the next Run).
  Json Run(const std::string& line, OpHandler* ops = nullptr) {
    Request request;
    const absl::Status parsed = parser_.ParseLine(line, &request);
    EXPECT_TRUE(parsed.ok()) << parsed << " in " << line;
    reply_text_.clear();
    ResponseWriter writer(&reply_text_);
    BuiltinDispatcher dispatcher(&stats_, {.health = &health_, .engine = ops != nullptr ? ops : &ops_});
    dispatcher.Handle(request, writer, std::chrono::steady_clock::now());
    simdjson::dom::element reply;
    EXPECT_EQ(json_.parse(reply_text_).get(reply), simdjson::SUCCESS) << reply_text_;
    return reply;
  }

  // The error code and message of the reply to `line`, as "code: message".
  std::string Error(const std::string& line) {
    Json reply = Run(line);
    if (Bool(reply["ok"])) return "OK";
    return absl::StrCat(Str(reply["error"]["code"]), ": ", Str(reply["error"]["message"]));
  }

  const engine::Snapshot& snapshot() const { return *Data().snapshot; }

  engine::SnapshotHolder snapshots_;
  FakeRecorder recorder_;
  FakeRecomputer recomputer_;
  EngineOps ops_;
  ServerStats stats_;
  ReadyHealth health_;
  BuiltinDispatcher dispatcher_;
  RequestParser parser_;
  simdjson::dom::parser json_;
  std::string reply_text_;
  engine::query::QueryExecutor executor_;
};

// One search as the client writes it and as the engine's struct states it.
struct SearchCase {
  std::string fields;
  SearchRequest request;
};

std::vector<SearchCase> SearchCases() {
  std::vector<SearchCase> cases;
  auto add = [&](std::string fields, auto fill) {
    SearchRequest r;
    fill(r);
    cases.push_back({std::move(fields), std::move(r)});
  };
  add(R"("q":"sunset")", [](SearchRequest& r) { r.q = "sunset"; });
  add(R"("q":"kayak","filters":{"category":["water","food"],"price":{"max":300.5}},)"
      R"("facets":["category","price","duration","language"],"limit":5)",
      [](SearchRequest& r) {
        r.q = "kayak";
        r.tour_filters.categories = {"water", "food"};
        r.tour_filters.price_max_cents = 30050;
        r.facets = {"category", "price", "duration", "language"};
        r.limit = 5;
      });
  add(R"("near":{"lat":38.72,"lon":-9.14,"radius_km":120},"limit":10)", [](SearchRequest& r) {
    r.near = engine::query::NearSpec{38.72, -9.14, 120};
    r.limit = 10;
  });
  add(R"("near":{"lat":41.15,"lon":-8.61,"radius_km":400},"sort":[{"price":"desc"},"rating"],)"
      R"("limit":7,"offset":3)",
      [](SearchRequest& r) {
        r.near = engine::query::NearSpec{41.15, -8.61, 400};
        r.sort = {{"price", SortOrder::kDescending}, {"rating", SortOrder::kDefault}};
        r.limit = 7;
        r.offset = 3;
      });
  add(R"("bbox":{"south":-25,"west":170,"north":-10,"east":-170},"sort":["newest"])",
      [](SearchRequest& r) {
        r.bbox = engine::GeoBox{-25, 170, -10, -170};
        r.sort = {{"newest", SortOrder::kDefault}};
      });
  add(R"("filters":{"available":{"from":"2027-05-03","to":"2027-05-04","participants":2},)"
      R"("languages":{"any":["pt","ja"]}},"facets":["language"],"sort":["popularity"])",
      [](SearchRequest& r) {
        r.tour_filters.available = engine::AvailabilitySpec{engine::DaysFromCivil(2027, 5, 3),
                                                            engine::DaysFromCivil(2027, 5, 4), 2};
        r.tour_filters.leader.languages_any = {"pt", "ja"};
        r.facets = {"language"};
        r.sort = {{"popularity", SortOrder::kDefault}};
      });
  add(R"("q":"museum","near":{"lat":35.01,"lon":135.77,"radius_km":200},)"
      R"("personality":{"user_id":)" +
          Quoted(UserId(1)) + R"(},"explain":true)",
      [](SearchRequest& r) {
        r.q = "museum";
        r.near = engine::query::NearSpec{35.01, 135.77, 200};
        r.personality = engine::query::PersonalitySpec{UserId(1), {}};
        r.explain = true;
      });
  add(R"("q":"harbor","rank":{"text":1,"rating":0.5,"popularity":0.25},"explain":true)",
      [](SearchRequest& r) {
        r.q = "harbor";
        r.rank = engine::query::RankSpec{1, std::nullopt, std::nullopt, 0.5, 0.25};
        r.explain = true;
      });
  add(R"("filters":{"duration":{"min_days":2,"max_days":9,"min_hours":2},"leader_type":["expert"],)"
      R"("specialties":["food","photography"],"rating":{"min":3}},"sort":[{"price":"asc"}],"explain":true)",
      [](SearchRequest& r) {
        r.tour_filters.duration_min_days = 2;
        r.tour_filters.duration_max_days = 9;
        r.tour_filters.duration_min_hours = 2;
        r.tour_filters.leader.types = {engine::LeaderType::kExpert};
        r.tour_filters.leader.specialties_any = {"food", "photography"};
        r.tour_filters.rating_min = 3;
        r.sort = {{"price", SortOrder::kAscending}};
        r.explain = true;
      });
  add(R"("index":"leaders","filters":{"rating":{"min":3.5},"price":{"max":80},"verified":true},)"
      R"("sort":["rating"])",
      [](SearchRequest& r) {
        r.index = IndexKind::kLeaders;
        r.leader_filters.rating_min = 3.5;
        r.leader_filters.price_max_cents = 8000;
        r.leader_filters.leader.verified_only = true;
        r.sort = {{"rating", SortOrder::kDefault}};
      });
  add(R"("index":"leaders","personality":{"traits":{"adventurous":0.8,"social":0.2}},)"
      R"("sort":["compatibility"],"limit":15)",
      [](SearchRequest& r) {
        r.index = IndexKind::kLeaders;
        r.personality =
            engine::query::PersonalitySpec{std::nullopt, {{"adventurous", 0.8}, {"social", 0.2}}};
        r.sort = {{"compatibility", SortOrder::kDefault}};
        r.limit = 15;
      });
  add(R"("index":"leaders","q":"guide","near":{"lat":59.91,"lon":10.75,"radius_km":3000},"explain":true)",
      [](SearchRequest& r) {
        r.index = IndexKind::kLeaders;
        r.q = "guide";
        r.near = engine::query::NearSpec{59.91, 10.75, 3000};
        r.explain = true;
      });
  return cases;
}

TEST_F(EngineOpsTest, SearchRepliesEqualTheExecutor) {
  int id = 0;
  for (const SearchCase& c : SearchCases()) {
    const std::string line = absl::StrCat(R"({"id":)", ++id, R"(,"op":"search",)", c.fields, "}");
    SCOPED_TRACE(line);
    absl::StatusOr<SearchResponse> want = executor_.Search(snapshot(), c.request);
    ASSERT_TRUE(want.ok()) << want.status();
    EXPECT_GT(want->total, 0u) << "a case that matches nothing checks little";
    Json reply = Run(line);
    EXPECT_EQ(Int(reply["id"]), id);
    ExpectSameSearch(reply, *want, c.request.facets);
  }
}

TEST_F(EngineOpsTest, CursorPagesEqualTheExecutor) {
  SearchRequest request;
  request.near = engine::query::NearSpec{38.72, -9.14, 300};
  request.sort = {{"price", SortOrder::kDefault}};
  request.limit = 6;
  const std::string fields =
      R"("near":{"lat":38.72,"lon":-9.14,"radius_km":300},"sort":["price"],"limit":6)";
  std::string line = absl::StrCat(R"({"op":"search",)", fields, "}");
  for (int page = 0; page < 4; ++page) {
    SCOPED_TRACE(line);
    absl::StatusOr<SearchResponse> want = executor_.Search(snapshot(), request);
    ASSERT_TRUE(want.ok()) << want.status();
    Json reply = Run(line);
    ExpectSameSearch(reply, *want, {});
    ASSERT_TRUE(want->next.has_value());
    request.cursor = want->next;
    line = absl::StrCat(R"({"op":"search",)", fields, R"(,"cursor":")", *want->next, "\"}");
  }
}

TEST_F(EngineOpsTest, MatchRepliesEqualTheExecutor) {
  engine::query::MatchRequest by_user;
  by_user.personality.user_id = UserId(0);
  by_user.near = engine::query::NearSpec{38.72, -9.14, 2500};
  by_user.filters.leader.languages_any = {"en"};
  by_user.limit = 10;
  engine::query::MatchRequest by_traits;
  by_traits.personality.traits = {{"cultural", 0.9}, {"foodie", 0.4}};
  by_traits.filters.rating_min = 3.2;
  by_traits.limit = 5;
  by_traits.explain = true;
  const std::vector<std::pair<std::string, engine::query::MatchRequest>> cases = {
      {absl::StrCat(
           R"({"op":"match","user_id":)", Quoted(UserId(0)),
           R"(,"near":{"lat":38.72,"lon":-9.14,"radius_km":2500},"filters":{"languages":["en"]},"limit":10})"),
       by_user},
      {R"({"op":"match","personality":{"traits":{"cultural":0.9,"foodie":0.4}},"filters":{"rating":{"min":3.2}},"limit":5,"explain":true})",
       by_traits},
  };
  for (const auto& [line, request] : cases) {
    SCOPED_TRACE(line);
    absl::StatusOr<SearchResponse> want = executor_.Match(snapshot(), request);
    ASSERT_TRUE(want.ok()) << want.status();
    EXPECT_GT(want->total, 0u);
    ExpectSameSearch(Run(line), *want, {});
  }
}

TEST_F(EngineOpsTest, ScoreRepliesEqualTheExecutor) {
  engine::query::ScoreRequest request;
  request.personality.user_id = UserId(2);
  std::string ids;
  for (uint64_t n = 0; n < 60; n += 3) request.leader_ids.push_back(LeaderId(n));
  request.leader_ids.push_back(LeaderId(999));  // unknown
  for (const Uuid& id : request.leader_ids) {
    absl::StrAppend(&ids, ids.empty() ? "" : ",", Quoted(id));
  }
  absl::StatusOr<engine::query::ScoreResponse> want = executor_.Score(snapshot(), request);
  ASSERT_TRUE(want.ok()) << want.status();
  Json reply = Run(absl::StrCat(R"({"op":"score","personality":{"user_id":)", Quoted(UserId(2)),
                                R"(},"leader_ids":[)", ids, "]}"));
  ASSERT_TRUE(Bool(reply["ok"])) << reply_text_;
  EXPECT_EQ(Uint(reply["as_of"]), kAsOf);
  ASSERT_EQ(Size(reply["scores"]), want->scores.size());
  size_t found = 0;
  for (size_t i = 0; i < want->scores.size(); ++i) {
    Json got = reply["scores"].at(i);
    const engine::query::LeaderScore& s = want->scores[i];
    EXPECT_EQ(Str(got["leader_id"]), s.leader_id.ToString());
    EXPECT_EQ(Bool(got["found"]), s.found);
    if (s.found) {
      EXPECT_EQ(Num(got["compatibility"]), s.compatibility);
      ++found;
    } else {
      EXPECT_TRUE(got["compatibility"].is_null());
    }
  }
  EXPECT_GT(found, 0u);
  EXPECT_LT(found, want->scores.size());
}

TEST_F(EngineOpsTest, SuggestRepliesEqualTheExecutor) {
  const std::vector<std::pair<std::string, engine::query::SuggestRequest>> cases = {
      {R"({"op":"suggest","prefix":"vol","limit":5})", {IndexKind::kTours, "vol", 5}},
      {R"({"op":"suggest","index":"leaders","prefix":"gu"})", {IndexKind::kLeaders, "gu", 10}},
  };
  for (const auto& [line, request] : cases) {
    SCOPED_TRACE(line);
    absl::StatusOr<engine::query::SuggestResponse> want = executor_.Suggest(snapshot(), request);
    ASSERT_TRUE(want.ok()) << want.status();
    ASSERT_FALSE(want->suggestions.empty());
    Json reply = Run(line);
    ASSERT_EQ(Size(reply["suggestions"]), want->suggestions.size()) << reply_text_;
    for (size_t i = 0; i < want->suggestions.size(); ++i) {
      EXPECT_EQ(Str(reply["suggestions"].at(i)["text"]), want->suggestions[i].text);
      EXPECT_EQ(Uint(reply["suggestions"].at(i)["doc_frequency"]),
                want->suggestions[i].doc_frequency);
    }
  }
}

TEST_F(EngineOpsTest, GetReturnsTheHitOrNotFound) {
  int tours = 0;
  int missing = 0;
  for (const auto& [id, tour] : Data().tours) {
    absl::StatusOr<engine::query::SearchHit> want =
        executor_.Get(snapshot(), engine::query::GetRequest{IndexKind::kTours, id});
    const std::string line =
        absl::StrCat(R"({"op":"get","index":"tours","doc_id":)", Quoted(id), "}");
    if (want.ok()) {
      ++tours;
      Json reply = Run(line);
      ASSERT_TRUE(Bool(reply["ok"])) << reply_text_;
      ExpectHit(reply["hit"], *want);
    } else {
      ++missing;
      EXPECT_EQ(Error(line), absl::StrCat("not_found: tour ", id.ToString(), " not found"));
    }
  }
  EXPECT_GT(tours, 0);
  EXPECT_GT(missing, 0);  // inactive tours and tours of inactive leaders
  const Uuid leader = LeaderId(5);
  absl::StatusOr<engine::query::SearchHit> want =
      executor_.Get(snapshot(), engine::query::GetRequest{IndexKind::kLeaders, leader});
  ASSERT_TRUE(want.ok()) << want.status();
  Json reply = Run(absl::StrCat(R"({"op":"get","index":"leaders","doc_id":)", Quoted(leader), "}"));
  ExpectHit(reply["hit"], *want);
  EXPECT_EQ(Error(absl::StrCat(R"({"op":"get","doc_id":)", Quoted(TourId(100000)), "}")),
            absl::StrCat("not_found: tour ", TourId(100000).ToString(), " not found"));
  EXPECT_EQ(
      Uint(Run(absl::StrCat(R"({"op":"get","doc_id":)", Quoted(TourId(100000)), "}"))["as_of"]),
      kAsOf);
}

TEST_F(EngineOpsTest, ErrorsCarryTheirCodeAndTheSnapshotsPosition) {
  EXPECT_EQ(Error(R"({"op":"search","near":{"lat":"38","lon":1,"radius_km":1}})"),
            "bad_request: near.lat must be a number");
  EXPECT_EQ(Uint(Run(R"({"op":"search","limit":2.5})")["as_of"]), kAsOf);
  EXPECT_EQ(Error(R"({"op":"search","filters":{"price":{"max":-1}}})"),
            "bad_request: filters.price.max must be >= 0");
  EXPECT_EQ(
      Error(R"({"op":"search","filters":{"languages":["eng"]}})"),
      "bad_request: filters.languages.any[0] must be an ISO 639-1 code (two letters), got \"eng\"");
  EXPECT_EQ(Error(R"({"op":"search","cursor":"bogus"})"), "bad_request: cursor is malformed");
  EXPECT_EQ(Error(absl::StrCat(R"({"op":"match","user_id":)", Quoted(UserId(77)), "}")),
            absl::StrCat("not_found: personality.user_id: user ", UserId(77).ToString(),
                         " has no quiz traits"));
  EXPECT_EQ(Error(R"({"op":"suggest","prefix":""})"), "bad_request: prefix must not be empty");
  EXPECT_EQ(Error(R"({"op":"get","doc_id":"x"})"),
            "bad_request: doc_id: invalid UUID \"x\": expected 36 characters like "
            "123e4567-e89b-12d3-a456-426614174000");
}

TEST_F(EngineOpsTest, WithoutASnapshotEveryQueryIsUnavailable) {
  engine::SnapshotHolder empty;
  EngineOps ops(&empty);
  for (
      const char* line :
      {R"({"op":"search","q":"x"})", R"({"op":"match","traits":{"social":1}})",
       R"({"op":"suggest","prefix":"x"})",
       R"({"op":"get","doc_id":"00000000-0000-0000-0000-000000000000"})",
       R"({"op":"score","traits":{"social":1},"leader_ids":["00000000-0000-0000-0000-000000000000"]})"}) {
    Json reply = Run(line, &ops);
    EXPECT_FALSE(Bool(reply["ok"]));
    EXPECT_EQ(Str(reply["error"]["code"]), "unavailable") << line;
    EXPECT_EQ(Str(reply["error"]["message"]), "the engine is still loading") << line;
    EXPECT_EQ(Uint(reply["as_of"]), kHealthAsOf);
  }
}

TEST_F(EngineOpsTest, EachSuccessfulSearchIsRecordedOnce) {
  const std::string filters = R"({"category": ["water"], "price": {"max": 250}})";
  Json reply = Run(absl::StrCat(R"({"op":"search","q":"kayak","filters":)", filters,
                                R"(,"personality":{"user_id":)", Quoted(UserId(0)), "}}"));
  ASSERT_TRUE(Bool(reply["ok"])) << reply_text_;
  const uint64_t first_total = Uint(reply["total"]);
  reply = Run(R"({"op":"search","index":"leaders","sort":["rating"]})");
  ASSERT_TRUE(Bool(reply["ok"])) << reply_text_;
  const uint64_t second_total = Uint(reply["total"]);
  // Not recorded: errors and the other ops.
  Run(R"({"op":"search","limit":0})");
  Run(absl::StrCat(R"({"op":"match","user_id":)", Quoted(UserId(0)), "}"));
  Run(R"({"op":"suggest","prefix":"ka"})");
  Run(absl::StrCat(R"({"op":"get","doc_id":)", Quoted(TourId(1)), "}"));

  ASSERT_EQ(recorder_.records.size(), 2u);
  const SearchRecord& a = recorder_.records[0];
  EXPECT_EQ(a.search_type, "tours");
  EXPECT_EQ(a.query, "kayak");
  EXPECT_EQ(a.filters_json, filters);
  EXPECT_EQ(a.results_count, first_total);
  EXPECT_EQ(a.user_id, UserId(0));
  const SearchRecord& b = recorder_.records[1];
  EXPECT_EQ(b.search_type, "leaders");
  EXPECT_EQ(b.query, "");
  EXPECT_EQ(b.filters_json, "{}");
  EXPECT_EQ(b.results_count, second_total);
  EXPECT_FALSE(b.user_id.has_value());
}

TEST_F(EngineOpsTest, RecomputeGoesToTheRecomputer) {
  Json reply = Run(absl::StrCat(R"({"op":"recompute_matches","user_ids":[)", Quoted(UserId(0)), ",",
                                Quoted(UserId(1)), R"(],"k":20})"));
  ASSERT_TRUE(Bool(reply["ok"])) << reply_text_;
  EXPECT_EQ(Int(reply["job"]), 1);
  EXPECT_EQ(Int(reply["users"]), 2);
  EXPECT_EQ(Int(reply["k"]), 20);
  EXPECT_EQ(Int(reply["queued_before"]), 0);
  reply = Run(R"({"op":"recompute_matches"})");
  EXPECT_EQ(Int(reply["job"]), 2);
  EXPECT_EQ(Int(reply["users"]), 0);
  EXPECT_EQ(Int(reply["k"]), 50);
  EXPECT_EQ(Int(reply["queued_before"]), 1);
  ASSERT_EQ(recomputer_.calls.size(), 2u);
  EXPECT_EQ(recomputer_.calls[0].first, (std::vector<Uuid>{UserId(0), UserId(1)}));
  EXPECT_EQ(recomputer_.calls[0].second, 20u);
  EXPECT_TRUE(recomputer_.calls[1].first.empty());
  EXPECT_EQ(recomputer_.calls[1].second, 50u);

  EXPECT_EQ(Error(R"({"op":"recompute_matches","k":0})"),
            "bad_request: k must be within [1, 1000]");
  recomputer_.refuse = true;
  EXPECT_EQ(Error(R"({"op":"recompute_matches"})"),
            "overloaded: too many recompute jobs are queued");
  EngineOps without(&snapshots_);
  reply = Run(R"({"op":"recompute_matches"})", &without);
  EXPECT_EQ(Str(reply["error"]["code"]), "unavailable");
  EXPECT_EQ(Str(reply["error"]["message"]), "recompute_matches needs a database writer");
}

// The request lines docs/protocol.md shows.
TEST_F(EngineOpsTest, TheDocumentedExamplesWork) {
  const std::string user = Quoted(UserId(0));
  const std::vector<std::string> lines = {
      R"({"id":1,"op":"search","index":"tours","q":"kayak","near":{"lat":38.72,"lon":-9.14,"radius_km":120},"filters":{"price":{"max":400}},"facets":["category"],"limit":2})",
      R"({"id":2,"op":"search","index":"leaders","filters":{"languages":["en"],"verified":true},"sort":[{"rating":"desc"}],"limit":1})",
      absl::StrCat(R"({"id":3,"op":"match","user_id":)", user, R"(,"limit":2})"),
      absl::StrCat(R"({"id":4,"op":"score","user_id":)", user, R"(,"leader_ids":[)",
                   Quoted(LeaderId(3)), ",", Quoted(LeaderId(999)), "]}"),
      R"({"id":5,"op":"suggest","prefix":"vol","limit":3})",
      absl::StrCat(R"({"id":6,"op":"get","index":"tours","doc_id":)", Quoted(TourId(7)), "}"),
      R"({"id":7,"op":"recompute_matches","k":50})",
  };
  for (const std::string& line : lines) {
    Json reply = Run(line);
    EXPECT_TRUE(Bool(reply["ok"])) << line << "\n" << reply_text_;
  }
}

TEST(HitJsonTest, HundredthsAreExactDecimals) {
  EXPECT_EQ(FormatHundredths(12950), "129.5");
  EXPECT_EQ(FormatHundredths(4000), "40");
  EXPECT_EQ(FormatHundredths(1999), "19.99");
  EXPECT_EQ(FormatHundredths(5), "0.05");
  EXPECT_EQ(FormatHundredths(0), "0");
  EXPECT_EQ(FormatHundredths(475), "4.75");
  EXPECT_EQ(FormatHundredths(-325), "-3.25");
  EXPECT_EQ(FormatHundredths(-5), "-0.05");
  EXPECT_EQ(FormatHundredths(std::numeric_limits<int64_t>::min()), "-92233720368547758.08");
}

}  // namespace
}  // namespace otter::server
