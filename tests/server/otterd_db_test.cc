// End to end with the database: a real otterd (`--db`) loading a clone of
// the demo database, spoken to over TCP in JSON lines and binary frames,
// its answers checked against PostgreSQL and PostGIS on the same data.

#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "simdjson.h"
#include "tests/support/otterd_process.h"
#include "tests/support/test_database.h"

#ifndef OTTERD_PATH
#error "OTTERD_PATH must name the otterd binary"
#endif

namespace otter::server {
namespace {

using otter::testing::Client;
using otter::testing::Frame;
using otter::testing::Otterd;
using otter::testing::TestDatabase;
using ::testing::HasSubstr;

// A parsed reply; the document owns the parsed values.
struct Reply {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  std::string text;

  explicit Reply(std::string line) : text(std::move(line)) {
    if (parser.parse(text).get(root) != simdjson::SUCCESS) {
      ADD_FAILURE() << "not JSON: " << text;
      root = parser.parse(std::string_view("{}")).value_unsafe();
    }
  }
  bool ok() const {
    bool value = false;
    return root["ok"].get(value) == simdjson::SUCCESS && value;
  }
  simdjson::dom::element operator[](std::string_view key) const {
    simdjson::dom::element value;
    return root[key].get(value) == simdjson::SUCCESS ? value : simdjson::dom::element();
  }
  bool has(std::string_view key) const { return root[key].error() == simdjson::SUCCESS; }
  std::string error_code() const {
    std::string_view code;
    if (root["error"]["code"].get(code)) return "";
    return std::string(code);
  }
  std::string error_message() const {
    std::string_view message;
    if (root["error"]["message"].get(message)) return "";
    return std::string(message);
  }
};

std::string Str(simdjson::dom::element e) {
  std::string_view value;
  return e.get(value) == simdjson::SUCCESS ? std::string(value) : "<not a string>";
}

// One shared database clone and daemon for the suite: loading takes a few
// seconds, so the tests share them; those that change rows change their own.
class OtterdDbTest : public ::testing::Test {
 protected:
  // A failure here is recorded and reported by every test's SetUp(): a
  // fatal failure inside SetUpTestSuite() would only mark them skipped.
  static void SetUpTestSuite() {
    auto db = TestDatabase::Create("otter_demo");
    if (!db.ok()) return SetUpFailed(absl::StrCat("cannot create the database: ", db.status().ToString()));
    db_ = db->release();
    auto conn = db_->Connect();
    if (!conn.ok()) return SetUpFailed(absl::StrCat("cannot connect: ", conn.status().ToString()));
    conn_ = new loader::PgConnection(*std::move(conn));
    daemon_ = new Otterd(OTTERD_PATH, {"--db", db_->url(), "--after-timeout-ms", "500"});
    Client c = Client::Tcp(daemon_->port());
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (std::chrono::steady_clock::now() < give_up) {
      if (c.Call(R"({"op":"health"})").find("\"status\":\"ready\"") != std::string::npos) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    SetUpFailed("otterd did not become ready; its log:\n" + daemon_->Stderr());
  }
  static void SetUpFailed(std::string why) { setup_error_ = new std::string(std::move(why)); }
  void SetUp() override { ASSERT_EQ(setup_error_, nullptr) << *setup_error_; }
  static void TearDownTestSuite() {
    delete setup_error_;
    delete daemon_;
    delete conn_;
    delete db_;
  }

  // Runs SQL that must succeed.
  static loader::PgResult Sql(const std::string& sql, std::initializer_list<loader::PgConnection::Param> params = {}) {
    absl::StatusOr<loader::PgResult> r = conn_->Exec(sql, params);
    EXPECT_TRUE(r.ok()) << r.status() << "\n" << sql;
    return *std::move(r);
  }
  // The position a client passes as "after" once its writes committed.
  static std::string Position() { return std::string(Sql("SELECT otter_change_position()").Get(0, 0)); }

  static Reply Call(const std::string& json) {
    Client c = Client::Tcp(daemon_->port());
    return Reply(c.Call(json));
  }

  static std::string* setup_error_;
  static TestDatabase* db_;
  static loader::PgConnection* conn_;
  static Otterd* daemon_;
};
std::string* OtterdDbTest::setup_error_ = nullptr;
TestDatabase* OtterdDbTest::db_ = nullptr;
loader::PgConnection* OtterdDbTest::conn_ = nullptr;
Otterd* OtterdDbTest::daemon_ = nullptr;

TEST_F(OtterdDbTest, HealthIsReadyAtTheDatabasePosition) {
  Reply health = Call(R"({"op":"health"})");
  ASSERT_TRUE(health.ok()) << health.text;
  EXPECT_EQ(Str(health["status"]), "ready");
  EXPECT_GT(health["as_of"].get_uint64().value_unsafe(), 0u);
}

TEST_F(OtterdDbTest, StatsReportTheEngineAndTheDatabaseParts) {
  Reply stats = Call(R"({"op":"stats"})");
  ASSERT_TRUE(stats.ok()) << stats.text;
  const std::string active(Sql("SELECT count(*) FROM tours WHERE is_active").Get(0, 0));
  EXPECT_EQ(stats["engine"]["active_tours"].get_uint64().value_unsafe(), std::stoull(active));
  EXPECT_EQ(Str(stats["follower"]["state"]), "ready");
  EXPECT_GT(stats["follower"]["last_load_rows"].get_int64().value_unsafe(), 0);
  EXPECT_TRUE(stats.has("search_recording")) << stats.text;
  EXPECT_TRUE(stats.has("recompute")) << stats.text;
}

// SPEC 2: result sets equal ST_DWithin(geography) except within 0.5 m of
// the boundary; distances agree with ST_Distance within 0.1%.
TEST_F(OtterdDbTest, GeoSearchEqualsPostGIS) {
  loader::PgResult centers = Sql(
      "SELECT ST_Y(coordinates::geometry), ST_X(coordinates::geometry) FROM tours "
      "WHERE coordinates IS NOT NULL ORDER BY id LIMIT 12");
  ASSERT_GT(centers.rows(), 0);
  for (int i = 0; i < centers.rows(); ++i) {
    const std::string lat(centers.Get(i, 0)), lon(centers.Get(i, 1));
    for (const double radius_km : {5.0, 25.0, 300.0}) {
      SCOPED_TRACE(absl::StrCat("center ", lat, ",", lon, " radius ", radius_km, " km"));
      const std::string radius = absl::StrCat(radius_km);
      loader::PgResult expected = Sql(
          "SELECT t.id, ST_Distance(t.coordinates, p.g), "
          "       abs(ST_Distance(t.coordinates, p.g) - $3::float8 * 1000) < 0.5 "
          "FROM tours t JOIN tour_leaders l ON l.id = t.leader_id, "
          "     (SELECT ST_SetSRID(ST_MakePoint($2::float8, $1::float8), 4326)::geography AS g) p "
          "WHERE t.is_active AND l.is_active AND ST_DWithin(t.coordinates, p.g, $3::float8 * 1000)",
          {lat, lon, radius});
      std::map<std::string, double> sql_distance;
      std::set<std::string> borderline;
      for (int r = 0; r < expected.rows(); ++r) {
        sql_distance[std::string(expected.Get(r, 0))] = std::stod(std::string(expected.Get(r, 1)));
        if (expected.Get(r, 2) == "t") borderline.insert(std::string(expected.Get(r, 0)));
      }
      Reply reply = Call(absl::StrCat(R"({"op":"search","index":"tours","near":{"lat":)", lat,
                                      R"(,"lon":)", lon, R"(,"radius_km":)", radius,
                                      R"(},"sort":["distance"],"limit":100})"));
      ASSERT_TRUE(reply.ok()) << reply.text;
      const uint64_t total = reply["total"].get_uint64().value_unsafe();
      EXPECT_LE(std::max<uint64_t>(total, sql_distance.size()) - std::min<uint64_t>(total, sql_distance.size()),
                borderline.size());
      double previous = 0;
      const simdjson::dom::array hits = reply["hits"].get_array().value_unsafe();
      for (simdjson::dom::element hit : hits) {
        const std::string id = Str(hit["id"]);
        const double km = hit["distance_km"].get_double().value_unsafe();
        EXPECT_GE(km, previous) << "hits must come by distance";
        previous = km;
        auto it = sql_distance.find(id);
        if (it == sql_distance.end()) {
          EXPECT_NEAR(km * 1000, radius_km * 1000, 0.5) << id << " is not within the radius for PostGIS";
          continue;
        }
        EXPECT_NEAR(km * 1000, it->second, std::max(1e-3 * it->second, 0.01)) << id;
      }
      // The page is the nearest part of PostGIS's set.
      std::vector<double> nearest;
      for (const auto& [id, d] : sql_distance) nearest.push_back(d);
      std::sort(nearest.begin(), nearest.end());
      const size_t page = hits.size();
      EXPECT_EQ(page, std::min<uint64_t>(100, total));
      if (page > 0 && nearest.size() >= page) {
        EXPECT_LE(previous * 1000, nearest[page - 1] * (1 + 1e-3) + 0.5);
      }
    }
  }
}

// A reply without its timing, to compare two answers to the same question.
std::string WithoutTiming(std::string reply) {
  const size_t at = reply.find(",\"took_us\":");
  if (at == std::string::npos) return reply;
  const size_t end = reply.find_first_of(",}", at + 1);
  return reply.erase(at, end - at);
}

TEST_F(OtterdDbTest, EveryOpAnswersAlikeOverPipelinedJsonLinesAndBinaryFrames) {
  const std::string user(Sql("SELECT user_id FROM user_current_traits ORDER BY user_id LIMIT 1").Get(0, 0));
  loader::PgResult leaders = Sql("SELECT id FROM tour_leaders WHERE is_active ORDER BY id LIMIT 3");
  const std::string tour(Sql("SELECT t.id FROM tours t JOIN tour_leaders l ON l.id = t.leader_id "
                             "WHERE t.is_active AND l.is_active ORDER BY t.id LIMIT 1").Get(0, 0));
  const std::string word(Sql("SELECT lower(split_part(title, ' ', 1)) FROM tours WHERE is_active "
                             "ORDER BY id LIMIT 1").Get(0, 0));
  // op code, then the fields (the JSON line adds id and op).
  const std::vector<std::pair<uint16_t, std::string>> requests = {
      {4, absl::StrCat(R"("index":"tours","q":")", word, R"(","facets":["category"],"limit":5)")},
      {4, R"("index":"leaders","filters":{"verified":true},"sort":[{"rating":"desc"}],"limit":3)"},
      {5, absl::StrCat(R"("user_id":")", user, R"(","limit":5)")},
          {6, absl::StrCat(R"("user_id":")", user, R"(","leader_ids":[")", std::string(leaders.Get(0, 0)),
                       R"(",")", std::string(leaders.Get(1, 0)), R"("])")},
      {7, absl::StrCat(R"("prefix":")", word.substr(0, 3), R"(","limit":5)")},
      {8, absl::StrCat(R"("index":"tours","doc_id":")", tour, R"(")")},
      {1, ""},
  };
  const char* names[] = {"", "ping", "", "", "search", "match", "score", "suggest", "get"};
  std::string lines;
  for (size_t i = 0; i < requests.size(); ++i) {
    const auto& [op, fields] = requests[i];
    lines += absl::StrCat(R"({"id":)", i + 1, R"(,"op":")", names[op], "\"", fields.empty() ? "" : ",", fields, "}\n");
  }
  Client json = Client::Tcp(daemon_->port());
  json.Send(lines);
  std::vector<std::string> json_replies;
  for (size_t i = 0; i < requests.size(); ++i) {
    json_replies.push_back(json.ReadLine());
    Reply reply(json_replies.back());
    EXPECT_TRUE(reply.ok()) << reply.text;
    EXPECT_EQ(reply["id"].get_uint64().value_unsafe(), i + 1) << "JSON lines answer in order";
  }

