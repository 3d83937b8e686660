// Writing search batches against a real PostgreSQL: rows land in
// search_history exactly as the contract says, and popular_searches always
// equals an aggregate that PostgreSQL computes itself over search_history.

#include "loader/search_log_writer.h"

#include <chrono>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include "tests/support/test_database.h"

namespace otter::loader {
namespace {

using engine::Uuid;
using otter::testing::TestDatabase;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
using ::testing::Optional;
using Clock = std::chrono::system_clock;
using Table = std::vector<std::vector<std::string>>;

constexpr char kNull[] = "<null>";

// Every value of every row of `sql`'s result, NULL as kNull.
Table Query(PgConnection& conn, const std::string& sql,
            std::initializer_list<PgConnection::Param> params = {}) {
  absl::StatusOr<PgResult> r = conn.Exec(sql, params);
  EXPECT_TRUE(r.ok()) << r.status() << "\n" << sql;
  Table out;
  if (!r.ok()) return out;
  for (int i = 0; i < r->rows(); ++i) {
    std::vector<std::string>& row = out.emplace_back();
    for (int j = 0; j < r->columns(); ++j) {
      row.push_back(r->IsNull(i, j) ? kNull : std::string(r->Get(i, j)));
    }
  }
  return out;
}

Clock::time_point At(int day, int64_t micros, int nanos = 0) {
  return Clock::time_point(std::chrono::sys_days(std::chrono::year{2027} / 5 / day)) +
         std::chrono::microseconds(micros) + std::chrono::nanoseconds(nanos);
}

// A search of `query` at `at`, with no filters and no counts.
SearchLogRow Search(std::string query, Clock::time_point at,
                    std::optional<Uuid> user = std::nullopt,
                    SearchLogType type = SearchLogType::kTours) {
  SearchLogRow row;
  row.type = type;
  row.query = std::move(query);
  row.user_id = user;
  row.searched_at = at;
  return row;
}

std::string EpochMicros(Clock::time_point t) {
  return std::to_string(
      std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count());
}

std::string Repeat(std::string_view s, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out.append(s);
  return out;
}

// popular_searches as PostgreSQL's own functions derive it from
// search_history: lower-cased, ASCII whitespace trimmed and collapsed,
// 1..200 characters; the latest search's results_count.
constexpr char kPopularOracle[] =
    "WITH h AS (SELECT search_type, results_count, created_at,"
    "   lower(btrim(regexp_replace(query, '[ \\t\\n\\r]+', ' ', 'g'))) AS q"
    "   FROM search_history WHERE query IS NOT NULL)"
    " SELECT search_type, q, count(*)::text,"
    "   ((array_agg(results_count ORDER BY created_at DESC))[1])::text,"
    "   (extract(epoch FROM max(created_at)) * 1000000)::bigint::text"
    " FROM h WHERE char_length(q) BETWEEN 1 AND 200 GROUP BY 1, 2 ORDER BY 1, 2";

constexpr char kPopular[] =
    "SELECT search_type, query, search_count::text, last_results_count::text,"
    "   (extract(epoch FROM last_searched_at) * 1000000)::bigint::text"
    " FROM popular_searches ORDER BY 1, 2";

TEST(PopularQueryTest, FoldsCaseAndCollapsesWhitespace) {
  EXPECT_THAT(PopularQuery("  Sunset   KAYAK\t\nLisboa "),
              Optional(std::string("sunset kayak lisboa")));
  EXPECT_THAT(PopularQuery("CAFÉ Montréal"), Optional(std::string("café montréal")));
  // No-break and ideographic spaces separate words; a soft hyphen is dropped.
  EXPECT_THAT(PopularQuery("a\u00a0b\u3000c"), Optional(std::string("a b c")));
  EXPECT_THAT(PopularQuery("kay\u00adak"), Optional(std::string("kayak")));
  EXPECT_THAT(PopularQuery(std::string("a\0b", 3)), Optional(std::string("ab")));
  EXPECT_THAT(PopularQuery("\xff"), Optional(std::string("\ufffd")));
}

TEST(PopularQueryTest, CountsOnlyOneToTwoHundredCharacters) {
  EXPECT_EQ(PopularQuery(""), std::nullopt);
  EXPECT_EQ(PopularQuery(" \t\r\n"), std::nullopt);
  EXPECT_THAT(PopularQuery(Repeat("É", 200)), Optional(Repeat("é", 200)));
  EXPECT_EQ(PopularQuery(Repeat("é", 201)), std::nullopt);
  // The limit applies to the normalized form.
  EXPECT_THAT(PopularQuery(absl::StrCat("a", std::string(300, ' '), "b")),
              Optional(std::string("a b")));
}

TEST(HistoryQueryTest, KeepsValidTextAndCutsAtACodePointBoundary) {
  EXPECT_EQ(HistoryQuery(""), std::nullopt);
  EXPECT_THAT(HistoryQuery("  Mixed Case  "), Optional(std::string("  Mixed Case  ")));
  EXPECT_THAT(HistoryQuery(Repeat("é", 1500)), Optional(Repeat("é", 1000)));
  EXPECT_THAT(HistoryQuery(absl::StrCat("ok\xc3", std::string("\0", 1), "!")),
              Optional(std::string("ok\ufffd!")));
}

class SearchLogWriterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = TestDatabase::Create("otter_demo");
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = *std::move(db);
    auto conn = db_->Connect();
    ASSERT_TRUE(conn.ok()) << conn.status();
    conn_.emplace(*std::move(conn));
    // The demo data has searches of its own.
    ASSERT_TRUE(conn_->Exec("TRUNCATE search_history, popular_searches").ok());
    for (const auto& row : Query(*conn_, "SELECT id::text FROM users ORDER BY id LIMIT 2")) {
      auto id = Uuid::Parse(row[0]);
      ASSERT_TRUE(id.ok()) << id.status();
      users_.push_back(*id);
    }
    ASSERT_EQ(users_.size(), 2u);
  }

