#include "server/hit_json.h"

#include <array>
#include <string_view>

#include "engine/catalog/buckets.h"
#include "engine/catalog/records.h"
#include "engine/query/sort_key.h"

namespace otter::server {
namespace {

using engine::query::SearchHit;

void WriteLocation(const std::optional<engine::LatLon>& location, ResponseWriter& w) {
  if (!location.has_value()) return;
  w.Key("location");
  w.BeginObject();
  w.Key("lat");
  w.Double(location->lat);
  w.Key("lon");
  w.Double(location->lon);
  w.EndObject();
}

void WriteDecimal(std::string_view key, int64_t hundredths, ResponseWriter& w) {
  w.Key(key);
  w.RawJson(FormatHundredths(hundredths));
}

void WriteTourFields(const engine::TourRecord& tour, const engine::LeaderRecord* leader,
                     ResponseWriter& w) {
  w.Key("title");
  w.String(tour.title);
  w.Key("slug");
  w.String(tour.slug);
  w.Key("city");
  w.String(tour.city);
  w.Key("country");
  w.String(tour.country);
  w.Key("category");
  w.String(tour.category);
  WriteDecimal("price", tour.price_cents, w);
  w.Key("currency");
  w.String(tour.currency);
  w.Key("duration_days");
  w.Int(tour.duration_days);
  if (tour.duration_hours.has_value()) {
    w.Key("duration_hours");
    w.Double(*tour.duration_hours);
  }
  WriteDecimal("rating", tour.average_rating_x100, w);
  w.Key("reviews");
  w.Int(tour.total_reviews);
  WriteLocation(tour.location, w);
  if (!tour.images.empty()) {
    w.Key("image");
    w.String(tour.images.front());
  }
  if (leader != nullptr) {
    w.Key("leader");
    w.BeginObject();
    w.Key("id");
    w.Uuid(leader->id);
    w.Key("display_name");
    w.String(leader->display_name);
    w.EndObject();
  }
}

void WriteLeaderFields(const engine::LeaderRecord& leader, ResponseWriter& w) {
  w.Key("display_name");
  w.String(leader.display_name);
  w.Key("type");
  w.String(engine::LeaderTypeName(leader.type));
  w.Key("city");
  w.String(leader.city);
  w.Key("country");
  w.String(leader.country);
  WriteLocation(leader.location, w);
  WriteDecimal("hourly_rate", leader.hourly_rate_cents, w);
  WriteDecimal("rating", leader.average_rating_x100, w);
  w.Key("reviews");
  w.Int(leader.total_reviews);
  w.Key("verified");
  w.Bool(leader.is_verified);
  w.Key("languages");
  w.BeginArray();
  for (const engine::LeaderLanguage& language : leader.languages) {
    w.BeginObject();
    w.Key("code");
    w.String(language.code);
    w.Key("proficiency");
    w.String(engine::ProficiencyName(language.proficiency));
    w.EndObject();
  }
  w.EndArray();
  w.Key("specialties");
  w.BeginArray();
  for (const std::string& specialty : leader.specialties) w.String(specialty);
  w.EndArray();
}

void WriteExplanation(const engine::query::HitExplanation& explain, ResponseWriter& w) {
  w.Key("explain");
  w.BeginObject();
  w.Key("sort");
  w.BeginArray();
  for (size_t i = 0; i < explain.tiers.size(); ++i) {
    w.BeginObject();
    w.Key("key");
    w.String(engine::query::SortKeyName(explain.tiers[i].key));
    w.Key("order");
    w.String(explain.tiers[i].descending ? "desc" : "asc");
    if (i < explain.sort_values.size()) {
      w.Key("value");
      w.Double(explain.sort_values[i]);
    }
    w.EndObject();
  }
  w.EndArray();
  w.Key("signals");
  w.BeginArray();
  for (const engine::query::SignalExplanation& s : explain.signals) {
    w.BeginObject();
    w.Key("name");
    w.String(s.name);
    w.Key("raw");
    w.Double(s.raw);
    w.Key("value");
    w.Double(s.value);
    w.Key("weight");
    w.Double(s.weight);
    w.Key("contribution");
    w.Double(s.contribution);
    w.EndObject();
  }
  w.EndArray();
  w.Key("sum");
  w.Double(explain.sum);
  w.EndObject();
}

void WriteFacetValues(const std::vector<engine::FacetValue>& values, ResponseWriter& w) {
  w.BeginArray();
  for (const engine::FacetValue& v : values) {
    w.BeginObject();
    w.Key("value");
    w.String(v.value);
    w.Key("count");
    w.Uint(v.count);
    w.EndObject();
  }
  w.EndArray();
}

void WriteBuckets(const std::array<std::string_view, 5>& labels,
                  const std::array<uint32_t, 5>& counts, ResponseWriter& w) {
  w.BeginArray();
  for (size_t i = 0; i < labels.size(); ++i) {
    w.BeginObject();
    w.Key("value");
    w.String(labels[i]);
    w.Key("count");
    w.Uint(counts[i]);
    w.EndObject();
  }
  w.EndArray();
}

void WriteFacets(const engine::TourFacets& facets, const std::vector<std::string>& kinds,
                 ResponseWriter& w) {
  w.Key("facets");
  w.BeginObject();
  for (const std::string& kind : kinds) {
    w.Key(kind);
    if (kind == "category") {
      WriteFacetValues(facets.categories, w);
    } else if (kind == "price") {
      WriteBuckets(engine::kPriceBucketLabels, facets.price_buckets, w);
    } else if (kind == "duration") {
      WriteBuckets(engine::kDurationBucketLabels, facets.duration_buckets, w);
    } else {
      WriteFacetValues(facets.languages, w);
    }
  }
  w.EndObject();
}

void WritePlan(const engine::query::PlanExplanation& plan, ResponseWriter& w) {
  w.Key("plan");
  w.BeginObject();
  w.Key("driver");
  w.String(plan.driver);
  w.Key("strategy");
  w.String(plan.strategy);
  w.Key("candidates");
  w.Uint(plan.candidates);
  w.Key("estimates");
  w.BeginArray();
  for (const engine::query::SourceEstimate& e : plan.estimates) {
    w.BeginObject();
    w.Key("source");
    w.String(e.source);
    w.Key("estimate");
    w.Double(e.estimate);
    w.EndObject();
  }
  w.EndArray();
  w.Key("checks");
  w.BeginArray();
  for (const std::string& check : plan.checks) w.String(check);
  w.EndArray();
  w.EndObject();
}

}  // namespace

std::string FormatHundredths(int64_t hundredths) {
  // Through uint64_t so that the most negative value has a magnitude too.
  const bool negative = hundredths < 0;
  const uint64_t magnitude = negative ? uint64_t{0} - static_cast<uint64_t>(hundredths)
                                      : static_cast<uint64_t>(hundredths);
  std::string text = negative ? "-" : "";
  text += std::to_string(magnitude / 100);
  const uint64_t fraction = magnitude % 100;
  if (fraction != 0) {
    text.push_back('.');
    text.push_back(static_cast<char>('0' + fraction / 10));
    if (fraction % 10 != 0) text.push_back(static_cast<char>('0' + fraction % 10));
  }
  return text;
}

void WriteHit(const SearchHit& hit, ResponseWriter& w) {
  w.BeginObject();
  w.Key("id");
  w.Uuid(hit.id);
  w.Key("score");
  w.Double(hit.score);
  if (hit.distance_km.has_value()) {
    w.Key("distance_km");
    w.Double(*hit.distance_km);
  }
  if (hit.compatibility.has_value()) {
    w.Key("compatibility");
    w.Double(*hit.compatibility);
  }
  if (hit.tour != nullptr) {
    WriteTourFields(*hit.tour, hit.leader.get(), w);
  } else if (hit.leader != nullptr) {
    WriteLeaderFields(*hit.leader, w);
  }
  if (hit.explain.has_value()) WriteExplanation(*hit.explain, w);
  w.EndObject();
}

void WriteSearchResponse(const engine::query::SearchResponse& response,
                         const std::vector<std::string>& facets, ResponseWriter& w) {
  w.Key("total");
  w.Uint(response.total);
  w.Key("hits");
  w.BeginArray();
  for (const SearchHit& hit : response.hits) WriteHit(hit, w);
  w.EndArray();
  if (response.facets.has_value() && !facets.empty()) WriteFacets(*response.facets, facets, w);
  if (response.next.has_value()) {
    w.Key("next");
    w.String(*response.next);
  }
  if (response.plan.has_value()) WritePlan(*response.plan, w);
}

}  // namespace otter::server