  Client binary = Client::Tcp(daemon_->port());
  binary.Send(std::string("\xF9OTR\x01\x00\x00\x00", 8));
  ASSERT_EQ(binary.ReadBytes(8), std::string("\xF9OTR\x01\x00\x00\x00", 8));
  std::string frames;
  for (size_t i = 0; i < requests.size(); ++i) {
    const auto& [op, fields] = requests[i];
    frames += Frame(i + 1, op, fields.empty() ? "" : "{" + fields + "}");
  }
  binary.Send(frames);
  std::map<uint64_t, std::string> by_id;
  for (size_t i = 0; i < requests.size(); ++i) {
    auto [id, payload] = binary.ReadFrame();
    by_id[id] = payload;
  }
  for (size_t i = 0; i < requests.size(); ++i) {
    ASSERT_TRUE(by_id.count(i + 1)) << "no binary reply for request " << i + 1;
    EXPECT_EQ(WithoutTiming(by_id[i + 1]), WithoutTiming(json_replies[i]));
  }
}

TEST_F(OtterdDbTest, GetReturnsTheDatabaseRow) {
  loader::PgResult row = Sql(
      "SELECT t.id, t.title, t.price::text, t.city, l.id, l.display_name FROM tours t "
      "JOIN tour_leaders l ON l.id = t.leader_id WHERE t.is_active AND l.is_active ORDER BY t.id DESC LIMIT 1");
  Reply reply = Call(absl::StrCat(R"({"op":"get","doc_id":")", std::string(row.Get(0, 0)), R"("})"));
  ASSERT_TRUE(reply.ok()) << reply.text;
  simdjson::dom::element hit = reply["hit"];
  EXPECT_EQ(Str(hit["id"]), row.Get(0, 0));
  EXPECT_EQ(Str(hit["title"]), row.Get(0, 1));
  EXPECT_DOUBLE_EQ(hit["price"].get_double().value_unsafe(), std::stod(std::string(row.Get(0, 2))));
  EXPECT_EQ(Str(hit["city"]), row.Get(0, 3));
  EXPECT_EQ(Str(hit["leader"]["id"]), row.Get(0, 4));
  EXPECT_EQ(Str(hit["leader"]["display_name"]), row.Get(0, 5));
}

// The compatibility otterd computes is PostgreSQL's otter_compatibility,
// and match returns the best leaders by it.
TEST_F(OtterdDbTest, MatchAgreesWithTheSqlCompatibilityFunction) {
  loader::PgResult users = Sql("SELECT user_id FROM user_current_traits ORDER BY user_id LIMIT 5");
  for (int u = 0; u < users.rows(); ++u) {
    const std::string user(users.Get(u, 0));
    SCOPED_TRACE(user);
    loader::PgResult expected = Sql(
        "SELECT l.id, otter_compatibility(c.traits, l.personality_traits) AS score "
        "FROM tour_leaders l, user_current_traits c WHERE c.user_id = $1 AND l.is_active "
        "ORDER BY score DESC, l.id LIMIT 10",
        {user});
    Reply reply = Call(absl::StrCat(R"({"op":"match","user_id":")", user, R"(","limit":10})"));
    ASSERT_TRUE(reply.ok()) << reply.text;
    simdjson::dom::array hits = reply["hits"].get_array().value_unsafe();
    ASSERT_EQ(hits.size(), static_cast<size_t>(expected.rows()));
    size_t i = 0;
    for (simdjson::dom::element hit : hits) {
      // Scores are single precision: equal ranks up to 1e-3 may swap.
      EXPECT_NEAR(hit["compatibility"].get_double().value_unsafe(),
                  std::stod(std::string(expected.Get(static_cast<int>(i), 1))), 1e-3);
      ++i;
    }
  }
}

TEST_F(OtterdDbTest, ACommittedChangeIsAnsweredAfterItsPosition) {
  const std::string tour(Sql("SELECT t.id FROM tours t JOIN tour_leaders l ON l.id = t.leader_id "
                             "WHERE t.is_active AND l.is_active ORDER BY t.id OFFSET 3 LIMIT 1").Get(0, 0));
  Sql("UPDATE tours SET title = 'Quokkaland zebrafinch safari' WHERE id = $1", {tour});
  std::string position = Position();
  Reply found = Call(absl::StrCat(R"({"op":"search","q":"zebrafinch quokkaland","after":)", position, "}"));
  ASSERT_TRUE(found.ok()) << found.text;
  EXPECT_GE(found["as_of"].get_uint64().value_unsafe(), std::stoull(position));
  ASSERT_EQ(found["total"].get_uint64().value_unsafe(), 1u) << found.text;
  EXPECT_EQ(Str(found["hits"].at(0)["id"]), tour);

  Sql("UPDATE tours SET is_active = false WHERE id = $1", {tour});
  position = Position();
  Reply gone = Call(absl::StrCat(R"({"op":"get","doc_id":")", tour, R"(","after":)", position, "}"));
  EXPECT_EQ(gone.error_code(), "not_found") << gone.text;
  Reply none = Call(absl::StrCat(R"({"op":"search","q":"zebrafinch","after":)", position, "}"));
  EXPECT_EQ(none["total"].get_uint64().value_unsafe(), 0u) << none.text;
}

TEST_F(OtterdDbTest, APositionNotAppliedInTimeIsUnavailable) {
  const uint64_t far = std::stoull(Position()) + 1'000'000;
  Reply reply = Call(absl::StrCat(R"({"op":"search","q":"tour","after":)", far, "}"));
  EXPECT_EQ(reply.error_code(), "unavailable") << reply.text;
  EXPECT_THAT(reply.error_message(), HasSubstr("was not applied within 500 ms"));
}

TEST_F(OtterdDbTest, BadInputGetsAClearErrorAndTheConnectionKeepsServing) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"({"op":"search","near":{"lat":91,"lon":0,"radius_km":5}})", "near.lat"},
      {R"({"op":"search","near":{"lat":10,"lon":0,"radius_km":-5}})", "near.radius_km"},
      {R"({"op":"search","limit":1000000000})", "limit must be within [1, 100]"},
      {R"({"op":"search","limit":"ten"})", "limit"},
      {R"({"op":"get","doc_id":"not-a-uuid"})", "doc_id"},
      {R"({"op":"score","user_id":"05000000-0000-0001-0000-000000000000","leader_ids":["x"]})", "leader_ids[0]"},
      {R"({"op":"search","filters":{"colour":"red"}})", "unknown field \"colour\" in filters"},
      {R"({"op":"search","q":"kayak")", "malformed JSON"},
      {R"({"op":"search","sort":["colour"]})", "colour"},
  };
  Client c = Client::Tcp(daemon_->port());
  for (const auto& [request, message] : cases) {
    Reply reply(c.Call(request));
    EXPECT_EQ(reply.error_code(), "bad_request") << request << " -> " << reply.text;
    EXPECT_THAT(reply.error_message(), HasSubstr(message)) << request;
  }
  Reply missing(c.Call(R"({"op":"get","doc_id":"00000000-0000-0000-0000-000000000001"})"));
  EXPECT_EQ(missing.error_code(), "not_found") << missing.text;
  EXPECT_THAT(c.Call(R"({"op":"ping"})"), HasSubstr("\"pong\":true"));
}

