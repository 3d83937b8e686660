#pragma once
// How a tour or a leader becomes the field values its text index holds
// (TextIndexOptions::Tours() / ::Leaders(), field numbers in bm25.h):
//   tours:   title; each tag; category; city and country (location);
//            description
//   leaders: display_name; each specialty; city; bio
// Every text index of the engine (the base, the deltas, the tests' oracles)
// goes through these two functions, so they all index the same words.
//
//   std::vector<text::FieldText> fields;
//   TourFieldTexts(*catalog.tour(id), &fields);
//   OTTER_RETURN_IF_ERROR(builder.AddDocument(id, fields));
//
// Thread safety: pure functions.

#include <vector>

#include "engine/catalog/records.h"
#include "engine/text/text_index_builder.h"

namespace otter::engine {

// Replaces `*out` with the field values of `tour`. The values point into
// `tour`, which must outlive their use. Empty strings are left out.
void TourFieldTexts(const TourRecord& tour, std::vector<text::FieldText>* out);

// Replaces `*out` with the field values of `leader`, pointing into it.
void LeaderFieldTexts(const LeaderRecord& leader, std::vector<text::FieldText>* out);

}  // namespace otter::engine
