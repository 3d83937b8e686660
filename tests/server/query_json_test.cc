// The engine ops' fields from JSON: every field lands in the right member of
// the engine's request, and every kind of bad input gives its own message.

#include "server/query_json.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "engine/catalog/civil_day.h"

namespace otter::server {
namespace {

using engine::Uuid;
using engine::query::IndexKind;
using engine::query::SortOrder;

constexpr char kUser[] = "6f1c0a5e-0000-4000-8000-000000000001";
constexpr char kLeader[] = "1e000000-0000-4000-8000-00000000002a";

Uuid Id(const char* text) { return *Uuid::Parse(text); }

class QueryJsonTest : public testing::Test {
 protected:
  // The message of the error parsing `body` as `op`, or "OK".
  std::string Error(std::string_view op, std::string_view body) {
    absl::Status status;
    if (op == "search") status = parser_.ParseSearch(body).status();
    if (op == "match") status = parser_.ParseMatch(body).status();
    if (op == "score") status = parser_.ParseScore(body).status();
    if (op == "suggest") status = parser_.ParseSuggest(body).status();
    if (op == "get") status = parser_.ParseGet(body).status();
    if (op == "recompute") status = parser_.ParseRecompute(body).status();
    if (status.ok()) return "OK";
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
    return std::string(status.message());
  }
  std::string SearchError(std::string_view body) { return Error("search", body); }

  engine::query::SearchRequest Search(std::string_view body, std::string* filters = nullptr) {
    absl::StatusOr<engine::query::SearchRequest> r = parser_.ParseSearch(body, filters);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *std::move(r) : engine::query::SearchRequest{};
  }