  // Roles are cluster-wide: drop them. A closed session may still be
  // dropping its temporary table, which depends on its role, for a moment.
  void TearDown() override {
    for (const std::string& role : roles_) {
      absl::Status dropped;
      for (int attempt = 0; attempt < 100; ++attempt) {
        dropped = conn_->Exec(absl::StrCat("DROP ROLE IF EXISTS ", role)).status();
        if (dropped.ok()) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
      EXPECT_TRUE(dropped.ok()) << dropped;
    }
  }

  // A LOGIN role of this test, member of `group` unless it is empty, and a
  // URL that connects as it.
  std::string CreateRole(std::string_view suffix, std::string_view group) {
    const std::string role = absl::StrCat(db_->name(), "_", std::string(suffix));
    EXPECT_TRUE(conn_->Exec(absl::StrCat("CREATE ROLE ", role, " LOGIN")).ok());
    roles_.push_back(role);
    if (!group.empty()) {
      EXPECT_TRUE(conn_->Exec(absl::StrCat("GRANT ", std::string(group), " TO ", role)).ok());
    }
    return absl::StrCat(db_->url(), "?user=", role);
  }

  std::unique_ptr<TestDatabase> db_;
  std::optional<PgConnection> conn_;
  std::vector<Uuid> users_;  // two users that exist
  std::vector<std::string> roles_;
};

TEST_F(SearchLogWriterTest, BatchLandsInBothTablesExactly) {
  const Uuid unknown = *Uuid::Parse("00000000-0000-4000-8000-00000000abcd");
  const std::string long_query = Repeat("é", 1500);
  const std::vector<SearchLogRow> rows = {
      {.type = SearchLogType::kTours,
       .query = "Sunset Kayak",
       .filters_json = R"({"category": ["water"], "price": {"max": 120}})",
       .results_count = 137,
       .took_us = 412,
       .user_id = users_[0],
       .searched_at = At(1, 1000, 999)},
      {.type = SearchLogType::kTours,
       .query = "  sunset\t KAYAK ",
       .filters_json = "not json",
       .results_count = 5000000000,
       .took_us = 9,
       .user_id = unknown,
       .searched_at = At(1, 3000)},
      {.type = SearchLogType::kLeaders,
       .query = "Sunset Kayak",
       .filters_json = "[1]",
       .results_count = 4,
       .took_us = 5,
       .user_id = users_[1],
       .searched_at = At(1, 2000)},
      {.type = SearchLogType::kTours,
       .query = "",
       .filters_json = R"({"a": "\u0000"})",
       .results_count = 0,
       .took_us = 1,
       .user_id = std::nullopt,
       .searched_at = At(1, 4000)},
      {.type = SearchLogType::kTours,
       .query = long_query,
       .filters_json = R"({"a": "\ud800"})",
       .results_count = 1,
       .took_us = 2,
       .user_id = unknown,
       .searched_at = At(1, 5000)},
      {.type = SearchLogType::kTours,
       .query = "Tab\tNew\nLine\\Back",
       .filters_json = "{\n\"a\":\t1}",
       .results_count = 3,
       .took_us = 3,
       .user_id = users_[0],
       .searched_at = At(1, 6000)},
      // Recorded before the first row: not the latest of its key.
      {.type = SearchLogType::kTours,
       .query = "SUNSET KAYAK",
       .filters_json = "{}",
       .results_count = 77,
       .took_us = 4,
       .user_id = std::nullopt,
       .searched_at = At(1, 500)},
  };
  absl::StatusOr<SearchLogWriteResult> r = WriteSearchLog(*conn_, rows);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->history_rows, rows.size());
  EXPECT_EQ(r->popular_queries, 3u);  // tours/sunset kayak, leaders/sunset kayak, tours/tab new...
  EXPECT_EQ(r->unknown_users, 1u);

