#include "bench/load/request_pool.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <random>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "bench/load/request_json.h"

namespace otter::load {
namespace {

std::string KnownKinds() {
  std::vector<std::string> names;
  for (QueryKind kind : kAllQueryKinds) names.emplace_back(QueryKindName(kind));
  return absl::StrJoin(names, ", ");
}

}  // namespace

bool Mix::NeedsSample() const {
  for (QueryKind kind : kAllQueryKinds) {
    if (weight(kind) > 0 && load::NeedsSample(kind)) return true;
  }
  return false;
}

absl::StatusOr<Mix> ParseMix(std::string_view text) {
  Mix mix;
  std::array<bool, kQueryKindCount> seen{};
  double total = 0;
  for (absl::string_view item : absl::StrSplit(absl::string_view(text.data(), text.size()), ',')) {
    const std::string entry(item);
    const std::size_t equals = entry.find('=');
    const std::string name = entry.substr(0, equals);
    const std::optional<QueryKind> kind = QueryKindFromName(name);
    if (!kind) {
      return absl::InvalidArgumentError(
          absl::StrCat("--mix: unknown kind \"", name, "\" (known: ", KnownKinds(), ")"));
    }
    const std::string value = equals == std::string::npos ? "" : entry.substr(equals + 1);
    double weight = -1;
    const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), weight);
    if (value.empty() || ec != std::errc() || end != value.data() + value.size() ||
        !(weight >= 0) || !std::isfinite(weight)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--mix: the weight of ", name, " must be a non-negative number, got \"", value, "\""));
    }
    const std::size_t at = static_cast<std::size_t>(*kind);
    if (seen[at])
      return absl::InvalidArgumentError(absl::StrCat("--mix: ", name, " is given twice"));
    seen[at] = true;
    mix.weights[at] = weight;
    total += weight;
  }
  if (!(total > 0)) return absl::InvalidArgumentError("--mix: the weights add up to 0");
  return mix;
}

std::string MixToString(const Mix& mix) {
  std::vector<std::string> parts;
  for (QueryKind kind : kAllQueryKinds) {
    if (mix.weight(kind) > 0) {
      parts.push_back(
          absl::StrCat(std::string(QueryKindName(kind)), "=", FormatDouble(mix.weight(kind))));
    }
  }
  return absl::StrJoin(parts, ",");
}

RequestPool BuildRequestPool(const Mix& mix, QueryGenerator& generator, std::size_t size,
                             uint64_t seed) {
  double total = 0;
  for (double w : mix.weights) total += w;
  std::vector<QueryKind> kinds;
  for (QueryKind kind : kAllQueryKinds) {
    if (mix.weight(kind) <= 0) continue;
    const double share = mix.weight(kind) / total * static_cast<double>(size);
    const std::size_t count =
        std::max<std::size_t>(1, static_cast<std::size_t>(std::llround(share)));
    kinds.insert(kinds.end(), count, kind);
  }
  std::mt19937_64 rng(seed);
  std::shuffle(kinds.begin(), kinds.end(), rng);
  RequestPool pool;
  pool.reserve(kinds.size());
  for (QueryKind kind : kinds) {
    PooledRequest request;
    request.kind = kind;
    request.op = OpOf(kind);
    request.fields = RequestFields(generator.Next(kind));
    request.line = JsonLine(request.op, request.fields, pool.size());
    pool.push_back(std::move(request));
  }
  return pool;
}

}  // namespace otter::load
