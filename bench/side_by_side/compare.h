#pragma once
// Where otterd and PostgreSQL must agree, and whether they do: the exact
// total, and the top hits by a value both compute (distance for geo,
// compatibility for personality), compared rank by rank within a
// tolerance; ids must be equal except among hits tied (within the
// tolerance) with the last one, where either side may cut differently.
//
//   std::vector<std::string> problems =
//       CompareRanked(otter, sql, ValueKind::kDistance, Tolerance{1e-6, 3e-5});
//   // empty: they agree; else "total 1234 vs 1233", "rank 3: distance 1.2 vs 1.3 km"...
//
// Thread safety: pure functions.

#include <string>
#include <vector>

#include "bench/load/reply.h"

namespace otter::side_by_side {

enum class ValueKind { kDistance, kCompatibility };

// Two values a and b agree when |a - b| <= absolute + relative * |b|.
struct Tolerance {
  double absolute = 0;
  double relative = 0;

  bool Agree(double a, double b) const;
};

// The differences between `otter` and `sql`, one message each; empty when
// they agree. Hits without the value count as a difference.
std::vector<std::string> CompareRanked(const load::SearchReply& otter, const load::SearchReply& sql,
                                       ValueKind kind, const Tolerance& tolerance);

// How many ids of `a`'s hits are also among `b`'s (for the kinds whose
// ranking differs by design: otterd's BM25F against ts_rank_cd).
std::size_t CommonHits(const load::SearchReply& a, const load::SearchReply& b);

}  // namespace otter::side_by_side
