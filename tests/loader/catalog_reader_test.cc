// The bulk load against the demo database: every record the reader
// delivers equals the database row, as an independent text-format SELECT of
// the same rows shows it; counts match; the fence is returned; the re-fetch
// by keys delivers the same records.

#include "loader/catalog_reader.h"

#include <cstdio>
#include <cstdlib>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "engine/status_macros.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/test_database.h"

namespace otter::loader {
namespace {

using engine::Uuid;

using Traits = std::map<std::string, double>;

// Keeps everything it is given.
class RecordingSink : public CatalogSink {
 public:
  absl::Status OnPersonalityType(PersonalityTypeRow&& type) override {
    const std::string id = type.id.ToString();
    types[id] = std::move(type);
    return absl::OkStatus();
  }
  absl::Status OnLeader(engine::LeaderRecord&& leader) override {
    const std::string id = leader.id.ToString();
    leaders[id] = std::move(leader);
    return absl::OkStatus();
  }
  absl::Status OnLeaderTraits(const Uuid& id, absl::Span<const engine::NamedTrait> traits) override {
    if (!leaders.contains(id.ToString())) return absl::InternalError("traits before their leader");
    leader_traits[id.ToString()] = Copy(traits);
    return absl::OkStatus();
  }
  absl::Status OnTour(engine::TourRecord&& tour) override {
    const std::string id = tour.id.ToString();
    tours[id] = std::move(tour);
    return absl::OkStatus();
  }
  absl::Status OnSchedule(engine::ScheduleRecord&& schedule) override {
    schedules[schedule.id.ToString()] = schedule;
    return absl::OkStatus();
  }
  absl::Status OnUserTraits(const Uuid& user, absl::Span<const engine::NamedTrait> traits) override {
    user_traits[user.ToString()] = Copy(traits);
    return absl::OkStatus();
  }

  static Traits Copy(absl::Span<const engine::NamedTrait> traits) {
    Traits out;
    for (const engine::NamedTrait& t : traits) out[std::string(t.name)] = t.value;
    return out;
  }

  std::map<std::string, PersonalityTypeRow> types;
  std::map<std::string, engine::LeaderRecord> leaders;
  std::map<std::string, Traits> leader_traits;
  std::map<std::string, engine::TourRecord> tours;
  std::map<std::string, engine::ScheduleRecord> schedules;
  std::map<std::string, Traits> user_traits;
};

std::string Num(double v) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}
// A float8 or numeric in the database's text form, as the same canonical text.
std::string NumText(std::string_view text) { return Num(std::strtod(std::string(text).c_str(), nullptr)); }

std::string Opt(const std::optional<engine::CivilDay>& day) {
  return day ? engine::FormatIsoDate(*day) : "NULL";
}

// The record's fields in the canonical text form the SQL below produces.
std::vector<std::string> TourFields(const engine::TourRecord& t) {
  std::vector<std::string> days;
  for (engine::CivilDay d : t.blackout_dates) days.push_back(engine::FormatIsoDate(d));
  return {t.id.ToString(), t.leader_id.ToString(), t.title, t.slug, t.description, t.category,
          absl::StrJoin(t.tags, "\x1f"), absl::StrCat(t.price_cents), t.currency, absl::StrCat(t.duration_days),
          t.duration_hours ? Num(*t.duration_hours) : "NULL",
          t.max_participants ? absl::StrCat(*t.max_participants) : "NULL", t.city, t.country,
          t.location ? Num(t.location->lat) : "NULL", t.location ? Num(t.location->lon) : "NULL",
          absl::StrJoin(t.images, "\x1f"), Opt(t.availability_start), Opt(t.availability_end),
          absl::StrJoin(days, ","), absl::StrCat(t.total_reviews), absl::StrCat(t.average_rating_x100),
          t.is_active ? "t" : "f", absl::StrCat(t.created_at_us), absl::StrCat(t.updated_at_us)};
}

constexpr char kToursText[] = R"sql(
  SELECT id, leader_id, title, slug, coalesce(description, ''), category,
         array_to_string(ARRAY(SELECT jsonb_array_elements_text(tags)), E'\x1f'),
         (price * 100)::bigint, currency, coalesce(duration_days, 0), duration_hours, max_participants,
         coalesce(city, ''), coalesce(country, ''), ST_Y(coordinates::geometry), ST_X(coordinates::geometry),
         array_to_string(ARRAY(SELECT jsonb_array_elements_text(images)), E'\x1f'),
         availability_start, availability_end,
         array_to_string(ARRAY(SELECT jsonb_array_elements_text(blackout_dates)), ','),
         total_reviews, (average_rating * 100)::int, is_active,
         (extract(epoch FROM created_at) * 1000000)::bigint,
         (extract(epoch FROM updated_at) * 1000000)::bigint
    FROM tours)sql";
