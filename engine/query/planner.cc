#include "engine/query/planner.h"

#include <algorithm>
#include <string>

namespace otter::engine::query {

std::string_view SourceName(Source source) {
  switch (source) {
    case Source::kText: return "text";
    case Source::kGeo: return "geo";
    case Source::kFilters: return "filters";
    case Source::kAll: return "all";
  }
  return "?";
}

PlanChoice ChooseDriver(std::vector<SourceCost> estimates) {
  PlanChoice plan;
  size_t best = 0;
  for (size_t i = 1; i < estimates.size(); ++i) {
    if (estimates[i].work < estimates[best].work) best = i;
  }
  plan.driver = estimates.empty() ? Source::kAll : estimates[best].source;
  plan.estimates = std::move(estimates);
  return plan;
}

double DriverWork(Source source, double estimate, uint32_t id_limit) {
  switch (source) {
    case Source::kText: return 2 * estimate;
    case Source::kGeo: return estimate;
    case Source::kFilters:
    case Source::kAll: return id_limit;
  }
  return id_limit;
}

double EstimateBySample(const DocFields& fields, absl::FunctionRef<bool(uint32_t doc)> keep) {
  const uint32_t limit = fields.id_limit();
  if (limit == 0) return 0;
  const uint32_t samples = std::min(limit, kPlannerSampleSize);
  // Stride through the whole id range (ids follow arrival order, so a
  // contiguous prefix would see only the oldest documents).
  const double stride = static_cast<double>(limit) / samples;
  uint32_t hits = 0;
  for (uint32_t i = 0; i < samples; ++i) {
    const auto doc = static_cast<uint32_t>(i * stride);
    if (fields.matchable(doc) && keep(doc)) ++hits;
  }
  const double share = static_cast<double>(limit) / samples;
  return hits == 0 ? share / 2 : hits * share;
}

PlanExplanation ExplainPlan(const PlanChoice& plan, std::string_view strategy) {
  PlanExplanation explain;
  explain.driver = std::string(SourceName(plan.driver));
  explain.strategy = std::string(strategy);
  for (const SourceCost& cost : plan.estimates) {
    explain.estimates.push_back(SourceEstimate{std::string(SourceName(cost.source)), cost.estimate});
    if (cost.source != plan.driver) explain.checks.push_back(std::string(SourceName(cost.source)));
  }
  return explain;
}

}  // namespace otter::engine::query
