#pragma once
// One immutable, consistent state of the whole engine: the catalog, the geo
// and text indexes of tours and leaders, the leaders' trait matrix and the
// users' current quiz traits, as of one change-log position. Every query
// runs against one Snapshot from start to end, so it never sees half an
// update; the writer (engine/engine_writer.h) publishes a new Snapshot per
// batch of changes, sharing everything the batch did not touch.
//
//   std::shared_ptr<const Snapshot> snap = engine.Acquire();
//   OTTER_ASSIGN_OR_RETURN(auto hits, snap->tours().Radius(center, 25'000, accept));
//
// Indexes are a large immutable base, built from some earlier catalog
// version, plus the documents changed since (a small delta). Each
// DocumentIndexes query combines both and answers exactly as an index built
// from this snapshot's catalog would: base entries of changed documents are
// skipped, changed documents are checked against their current values.
//
// Thread safety: a Snapshot is immutable; any number of threads may query
// it at once. Holding the shared_ptr keeps everything it refers to alive.

#include <cstdint>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "engine/catalog/catalog.h"
#include "engine/geo_index.h"
#include "engine/geodesy.h"
#include "engine/text/text_index.h"
#include "engine/text/text_query.h"
#include "engine/traits.h"
#include "engine/uuid.h"

namespace otter::engine {

// Which documents an index serves.
enum class DocumentKind : uint8_t { kTour, kLeader };

// The geo and text indexes of one document kind (tours or leaders), over
// dense catalog ids. Only documents the catalog says are matchable
// (Catalog::TourMatchable, or an active leader) are ever returned. Made by
// the writer only: the methods require one taken from a Snapshot.
class DocumentIndexes {
 public:
  // Every matchable document within `radius_m` metres of `center`, with its
  // geodesic distance, in no particular order. kInvalidArgument for an
  // invalid center or radius (the message names "near.lat", ...).
  absl::StatusOr<std::vector<GeoHit>> Radius(const LatLon& center, double radius_m,
                                             DocPredicate accept = AcceptAnyDoc) const;

  // How many matchable accepted documents lie within `radius_m` metres of
  // `center`: exactly Radius(center, radius_m, accept)->size(), without
  // computing their distances. Errors as for Radius.
  absl::StatusOr<size_t> CountRadius(const LatLon& center, double radius_m,
                                     DocPredicate accept) const;
  // CountRadius accepting every matchable document, without a call per
  // document: the base's grid counts whole cells, the base entries of
  // changed documents inside the circle are subtracted and the delta's
  // added.
  absl::StatusOr<size_t> CountRadius(const LatLon& center, double radius_m) const;

  // Sets *bits to the bitmap of the documents Radius(center, radius_m)
  // returns (bit d % 64 of (*bits)[d / 64], as many words as the highest
  // such id needs), without computing distances: whole grid cells of the
  // base at once, the base's stale entries cleared, the delta's set.
  // Errors as for Radius.
  absl::Status MarkRadius(const LatLon& center, double radius_m, std::vector<uint64_t>* bits) const;

  // The k nearest matchable accepted documents in exact geodesic order (ties
  // by lower id), none farther than `max_distance_m`.
  absl::StatusOr<std::vector<GeoHit>> Nearest(const LatLon& center, size_t k,
                                              DocPredicate accept = AcceptAnyDoc,
                                              double max_distance_m =
                                                  std::numeric_limits<double>::infinity()) const;

  // Every matchable accepted document inside `box` (west > east crosses the
  // antimeridian), by ascending id.
  absl::StatusOr<std::vector<uint32_t>> Box(const GeoBox& box,
                                            DocPredicate accept = AcceptAnyDoc) const;

  // The k best text matches among matchable accepted documents, ranked by
  // BM25F with statistics over base and delta together, and the exact total.
  text::TopKResult TextTopK(const text::TextQuery& query, size_t k, DocPredicate accept) const;
  // TextTopK accepting every matchable document. The base's stale entries
  // are masked by a bitmap, so nothing is called per match.
  text::TopKResult TextTopK(const text::TextQuery& query, size_t k) const;
  // TextTopK accepting the documents whose id has its bit set in
  // `allowed_docs` (bit d % 64 of allowed_docs[d / 64]; ids past its end are
  // not accepted): the base counts and ranks with the bitmap (an AND and a
  // popcount per word for frequent words), without a call per match.
  text::TopKResult TextTopK(const text::TextQuery& query, size_t k,
                            std::span<const uint64_t> allowed_docs) const;