  QueryJsonParser parser_;
};

TEST_F(QueryJsonTest, DefaultsWhenOnlyTheEnvelopeIsGiven) {
  std::string filters = "unset";
  const engine::query::SearchRequest r = Search(R"({"id":7,"op":"search","after":12})", &filters);
  EXPECT_EQ(r.index, IndexKind::kTours);
  EXPECT_FALSE(r.q.has_value());
  EXPECT_FALSE(r.near.has_value());
  EXPECT_FALSE(r.bbox.has_value());
  EXPECT_FALSE(r.personality.has_value());
  EXPECT_TRUE(r.sort.empty());
  EXPECT_FALSE(r.rank.has_value());
  EXPECT_TRUE(r.facets.empty());
  EXPECT_EQ(r.limit, engine::query::kDefaultLimit);
  EXPECT_EQ(r.offset, 0);
  EXPECT_FALSE(r.cursor.has_value());
  EXPECT_FALSE(r.explain);
  EXPECT_EQ(filters, "{}");
}

TEST_F(QueryJsonTest, ParsesEveryFieldOfATourSearch) {
  const std::string body =
      std::string(R"({"op":"search","index":"tours","q":"sunset kayak",)") +
      R"("near":{"lat":38.72,"lon":-9.14,"radius_km":25},)" +
      R"("filters": {"category":["water","food"],"price":{"min":20,"max":129.5},)" +
      R"("duration":{"min_days":1,"max_days":3,"min_hours":2.5,"max_hours":8},)" +
      R"("rating":{"min":4.25},"languages":{"any":["en","pt"],"all":["es"]},)" +
      R"("specialties":["kayaking"],"leader_type":["expert","manager"],"verified":true,)" +
      R"("available":{"from":"2027-05-01","to":"2027-05-03","participants":2}} ,)" +
      R"("personality":{"user_id":")" + kUser + R"("},)" +
      R"("sort":["relevance",{"price":"desc"},{"rating":"asc"}],)" +
      R"("rank":{"text":1,"distance":{"decay":"exp","scale_km":10,"offset_km":1,)" +
      R"("decay_at_scale":0.25,"weight":0.5},"compatibility":0.3,"rating":0.1,"popularity":0.2},)" +
      R"("facets":["category","price","duration","language"],)" +
      R"("limit":50,"offset":0,"cursor":"abc","explain":true})";
  std::string filters;
  const engine::query::SearchRequest r = Search(body, &filters);
  EXPECT_EQ(r.index, IndexKind::kTours);
  EXPECT_EQ(r.q, "sunset kayak");
  ASSERT_TRUE(r.near.has_value());
  EXPECT_EQ(r.near->lat, 38.72);
  EXPECT_EQ(r.near->lon, -9.14);
  EXPECT_EQ(r.near->radius_km, 25);
  const engine::TourFilterSpec& f = r.tour_filters;
  EXPECT_EQ(f.categories, (std::vector<std::string>{"water", "food"}));
  EXPECT_EQ(f.price_min_cents, 2000);
  EXPECT_EQ(f.price_max_cents, 12950);
  EXPECT_EQ(f.duration_min_days, 1);
  EXPECT_EQ(f.duration_max_days, 3);
  EXPECT_EQ(f.duration_min_hours, 2.5);
  EXPECT_EQ(f.duration_max_hours, 8);
  EXPECT_EQ(f.rating_min, 4.25);
  EXPECT_EQ(f.leader.languages_any, (std::vector<std::string>{"en", "pt"}));
  EXPECT_EQ(f.leader.languages_all, (std::vector<std::string>{"es"}));
  EXPECT_EQ(f.leader.specialties_any, (std::vector<std::string>{"kayaking"}));
  EXPECT_EQ(f.leader.types, (std::vector<engine::LeaderType>{engine::LeaderType::kExpert,
                                                             engine::LeaderType::kManager}));
  EXPECT_TRUE(f.leader.verified_only);
  ASSERT_TRUE(f.available.has_value());
  EXPECT_EQ(f.available->from, engine::DaysFromCivil(2027, 5, 1));
  EXPECT_EQ(f.available->to, engine::DaysFromCivil(2027, 5, 3));
  EXPECT_EQ(f.available->participants, 2);
  EXPECT_FALSE(r.leader_filters.rating_min.has_value());
  ASSERT_TRUE(r.personality.has_value());
  EXPECT_EQ(r.personality->user_id, Id(kUser));
  EXPECT_FALSE(r.personality->has_traits());
  ASSERT_EQ(r.sort.size(), 3u);
  EXPECT_EQ(r.sort[0].key, "relevance");
  EXPECT_EQ(r.sort[0].order, SortOrder::kDefault);
  EXPECT_EQ(r.sort[1].key, "price");
  EXPECT_EQ(r.sort[1].order, SortOrder::kDescending);
  EXPECT_EQ(r.sort[2].key, "rating");
  EXPECT_EQ(r.sort[2].order, SortOrder::kAscending);
  ASSERT_TRUE(r.rank.has_value());
  EXPECT_EQ(r.rank->text, 1);
  ASSERT_TRUE(r.rank->distance.has_value());
  EXPECT_EQ(r.rank->distance->decay, "exp");
  EXPECT_EQ(r.rank->distance->scale_km, 10);
  EXPECT_EQ(r.rank->distance->offset_km, 1);
  EXPECT_EQ(r.rank->distance->decay_at_scale, 0.25);
  EXPECT_EQ(r.rank->distance->weight, 0.5);
  EXPECT_EQ(r.rank->compatibility, 0.3);
  EXPECT_EQ(r.rank->rating, 0.1);
  EXPECT_EQ(r.rank->popularity, 0.2);
  EXPECT_EQ(r.facets, (std::vector<std::string>{"category", "price", "duration", "language"}));
  EXPECT_EQ(r.limit, 50);
  EXPECT_EQ(r.offset, 0);
  EXPECT_EQ(r.cursor, "abc");
  EXPECT_TRUE(r.explain);
  // The filters object exactly as sent, for the search history.
  const size_t begin = body.find(R"({"category")");
  const size_t end = body.find("}} ,") + 2;
  EXPECT_EQ(filters, body.substr(begin, end - begin));
}

TEST_F(QueryJsonTest, ShortFormsOfFilters) {
  const engine::query::SearchRequest r = Search(
      R"({"filters":{"category":"water","languages":["en"],"specialties":"food","leader_type":"leader",)"
      R"("verified":false,"available":{"from":"2027-02-28"}}})");
  EXPECT_EQ(r.tour_filters.categories, std::vector<std::string>{"water"});
  EXPECT_EQ(r.tour_filters.leader.languages_any, std::vector<std::string>{"en"});
  EXPECT_TRUE(r.tour_filters.leader.languages_all.empty());
  EXPECT_EQ(r.tour_filters.leader.specialties_any, std::vector<std::string>{"food"});
  EXPECT_EQ(r.tour_filters.leader.types,
            std::vector<engine::LeaderType>{engine::LeaderType::kLeader});
  EXPECT_FALSE(r.tour_filters.leader.verified_only);
  ASSERT_TRUE(r.tour_filters.available.has_value());
  // `to` defaults to `from`, participants to 1.
  EXPECT_EQ(r.tour_filters.available->from, engine::DaysFromCivil(2027, 2, 28));
  EXPECT_EQ(r.tour_filters.available->to, engine::DaysFromCivil(2027, 2, 28));
  EXPECT_EQ(r.tour_filters.available->participants, 1);
}

TEST_F(QueryJsonTest, PricesAreExactCents) {
  const std::vector<std::pair<std::string, int64_t>> cases = {
      {"120", 12000}, {"129.5", 12950},       {"0.05", 5}, {"19.99", 1999}, {"0", 0},
      {"1.500", 150}, {"999999.99", 99999999}};
  for (const auto& [text, cents] : cases) {
    const engine::query::SearchRequest r = Search(R"({"filters":{"price":{"max":)" + text + "}}}");
    EXPECT_EQ(r.tour_filters.price_max_cents, cents) << text;
  }
  EXPECT_EQ(SearchError(R"({"filters":{"price":{"max":9.999}}})"),
            "filters.price.max must be a decimal with at most 2 fractional digits, got \"9.999\"");
  EXPECT_EQ(SearchError(R"({"filters":{"price":{"min":1e2}}})"),
            "filters.price.min must be a decimal with at most 2 fractional digits, got \"1e2\"");
  EXPECT_EQ(SearchError(R"({"filters":{"price":{"min":"12"}}})"),
            "filters.price.min must be a number");
}

TEST_F(QueryJsonTest, ALeaderSearchTakesRatingAndPriceAsTheLeadersOwn) {
  const engine::query::SearchRequest r = Search(
      R"({"index":"leaders","filters":{"rating":{"min":4.5},"price":{"min":10,"max":40.25},)"
      R"("languages":{"all":["pt"]},"verified":true},"bbox":{"south":-20,"west":170,"north":-10,"east":-170}})");
  EXPECT_EQ(r.index, IndexKind::kLeaders);
  EXPECT_EQ(r.leader_filters.rating_min, 4.5);
  EXPECT_EQ(r.leader_filters.price_min_cents, 1000);
  EXPECT_EQ(r.leader_filters.price_max_cents, 4025);
  EXPECT_EQ(r.leader_filters.leader.languages_all, std::vector<std::string>{"pt"});
  EXPECT_TRUE(r.leader_filters.leader.verified_only);
  EXPECT_FALSE(r.tour_filters.rating_min.has_value());
  EXPECT_FALSE(r.tour_filters.price_max_cents.has_value());
  // A box across the antimeridian: west > east.
  ASSERT_TRUE(r.bbox.has_value());
  EXPECT_EQ(r.bbox->south, -20);
  EXPECT_EQ(r.bbox->west, 170);
  EXPECT_EQ(r.bbox->north, -10);
  EXPECT_EQ(r.bbox->east, -170);
  // The index may come after the filters.
  const engine::query::SearchRequest later =
      Search(R"({"filters":{"rating":{"min":3}},"index":"leaders"})");
  EXPECT_EQ(later.leader_filters.rating_min, 3);
  EXPECT_EQ(SearchError(R"({"filters":{"category":["water"]},"index":"leaders"})"),
            "filters.category is not available for index leaders");
  EXPECT_EQ(SearchError(R"({"index":"leaders","filters":{"duration":{"max_days":2}}})"),
            "filters.duration is not available for index leaders");
  EXPECT_EQ(SearchError(R"({"index":"leaders","filters":{"available":{"from":"2027-01-01"}}})"),
            "filters.available is not available for index leaders");
  EXPECT_EQ(SearchError(R"({"index":"leaders","facets":["price"]})"),
            "facets[0]: facets are only available for index tours");
}

TEST_F(QueryJsonTest, PersonalityByTraits) {
  const engine::query::SearchRequest r =
      Search(R"({"personality":{"traits":{"adventurous":0.9,"social":0,"cultural":1}}})");
  ASSERT_TRUE(r.personality.has_value());
  EXPECT_FALSE(r.personality->user_id.has_value());
  EXPECT_EQ(r.personality->traits, (std::vector<std::pair<std::string, double>>{
                                       {"adventurous", 0.9}, {"social", 0}, {"cultural", 1}}));
}

TEST_F(QueryJsonTest, NullCountsAsAbsent) {
  const engine::query::SearchRequest r = Search(
      R"({"q":null,"near":null,"filters":{"price":{"min":null,"max":50}},"limit":null,"personality":null})");
  EXPECT_FALSE(r.q.has_value());
  EXPECT_FALSE(r.near.has_value());
  EXPECT_FALSE(r.tour_filters.price_min_cents.has_value());
  EXPECT_EQ(r.tour_filters.price_max_cents, 5000);
  EXPECT_EQ(r.limit, engine::query::kDefaultLimit);
  EXPECT_EQ(SearchError(R"({"near":{"lat":null,"lon":1,"radius_km":1}})"), "near.lat is required");
}

TEST_F(QueryJsonTest, IntegersMustBeIntegral) {
  EXPECT_EQ(Search(R"({"limit":10.0})").limit, 10);
  EXPECT_EQ(Search(R"({"limit":1e1})").limit, 10);
  EXPECT_EQ(SearchError(R"({"limit":2.5})"), "limit must be an integer");
  EXPECT_EQ(SearchError(R"({"limit":"5"})"), "limit must be an integer");
  EXPECT_EQ(SearchError(R"({"limit":true})"), "limit must be an integer");
  // Too large for the field, however large: the request's own range message.
  for (const char* limit : {"0", "-3", "101", "1000000000", "1e30", "18446744073709551616",
                            "-99999999999999999999", "1e400", "-1e400"}) {
    EXPECT_EQ(SearchError(absl::StrCat(R"({"limit":)", limit, "}")),
              "limit must be within [1, 100]")
        << limit;
  }
  EXPECT_EQ(SearchError(R"({"offset":-1})"), "offset must be >= 0");
  EXPECT_EQ(SearchError(R"({"offset":5000000000})"), "offset + limit must be <= 1000");
  EXPECT_EQ(SearchError(R"({"offset":990})"), "offset + limit must be <= 1000");
  EXPECT_EQ(Search(R"({"offset":980})").offset, 980);
  EXPECT_EQ(SearchError(R"({"filters":{"duration":{"min_days":1.5}}})"),
            "filters.duration.min_days must be an integer");
  EXPECT_EQ(Search(R"({"filters":{"duration":{"max_days":1e12}}})").tour_filters.duration_max_days,
            2147483647);
  EXPECT_EQ(Search(R"({"filters":{"duration":{"min_days":-5}}})").tour_filters.duration_min_days,
            -1);
  EXPECT_EQ(SearchError(R"({"filters":{"available":{"from":"2027-01-01","participants":2.5}}})"),
            "filters.available.participants must be an integer");
}

TEST_F(QueryJsonTest, NumbersMustBeFinite) {
  EXPECT_EQ(SearchError(R"({"near":{"lat":1e400,"lon":0,"radius_km":1}})"),
            "near.lat must be a finite number");
  EXPECT_EQ(SearchError(R"({"rank":{"rating":-1e999}})"), "rank.rating must be a finite number");
}

// Each kind of bad input with the message it gets.
TEST_F(QueryJsonTest, EveryBadSearchFieldIsNamed) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"({"index":"tour"})", R"(index must be "tours" or "leaders", got "tour")"},
      {R"({"index":1})", "index must be a string"},
      {R"({"q":5})", "q must be a string"},
      {R"({"q":""})", "q must not be empty"},
      {R"({"near":[1,2]})", "near must be an object"},
      {R"({"near":{"lat":"38","lon":1,"radius_km":1}})", "near.lat must be a number"},
      {R"({"near":{"lat":38,"radius_km":1}})", "near.lon is required"},
      {R"({"near":{"lat":38,"lon":1}})", "near.radius_km is required"},
      {R"({"near":{"lat":91,"lon":1,"radius_km":1}})", "near.lat must be within [-90, 90], got 91"},
      {R"({"near":{"lat":1,"lon":1,"radius_km":-1}})", "near.radius_km must be >= 0"},
      {R"({"near":{"lat":1,"lon":1,"radius_km":1,"radius":2}})",
       R"(unknown field "radius" in near)"},
      {R"({"near":{"lat":1,"lat":2,"lon":1,"radius_km":1}})", R"(duplicate field "near.lat")"},
      {R"({"bbox":{"south":1,"west":2,"north":3}})", "bbox.east is required"},
      {R"({"bbox":{"south":5,"west":2,"north":3,"east":4}})", "bbox.south must be <= bbox.north"},
      {R"({"bbox":{"south":1,"west":2,"north":3,"east":4},"near":{"lat":1,"lon":1,"radius_km":1}})",
       "near: give near or bbox, not both"},
      {R"({"filters":[]})", "filters must be an object"},
      {R"({"filters":{"colour":"red"}})", R"(unknown field "colour" in filters)"},
      {R"({"filters":{"category":5}})", "filters.category must be a string or an array of strings"},
      {R"({"filters":{"category":["water",5]}})", "filters.category[1] must be a string"},
      {R"({"filters":{"price":{"max":-5}}})",
       "OK"},  // negative prices fail when the filter compiles
      {R"({"filters":{"price":{"cheap":1}}})", R"(unknown field "cheap" in filters.price)"},
      {R"({"filters":{"price":5}})", "filters.price must be an object"},
      {R"({"filters":{"duration":{"days":1}}})", R"(unknown field "days" in filters.duration)"},
      {R"({"filters":{"duration":{"min_hours":"2"}}})",
       "filters.duration.min_hours must be a number"},
      {R"({"filters":{"rating":4}})", "filters.rating must be an object"},
      {R"({"filters":{"rating":{"max":4}}})", R"(unknown field "max" in filters.rating)"},
      {R"({"filters":{"languages":"en"}})",
       "filters.languages must be an array of language codes or an object"},
      {R"({"filters":{"languages":{"some":["en"]}}})",
       R"(unknown field "some" in filters.languages)"},
      {R"({"filters":{"languages":{"any":[1]}}})", "filters.languages.any[0] must be a string"},
      {R"({"filters":{"leader_type":["expert","guide"]}})",
       R"(filters.leader_type[1] must be one of leader, expert, manager; got "guide")"},
      {R"({"filters":{"leader_type":"guide"}})",
       R"(filters.leader_type must be one of leader, expert, manager; got "guide")"},
      {R"({"filters":{"verified":"yes"}})", "filters.verified must be true or false"},
      {R"({"filters":{"available":{"to":"2027-01-01"}}})", "filters.available.from is required"},
      {R"({"filters":{"available":{"from":"2027-02-30"}}})",
       R"(filters.available.from must be a date written YYYY-MM-DD, got "2027-02-30")"},
      {R"({"filters":{"available":{"from":"2027-01-01","to":20270102}}})",
       "filters.available.to must be a string"},
      {R"({"filters":{"available":{"from":"2027-01-01","people":2}}})",
       R"(unknown field "people" in filters.available)"},
      {R"({"personality":"x"})", "personality must be an object"},
      {R"({"personality":{}})", "personality: give user_id or traits"},
      {R"({"personality":{"user_id":"abc"}})",
       R"(personality.user_id: invalid UUID "abc": expected 36 characters like 123e4567-e89b-12d3-a456-426614174000)"},
      {R"({"personality":{"user_id":5}})", "personality.user_id must be a string"},
      {R"({"personality":{"traits":{}}})", "personality.traits must not be empty"},
      {R"({"personality":{"traits":[0.5]}})", "personality.traits must be an object"},
      {R"({"personality":{"traits":{"social":1.5}}})",
       "personality.traits.social must be within [0, 1]"},
      {R"({"personality":{"traits":{"social":"high"}}})",
       "personality.traits.social must be a number"},
      {R"({"personality":{"traits":{"":0.5}}})", "personality.traits: empty trait name"},
      {R"({"personality":{"traits":{"social":0.5,"social":0.7}}})",
       R"(duplicate field "personality.traits.social")"},
      {std::string(R"({"personality":{"user_id":")") + kUser + R"(","traits":{"social":0.5}}})",
       "personality: give user_id or traits, not both"},
      {R"({"personality":{"mood":"happy"}})", R"(unknown field "mood" in personality)"},
      {R"({"sort":"price"})", "sort must be an array"},
      {R"({"sort":["colour"]})", R"(sort[0]: unknown key "colour")"},
      {R"({"sort":["price",5]})",
       R"(sort[1] must be a key name or an object like {"price": "desc"})"},
      {R"({"sort":[{"price":"desc","rating":"asc"}]})",
       R"(sort[0] must be a key name or an object like {"price": "desc"})"},
      {R"({"sort":[{}]})", R"(sort[0] must be a key name or an object like {"price": "desc"})"},
      {R"({"sort":[{"price":"down"}]})", R"(sort[0].price must be "asc" or "desc")"},
      {R"({"sort":[{"price":1}]})", R"(sort[0].price must be "asc" or "desc")"},
      {R"({"sort":["distance"]})", R"(sort[0]: "distance" needs near)"},
      {R"({"sort":["price","price"]})", R"(sort[1]: key "price" given twice)"},
      {R"({"sort":["price","rating","newest","popularity","price","price","price","price","price"]})",
       "sort: at most 8 keys"},
      {R"({"rank":1})", "rank must be an object"},
      {R"({"rank":{"text":1}})", "rank.text needs q"},
      {R"({"rank":{"rating":-1}})", "rank.rating must be a finite number >= 0"},
      {R"({"rank":{"freshness":1}})", R"(unknown field "freshness" in rank)"},
      {R"({"near":{"lat":1,"lon":1,"radius_km":5},"rank":{"distance":{"decay":"cubic","scale_km":1}}})",
       R"(rank.distance.decay must be gauss, exp or linear, got "cubic")"},
      {R"({"near":{"lat":1,"lon":1,"radius_km":5},"rank":{"distance":{"decay":"gauss"}}})",
       "rank.distance.scale_km must be > 0"},
      {R"({"near":{"lat":1,"lon":1,"radius_km":5},"rank":{"distance":{"scale_km":1,"origin":2}}})",
       R"(unknown field "origin" in rank.distance)"},
      {R"({"facets":"category"})", "facets must be an array"},
      {R"({"facets":["colour"]})", R"(facets[0]: unknown facet "colour")"},
      {R"({"facets":["price","price"]})", R"(facets[1]: facet "price" given twice)"},
      {R"({"facets":[1]})", "facets[0] must be a string"},
      {R"({"cursor":5})", "cursor must be a string"},
      {R"({"cursor":""})", "cursor must not be empty"},
      {R"({"cursor":"abc","offset":20})", "cursor: give cursor or offset, not both"},
      {R"({"explain":1})", "explain must be true or false"},
      {R"({"limit":5,"limit":6})", R"(duplicate field "limit")"},
      {R"({"colour":"red"})", R"(unknown field "colour")"},
      {R"({"leader_ids":[]})", R"(unknown field "leader_ids")"},
      {"[1]", "request must be a JSON object"},
  };
  for (const auto& [body, message] : cases) EXPECT_EQ(SearchError(body), message) << body;
}

