#pragma once
// The rows the engine reads from PostgreSQL: for each table, one SELECT
// (run under `COPY (...) TO STDOUT (FORMAT binary)` by the bulk load, or as
// a binary-result query restricted to `WHERE key = ANY($1::uuid[])` by the
// change follower's re-fetch) and one decoder from that SELECT's binary
// fields to the engine's records, delivered to a CatalogSink. Both uses
// share the SQL text and the decoding, so they cannot drift apart.
//
//   CatalogRowDecoder decoder(sink);
//   OTTER_RETURN_IF_ERROR(decoder.Decode(CatalogTable::kTours, row));  // → sink.OnTour
//
// Thread safety: CatalogRowDecoder is used by one thread at a time (it owns
// a JSON parser); the free functions are pure.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/types/span.h"
#include "engine/catalog/records.h"
#include "engine/traits.h"
#include "engine/uuid.h"
#include "loader/copy_decoder.h"

namespace otter::loader {

// The tables (or views) the engine loads, in bulk-load order: trait names
// first, leaders before the tours that name them.
enum class CatalogTable {
  kPersonalityTypes,  // personality_types
  kLeaders,           // tour_leaders + leader_languages + leader_specialties
  kTours,             // tours
  kSchedules,         // tour_schedules
  kUserTraits,        // user_current_traits (latest user_quiz_results per user)
};
inline constexpr CatalogTable kAllCatalogTables[] = {
    CatalogTable::kPersonalityTypes, CatalogTable::kLeaders, CatalogTable::kTours,
    CatalogTable::kSchedules, CatalogTable::kUserTraits};

// The name progress reports and errors use ("tours", "tour_leaders", ...).
std::string_view CatalogTableName(CatalogTable table);

// One row of personality_types.
struct PersonalityTypeRow {
  engine::Uuid id;
  std::string code;
  std::string name;
  bool is_active = true;
  std::vector<std::pair<std::string, double>> traits;  // in the JSON's order
};

// Receives decoded rows. Each call may return an error, which stops the
// read and is returned by it. Trait spans (names and values) are valid only
// during the call: copy what you keep.
class CatalogSink {
 public:
  virtual ~CatalogSink() = default;
  virtual absl::Status OnPersonalityType(PersonalityTypeRow&& type) = 0;
  virtual absl::Status OnLeader(engine::LeaderRecord&& leader) = 0;
  // The leader's personality_traits, right after OnLeader for the same row.
  virtual absl::Status OnLeaderTraits(const engine::Uuid& leader_id,
                                      absl::Span<const engine::NamedTrait> traits) = 0;
  virtual absl::Status OnTour(engine::TourRecord&& tour) = 0;
  virtual absl::Status OnSchedule(engine::ScheduleRecord&& schedule) = 0;
  // A user's current traits (their latest quiz result's).
  virtual absl::Status OnUserTraits(const engine::Uuid& user_id,
                                    absl::Span<const engine::NamedTrait> traits) = 0;
};

// The SELECT of `table`: every row when `by_ids` is false; with `by_ids`,
// only the rows whose key (the first column: tours.id, tour_leaders.id,
// tour_schedules.id, personality_types.id, user_quiz_results.user_id) is in
// the uuid[] parameter $1. Without a trailing semicolon, so that it can be
// wrapped in COPY (...).
std::string CatalogSelectSql(CatalogTable table, bool by_ids);

// The number of columns CatalogSelectSql(table, ...) returns.
int CatalogColumnCount(CatalogTable table);

// Decodes the rows of CatalogSelectSql and hands them to a sink.
class CatalogRowDecoder {
 public:
  explicit CatalogRowDecoder(CatalogSink& sink);
  ~CatalogRowDecoder();
  CatalogRowDecoder(const CatalogRowDecoder&) = delete;
  CatalogRowDecoder& operator=(const CatalogRowDecoder&) = delete;

  // Decodes one row of CatalogSelectSql(table) (binary fields) and calls the
  // sink. Returns the decoding error (kDataLoss / kInvalidArgument naming
  // the column and the row's key) or the sink's error.
  absl::Status Decode(CatalogTable table, FieldRow row);

 private:
  class Json;
  absl::Status DecodeRow(CatalogTable table, FieldRow row);
  absl::Status PersonalityType(FieldRow row);
  absl::Status Leader(FieldRow row);
  absl::Status Tour(FieldRow row);
  absl::Status Schedule(FieldRow row);
  absl::Status UserTraits(FieldRow row);

  CatalogSink& sink_;
  std::unique_ptr<Json> json_;
  std::vector<engine::NamedTrait> traits_;  // reused
};

}  // namespace otter::loader