TEST_F(OtterdDbTest, ANewQuizResultRecomputesThatUsersMatchScores) {
  const std::string user(Sql("SELECT id FROM users ORDER BY id OFFSET 7 LIMIT 1").Get(0, 0));
  Sql("DELETE FROM personality_match_scores WHERE user_id = $1", {user});
  // A new result whose traits mirror another user's (1 - value): real trait
  // names, new values.
  Sql("INSERT INTO user_quiz_results (user_id, traits, completed_at) "
      "SELECT $1, jsonb_object_agg(key, round(1 - value::numeric, 2)), now() + interval '1 day' "
      "FROM (SELECT traits FROM user_current_traits WHERE user_id <> $1 ORDER BY user_id LIMIT 1) t, "
      "     jsonb_each_text(t.traits)",
      {user});
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  int64_t stored = 0;
  while (stored == 0 && std::chrono::steady_clock::now() < give_up) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    stored = std::stoll(std::string(
        Sql("SELECT count(*) FROM personality_match_scores WHERE user_id = $1", {user}).Get(0, 0)));
  }
  ASSERT_GT(stored, 0) << "no scores were written; otterd's log:\n" << daemon_->Stderr();
  // Every stored score is PostgreSQL's own, rounded as numeric(5,2) rounds.
  loader::PgResult wrong = Sql(
      "SELECT s.leader_id, s.score, otter_compatibility(c.traits, l.personality_traits) "
      "FROM personality_match_scores s JOIN tour_leaders l ON l.id = s.leader_id "
      "JOIN user_current_traits c ON c.user_id = s.user_id "
      "WHERE s.user_id = $1 AND abs(s.score - otter_compatibility(c.traits, l.personality_traits)) > 0.0051",
      {user});
  EXPECT_EQ(wrong.rows(), 0) << "first wrong leader: " << (wrong.rows() ? wrong.Get(0, 0) : "");
  const int64_t active = std::stoll(std::string(Sql("SELECT count(*) FROM tour_leaders WHERE is_active").Get(0, 0)));
  EXPECT_EQ(stored, std::min<int64_t>(50, active));
}

TEST_F(OtterdDbTest, SearchesAreRecordedInTheBackground) {
  Reply reply = Call(R"({"op":"search","q":"Wombatfjord","filters":{"category":"nature"}})");
  ASSERT_TRUE(reply.ok()) << reply.text;
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  int rows = 0;
  while (rows == 0 && std::chrono::steady_clock::now() < give_up) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    rows = Sql("SELECT filters->>'category' FROM search_history WHERE query = 'Wombatfjord'").rows();
  }
  EXPECT_EQ(rows, 1);
  EXPECT_EQ(Sql("SELECT search_count FROM popular_searches WHERE query = 'wombatfjord'").rows(), 1);
}

}  // namespace
}  // namespace otter::server