TEST_F(QueryJsonTest, MatchTakesPersonalityInEitherForm) {
  for (const std::string& body :
       {std::string(R"({"op":"match","personality":{"user_id":")") + kUser + R"("}})",
        std::string(R"({"op":"match","user_id":")") + kUser + R"("})"}) {
    absl::StatusOr<engine::query::MatchRequest> r = parser_.ParseMatch(body);
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->personality.user_id, Id(kUser));
  }
  absl::StatusOr<engine::query::MatchRequest> r = parser_.ParseMatch(
      R"({"traits":{"social":0.25},"near":{"lat":1,"lon":2,"radius_km":30},)"
      R"("filters":{"rating":{"min":4},"price":{"max":35},"specialties":["food"],"leader_type":"expert"},)"
      R"("limit":5,"offset":5,"explain":true})");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->personality.traits, (std::vector<std::pair<std::string, double>>{{"social", 0.25}}));
  ASSERT_TRUE(r->near.has_value());
  EXPECT_EQ(r->near->radius_km, 30);
  EXPECT_EQ(r->filters.rating_min, 4);
  EXPECT_EQ(r->filters.price_max_cents, 3500);
  EXPECT_EQ(r->filters.leader.specialties_any, std::vector<std::string>{"food"});
  EXPECT_EQ(r->filters.leader.types, std::vector<engine::LeaderType>{engine::LeaderType::kExpert});
  EXPECT_EQ(r->limit, 5);
  EXPECT_EQ(r->offset, 5);
  EXPECT_TRUE(r->explain);
}

