#pragma once
// The engine's search results as JSON members of a reply: hits with the
// stored fields a caller needs to render a result without a second query,
// facets, the paging cursor, and the plan and per-hit explanations.
//
//   writer.Key("hit");
//   WriteHit(*hit, writer);                           // {"id":"…","score":0,"title":…}
//   WriteSearchResponse(*page, request.facets, writer);  // "total":…,"hits":[…],…
//
// Money and ratings are written as exact decimals from their fixed-point
// hundredths (129.5, 4.75); absent optional fields are left out.
//
// Thread safety: stateless functions.

#include <cstdint>
#include <string>
#include <vector>

#include "engine/query/search_response.h"
#include "server/response_writer.h"

namespace otter::server {

// Writes `hit` as one JSON object: id, score, distance_km (with near),
// compatibility (with personality), the stored fields of its tour (title,
// slug, city, country, category, price, currency, duration_days,
// duration_hours, rating, reviews, location, image, leader {id,
// display_name}) or leader (display_name, type, city, country, location,
// hourly_rate, rating, reviews, verified, languages, specialties), and
// explain when it carries one.
void WriteHit(const engine::query::SearchHit& hit, ResponseWriter& writer);

// Writes the members of a search or match reply into the open response:
// total, hits, facets (the kinds named in `facets`, in that order; left out
// when it is empty), next (when more hits follow) and plan (with explain).
void WriteSearchResponse(const engine::query::SearchResponse& response,
                         const std::vector<std::string>& facets, ResponseWriter& writer);

// The shortest exact decimal text of a fixed-point value in hundredths:
// 12950 -> "129.5", 4000 -> "40", -325 -> "-3.25".
std::string FormatHundredths(int64_t hundredths);

}  // namespace otter::server
