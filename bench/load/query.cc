#include "bench/load/query.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <utility>

#include "absl/status/status.h"

namespace otter::load {
namespace {

constexpr std::array<std::string_view, kQueryKindCount> kNames = {
    "ping", "health", "geo", "text", "combined", "personality", "suggest", "get"};

double Round6(double value) { return std::round(value * 1e6) / 1e6; }

}  // namespace

std::string_view QueryKindName(QueryKind kind) { return kNames[static_cast<std::size_t>(kind)]; }

std::optional<QueryKind> QueryKindFromName(std::string_view name) {
  for (QueryKind kind : kAllQueryKinds) {
    if (QueryKindName(kind) == name) return kind;
  }
  return std::nullopt;
}

bool NeedsSample(QueryKind kind) { return kind != QueryKind::kPing && kind != QueryKind::kHealth; }

QueryGenerator::QueryGenerator() : rng_(1) {}

QueryGenerator::QueryGenerator(const WorkloadSample* sample, const QueryOptions& options)
    : sample_(sample), options_(options), rng_(options.seed) {
  for (std::size_t i = 0; i < sample->tours.size(); ++i) {
    if (!sample->tours[i].words.empty()) worded_tours_.push_back(i);
  }
}

absl::StatusOr<QueryGenerator> QueryGenerator::Create(const WorkloadSample* sample,
                                                      const QueryOptions& options) {
  QueryGenerator generator(sample, options);
  if (generator.worded_tours_.empty()) {
    return absl::FailedPreconditionError("the sample has no tour with a title word of 3+ letters");
  }
  if (sample->user_ids.empty()) return absl::FailedPreconditionError("the sample has no user");
  if (sample->leader_ids.empty()) return absl::FailedPreconditionError("the sample has no leader");
  return generator;
}

std::size_t QueryGenerator::Pick(std::size_t n) {
  return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng_);
}

const TourSample& QueryGenerator::WordedTour() {
  return sample_->tours[worded_tours_[Pick(worded_tours_.size())]];
}

GeoPoint QueryGenerator::Near(const TourSample& tour) {
  std::uniform_real_distribution<double> jitter(-options_.jitter_degrees, options_.jitter_degrees);
  const double lat = std::clamp(tour.lat + jitter(rng_), -90.0, 90.0);
  double lon = tour.lon + jitter(rng_);
  if (lon > 180) lon -= 360;
  if (lon < -180) lon += 360;
  return GeoPoint{Round6(lat), Round6(lon)};
}

std::string QueryGenerator::Words(const TourSample& tour) {
  std::vector<std::string> words = tour.words;
  std::shuffle(words.begin(), words.end(), rng_);
  const std::size_t n = std::min<std::size_t>(1 + Pick(3), words.size());
  std::string text;
  for (std::size_t i = 0; i < n; ++i) {
    if (i > 0) text.push_back(' ');
    text += words[i];
  }
  return text;
}

Query QueryGenerator::Next(QueryKind kind) {
  Query q;
  q.kind = kind;
  switch (kind) {
    case QueryKind::kPing:
    case QueryKind::kHealth:
      break;
    case QueryKind::kGeo:
      q.point = Near(sample_->tours[Pick(sample_->tours.size())]);
      q.radius_km = options_.radius_km;
      break;
    case QueryKind::kText:
      q.text = Words(WordedTour());
      break;
    case QueryKind::kCombined: {
      // Words, place, category and price of one tour: a query it answers.
      const TourSample& tour = WordedTour();
      q.text = Words(tour);
      q.point = Near(tour);
      q.radius_km = options_.radius_km;
      q.category = tour.category;
      // The tour's price rounded up to the next multiple of 10, as people ask.
      const double price = std::strtod(tour.price.c_str(), nullptr);
      q.price_max = std::to_string(static_cast<int64_t>(std::floor(price / 10) + 1) * 10);
      if (options_.combined_personality)
        q.user_id = sample_->user_ids[Pick(sample_->user_ids.size())];
      break;
    }
    case QueryKind::kPersonality:
      q.user_id = sample_->user_ids[Pick(sample_->user_ids.size())];
      break;
    case QueryKind::kSuggest: {
      const TourSample& tour = WordedTour();
      const std::string& word = tour.words[Pick(tour.words.size())];
      std::size_t length = 2 + Pick(word.size() - 2);  // 2 .. size - 1 bytes
      // Never cut a UTF-8 sequence: the daemon rejects invalid UTF-8.
      while (length > 1 && (static_cast<unsigned char>(word[length]) & 0xC0) == 0x80) --length;
      // A third of the time the prefix follows a whole word ("sunset ka").
      if (tour.words.size() > 1 && Pick(3) == 0) {
        const std::string& before = tour.words[Pick(tour.words.size())];
        if (before != word) q.text = before + " ";
      }
      q.text += word.substr(0, length);
      q.limit = 10;
      break;
    }
    case QueryKind::kGet:
      // A quarter of the gets fetch a leader.
      q.leader_index = Pick(4) == 0;
      q.doc_id = q.leader_index ? sample_->leader_ids[Pick(sample_->leader_ids.size())]
                                : sample_->tours[Pick(sample_->tours.size())].id;
      break;
  }
  return q;
}

}  // namespace otter::load
