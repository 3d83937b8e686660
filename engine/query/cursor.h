#pragma once
// The opaque paging cursor of a search ("next"): the position just after the
// last hit of a page, as that hit's sort values and Uuid (so it means the
// same thing in any later snapshot), how many hits came before it, and a
// fingerprint of the sort tiers so a cursor cannot be replayed against a
// differently ordered query.
//
//   std::string next = EncodeCursor(Cursor{fingerprint, 20, values, id});
//   absl::StatusOr<Cursor> c = DecodeCursor(next, fingerprint, values.size());
//
// Thread safety: pure functions.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/uuid.h"

namespace otter::engine::query {

struct Cursor {
  uint32_t fingerprint = 0;  // of the query's sort tiers
  uint32_t position = 0;     // hits delivered up to and including `last_id`
  std::vector<double> sort_values;
  Uuid last_id;
};

// The web-safe base64 text of `cursor`.
std::string EncodeCursor(const Cursor& cursor);

// Parses a cursor made by EncodeCursor for a query with `fingerprint` and
// `value_count` sort tiers. kInvalidArgument "cursor is malformed" or
// "cursor belongs to a query with a different order" otherwise.
absl::StatusOr<Cursor> DecodeCursor(std::string_view text, uint32_t fingerprint,
                                    size_t value_count);

}  // namespace otter::engine::query
