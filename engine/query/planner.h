#pragma once
// The cost-based choice of a search's driving source: every source the
// query has (text, geo, filters; all documents otherwise) gets an estimate
// of how many candidates it would produce, and the one cheapest to drive
// drives — it produces the candidates, and the executor checks the other
// conditions on each. Driving costs DriverWork(): text scores each of its
// matches, geo reads each document of its circle or box (whole grid cells at
// once), filters and all read every document. Estimates:
//   text     the exact match count of the query words (the text index
//            counts matches without scoring them)
//   geo      the fraction of an evenly spaced sample of documents inside
//            the circle or box, times the document count (the local density
//            of the catalog itself, so skewed cities are estimated right)
//   filters  tours: TourFilter::EstimatedSelectivity() x active tours;
//            leaders: the sampled fraction passing the filter
//   all      the document count (personality alone, or no condition)
//
//   PlanChoice plan = ChooseDriver({{Source::kText, 5400, 10800}, {Source::kGeo, 800, 800}});
//   // plan.driver == Source::kGeo
//
// Thread safety: pure functions of immutable inputs.

#include <cstdint>
#include <string_view>
#include <vector>

#include "absl/functional/function_ref.h"
#include "engine/query/doc_fields.h"
#include "engine/query/search_response.h"

namespace otter::engine::query {

enum class Source : uint8_t { kText, kGeo, kFilters, kAll };

// The name of a source in explain output: text, geo, filters, all.
std::string_view SourceName(Source source);

struct SourceCost {
  Source source = Source::kAll;
  double estimate = 0;  // candidates it would produce
  double work = 0;      // what driving costs (DriverWork)
};

struct PlanChoice {
  Source driver = Source::kAll;
  std::vector<SourceCost> estimates;  // as given
};

// The source with the least work; on equal work the earlier one.
// `estimates` must not be empty.
PlanChoice ChooseDriver(std::vector<SourceCost> estimates);

// The work of driving with `source` when it produces `estimate` candidates
// in an index of `id_limit` dense ids, in documents read: twice the matches
// for text (each is scored), the estimate for geo, every id for filters and
// all (a scan).
double DriverWork(Source source, double estimate, uint32_t id_limit);

// Documents sampled by EstimateBySample (at most).
inline constexpr uint32_t kPlannerSampleSize = 4096;

// Estimates how many documents of `fields` are matchable and satisfy `keep`
// from an evenly spaced sample of at most kPlannerSampleSize ids; a sample
// with no hit still estimates half a sampled document's share (never 0, so
// an empty sample does not look certain).
double EstimateBySample(const DocFields& fields, absl::FunctionRef<bool(uint32_t doc)> keep);

// The explain form of a plan.
PlanExplanation ExplainPlan(const PlanChoice& plan, std::string_view strategy);

}  // namespace otter::engine::query