TEST_F(QueryJsonTest, EveryBadMatchFieldIsNamed) {
  const std::string user = std::string(R"("user_id":")") + kUser + "\"";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"{}", "personality: give user_id or traits"},
      {"{" + user + R"(,"traits":{"social":0.5}})", "user_id: give user_id or traits, not both"},
      {"{" + user + R"(,"personality":{"traits":{"social":0.5}}})",
       "personality: give personality or a top-level user_id or traits, not both"},
      {R"({"user_id":"nope"})",
       R"(user_id: invalid UUID "nope": expected 36 characters like 123e4567-e89b-12d3-a456-426614174000)"},
      {R"({"traits":{"social":2}})", "traits.social must be within [0, 1]"},
      {R"({"traits":{}})", "traits must not be empty"},
      {"{" + user + R"(,"filters":{"category":["water"]}})",
       "filters.category is not available for match"},
      {"{" + user + R"(,"filters":{"duration":{"min_days":1}}})",
       "filters.duration is not available for match"},
      {"{" + user + R"(,"filters":{"available":{"from":"2027-01-01"}}})",
       "filters.available is not available for match"},
      {"{" + user + R"(,"filters":{"rating":{"min":6}}})",
       "filters.rating.min must be within [0, 5]"},
      {"{" + user + R"(,"filters":{"price":{"min":50,"max":10}}})",
       "filters.price.min must be <= filters.price.max"},
      {"{" + user + R"(,"limit":500})", "limit must be within [1, 100]"},
      {"{" + user + R"(,"sort":["price"]})", R"(unknown field "sort")"},
      {"{" + user + R"(,"near":{"lat":0,"lon":181,"radius_km":1}})",
       "near.lon must be within [-180, 180], got 181"},
  };
  for (const auto& [body, message] : cases) EXPECT_EQ(Error("match", body), message) << body;
}