// Columns of kToursText holding float8 or numeric text.
const std::set<int> kTourNumericColumns = {10, 14, 15};

std::vector<std::string> LeaderFields(const engine::LeaderRecord& l) {
  std::vector<std::string> languages;
  for (const engine::LeaderLanguage& lang : l.languages) {
    languages.push_back(absl::StrCat(lang.code, ":", std::string(engine::ProficiencyName(lang.proficiency))));
  }
  return {l.id.ToString(), l.user_id.ToString(), std::string(engine::LeaderTypeName(l.type)), l.display_name,
          l.bio, l.city, l.country, l.location ? Num(l.location->lat) : "NULL",
          l.location ? Num(l.location->lon) : "NULL", absl::StrCat(l.hourly_rate_cents), l.is_verified ? "t" : "f",
          absl::StrCat(l.average_rating_x100), absl::StrCat(l.total_reviews), absl::StrCat(l.followers_count),
          l.is_active ? "t" : "f", absl::StrCat(l.created_at_us), absl::StrJoin(languages, ","),
          absl::StrJoin(l.specialties, "\x1f")};
}

constexpr char kLeadersText[] = R"sql(
  SELECT l.id, l.user_id, l.type, l.display_name, coalesce(l.bio, ''), coalesce(l.city, ''),
         coalesce(l.country, ''), ST_Y(l.coordinates::geometry), ST_X(l.coordinates::geometry),
         coalesce((l.hourly_rate * 100)::bigint, 0), l.is_verified, (l.average_rating * 100)::int,
         l.total_reviews, l.followers_count, l.is_active,
         (extract(epoch FROM l.created_at) * 1000000)::bigint,
         coalesce((SELECT string_agg(language_code || ':' || proficiency, ',' ORDER BY language_code)
                     FROM leader_languages WHERE leader_id = l.id), ''),
         coalesce((SELECT string_agg(specialty, E'\x1f' ORDER BY specialty)
                     FROM leader_specialties WHERE leader_id = l.id), '')
    FROM tour_leaders AS l)sql";
const std::set<int> kLeaderNumericColumns = {7, 8};

class CatalogReaderTest : public otter::testing::DemoDatabaseTest {
 protected:
  // Rows of a text-format query, keyed by their first column; numeric
  // columns are put in the canonical form of Num().
  std::map<std::string, std::vector<std::string>> TextRows(const std::string& sql,
                                                           const std::set<int>& numeric = {}) {
    std::map<std::string, std::vector<std::string>> rows;
    absl::StatusOr<PgResult> r = conn_->Exec(sql);
    EXPECT_TRUE(r.ok()) << r.status();
    for (int i = 0; r.ok() && i < r->rows(); ++i) {
      std::vector<std::string> row;
      for (int c = 0; c < r->columns(); ++c) {
        if (r->IsNull(i, c)) {
          row.emplace_back("NULL");
        } else {
          row.push_back(numeric.contains(c) ? NumText(r->Get(i, c)) : std::string(r->Get(i, c)));
        }
      }
      rows[row[0]] = row;
    }
    return rows;
  }

  std::map<std::string, Traits> TextTraits(const std::string& sql) {
    std::map<std::string, Traits> out;
    absl::StatusOr<PgResult> r = conn_->Exec(sql);
    EXPECT_TRUE(r.ok()) << r.status();
    for (int i = 0; r.ok() && i < r->rows(); ++i) {
      Traits& t = out[std::string(r->Get(i, 0))];
      if (!r->IsNull(i, 1)) t[std::string(r->Get(i, 1))] = std::strtod(std::string(r->Get(i, 2)).c_str(), nullptr);
    }
    return out;
  }

};

