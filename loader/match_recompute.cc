#include "loader/match_recompute.h"

#include <algorithm>
#include <cassert>
#include <chrono>
#include <cmath>
#include <string>
#include <string_view>
#include <utility>

#include "absl/strings/cord.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/types/span.h"
#include "engine/compatibility_scorer.h"
#include "engine/engine_writer.h"
#include "engine/status_macros.h"
#include "engine/traits.h"

namespace otter::loader {
namespace {

using Clock = std::chrono::steady_clock;

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// The staging table lives for one batch's transaction: dropped at COMMIT,
// and its creation undone by a ROLLBACK.
constexpr char kBeginBatchSql[] =
    "BEGIN; CREATE TEMPORARY TABLE pg_temp.otter_match_staging ("
    "user_id uuid NOT NULL, leader_id uuid NOT NULL, score numeric(5,2) NOT NULL) ON COMMIT DROP";
constexpr char kCopySql[] =
    "COPY pg_temp.otter_match_staging (user_id, leader_id, score) FROM STDIN";
// $1: the batch's users (uuid[]). Their rows not staged are deleted, the
// staged ones upserted; both CTEs see the same snapshot and touch disjoint
// rows. Rows naming a user or leader deleted since the engine's snapshot are
// skipped rather than failing the batch on the foreign key.
constexpr char kReplaceSql[] =
    "WITH batch AS (SELECT unnest($1::uuid[]) AS user_id), "
    "removed AS ("
    " DELETE FROM personality_match_scores AS p USING batch AS b"
    " WHERE p.user_id = b.user_id AND NOT EXISTS ("
    "  SELECT 1 FROM pg_temp.otter_match_staging AS s"
    "  WHERE s.user_id = p.user_id AND s.leader_id = p.leader_id)"
    " RETURNING 1), "
    "written AS ("
    " INSERT INTO personality_match_scores AS p (user_id, leader_id, score, computed_at)"
    " SELECT s.user_id, s.leader_id, s.score, now() FROM pg_temp.otter_match_staging AS s"
    " WHERE EXISTS (SELECT 1 FROM users AS u WHERE u.id = s.user_id)"
    " AND EXISTS (SELECT 1 FROM tour_leaders AS l WHERE l.id = s.leader_id)"
    " ON CONFLICT (user_id, leader_id)"
    " DO UPDATE SET score = EXCLUDED.score, computed_at = EXCLUDED.computed_at"
    " RETURNING 1) "
    "SELECT (SELECT count(*) FROM removed), (SELECT count(*) FROM written)";

constexpr char kCachedUsersSql[] = "SELECT DISTINCT user_id FROM personality_match_scores";

// `status` with `context` in front of its message, keeping its payloads
// (the SQLSTATE).
absl::Status WithContext(const absl::Status& status, std::string_view context) {
  absl::Status out(status.code(), absl::StrCat(std::string(context), status.message()));
  status.ForEachPayload(
      [&](absl::string_view type_url, const absl::Cord& payload) { out.SetPayload(type_url, payload); });
  return out;
}

// The active leaders of a snapshot, as the scorer reads them.
struct MatchableLeaders {
  // Exactly the active leaders; one without traits reads 0.5 everywhere.
  engine::LeaderTraitMatrix matrix;
  // Dense id -> Uuid text, for the active ones.
  std::vector<std::string> uuids;
};

// The trait matrix holds the leaders that have traits, whether active or
// not, and the catalog knows active leaders without traits: both are
// corrected here, once per recompute (copy-on-write, so only the chunks of
// such leaders are copied).
absl::StatusOr<MatchableLeaders> MatchableLeadersOf(const engine::Snapshot& snapshot) {
  const engine::Catalog& catalog = snapshot.catalog();
  const engine::LeaderTraitMatrix& traits = snapshot.leader_traits();
  engine::LeaderTraitMatrixBuilder builder(traits);
  MatchableLeaders leaders;
  leaders.uuids.resize(catalog.leader_id_limit());
  const uint64_t limit = std::max<uint64_t>(catalog.leader_id_limit(), traits.id_limit());
  for (uint64_t i = 0; i < limit; ++i) {
    const auto id = static_cast<uint32_t>(i);
    const bool active = id < catalog.leader_id_limit() && catalog.leader_active(id);
    if (!active) {
      builder.RemoveLeader(id);
      continue;
    }
    assert(catalog.leader(id) != nullptr);
    leaders.uuids[id] = catalog.leader(id)->id.ToString();
    if (!traits.Contains(id)) OTTER_RETURN_IF_ERROR(builder.SetLeader(id, {}));
  }
  leaders.matrix = builder.Snapshot();
  return leaders;
}

// A user to recompute; `traits` is null when the user has none.
struct UserEntry {
  engine::Uuid id;
  const engine::StoredUserTraits* traits;
};

// The users with cached rows whom the snapshot has no traits for: a
// recompute of everyone removes their rows too.
absl::StatusOr<std::vector<engine::Uuid>> CachedUsersWithoutTraits(PgConnection& conn,
                                                                   const engine::Snapshot& snapshot) {
  OTTER_ASSIGN_OR_RETURN(PgResult cached, conn.Exec(kCachedUsersSql));
  std::vector<engine::Uuid> users;
  for (int r = 0; r < cached.rows(); ++r) {
    OTTER_ASSIGN_OR_RETURN(engine::Uuid user, engine::Uuid::Parse(cached.Get(r, 0)));
    if (snapshot.user_traits(user) == nullptr) users.push_back(user);
  }
  return users;
}

// `listed`, or every user with traits plus `without_traits` when `listed` is
// empty; sorted, each once.
std::vector<UserEntry> UsersToRecompute(const engine::Snapshot& snapshot,
                                        const std::vector<engine::Uuid>& listed,
                                        const std::vector<engine::Uuid>& without_traits) {
  std::vector<UserEntry> users;
  if (listed.empty()) {
    snapshot.ForEachUserTraits([&](const engine::Uuid& user, const engine::StoredUserTraits& traits) {
      users.push_back(UserEntry{user, &traits});
    });
    for (const engine::Uuid& user : without_traits) users.push_back(UserEntry{user, nullptr});
  } else {
    users.reserve(listed.size());
    for (const engine::Uuid& user : listed) users.push_back(UserEntry{user, snapshot.user_traits(user)});
  }
  // Uuid order makes batches deterministic and writes the primary key in order.
  std::sort(users.begin(), users.end(), [](const UserEntry& a, const UserEntry& b) { return a.id < b.id; });
  users.erase(std::unique(users.begin(), users.end(),
                          [](const UserEntry& a, const UserEntry& b) { return a.id == b.id; }),
              users.end());
  // An empty trait object has no compatibility: such a user has no scores.
  for (UserEntry& user : users) {
    if (user.traits != nullptr && user.traits->traits.empty()) user.traits = nullptr;
  }
  return users;
}

// `score` as numeric(5,2) text, rounded half away from zero like
// PostgreSQL's numeric rounding.
void AppendScore(float score, std::string* out) {
  const long cents = std::clamp(std::lround(static_cast<double>(score) * 100.0), 0L, 10000L);
  absl::StrAppend(out, cents / 100, ".", absl::Dec(cents % 100, absl::kZeroPad2));
}

struct BatchCounts {
  int64_t written = 0;
  int64_t deleted = 0;
};

absl::StatusOr<BatchCounts> WriteInTransaction(PgConnection& conn, std::string_view users_array,
                                               std::string_view rows) {
  OTTER_RETURN_IF_ERROR(conn.Exec(kBeginBatchSql).status());
  OTTER_RETURN_IF_ERROR(conn.CopyIn(kCopySql, rows));
  OTTER_ASSIGN_OR_RETURN(PgResult counts, conn.Exec(kReplaceSql, {users_array}));
  BatchCounts result;
  if (counts.rows() != 1 || !absl::SimpleAtoi(std::string(counts.Get(0, 0)), &result.deleted) ||
      !absl::SimpleAtoi(std::string(counts.Get(0, 1)), &result.written)) {
    return absl::InternalError("the replacing statement returned no row counts");
  }
  OTTER_RETURN_IF_ERROR(conn.Exec("COMMIT").status());
  return result;
}

// Writes one batch atomically: `rows` (COPY text) replace all rows of the
// users in `users_array` (a uuid[] literal).
absl::StatusOr<BatchCounts> WriteBatch(PgConnection& conn, std::string_view users_array,
                                       std::string_view rows) {
  absl::StatusOr<BatchCounts> result = WriteInTransaction(conn, users_array, rows);
  if (!result.ok()) (void)conn.Exec("ROLLBACK");  // best effort: the connection may be gone
  return result;
}

// Forwards what a recompute reads into an EngineWriter.
class MatchInputSink final : public CatalogSink {
 public:
  explicit MatchInputSink(engine::EngineWriter& writer) : writer_(writer) {}

