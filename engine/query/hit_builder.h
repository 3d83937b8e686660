#pragma once
// Turning a dense document id into a SearchHit: its Uuid and the shared
// stored records (a tour with its leader, or a leader).
//
//   SearchHit hit = MakeHit(fields, doc);
//
// Thread safety: pure function of an immutable Catalog.

#include <cstdint>

#include "engine/query/doc_fields.h"
#include "engine/query/search_response.h"

namespace otter::engine::query {

// A hit for `doc` with id, doc and records set (score and signals zero).
// Requires doc < fields.id_limit().
inline SearchHit MakeHit(const DocFields& fields, uint32_t doc) {
  SearchHit hit;
  hit.doc = doc;
  const Catalog& catalog = fields.catalog();
  if (fields.tours()) {
    hit.tour = catalog.shared_tour(doc);
    if (hit.tour != nullptr) hit.id = hit.tour->id;
    hit.leader = catalog.shared_leader(catalog.tour_leader(doc));
  } else {
    hit.leader = catalog.shared_leader(doc);
    if (hit.leader != nullptr) hit.id = hit.leader->id;
  }
  return hit;
}

}  // namespace otter::engine::query
