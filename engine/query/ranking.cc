#include "engine/query/ranking.h"

#include <algorithm>
#include <cmath>

namespace otter::engine::query {

double DistanceDecay::operator()(double distance_km) const {
  const double d = std::max(0.0, distance_km - offset_km);
  switch (function) {
    case DecayFunction::kGauss: {
      const double sigma_squared = -scale_km * scale_km / (2 * std::log(decay_at_scale));
      return std::exp(-d * d / (2 * sigma_squared));
    }
    case DecayFunction::kExp:
      return std::exp(std::log(decay_at_scale) / scale_km * d);
    case DecayFunction::kLinear: {
      const double s = scale_km / (1 - decay_at_scale);
      return std::max(0.0, (s - d) / s);
    }
  }
  return 0;
}

RankWeights RankWeights::From(const RankSpec& spec) {
  RankWeights w;
  w.text = spec.text.value_or(0);
  w.compatibility = spec.compatibility.value_or(0);
  w.rating = spec.rating.value_or(0);
  w.popularity = spec.popularity.value_or(0);
  if (spec.distance.has_value()) {
    const DistanceDecaySpec& d = *spec.distance;
    DistanceDecay decay;
    decay.function = d.decay == "exp"      ? DecayFunction::kExp
                     : d.decay == "linear" ? DecayFunction::kLinear
                                           : DecayFunction::kGauss;
    decay.scale_km = d.scale_km;
    decay.offset_km = d.offset_km;
    decay.decay_at_scale = d.decay_at_scale;
    w.decay = decay;
    w.distance = d.weight;
  }
  return w;
}

RankWeights RankWeights::DefaultBlend(double near_radius_km) {
  RankWeights w;
  w.text = 1;
  w.decay = DistanceDecay{DecayFunction::kGauss, std::max(1.0, near_radius_km / 2), 0, 0.5};
  w.distance = 0.5;
  w.compatibility = 0.5;
  return w;
}

double RankWeights::Blend(const RawSignals& raw, const SignalNorms& norms,
                          HitExplanation* explain) const {
  double sum = 0;
  auto add = [&](const char* name, double raw_value, double value, double weight) {
    sum += value * weight;
    if (explain != nullptr) {
      explain->signals.push_back(SignalExplanation{name, raw_value, value, weight, value * weight});
    }
  };
  if (text > 0) {
    add("text", raw.text_score,
        norms.max_text_score > 0 ? raw.text_score / norms.max_text_score : 0, text);
  }
  if (decay.has_value() && distance > 0) {
    add("distance", raw.distance_km, (*decay)(raw.distance_km), distance);
  }
  if (compatibility > 0) add("compatibility", raw.compatibility, raw.compatibility / 100, compatibility);
  if (rating > 0) add("rating", raw.rating, raw.rating / 5, rating);
  if (popularity > 0) {
    add("popularity", raw.total_reviews,
        norms.max_total_reviews > 0
            ? std::log1p(raw.total_reviews) / std::log1p(norms.max_total_reviews)
            : 0,
        popularity);
  }
  if (explain != nullptr) explain->sum = sum;
  return sum;
}

}  // namespace otter::engine::query