  // Every matchable text match with its score, by ascending id (for facets
  // and for sorts other than relevance).
  std::vector<text::ScoredDoc> TextMatches(const text::TextQuery& query) const;

  // Completions for `prefix` from the indexed vocabulary.
  std::vector<text::Suggestion> Suggest(std::string_view prefix, size_t limit) const;

  // How many documents changed since the base indexes were built.
  size_t delta_size() const;
  // Approximate bytes held (base and delta).
  size_t MemoryBytes() const;
  // The catalog version the base indexes were built from (0 before any).
  uint64_t base_catalog_version() const;
  // How many delta segments the text delta is split into (for tests and
  // stats; see engine/document_index_writer.h).
  size_t delta_segment_count() const;

  // Internal state, defined in engine/snapshot_state.h.
  struct State;

 private:
  friend class SnapshotBuilder;
  std::shared_ptr<const State> state_;
};

// A user's current quiz traits (the latest user_quiz_results row).
struct StoredUserTraits {
  std::vector<std::pair<std::string, float>> traits;  // name -> value in [0, 1]
};

class Snapshot {
 public:
  // Internal: the users' traits, defined in engine/snapshot_state.h.
  struct UserTraitShards;

  const Catalog& catalog() const { return *catalog_; }
  const std::shared_ptr<const Catalog>& shared_catalog() const { return catalog_; }
  const DocumentIndexes& tours() const { return tours_; }
  const DocumentIndexes& leaders() const { return leaders_; }
  // Leader trait vectors by leader dense id (a leader without traits reads
  // 0.5 everywhere).
  const LeaderTraitMatrix& leader_traits() const { return *leader_traits_; }
  // The user's current quiz traits, or nullptr when the user has none.
  const StoredUserTraits* user_traits(const Uuid& user) const;
  // Calls `fn` once for every user with current quiz traits, in no
  // particular order.
  void ForEachUserTraits(
      absl::FunctionRef<void(const Uuid& user, const StoredUserTraits& traits)> fn) const;
  // The change-log position this snapshot reflects: every transaction whose
  // id is below it has been applied (see loader/ for its meaning).
  uint64_t as_of() const { return as_of_; }

 private:
  friend class SnapshotBuilder;

  std::shared_ptr<const Catalog> catalog_;
  DocumentIndexes tours_;
  DocumentIndexes leaders_;
  std::shared_ptr<const LeaderTraitMatrix> leader_traits_;
  std::shared_ptr<const UserTraitShards> user_traits_;
  uint64_t as_of_ = 0;
};

// Where readers find the current Snapshot and the writer publishes the next.
//
//   SnapshotHolder holder;                       // shared by all threads
//   holder.Publish(*writer.Publish(as_of));      // writer thread
//   std::shared_ptr<const Snapshot> snap = holder.Acquire();  // any thread
//
// Publication is a std::mutex held only for one shared_ptr copy (Acquire)
// or one pointer swap (Publish): a few tens of nanoseconds, never across
// any work, and the old snapshot is released after the lock is dropped, so
// a reader waits for the writer at most that long (SPEC: under a
// millisecond). Why not std::atomic<std::shared_ptr>: libstdc++ 12
// implements it with an internal spin lock whose unlock is a relaxed store,
// so ThreadSanitizer cannot see the happens-before edge it provides and
// reports races on the control block; the mutex gives the same guarantee,
// costs about the same (one uncontended lock), and TSan understands it.
//
// Thread safety: all methods may be called from any thread concurrently.
class SnapshotHolder {
 public:
  // Holds `initial` (may be null: Acquire() returns null until Publish).
  explicit SnapshotHolder(std::shared_ptr<const Snapshot> initial = nullptr)
      : current_(std::move(initial)) {}
  SnapshotHolder(const SnapshotHolder&) = delete;
  SnapshotHolder& operator=(const SnapshotHolder&) = delete;

  // The current snapshot (null before the first Publish). The caller keeps
  // it, and everything it refers to, alive for as long as it holds it.
  std::shared_ptr<const Snapshot> Acquire() const {
    std::lock_guard<std::mutex> lock(mu_);
    return current_;
  }

  // Makes `next` the current snapshot; later Acquire() calls return it.
  void Publish(std::shared_ptr<const Snapshot> next) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      current_.swap(next);
    }
    // `next` now holds the previous snapshot; dropping it may free a whole
    // version, which happens here, outside the lock.
  }

 private:
  mutable std::mutex mu_;
  std::shared_ptr<const Snapshot> current_;  // guarded by mu_
};

}  // namespace otter::engine