TEST_F(QueryJsonTest, ScoreTakesLeaderIds) {
  absl::StatusOr<engine::query::ScoreRequest> r = parser_.ParseScore(
      std::string(R"({"personality":{"traits":{"social":0.5}},"leader_ids":[")") + kLeader +
      R"(",")" + kUser + R"("]})");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->leader_ids, (std::vector<Uuid>{Id(kLeader), Id(kUser)}));
  EXPECT_EQ(Error("score", std::string(R"({"user_id":")") + kUser + "\"}"),
            "leader_ids is required");
  EXPECT_EQ(Error("score", std::string(R"({"user_id":")") + kUser + R"(","leader_ids":[]})"),
            "leader_ids must not be empty");
  EXPECT_EQ(
      Error("score", std::string(R"({"user_id":")") + kUser + R"(","leader_ids":[")" + kLeader +
                         R"(","1e000000-0000-4000-8000-00000000002x"]})"),
      R"(leader_ids[1]: invalid UUID "1e000000-0000-4000-8000-00000000002x": non-hexadecimal character)");
  EXPECT_EQ(Error("score",
                  std::string(R"({"user_id":")") + kUser + R"(","leader_ids":")" + kLeader + "\"}"),
            "leader_ids must be an array");
  std::string many = std::string(R"({"user_id":")") + kUser + R"(","leader_ids":[)";
  for (int i = 0; i < 1001; ++i) many += std::string(i == 0 ? "" : ",") + "\"" + kLeader + "\"";
  EXPECT_EQ(Error("score", many + "]}"), "leader_ids: at most 1000 ids");
}