TEST_F(CatalogReaderTest, EveryRecordEqualsTheDatabaseRow) {
  RecordingSink sink;
  std::vector<TableProgress> reports;
  absl::StatusOr<CatalogReadResult> result =
      ReadCatalog(*conn_, sink, [&](const TableProgress& p) { reports.push_back(p); });
  ASSERT_TRUE(result.ok()) << result.status();

  for (const TableProgress& p : result->tables) {
    std::printf("%-20s %8lld rows %10lld bytes %8.3f s %10.0f rows/s\n",
                std::string(CatalogTableName(p.table)).c_str(), static_cast<long long>(p.rows),
                static_cast<long long>(p.bytes), p.seconds, p.seconds > 0 ? p.rows / p.seconds : 0.0);
  }
  ASSERT_EQ(result->tables.size(), 5u);
  ASSERT_FALSE(reports.empty());
  EXPECT_TRUE(reports.back().done);

  // Tours.
  const auto tours = TextRows(kToursText, kTourNumericColumns);
  ASSERT_GE(tours.size(), 200u);
  ASSERT_EQ(sink.tours.size(), tours.size());
  EXPECT_EQ(result->tables[2].rows, static_cast<int64_t>(tours.size()));
  for (const auto& [id, expected] : tours) {
    ASSERT_TRUE(sink.tours.contains(id)) << id;
    EXPECT_EQ(TourFields(sink.tours.at(id)), expected) << "tour " << id;
  }

  // Leaders, their languages, specialties and traits.
  const auto leaders = TextRows(kLeadersText, kLeaderNumericColumns);
  ASSERT_GE(leaders.size(), 50u);
  ASSERT_EQ(sink.leaders.size(), leaders.size());
  for (const auto& [id, expected] : leaders) {
    ASSERT_TRUE(sink.leaders.contains(id)) << id;
    EXPECT_EQ(LeaderFields(sink.leaders.at(id)), expected) << "leader " << id;
  }
  const auto leader_traits = TextTraits(
      "SELECT l.id, t.key, t.value FROM tour_leaders AS l "
      "LEFT JOIN LATERAL jsonb_each_text(l.personality_traits) AS t ON true");
  EXPECT_EQ(sink.leader_traits, leader_traits);

  // Schedules.
  const auto schedules = TextRows(
      "SELECT id, tour_id, start_date, end_date, max_participants, current_participants, status "
      "FROM tour_schedules");
  ASSERT_FALSE(schedules.empty());
  ASSERT_EQ(sink.schedules.size(), schedules.size());
  for (const auto& [id, expected] : schedules) {
    ASSERT_TRUE(sink.schedules.contains(id)) << id;
    const engine::ScheduleRecord& s = sink.schedules.at(id);
    EXPECT_EQ((std::vector<std::string>{s.id.ToString(), s.tour_id.ToString(), engine::FormatIsoDate(s.start_date),
                                        engine::FormatIsoDate(s.end_date), absl::StrCat(s.max_participants),
                                        absl::StrCat(s.current_participants),
                                        std::string(engine::ScheduleStatusName(s.status))}),
              expected);
  }

  // Personality types.
  const auto types = TextRows("SELECT id, code, name, is_active FROM personality_types");
  ASSERT_GE(types.size(), 1u);
  ASSERT_EQ(sink.types.size(), types.size());
  std::map<std::string, Traits> type_traits;
  for (const auto& [id, expected] : types) {
    ASSERT_TRUE(sink.types.contains(id)) << id;
    const PersonalityTypeRow& t = sink.types.at(id);
    EXPECT_EQ((std::vector<std::string>{t.id.ToString(), t.code, t.name, t.is_active ? "t" : "f"}), expected);
    for (const auto& [name, value] : t.traits) type_traits[id][name] = value;
  }
  EXPECT_EQ(type_traits,
            TextTraits("SELECT p.id, t.key, t.value FROM personality_types AS p, jsonb_each_text(p.traits) AS t"));

  // Each user's CURRENT traits: the latest quiz result by completed_at.
  const auto user_traits = TextTraits(
      "SELECT q.user_id, t.key, t.value FROM user_quiz_results AS q, jsonb_each_text(q.traits) AS t "
      "WHERE q.id = (SELECT q2.id FROM user_quiz_results AS q2 WHERE q2.user_id = q.user_id "
      "              ORDER BY q2.completed_at DESC, q2.created_at DESC, q2.id DESC LIMIT 1)");
  ASSERT_FALSE(user_traits.empty());
  EXPECT_EQ(sink.user_traits, user_traits);

  // The fence: every change-log row of the demo data is below it, and it is
  // not ahead of the fence now.
  absl::StatusOr<PgResult> check = conn_->Exec(
      "SELECT count(*) FILTER (WHERE xid >= $1::xid8), $1::xid8 <= pg_snapshot_xmin(pg_current_snapshot()) "
      "FROM otter_change_log",
      {absl::StrCat(result->fence)});
  ASSERT_TRUE(check.ok()) << check.status();
  EXPECT_GT(result->fence, 0u);
  EXPECT_EQ(check->Get(0, 0), "0");
  EXPECT_EQ(check->Get(0, 1), "t");
}

