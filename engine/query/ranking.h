#pragma once
// The one ranking expression (SPEC section 2): a weighted sum of signals,
// each normalized to [0, 1] over the query's matching set:
//
//   text           score / max score among the matching documents
//   distance       decay(d) as Elasticsearch's function_score defines it,
//                  origin = near center, with d' = max(0, d - offset):
//                    gauss   exp(-d'^2 / (2 sigma^2)), sigma^2 = -scale^2 / (2 ln decay)
//                    exp     exp(ln(decay) / scale * d')
//                    linear  max(0, (s - d') / s),      s = scale / (1 - decay)
//                  so that every function equals `decay` at d' = scale
//   compatibility  compatibility / 100
//   rating         average_rating / 5
//   popularity     log1p(total_reviews) / log1p(max total_reviews among the
//                  matching documents) (0 when that max is 0)
//
//   RankWeights w = RankWeights::From(spec, near_radius_km);
//   double score = w.Blend(signals, nullptr);
//
// The default blend, used when q, near and personality are all given and
// neither sort nor rank is: text 1, distance gauss (scale = half the near
// radius, at least 1 km; decay 0.5) weight 0.5, compatibility 0.5.
//
// Thread safety: pure functions and plain values.

#include <optional>
#include <vector>

#include "engine/query/search_request.h"
#include "engine/query/search_response.h"

namespace otter::engine::query {

enum class DecayFunction { kGauss, kExp, kLinear };

// A prepared distance decay (distances in km).
struct DistanceDecay {
  DecayFunction function = DecayFunction::kGauss;
  double scale_km = 1;
  double offset_km = 0;
  double decay_at_scale = 0.5;

  // The decay value at `distance_km`, in [0, 1].
  double operator()(double distance_km) const;
};

// The raw signals of one document.
struct RawSignals {
  double text_score = 0;
  double distance_km = 0;
  double compatibility = 0;  // [0, 100]
  double rating = 0;         // [0, 5]
  double total_reviews = 0;
};

// The normalizers of the matching set.
struct SignalNorms {
  double max_text_score = 0;
  double max_total_reviews = 0;
};

// A validated rank expression.
struct RankWeights {
  double text = 0;
  std::optional<DistanceDecay> decay;
  double distance = 0;
  double compatibility = 0;
  double rating = 0;
  double popularity = 0;

  // The weights of a validated RankSpec.
  static RankWeights From(const RankSpec& spec);
  // The default blend for a near radius (see the file comment).
  static RankWeights DefaultBlend(double near_radius_km);

  // The weighted sum of the normalized signals; when `explain` is not null,
  // appends each weighted signal to explain->signals and sets explain->sum.
  double Blend(const RawSignals& raw, const SignalNorms& norms, HitExplanation* explain) const;
};

}  // namespace otter::engine::query