TEST_F(QueryJsonTest, SuggestGetAndRecompute) {
  absl::StatusOr<engine::query::SuggestRequest> s =
      parser_.ParseSuggest(R"({"index":"leaders","prefix":"kay","limit":7})");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->index, IndexKind::kLeaders);
  EXPECT_EQ(s->prefix, "kay");
  EXPECT_EQ(s->limit, 7);
  EXPECT_EQ(Error("suggest", "{}"), "prefix is required");
  EXPECT_EQ(Error("suggest", R"({"prefix":""})"), "prefix must not be empty");
  EXPECT_EQ(Error("suggest", R"({"prefix":"a","limit":51})"), "limit must be within [1, 50]");
  EXPECT_EQ(Error("suggest", R"({"prefix":"a","q":"b"})"), R"(unknown field "q")");

  absl::StatusOr<engine::query::GetRequest> g =
      parser_.ParseGet(std::string(R"({"index":"leaders","doc_id":")") + kLeader + "\"}");
  ASSERT_TRUE(g.ok()) << g.status();
  EXPECT_EQ(g->index, IndexKind::kLeaders);
  EXPECT_EQ(g->id, Id(kLeader));
  EXPECT_EQ(Error("get", R"({"index":"tours"})"), "doc_id is required");
  EXPECT_EQ(
      Error("get", R"({"doc_id":"x"})"),
      R"(doc_id: invalid UUID "x": expected 36 characters like 123e4567-e89b-12d3-a456-426614174000)");

  absl::StatusOr<RecomputeRequest> rc = parser_.ParseRecompute("{}");
  ASSERT_TRUE(rc.ok()) << rc.status();
  EXPECT_TRUE(rc->user_ids.empty());
  EXPECT_EQ(rc->k, kDefaultRecomputeK);
  rc = parser_.ParseRecompute(std::string(R"({"user_ids":[")") + kUser + R"("],"k":7})");
  ASSERT_TRUE(rc.ok()) << rc.status();
  EXPECT_EQ(rc->user_ids, std::vector<Uuid>{Id(kUser)});
  EXPECT_EQ(rc->k, 7u);
  EXPECT_EQ(Error("recompute", R"({"k":0})"), "k must be within [1, 1000]");
  EXPECT_EQ(Error("recompute", R"({"k":1e9})"), "k must be within [1, 1000]");
  EXPECT_EQ(Error("recompute", R"({"k":2.5})"), "k must be an integer");
  EXPECT_EQ(
      Error("recompute", R"({"user_ids":["x"]})"),
      R"(user_ids[0]: invalid UUID "x": expected 36 characters like 123e4567-e89b-12d3-a456-426614174000)");
  std::string many = R"({"user_ids":[)";
  for (size_t i = 0; i <= kMaxRecomputeUsers; ++i) {
    many += std::string(i == 0 ? "" : ",") + "\"" + kUser + "\"";
  }
  EXPECT_EQ(Error("recompute", many + "]}"), "user_ids: at most 10000 ids");
}

TEST_F(QueryJsonTest, LongUserTextIsCutInMessages) {
  const std::string key(1000, 'k');
  EXPECT_EQ(SearchError(R"({"filters":{")" + key + R"(":1}})"),
            "unknown field \"" + key.substr(0, 64) + "\" in filters");
}

}  // namespace
}  // namespace otter::server
