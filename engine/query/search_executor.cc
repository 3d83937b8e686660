// QueryExecutor::Search: the paths a search can take (see executor.h).

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numeric>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "engine/catalog/facets.h"
#include "engine/query/executor.h"
#include "engine/query/hit_builder.h"
#include "engine/query/planner.h"
#include "engine/query/prepared_query.h"
#include "engine/status_macros.h"

namespace otter::engine::query {
namespace {

// A candidate that met every condition, with the signals the query needs.
struct Row {
  uint32_t doc = 0;
  float text_score = 0;
  float compatibility = 0;
  double distance_m = 0;
};

class SearchRun {
 public:
  SearchRun(const PreparedQuery& q, const CompatibilityScorer& scorer)
      : q_(q), scorer_(scorer), tier_count_(q.tiers().size()) {}

  absl::StatusOr<SearchResponse> Run();

 private:
  bool TextTopKApplies() const;
  bool GeoTopKApplies() const;
  bool PersonalityTopKApplies() const;
  // Fills response_ by the text index's top-k; always succeeds.
  void RunTextTopK();
  // Fills response_ by the geo index's k nearest within the circle, the
  // total by counting the circle.
  absl::Status RunGeoTopK();
  // Emits the page from rows_, which hold the first depth + limit hits of
  // `total` in final order; with a cursor, the rows for which
  // `after_cursor(i)` holds (by default AfterCursor on their sort values).
  void EmitRankedPage(uint64_t total,
                      const absl::FunctionRef<bool(size_t i)>* after_cursor = nullptr);
  // Fills response_ by the scorer's top-k, merged with the accepted leaders
  // that have no traits (who all score the default).
  void RunPersonalityTopK();
  absl::Status RunCandidates();
  absl::Status Collect(Source driver, std::vector<Row>* rows) const;
  void CheckText(std::vector<Row>* rows) const;

  // The sort values of rows_[i] into keys_, and the rank values.
  void ComputeKeys();
  double TierValue(const SortTier& tier, const Row& row, double rank_value) const;
  // Whether the row with `values` and `doc` comes after the cursor.
  bool AfterCursor(const double* values, uint32_t doc) const;
  // Appends the hit of rows_[i] to the page.
  void EmitHit(size_t i);
  void SetNext(uint32_t last_position, bool more);
  bool accept(uint32_t doc) const {
    double unused = 0;
    return q_.PassesFilters(doc) && q_.PassesGeo(doc, &unused);
  }
  // Calls `use` with the predicate an index query needs for the filters:
  // none without filter conditions, since indexes return only matchable
  // documents and a per-candidate call reads catalog columns at random.
  template <typename Use>
  auto WithFilters(Use&& use) const {
    if (!q_.has_filter_conditions()) return use(DocPredicate(AcceptAnyDoc));
    auto filters = [this](uint32_t doc) { return q_.PassesFilters(doc); };
    return use(DocPredicate(filters));
  }