  const std::string u0 = users_[0].ToString();
  const std::string u1 = users_[1].ToString();
  const Table expected_history = {
      {"tours", "77", "4", "SUNSET KAYAK", "{}", kNull, EpochMicros(At(1, 500))},
      {"tours", "137", "412", "Sunset Kayak", R"({"price": {"max": 120}, "category": ["water"]})",
       u0, EpochMicros(At(1, 1000))},
      {"leaders", "4", "5", "Sunset Kayak", "{}", u1, EpochMicros(At(1, 2000))},
      {"tours", "2147483647", "9", "  sunset\t KAYAK ", "{}", kNull, EpochMicros(At(1, 3000))},
      {"tours", "0", "1", kNull, "{}", kNull, EpochMicros(At(1, 4000))},
      {"tours", "1", "2", Repeat("é", 1000), "{}", kNull, EpochMicros(At(1, 5000))},
      {"tours", "3", "3", "Tab\tNew\nLine\\Back", R"({"a": 1})", u0, EpochMicros(At(1, 6000))},
  };
  EXPECT_THAT(Query(*conn_,
                    "SELECT search_type, results_count::text, took_us::text, query, filters::text,"
                    " user_id::text, (extract(epoch FROM created_at) * 1000000)::bigint::text"
                    " FROM search_history ORDER BY created_at"),
              ElementsAreArray(expected_history));
  // PostgreSQL counts the cut query as its first 1000 characters.
  EXPECT_THAT(Query(*conn_, "SELECT count(*) FROM search_history WHERE query = left($1, 1000)",
                    {long_query}),
              ElementsAreArray(Table{{"1"}}));

  const Table expected_popular = {
      {"leaders", "sunset kayak", "1", "4", EpochMicros(At(1, 2000))},
      {"tours", "sunset kayak", "3", "2147483647", EpochMicros(At(1, 3000))},
      {"tours", "tab new line\\back", "1", "3", EpochMicros(At(1, 6000))},
  };
  EXPECT_THAT(Query(*conn_, kPopular), ElementsAreArray(expected_popular));
  EXPECT_THAT(Query(*conn_, kPopularOracle), ElementsAreArray(expected_popular));
}

TEST_F(SearchLogWriterTest, RandomBatchesKeepPopularEqualToTheHistoryAggregate) {
  const uint32_t seed = std::random_device{}();
  SCOPED_TRACE(absl::StrCat("seed ", seed));
  std::mt19937 rng(seed);
  const std::vector<std::string> pool = {
      "sunset kayak", "Sunset  Kayak",  " SUNSET KAYAK\t", "café lisboa",
      "CAFÉ LISBOA",  "food tour",      "Food\nTour",      "",
      "   ",          Repeat("x", 201), "Ölberg",          "ölberg ",
      "a b c",        "A  B   C",       Repeat("Ab", 100)};
  const std::optional<Uuid> unknown = *Uuid::Parse("00000000-0000-4000-8000-000000001234");
  const std::vector<std::optional<Uuid>> users = {std::nullopt, users_[0], users_[1], unknown};

  std::vector<std::map<std::string, std::string>> popular_ids;
  int64_t written = 0;
  for (int batch = 0; batch < 3; ++batch) {
    // Distinct times (the oracle's "latest" must be unique), drawn across
    // the same day for every batch so that later batches hold older ones.
    std::vector<int64_t> micros(200);
    for (size_t i = 0; i < micros.size(); ++i) micros[i] = int64_t(i) * 3 * 1000000 + batch;
    std::shuffle(micros.begin(), micros.end(), rng);
    std::vector<SearchLogRow> rows;
    for (int64_t m : micros) {
      rows.push_back({.type = rng() % 2 ? SearchLogType::kTours : SearchLogType::kLeaders,
                      .query = pool[rng() % pool.size()],
                      .results_count = rng() % 1000,
                      .took_us = rng() % 5000,
                      .user_id = users[rng() % users.size()],
                      .searched_at = At(2, m)});
    }
    absl::StatusOr<SearchLogWriteResult> r = WriteSearchLog(*conn_, rows);
    ASSERT_TRUE(r.ok()) << r.status();
    written += static_cast<int64_t>(rows.size());

    EXPECT_THAT(Query(*conn_, "SELECT count(*) FROM search_history"),
                ElementsAreArray(Table{{std::to_string(written)}}));
    EXPECT_THAT(Query(*conn_, "SELECT count(*) FROM search_history WHERE user_id = $1::uuid",
                      {unknown->ToString()}),
                ElementsAreArray(Table{{"0"}}));
    EXPECT_THAT(Query(*conn_, kPopular), ElementsAreArray(Query(*conn_, kPopularOracle)));
    // A key keeps its row (and id) once created: batches update it in place.
    std::map<std::string, std::string>& ids = popular_ids.emplace_back();
    for (const auto& row :
         Query(*conn_, "SELECT search_type || '/' || query, id::text FROM popular_searches")) {
      ids[row[0]] = row[1];
    }
    if (batch > 0) {
      for (const auto& [key, id] : popular_ids[batch - 1]) EXPECT_EQ(ids[key], id) << key;
    }
  }
}