// Re-reads `keys` of `table` as the change reader does.
absl::StatusOr<absl::flat_hash_set<Uuid>> Refetch(PgConnection& conn, CatalogTable table,
                                                  const std::vector<Uuid>& keys, CatalogSink& sink) {
  OTTER_ASSIGN_OR_RETURN(std::vector<PgResult> results, conn.ExecPipeline({CatalogFetchStatement(table, keys)}));
  return DecodeFetchedRows(results[0], table, sink);
}

TEST_F(CatalogReaderTest, RefetchByKeysDeliversTheSameRecordsAndOmitsMissingKeys) {
  RecordingSink all;
  ASSERT_TRUE(ReadCatalog(*conn_, all).ok());
  ASSERT_GE(all.tours.size(), 3u);
  ASSERT_GE(all.leaders.size(), 3u);

  std::vector<Uuid> tour_keys;
  for (const auto& [id, tour] : all.tours) {
    if (tour_keys.size() == 3) break;
    tour_keys.push_back(tour.id);
  }
  const Uuid missing = *Uuid::Parse("ffffffff-ffff-4fff-bfff-ffffffffffff");
  tour_keys.push_back(missing);

  RecordingSink some;
  absl::StatusOr<absl::flat_hash_set<Uuid>> found = Refetch(*conn_, CatalogTable::kTours, tour_keys, some);
  ASSERT_TRUE(found.ok()) << found.status();
  EXPECT_EQ(found->size(), 3u);
  EXPECT_FALSE(found->contains(missing));
  for (const auto& [id, tour] : some.tours) EXPECT_EQ(TourFields(tour), TourFields(all.tours.at(id)));

  std::vector<Uuid> leader_keys;
  for (const auto& [id, leader] : all.leaders) {
    if (leader_keys.size() == 3) break;
    leader_keys.push_back(leader.id);
  }
  found = Refetch(*conn_, CatalogTable::kLeaders, leader_keys, some);
  ASSERT_TRUE(found.ok()) << found.status();
  EXPECT_EQ(found->size(), 3u);
  for (const auto& [id, leader] : some.leaders) {
    EXPECT_EQ(LeaderFields(leader), LeaderFields(all.leaders.at(id)));
    EXPECT_EQ(some.leader_traits.at(id), all.leader_traits.at(id));
  }

  std::vector<Uuid> user_keys;
  for (const auto& [id, traits] : all.user_traits) {
    if (user_keys.size() == 5) break;
    user_keys.push_back(*Uuid::Parse(id));
  }
  found = Refetch(*conn_, CatalogTable::kUserTraits, user_keys, some);
  ASSERT_TRUE(found.ok()) << found.status();
  EXPECT_EQ(found->size(), user_keys.size());
  for (const auto& [id, traits] : some.user_traits) EXPECT_EQ(traits, all.user_traits.at(id));

  found = Refetch(*conn_, CatalogTable::kSchedules, {}, some);
  ASSERT_TRUE(found.ok());
  EXPECT_TRUE(found->empty());
}

TEST_F(CatalogReaderTest, SinkErrorStopsTheLoadAndLeavesTheConnectionUsable) {
  class FailingSink : public RecordingSink {
   public:
    absl::Status OnTour(engine::TourRecord&&) override { return absl::CancelledError("enough"); }
  } sink;
  absl::StatusOr<CatalogReadResult> result = ReadCatalog(*conn_, sink);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), absl::StatusCode::kCancelled);
  absl::StatusOr<PgResult> r = conn_->Exec("SELECT 1");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->Get(0, 0), "1");
}

}  // namespace
}  // namespace otter::loader
