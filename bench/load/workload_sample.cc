#include "bench/load/workload_sample.h"

#include <algorithm>
#include <charconv>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "engine/status_macros.h"

namespace otter::load {
namespace {

// Rows are ordered by md5(id || seed): deterministic for a seed and the
// same data, unlike random(), and independent of the physical row order.
constexpr const char* kToursSql = R"sql(
SELECT t.id,
       ST_Y(t.coordinates::geometry),
       ST_X(t.coordinates::geometry),
       t.category,
       t.price,
       t.title,
       coalesce((SELECT string_agg(tag, ' ') FROM jsonb_array_elements_text(t.tags) AS tag), '')
FROM tours AS t
JOIN tour_leaders AS l ON l.id = t.leader_id
WHERE t.is_active AND l.is_active AND t.coordinates IS NOT NULL
ORDER BY md5(t.id::text || $1)
LIMIT $2)sql";

constexpr const char* kUsersSql = R"sql(
SELECT user_id FROM user_current_traits ORDER BY md5(user_id::text || $1) LIMIT $2)sql";

constexpr const char* kLeadersSql = R"sql(
SELECT id FROM tour_leaders WHERE is_active ORDER BY md5(id::text || $1) LIMIT $2)sql";

bool IsWordByte(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0x80;
}

absl::StatusOr<double> ParseDouble(std::string_view text, std::string_view what) {
  double value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) {
    return absl::InternalError(absl::StrCat("tours sample: ", std::string(what),
                                            " is not a number: \"", std::string(text), "\""));
  }
  return value;
}

absl::StatusOr<std::vector<std::string>> SampleIds(loader::PgConnection& conn, const char* sql,
                                                   const std::string& seed, int limit,
                                                   std::string_view empty_message) {
  const std::string limit_text = std::to_string(limit);
  OTTER_ASSIGN_OR_RETURN(loader::PgResult rows, conn.Exec(sql, {seed, limit_text}));
  if (rows.rows() == 0) return absl::FailedPreconditionError(std::string(empty_message));
  std::vector<std::string> ids;
  ids.reserve(static_cast<std::size_t>(rows.rows()));
  for (int r = 0; r < rows.rows(); ++r) ids.emplace_back(rows.Get(r, 0));
  return ids;
}

}  // namespace

void AppendWords(std::string_view text, std::vector<std::string>* words) {
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && !IsWordByte(static_cast<unsigned char>(text[i]))) ++i;
    const std::size_t start = i;
    while (i < text.size() && IsWordByte(static_cast<unsigned char>(text[i]))) ++i;
    if (i - start < 3) continue;
    std::string word(text.substr(start, i - start));
    for (char& c : word) {
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    if (std::find(words->begin(), words->end(), word) == words->end())
      words->push_back(std::move(word));
  }
}

absl::StatusOr<WorkloadSample> SampleWorkload(loader::PgConnection& conn,
                                              const SampleSizes& sizes) {
  const std::string seed = std::to_string(sizes.seed);
  WorkloadSample sample;
  const std::string tour_limit = std::to_string(sizes.tours);
  OTTER_ASSIGN_OR_RETURN(loader::PgResult tours, conn.Exec(kToursSql, {seed, tour_limit}));
  if (tours.rows() == 0) {
    return absl::FailedPreconditionError(
        "tours: no active tour of an active leader has coordinates; generate data first");
  }
  sample.tours.reserve(static_cast<std::size_t>(tours.rows()));
  for (int r = 0; r < tours.rows(); ++r) {
    TourSample tour;
    tour.id = std::string(tours.Get(r, 0));
    OTTER_ASSIGN_OR_RETURN(tour.lat, ParseDouble(tours.Get(r, 1), "latitude"));
    OTTER_ASSIGN_OR_RETURN(tour.lon, ParseDouble(tours.Get(r, 2), "longitude"));
    tour.category = std::string(tours.Get(r, 3));
    tour.price = std::string(tours.Get(r, 4));
    AppendWords(tours.Get(r, 5), &tour.words);
    AppendWords(tours.Get(r, 6), &tour.words);
    sample.tours.push_back(std::move(tour));
  }
  OTTER_ASSIGN_OR_RETURN(
      sample.user_ids,
      SampleIds(conn, kUsersSql, seed, sizes.users,
                "user_current_traits: no user has quiz traits; generate data first"));
  OTTER_ASSIGN_OR_RETURN(sample.leader_ids,
                         SampleIds(conn, kLeadersSql, seed, sizes.leaders,
                                   "tour_leaders: no active leader; generate data first"));
  return sample;
}

}  // namespace otter::load