TEST_F(SearchLogWriterTest, WritesAsARoleWithOnlyOtterWriter) {
  const std::string url = CreateRole("writer", "otter_writer");
  absl::StatusOr<PgConnection> writer = PgConnection::Connect(url);
  ASSERT_TRUE(writer.ok()) << writer.status();
  ASSERT_THAT(Query(*writer, "SELECT current_user"), ElementsAreArray(Table{{roles_.back()}}));
  // otter_writer cannot read users: the unknown id is found through the
  // foreign key alone.
  ASSERT_FALSE(writer->Exec("SELECT id FROM users LIMIT 1").ok());

  const Uuid unknown = *Uuid::Parse("00000000-0000-4000-8000-00000000beef");
  for (int batch = 0; batch < 2; ++batch) {
    const std::vector<SearchLogRow> rows = {
        Search("Kayak", At(3, 1), users_[0]),
        Search("kayak", At(3, 2), unknown),
        Search("guide", At(3, 3), std::nullopt, SearchLogType::kLeaders),
    };
    absl::StatusOr<SearchLogWriteResult> r = WriteSearchLog(*writer, rows);
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->unknown_users, 1u);
  }
  EXPECT_THAT(Query(*conn_,
                    "SELECT coalesce(user_id::text, 'null'), count(*)::text FROM search_history"
                    " GROUP BY 1 ORDER BY 1"),
              ElementsAreArray(Table{{users_[0].ToString(), "2"}, {"null", "4"}}));
  EXPECT_THAT(
      Query(*conn_,
            "SELECT search_type, query, search_count::text FROM popular_searches ORDER BY 1"),
      ElementsAreArray(Table{{"leaders", "guide", "2"}, {"tours", "kayak", "4"}}));
}

TEST_F(SearchLogWriterTest, ARoleWithoutOtterWriterIsDeniedAndTheConnectionStaysUsable) {
  absl::StatusOr<PgConnection> other = PgConnection::Connect(CreateRole("nobody", ""));
  ASSERT_TRUE(other.ok()) << other.status();
  const std::vector<SearchLogRow> rows = {Search("kayak", At(4, 1))};
  absl::StatusOr<SearchLogWriteResult> r = WriteSearchLog(*other, rows);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(r.status().message(), HasSubstr("popular_searches"));
  EXPECT_EQ(PQtransactionStatus(other->get()), PQTRANS_IDLE);
  EXPECT_THAT(Query(*other, "SELECT 1"), ElementsAreArray(Table{{"1"}}));
  EXPECT_THAT(Query(*conn_,
                    "SELECT (SELECT count(*) FROM search_history)::text,"
                    " (SELECT count(*) FROM popular_searches)::text"),
              ElementsAreArray(Table{{"0", "0"}}));
}

TEST_F(SearchLogWriterTest, AnEmptyBatchWritesNothing) {
  absl::StatusOr<SearchLogWriteResult> r = WriteSearchLog(*conn_, {});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->history_rows, 0u);
  EXPECT_EQ(r->popular_queries, 0u);
  EXPECT_EQ(PQtransactionStatus(conn_->get()), PQTRANS_IDLE);
}

}  // namespace
}  // namespace otter::loader
