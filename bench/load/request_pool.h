#pragma once
// The load generator's workload: a mix of query kinds with weights, and a
// pool of requests built from it in advance, so that sending one costs a
// copy and no formatting.
//
//   OTTER_ASSIGN_OR_RETURN(Mix mix,
//   ParseMix("geo=40,text=20,combined=20,personality=10,suggest=5,get=5")); RequestPool pool =
//   BuildRequestPool(mix, generator, /*size=*/20000, /*seed=*/1); const PooledRequest& r = pool[i %
//   pool.size()];   // r.line, or r.fields for a frame
//
// Thread safety: values; a built pool is read by any number of threads.

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "bench/load/query.h"
#include "server/request.h"

namespace otter::load {

inline constexpr std::string_view kDefaultMix =
    "geo=40,text=20,combined=20,personality=10,suggest=5,get=5";

// Relative weights by QueryKind; a kind with weight 0 is never sent.
struct Mix {
  std::array<double, kQueryKindCount> weights{};

  double weight(QueryKind kind) const { return weights[static_cast<std::size_t>(kind)]; }
  // Whether some kind with a positive weight needs the database's data.
  bool NeedsSample() const;
};

// Parses "kind=weight,kind=weight,...". kInvalidArgument naming the
// problem: "--mix: unknown kind \"geoo\" (known: ping, health, ...)",
// "--mix: the weight of geo must be a non-negative number, got \"x\"",
// "--mix: geo is given twice", "--mix: the weights add up to 0".
absl::StatusOr<Mix> ParseMix(std::string_view text);
// The mix as ParseMix reads it, with only the positive weights.
std::string MixToString(const Mix& mix);

struct PooledRequest {
  QueryKind kind = QueryKind::kPing;
  server::Op op = server::Op::kPing;
  std::string fields;  // the op's fields as a JSON object: a frame's payload
  std::string line;    // the whole JSON line, newline included
};

using RequestPool = std::vector<PooledRequest>;

// About `size` requests (size >= 1) whose kinds follow the mix: each kind's
// count is its share of `size`, rounded (at least 1 for a positive weight),
// in an order shuffled with `seed`. JSON lines carry their position in the
// pool as id. Requires the generator to have a sample when
// mix.NeedsSample().
RequestPool BuildRequestPool(const Mix& mix, QueryGenerator& generator, std::size_t size,
                             uint64_t seed);

}  // namespace otter::load
