#include "bench/side_by_side/compare.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "bench/load/request_json.h"

namespace otter::side_by_side {
namespace {

std::optional<double> ValueOf(const load::ReplyHit& hit, ValueKind kind) {
  return kind == ValueKind::kDistance ? hit.distance_km : hit.compatibility;
}

// The ids of `hits` whose value is not tied with the last hit's.
std::set<std::string> Untied(const std::vector<load::ReplyHit>& hits, ValueKind kind, double last,
                             const Tolerance& tolerance) {
  std::set<std::string> ids;
  for (const load::ReplyHit& hit : hits) {
    if (!tolerance.Agree(*ValueOf(hit, kind), last)) ids.insert(hit.id);
  }
  return ids;
}

}  // namespace

bool Tolerance::Agree(double a, double b) const {
  return std::abs(a - b) <= absolute + relative * std::abs(b);
}

std::vector<std::string> CompareRanked(const load::SearchReply& otter, const load::SearchReply& sql,
                                       ValueKind kind, const Tolerance& tolerance) {
  std::vector<std::string> problems;
  const char* name = kind == ValueKind::kDistance ? "distance" : "compatibility";
  if (otter.total != sql.total)
    problems.push_back(absl::StrCat("total ", otter.total, " vs ", sql.total));
  if (otter.hits.size() != sql.hits.size()) {
    problems.push_back(absl::StrCat(otter.hits.size(), " hits vs ", sql.hits.size()));
  }
  for (const load::ReplyHit& hit : otter.hits) {
    if (!ValueOf(hit, kind)) {
      problems.push_back(absl::StrCat("otterd hit ", hit.id, " has no ", name));
      return problems;
    }
  }
  const std::size_t n = std::min(otter.hits.size(), sql.hits.size());
  for (std::size_t i = 0; i < n; ++i) {
    const double a = *ValueOf(otter.hits[i], kind);
    const double b = *ValueOf(sql.hits[i], kind);
    if (!tolerance.Agree(a, b)) {
      problems.push_back(absl::StrCat("rank ", i + 1, ": ", name, " ", load::FormatDouble(a),
                                      " vs ", load::FormatDouble(b)));
      return problems;  // every later rank would differ too
    }
  }
  if (n == 0) return problems;
  const double last = *ValueOf(sql.hits[n - 1], kind);
  std::vector<load::ReplyHit> otter_top(otter.hits.begin(),
                                        otter.hits.begin() + static_cast<std::ptrdiff_t>(n));
  std::vector<load::ReplyHit> sql_top(sql.hits.begin(),
                                      sql.hits.begin() + static_cast<std::ptrdiff_t>(n));
  const std::set<std::string> mine = Untied(otter_top, kind, last, tolerance);
  const std::set<std::string> theirs = Untied(sql_top, kind, last, tolerance);
  std::vector<std::string> only_otter, only_sql;
  std::set_difference(mine.begin(), mine.end(), theirs.begin(), theirs.end(),
                      std::back_inserter(only_otter));
  std::set_difference(theirs.begin(), theirs.end(), mine.begin(), mine.end(),
                      std::back_inserter(only_sql));
  if (!only_otter.empty() || !only_sql.empty()) {
    problems.push_back(absl::StrCat("ids only from otterd: [", absl::StrJoin(only_otter, ", "),
                                    "]; only from SQL: [", absl::StrJoin(only_sql, ", "), "]"));
  }
  return problems;
}

std::size_t CommonHits(const load::SearchReply& a, const load::SearchReply& b) {
  std::set<std::string> ids;
  for (const load::ReplyHit& hit : b.hits) ids.insert(hit.id);
  std::size_t common = 0;
  for (const load::ReplyHit& hit : a.hits) common += ids.count(hit.id);
  return common;
}

}  // namespace otter::side_by_side
