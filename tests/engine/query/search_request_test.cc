// Validation of the query requests: each invalid field gives
// kInvalidArgument with its exact message.

#include "engine/query/search_request.h"

#include <string>

#include "gtest/gtest.h"

namespace otter::engine::query {
namespace {

void ExpectInvalid(const absl::Status& status, const std::string& message) {
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
  EXPECT_EQ(status.message(), message);
}

TEST(SearchRequestTest, DefaultRequestIsValid) { EXPECT_TRUE(SearchRequest{}.Validate().ok()); }

TEST(SearchRequestTest, EachInvalidFieldIsNamed) {
  SearchRequest r;
  r.near = NearSpec{38.7, -9.1, -1};
  ExpectInvalid(r.Validate(), "near.radius_km must be >= 0");
  r.near = NearSpec{91, -9.1, 5};
  ExpectInvalid(r.Validate(), "near.lat must be within [-90, 90], got 91");
  r = SearchRequest{};
  r.limit = 0;
  ExpectInvalid(r.Validate(), "limit must be within [1, 100]");
  r.limit = 101;
  ExpectInvalid(r.Validate(), "limit must be within [1, 100]");
  r = SearchRequest{};
  r.offset = -1;
  ExpectInvalid(r.Validate(), "offset must be >= 0");
  r.offset = 990;
  ExpectInvalid(r.Validate(), "offset + limit must be <= 1000");
  r = SearchRequest{};
  r.sort = {{"price", SortOrder::kDefault}, {"colour", SortOrder::kDefault}};
  ExpectInvalid(r.Validate(), "sort[1]: unknown key \"colour\"");
  r.sort = {{"relevance", SortOrder::kDefault}};
  ExpectInvalid(r.Validate(), "sort[0]: \"relevance\" needs q");
  r.sort = {{"price", SortOrder::kDefault}, {"price", SortOrder::kDescending}};
  ExpectInvalid(r.Validate(), "sort[1]: key \"price\" given twice");
  r = SearchRequest{};
  r.personality = PersonalitySpec{Uuid(), {{"social", 0.5}}};
  ExpectInvalid(r.Validate(), "personality: give user_id or traits, not both");
  r.personality = PersonalitySpec{};
  ExpectInvalid(r.Validate(), "personality: give user_id or traits");
  r.personality = PersonalitySpec{std::nullopt, {{"social", 1.5}}};
  ExpectInvalid(r.Validate(), "personality.traits.social must be within [0, 1]");
  r = SearchRequest{};
  r.q = "";
  ExpectInvalid(r.Validate(), "q must not be empty");
  r = SearchRequest{};
  r.near = NearSpec{1, 1, 1};
  r.bbox = GeoBox{0, 0, 1, 1};
  ExpectInvalid(r.Validate(), "near: give near or bbox, not both");
  r = SearchRequest{};
  r.bbox = GeoBox{10, 0, 5, 1};
  ExpectInvalid(r.Validate(), "bbox.south must be <= bbox.north");
  r = SearchRequest{};
  r.facets = {"category", "colour"};
  ExpectInvalid(r.Validate(), "facets[1]: unknown facet \"colour\"");
  r = SearchRequest{};
  r.index = IndexKind::kLeaders;
  r.tour_filters.categories = {"water"};
  ExpectInvalid(r.Validate(), "filters.category is not available for index leaders");
  r = SearchRequest{};
  r.index = IndexKind::kLeaders;
  r.leader_filters.price_min_cents = 500;
  r.leader_filters.price_max_cents = 100;
  ExpectInvalid(r.Validate(), "filters.price.min must be <= filters.price.max");
  r = SearchRequest{};
  r.cursor = "abc";
  r.offset = 5;
  ExpectInvalid(r.Validate(), "cursor: give cursor or offset, not both");
}

TEST(SearchRequestTest, RankExpressionIsChecked) {
  SearchRequest r;
  r.near = NearSpec{38.7, -9.1, 25};
  r.rank = RankSpec{};
  r.rank->distance = DistanceDecaySpec{"cubic", 10, 0, 0.5, 1};
  ExpectInvalid(r.Validate(), "rank.distance.decay must be gauss, exp or linear, got \"cubic\"");
  r.rank->distance = DistanceDecaySpec{"gauss", 0, 0, 0.5, 1};
  ExpectInvalid(r.Validate(), "rank.distance.scale_km must be > 0");
  r.rank->distance = DistanceDecaySpec{"exp", 10, -1, 0.5, 1};
  ExpectInvalid(r.Validate(), "rank.distance.offset_km must be >= 0");
  r.rank->distance = DistanceDecaySpec{"linear", 10, 0, 1, 1};
  ExpectInvalid(r.Validate(), "rank.distance.decay_at_scale must be within (0, 1)");
  r.rank->distance = DistanceDecaySpec{"gauss", 10, 0, 0.5, 1};
  EXPECT_TRUE(r.Validate().ok());
  r.rank->text = 1;
  ExpectInvalid(r.Validate(), "rank.text needs q");
  r.rank->text.reset();
  r.rank->rating = -1;
  ExpectInvalid(r.Validate(), "rank.rating must be a finite number >= 0");
  r.rank->rating.reset();
  r.rank->compatibility = 1;
  ExpectInvalid(r.Validate(), "rank.compatibility needs personality");
  r.near.reset();
  r.rank = RankSpec{};
  r.rank->distance = DistanceDecaySpec{};
  ExpectInvalid(r.Validate(), "rank.distance needs near");
}

TEST(SearchRequestTest, OtherOpsValidate) {
  ScoreRequest score;
  score.personality.traits = {{"social", 0.5}};
  ExpectInvalid(score.Validate(), "leader_ids must not be empty");
  SuggestRequest suggest;
  ExpectInvalid(suggest.Validate(), "prefix must not be empty");
  suggest.prefix = "ka";
  suggest.limit = 51;
  ExpectInvalid(suggest.Validate(), "limit must be within [1, 50]");
  MatchRequest match;
  ExpectInvalid(match.Validate(), "personality: give user_id or traits");
}

}  // namespace
}  // namespace otter::engine::query
