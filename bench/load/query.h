#pragma once
// The kinds of request the benchmarks send, and a generator of realistic
// instances drawn from a WorkloadSample: points near sampled tours, words
// that occur together in a sampled tour's title and tags, sampled users
// and ids.
//
//   OTTER_ASSIGN_OR_RETURN(QueryGenerator gen, QueryGenerator::Create(&sample, QueryOptions{}));
//   Query q = gen.Next(QueryKind::kGeo);   // q.point, q.radius_km
//
// Thread safety: Query is a value; a QueryGenerator is used by one thread.

#include <array>
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "bench/load/workload_sample.h"

namespace otter::load {

enum class QueryKind : uint8_t {
  kPing,
  kHealth,
  kGeo,          // tours within radius_km of a point, nearest first
  kText,         // tours matching 1-3 words, by relevance
  kCombined,     // words + radius + category + maximum price (+ personality)
  kPersonality,  // the leaders most compatible with a user (op match)
  kSuggest,      // completions of a prefix
  kGet,          // one tour or leader by id
};
inline constexpr std::size_t kQueryKindCount = 8;
inline constexpr std::array<QueryKind, kQueryKindCount> kAllQueryKinds = {
    QueryKind::kPing,     QueryKind::kHealth,      QueryKind::kGeo,     QueryKind::kText,
    QueryKind::kCombined, QueryKind::kPersonality, QueryKind::kSuggest, QueryKind::kGet};

// "geo", "personality"...; the names --mix and --kinds use.
std::string_view QueryKindName(QueryKind kind);
std::optional<QueryKind> QueryKindFromName(std::string_view name);
// Whether requests of this kind are built from the database's data.
bool NeedsSample(QueryKind kind);

struct GeoPoint {
  double lat = 0;
  double lon = 0;
};

// One request; which members are set depends on the kind.
struct Query {
  QueryKind kind = QueryKind::kPing;
  std::string text;               // text, combined: the words; suggest: the prefix
  std::optional<GeoPoint> point;  // geo, combined: rounded to 6 decimals
  double radius_km = 0;           // geo, combined
  std::string category;           // combined
  std::string price_max;          // combined: a decimal, e.g. "60"
  std::string user_id;            // personality; combined (optional)
  std::string doc_id;             // get
  bool leader_index = false;      // get: a leader rather than a tour
  int limit = 20;                 // geo, text, combined, personality; suggest: 10
};

struct QueryOptions {
  double radius_km = 25;
  // Query points lie up to this far (in degrees of latitude and longitude)
  // from a sampled tour.
  double jitter_degrees = 0.05;
  // Combined queries carry the personality of a sampled user.
  bool combined_personality = true;
  uint64_t seed = 1;
};

class QueryGenerator {
 public:
  // `sample` must outlive the generator. kFailedPrecondition when the
  // sample has no tour with words, no user or no leader.
  static absl::StatusOr<QueryGenerator> Create(const WorkloadSample* sample,
                                               const QueryOptions& options);
  // A generator for ping and health only, which need no sample.
  QueryGenerator();

  // A new instance of `kind`. Requires a sample unless !NeedsSample(kind).
  Query Next(QueryKind kind);

 private:
  QueryGenerator(const WorkloadSample* sample, const QueryOptions& options);
  std::size_t Pick(std::size_t n);
  const TourSample& WordedTour();
  GeoPoint Near(const TourSample& tour);
  // 1 to 3 distinct words of `tour`, space-separated.
  std::string Words(const TourSample& tour);

  const WorkloadSample* sample_ = nullptr;
  QueryOptions options_;
  std::vector<std::size_t> worded_tours_;  // indexes of tours with words
  std::mt19937_64 rng_;
};

}  // namespace otter::load