  absl::Status OnPersonalityType(PersonalityTypeRow&&) override { return absl::OkStatus(); }
  absl::Status OnLeader(engine::LeaderRecord&& leader) override {
    return writer_.UpsertLeader(std::move(leader));
  }
  absl::Status OnLeaderTraits(const engine::Uuid& leader_id,
                              absl::Span<const engine::NamedTrait> traits) override {
    return writer_.SetLeaderTraits(leader_id, traits);
  }
  absl::Status OnTour(engine::TourRecord&&) override { return absl::OkStatus(); }
  absl::Status OnSchedule(engine::ScheduleRecord&&) override { return absl::OkStatus(); }
  absl::Status OnUserTraits(const engine::Uuid& user_id,
                            absl::Span<const engine::NamedTrait> traits) override {
    return writer_.SetUserTraits(user_id, traits);
  }

 private:
  engine::EngineWriter& writer_;
};

}  // namespace

absl::StatusOr<RecomputeReport> RecomputeMatches(PgConnection& conn,
                                                 const engine::Snapshot& snapshot,
                                                 const RecomputeOptions& options) {
  if (options.k < 1 || options.k > kMaxRecomputeK) {
    return absl::InvalidArgumentError(
        absl::StrCat("k must be in [1, ", kMaxRecomputeK, "], got ", options.k));
  }
  if (options.batch_users < 1) return absl::InvalidArgumentError("batch_users must be at least 1");
  if (options.threads < 0) {
    return absl::InvalidArgumentError(absl::StrCat("threads must be 0 or more, got ", options.threads));
  }
  OTTER_ASSIGN_OR_RETURN(const MatchableLeaders leaders, MatchableLeadersOf(snapshot));
  RecomputeReport report;
  std::vector<engine::Uuid> without_traits;
  if (options.users.empty()) {
    const Clock::time_point start = Clock::now();
    OTTER_ASSIGN_OR_RETURN(without_traits, CachedUsersWithoutTraits(conn, snapshot));
    report.writing_seconds += SecondsSince(start);
  }
  const std::vector<UserEntry> users = UsersToRecompute(snapshot, options.users, without_traits);
  const engine::CompatibilityScorer scorer;
  engine::BatchOptions batch_options;
  batch_options.k = options.k;
  batch_options.threads = options.threads;

  const size_t batch_count = (users.size() + options.batch_users - 1) / options.batch_users;
  std::vector<engine::NamedTrait> named;
  std::vector<engine::UserTraits> resolved;
  std::vector<size_t> scored;  // indexes into the batch of the users in `resolved`
  std::string users_array;
  std::string rows;
  for (size_t b = 0; b < batch_count; ++b) {
    if (options.cancelled && options.cancelled()) {
      return absl::CancelledError(absl::StrCat("recompute cancelled after ", b, " of ", batch_count,
                                               " batches (", report.users + report.users_without_traits,
                                               " users) were committed"));
    }
    const absl::Span<const UserEntry> batch =
        absl::MakeConstSpan(users).subspan(b * options.batch_users, options.batch_users);
    const std::string context = absl::StrCat("batch ", b + 1, " of ", batch_count, " (", batch.size(),
                                             " users from ", batch.front().id.ToString(), ", ", b,
                                             " batches committed before it): ");

    const Clock::time_point scoring_start = Clock::now();
    resolved.clear();
    scored.clear();
    for (size_t i = 0; i < batch.size(); ++i) {
      if (batch[i].traits == nullptr) continue;
      named.clear();
      for (const auto& [name, value] : batch[i].traits->traits) named.push_back({name, value});
      absl::StatusOr<engine::UserTraits> user = engine::UserTraits::Resolve(leaders.matrix.registry(), named);
      if (!user.ok()) {
        return WithContext(user.status(), absl::StrCat(context, "user ", batch[i].id.ToString(), ": "));
      }
      resolved.push_back(*std::move(user));
      scored.push_back(i);
    }
    const std::vector<std::vector<engine::ScoredLeader>> best =
        scorer.TopKBatch(leaders.matrix, resolved, batch_options);
    report.scoring_seconds += SecondsSince(scoring_start);

    const Clock::time_point writing_start = Clock::now();
    users_array.clear();
    users_array.push_back('{');
    for (size_t i = 0; i < batch.size(); ++i) {
      if (i > 0) users_array.push_back(',');
      users_array += batch[i].id.ToString();
    }
    users_array.push_back('}');
    rows.clear();
    for (size_t r = 0; r < best.size(); ++r) {
      const std::string user = batch[scored[r]].id.ToString();
      for (const engine::ScoredLeader& leader : best[r]) {
        absl::StrAppend(&rows, user, "\t", leaders.uuids[leader.leader], "\t");
        AppendScore(leader.score, &rows);
        rows.push_back('\n');
      }
    }
    absl::StatusOr<BatchCounts> counts = WriteBatch(conn, users_array, rows);
    report.writing_seconds += SecondsSince(writing_start);
    if (!counts.ok()) return WithContext(counts.status(), context);

    report.users += resolved.size();
    report.users_without_traits += batch.size() - resolved.size();
    report.rows_written += counts->written;
    report.rows_deleted += counts->deleted;
    ++report.batches;
    if (options.progress) {
      options.progress(RecomputeProgress{report.users + report.users_without_traits, users.size(),
                                         report.rows_written});
    }
  }
  return report;
}

absl::StatusOr<std::shared_ptr<const engine::Snapshot>> LoadMatchSnapshot(
    PgConnection& conn, const ProgressCallback& progress) {
  engine::EngineWriter writer;
  MatchInputSink sink(writer);
  OTTER_ASSIGN_OR_RETURN(CatalogReadResult read, ReadCatalog(conn, sink, progress));
  OTTER_ASSIGN_OR_RETURN(std::shared_ptr<const engine::Snapshot> snapshot, writer.Publish(read.fence));
  if (writer.stats().rejected_leader_traits > 0) {
    return absl::FailedPreconditionError(
        absl::StrCat(writer.stats().rejected_leader_traits,
                     " leaders' personality_traits were rejected (more than ", engine::kMaxTraits,
                     " distinct trait names); their scores would be wrong"));
  }
  return snapshot;
}

}  // namespace otter::loader