  const PreparedQuery& q_;
  const CompatibilityScorer& scorer_;
  const size_t tier_count_;
  std::vector<Row> rows_;
  std::vector<double> keys_;         // tier_count_ values per row
  std::vector<double> rank_values_;  // per row, under a rank
  std::vector<HitExplanation> rank_explain_;
  std::vector<double> last_values_;  // sort values of the last hit emitted
  SignalNorms norms_;
  SearchResponse response_;
};

bool SearchRun::TextTopKApplies() const {
  return q_.text().has_value() && q_.request().facets.empty() && tier_count_ == 1 &&
         q_.tiers()[0] == SortTier{SortKey::kRelevance, true};
}

bool SearchRun::GeoTopKApplies() const {
  return q_.circle().has_value() && !q_.text().has_value() && q_.request().facets.empty() &&
         tier_count_ == 1 && q_.tiers()[0] == SortTier{SortKey::kDistance, false};
}

bool SearchRun::PersonalityTopKApplies() const {
  return !q_.fields().tours() && q_.has_personality() && !q_.text().has_value() &&
         !q_.has_geo() && tier_count_ == 1 &&
         q_.tiers()[0] == SortTier{SortKey::kCompatibility, true};
}

absl::StatusOr<SearchResponse> SearchRun::Run() {
  response_.as_of = q_.snapshot().as_of();
  if (TextTopKApplies()) {
    RunTextTopK();
  } else if (GeoTopKApplies()) {
    OTTER_RETURN_IF_ERROR(RunGeoTopK());
  } else if (PersonalityTopKApplies()) {
    RunPersonalityTopK();
  } else {
    OTTER_RETURN_IF_ERROR(RunCandidates());
  }
  return std::move(response_);
}

void SearchRun::RunTextTopK() {
  const size_t k = q_.depth() + static_cast<size_t>(q_.request().limit);
  // Without conditions the index's own matchability check is the whole
  // predicate; skipping ours saves a call per match of common words.
  text::TopKResult top =
      q_.has_filter_conditions() || q_.has_geo()
          ? q_.indexes().TextTopK(*q_.text(), k, [this](uint32_t doc) { return accept(doc); })
          : q_.indexes().TextTopK(*q_.text(), k);
  response_.total = top.total;
  for (const text::ScoredDoc& hit : top.hits) {
    Row row{hit.doc, hit.score, 0, 0};
    q_.PassesGeo(hit.doc, &row.distance_m);
    if (q_.has_personality()) {
      row.compatibility = q_.compatibility().Of(q_.fields().leader_of(hit.doc));
    }
    rows_.push_back(row);
  }
  EmitRankedPage(top.total);
  if (q_.request().explain) {
    PlanChoice plan = q_.Plan();
    response_.plan = ExplainPlan(PlanChoice{Source::kText, plan.estimates}, "text-top-k");
    response_.plan->candidates = top.total;
  }
}

void SearchRun::EmitRankedPage(uint64_t total,
                               const absl::FunctionRef<bool(size_t i)>* after_cursor) {
  response_.total = total;
  ComputeKeys();
  // The list is in final order already; position i + 1 is its rank.
  uint32_t last_position = 0;
  const size_t limit = static_cast<size_t>(q_.request().limit);
  for (size_t i = q_.cursor() ? 0 : q_.depth(); i < rows_.size() && response_.hits.size() < limit;
       ++i) {
    if (q_.cursor() && !(after_cursor != nullptr
                             ? (*after_cursor)(i)
                             : AfterCursor(&keys_[i * tier_count_], rows_[i].doc))) {
      continue;
    }
    EmitHit(i);
    last_position = static_cast<uint32_t>(i + 1);
  }
  SetNext(last_position, last_position < total);
}

absl::Status SearchRun::RunGeoTopK() {
  const GeoCircle& circle = *q_.circle();
  const LatLon& center = circle.center().lat_lon;
  const DocumentIndexes& idx = q_.indexes();
  const size_t k = q_.depth() + static_cast<size_t>(q_.request().limit);
  // The page comes from the nearest-first walk, which stops after k; the
  // exact total needs only membership, never an order.
  OTTER_ASSIGN_OR_RETURN(std::vector<GeoHit> nearest, WithFilters([&](DocPredicate accept) {
                           return idx.Nearest(center, k, accept, circle.radius_m());
                         }));
  // Without filter conditions the index counts whole grid cells, asking
  // nothing per document.
  OTTER_ASSIGN_OR_RETURN(
      const uint64_t total,
      q_.has_filter_conditions()
          ? idx.CountRadius(center, circle.radius_m(),
                            [this](uint32_t doc) { return q_.PassesFilters(doc); })
          : idx.CountRadius(center, circle.radius_m()));
  std::vector<uint32_t> leaders;
  for (const GeoHit& hit : nearest) {
    rows_.push_back(Row{hit.doc, 0, 0, hit.distance_m});
    leaders.push_back(q_.fields().leader_of(hit.doc));
  }
  if (q_.has_personality()) {
    q_.compatibility().Prefetch(leaders);
    for (size_t i = 0; i < rows_.size(); ++i) rows_[i].compatibility = q_.compatibility().Of(leaders[i]);
  }
  if (!q_.cursor().has_value()) {
    EmitRankedPage(total);
  } else {
    // Nearest() reports a distance exactly only where its order needed it,
    // which depends on k: the same document may carry its estimate on one
    // page and its exact distance on the next. Its order is exact, so the
    // rows after the cursor are those after the cursor's document by
    // (exact distance, id), computed exactly only where estimates cannot
    // tell.
    const DocFields& f = q_.fields();
    const uint32_t cursor_doc = q_.cursor_doc();
    const double cursor_m = f.has_location(cursor_doc)
                                ? GeodesicDistance(center, LatLon{f.lat(cursor_doc), f.lon(cursor_doc)})
                                : q_.cursor()->sort_values[0];
    auto after = [&](size_t i) {
      const Row& row = rows_[i];
      const double tolerance =
          2 * (kEstimateRelativeError * std::max(row.distance_m, cursor_m) + kEstimateAbsoluteErrorM);
      double d = row.distance_m;
      if (std::fabs(d - cursor_m) <= tolerance) {
        d = GeodesicDistance(center, LatLon{f.lat(row.doc), f.lon(row.doc)});
      }
      return d != cursor_m ? d > cursor_m : row.doc > cursor_doc;
    };
    const absl::FunctionRef<bool(size_t)> after_ref(after);
    EmitRankedPage(total, &after_ref);
  }
  if (q_.request().explain) {
    PlanChoice plan = q_.Plan();
    response_.plan = ExplainPlan(PlanChoice{Source::kGeo, plan.estimates}, "geo-nearest+count");
    response_.plan->candidates = total;
  }
  return absl::OkStatus();
}

void SearchRun::RunPersonalityTopK() {
  const LeaderTraitMatrix& matrix = q_.snapshot().leader_traits();
  const uint32_t limit_id = q_.fields().id_limit();
  const size_t k = q_.depth() + static_cast<size_t>(q_.request().limit);
  auto passes = [this](uint32_t doc) {
    return q_.has_filter_conditions() ? q_.PassesFilters(doc) : q_.fields().matchable(doc);
  };
  // One pass counts the total and finds the first k accepted leaders without
  // traits: they all score the default, so by id they are already ranked
  // among themselves, and the scorer's top-k over the matrix covers the rest.
  uint64_t total = 0;
  std::vector<uint32_t> without_traits;
  for (uint32_t doc = 0; doc < limit_id; ++doc) {
    if (!passes(doc)) continue;
    ++total;
    if (without_traits.size() < k && !matrix.Contains(doc)) without_traits.push_back(doc);
  }
  response_.total = total;
  std::vector<ScoredLeader> best = scorer_.TopK(
      matrix, q_.user(), k, [&](uint32_t leader) { return leader < limit_id && passes(leader); });
  if (!without_traits.empty()) {
    const float default_score = q_.compatibility().Of(without_traits.front());
    std::vector<ScoredLeader> merged;
    merged.reserve(best.size() + without_traits.size());
    size_t a = 0;
    size_t b = 0;
    while (merged.size() < k && (a < best.size() || b < without_traits.size())) {
      const bool take_best =
          b == without_traits.size() ||
          (a < best.size() && (best[a].score != default_score ? best[a].score > default_score
                                                              : best[a].leader < without_traits[b]));
      merged.push_back(take_best ? best[a++] : ScoredLeader{without_traits[b++], default_score});
    }
    best = std::move(merged);
  }
  for (const ScoredLeader& s : best) rows_.push_back(Row{s.leader, 0, s.score, 0});
  EmitRankedPage(total);
  if (q_.request().explain) {
    response_.plan = ExplainPlan(q_.Plan(), "personality-top-k");
    response_.plan->driver = "personality";
    response_.plan->candidates = total;
  }
}

absl::Status SearchRun::RunCandidates() {
  const PlanChoice plan = q_.Plan();
  OTTER_RETURN_IF_ERROR(Collect(plan.driver, &rows_));
  const uint64_t candidates = rows_.size();
  if (q_.text().has_value() && plan.driver != Source::kText) CheckText(&rows_);
  response_.total = rows_.size();
  if (!q_.request().facets.empty()) {
    FacetRequest which;
    for (const std::string& facet : q_.request().facets) {
      which.category |= facet == "category";
      which.price |= facet == "price";
      which.duration |= facet == "duration";
      which.language |= facet == "language";
    }
    std::vector<uint32_t> docs(rows_.size());
    for (size_t i = 0; i < rows_.size(); ++i) docs[i] = rows_[i].doc;
    response_.facets = CountTourFacets(q_.snapshot().catalog(), docs, which);
  }
  if (q_.has_personality()) {
    std::vector<uint32_t> leaders(rows_.size());
    for (size_t i = 0; i < rows_.size(); ++i) leaders[i] = q_.fields().leader_of(rows_[i].doc);
    q_.compatibility().Prefetch(leaders);
    for (size_t i = 0; i < rows_.size(); ++i) {
      rows_[i].compatibility = q_.compatibility().Of(leaders[i]);
    }
  }
  ComputeKeys();

  std::vector<uint32_t> order;
  order.reserve(rows_.size());
  for (size_t i = 0; i < rows_.size(); ++i) {
    if (q_.cursor() && !AfterCursor(&keys_[i * tier_count_], rows_[i].doc)) continue;
    order.push_back(static_cast<uint32_t>(i));
  }
  const size_t skip = q_.cursor() ? 0 : q_.depth();
  const size_t limit = static_cast<size_t>(q_.request().limit);
  const size_t want = std::min(order.size(), skip + limit);
  auto before = [this](uint32_t a, uint32_t b) {
    const double* ka = &keys_[a * tier_count_];
    const double* kb = &keys_[b * tier_count_];
    for (size_t t = 0; t < tier_count_; ++t) {
      if (ka[t] != kb[t]) return q_.tiers()[t].descending ? ka[t] > kb[t] : ka[t] < kb[t];
    }
    return rows_[a].doc < rows_[b].doc;
  };
  std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(want), order.end(),
                    before);
  for (size_t i = skip; i < want; ++i) EmitHit(order[i]);
  const uint32_t last_position = q_.depth() + static_cast<uint32_t>(response_.hits.size());
  SetNext(last_position, order.size() > want);
  if (q_.request().explain) {
    response_.plan = ExplainPlan(plan, "candidates+sort");
    response_.plan->candidates = candidates;
  }
  return absl::OkStatus();
}

absl::Status SearchRun::Collect(Source driver, std::vector<Row>* rows) const {
  const DocumentIndexes& idx = q_.indexes();
  if (driver == Source::kText) {
    for (const text::ScoredDoc& m : idx.TextMatches(*q_.text())) {
      Row row{m.doc, m.score, 0, 0};
      if (q_.PassesFilters(m.doc) && q_.PassesGeo(m.doc, &row.distance_m)) rows->push_back(row);
    }
  } else if (driver == Source::kGeo && q_.circle().has_value()) {
    // The circle as a bitmap built once (whole grid cells, no distances),
    // then the filters in id order, reading the catalog's columns front to
    // back rather than at random; distances only for what passes, from the
    // same circle test the index applies.
    const GeoCircle& c = *q_.circle();
    std::vector<uint64_t> in_circle;
    OTTER_RETURN_IF_ERROR(idx.MarkRadius(c.center().lat_lon, c.radius_m(), &in_circle));
    for (size_t word = 0; word < in_circle.size(); ++word) {
      for (uint64_t bits = in_circle[word]; bits != 0; bits &= bits - 1) {
        Row row{static_cast<uint32_t>(word * 64 + __builtin_ctzll(bits)), 0, 0, 0};
        if (q_.PassesFilters(row.doc) && q_.PassesGeo(row.doc, &row.distance_m)) {
          rows->push_back(row);
        }
      }
    }
  } else if (driver == Source::kGeo) {
    OTTER_ASSIGN_OR_RETURN(std::vector<uint32_t> docs, WithFilters([&](DocPredicate accept) {
                             return idx.Box(*q_.box(), accept);
                           }));
    rows->reserve(docs.size());
    for (uint32_t doc : docs) rows->push_back(Row{doc, 0, 0, 0});
  } else {
    const uint32_t limit = q_.fields().id_limit();
    for (uint32_t doc = 0; doc < limit; ++doc) {
      Row row{doc, 0, 0, 0};
      if (q_.PassesFilters(doc) && q_.PassesGeo(doc, &row.distance_m)) rows->push_back(row);
    }
  }
  return absl::OkStatus();
}

void SearchRun::CheckText(std::vector<Row>* rows) const {
  if (rows->empty()) return;
  // The candidates, which met every other condition, as a bitmap built once:
  // the text index counts and scores only them, without a call per match.
  std::vector<uint64_t> wanted((q_.fields().id_limit() + 63) / 64, 0);
  for (const Row& row : *rows) wanted[row.doc / 64] |= uint64_t{1} << (row.doc % 64);
  text::TopKResult matched = q_.indexes().TextTopK(*q_.text(), rows->size(), wanted);
  std::sort(matched.hits.begin(), matched.hits.end(),
            [](const text::ScoredDoc& a, const text::ScoredDoc& b) { return a.doc < b.doc; });
  std::sort(rows->begin(), rows->end(), [](const Row& a, const Row& b) { return a.doc < b.doc; });
  size_t out = 0;
  size_t m = 0;
  for (const Row& row : *rows) {
    while (m < matched.hits.size() && matched.hits[m].doc < row.doc) ++m;
    if (m < matched.hits.size() && matched.hits[m].doc == row.doc) {
      (*rows)[out] = row;
      (*rows)[out].text_score = matched.hits[m].score;
      ++out;
    }
  }
  rows->resize(out);
}

void SearchRun::ComputeKeys() {
  const DocFields& f = q_.fields();
  if (q_.rank().has_value()) {
    for (const Row& row : rows_) {
      norms_.max_text_score = std::max<double>(norms_.max_text_score, row.text_score);
      norms_.max_total_reviews =
          std::max<double>(norms_.max_total_reviews, f.total_reviews(row.doc));
    }
    rank_values_.resize(rows_.size());
    if (q_.request().explain) rank_explain_.resize(rows_.size());
    for (size_t i = 0; i < rows_.size(); ++i) {
      const Row& row = rows_[i];
      const RawSignals raw{row.text_score, row.distance_m / 1000, row.compatibility,
                           f.rating_x100(row.doc) / 100.0,
                           static_cast<double>(f.total_reviews(row.doc))};
      rank_values_[i] =
          q_.rank()->Blend(raw, norms_, q_.request().explain ? &rank_explain_[i] : nullptr);
    }
  }
  keys_.resize(rows_.size() * tier_count_);
  for (size_t i = 0; i < rows_.size(); ++i) {
    for (size_t t = 0; t < tier_count_; ++t) {
      keys_[i * tier_count_ + t] =
          TierValue(q_.tiers()[t], rows_[i], rank_values_.empty() ? 0 : rank_values_[i]);
    }
  }
}

double SearchRun::TierValue(const SortTier& tier, const Row& row, double rank_value) const {
  const DocFields& f = q_.fields();
  switch (tier.key) {
    case SortKey::kRelevance: return row.text_score;
    case SortKey::kDistance: return row.distance_m;
    case SortKey::kPrice: return static_cast<double>(f.price_cents(row.doc));
    case SortKey::kRating: return f.rating_x100(row.doc);
    case SortKey::kCompatibility: return row.compatibility;
    case SortKey::kNewest: return static_cast<double>(f.created_at_us(row.doc));
    case SortKey::kPopularity: return f.total_reviews(row.doc);
    case SortKey::kRank: return rank_value;
  }
  return 0;
}

bool SearchRun::AfterCursor(const double* values, uint32_t doc) const {
  const std::vector<double>& c = q_.cursor()->sort_values;
  for (size_t t = 0; t < tier_count_; ++t) {
    if (values[t] != c[t]) return q_.tiers()[t].descending ? values[t] < c[t] : values[t] > c[t];
  }
  return doc > q_.cursor_doc();
}

void SearchRun::EmitHit(size_t i) {
  const Row& row = rows_[i];
  SearchHit hit = MakeHit(q_.fields(), row.doc);
  if (q_.rank().has_value()) {
    hit.score = rank_values_[i];
  } else if (q_.text().has_value()) {
    hit.score = row.text_score;
  } else if (q_.has_personality()) {
    hit.score = row.compatibility;
  }
  if (q_.circle().has_value()) hit.distance_km = row.distance_m / 1000;
  if (q_.has_personality()) hit.compatibility = row.compatibility;
  if (q_.request().explain) {
    HitExplanation explain =
        q_.rank().has_value() ? std::move(rank_explain_[i]) : HitExplanation{};
    explain.tiers = q_.tiers();
    explain.sort_values.assign(keys_.begin() + static_cast<std::ptrdiff_t>(i * tier_count_),
                               keys_.begin() + static_cast<std::ptrdiff_t>((i + 1) * tier_count_));
    if (!q_.rank().has_value()) explain.sum = hit.score;
    hit.explain = std::move(explain);
  }
  last_values_.assign(keys_.begin() + static_cast<std::ptrdiff_t>(i * tier_count_),
                      keys_.begin() + static_cast<std::ptrdiff_t>((i + 1) * tier_count_));
  response_.hits.push_back(std::move(hit));
}

void SearchRun::SetNext(uint32_t last_position, bool more) {
  if (!more || response_.hits.empty()) return;
  // A page past the depth cap could not be asked for; say there is none.
  if (last_position >= static_cast<uint32_t>(kMaxDepth)) return;
  response_.next = EncodeCursor(
      Cursor{q_.fingerprint(), last_position, last_values_, response_.hits.back().id});
}

}  // namespace

absl::StatusOr<SearchResponse> QueryExecutor::Search(const Snapshot& snapshot,
                                                     const SearchRequest& request) const {
  OTTER_ASSIGN_OR_RETURN(std::unique_ptr<PreparedQuery> prepared,
                         PreparedQuery::Create(snapshot, request, scorer_));
  return SearchRun(*prepared, scorer_).Run();
}

}  // namespace otter::engine::query
