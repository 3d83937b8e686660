// The match-score recompute against a real database: the engine's scoring
// and the write-back timed separately, then PostgreSQL computing the same
// top-k in SQL (otter_compatibility over every active leader) for a sample
// of users, and the per-user ratio.
//
//   recompute_benchmark --db postgresql://localhost/otter_bench [--users 20000] [--k 50]
//                       [--threads 0] [--sample 20]
//
// --users N recomputes the first N users with traits (in Uuid order); all of
// them by default. It REWRITES those users' personality_match_scores rows
// (with the same values a recompute would write), so run it on a database
// made for benchmarks.

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "engine/uuid.h"
#include "loader/match_recompute.h"
#include "loader/pg_connection.h"

namespace otter::loader {
namespace {

using Clock = std::chrono::steady_clock;

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

constexpr char kUsage[] =
    "usage: recompute_benchmark --db URL [--users N] [--k 50] [--threads 0] [--sample 20]\n";

// The SQL side of the comparison: one user's top k by the reference
// function, as an application would compute it without the engine.
constexpr char kSqlTopK[] =
    "SELECT l.id, otter_compatibility(c.traits, l.personality_traits) AS score "
    "FROM user_current_traits AS c CROSS JOIN tour_leaders AS l "
    "WHERE c.user_id = $1::uuid AND l.is_active "
    "ORDER BY score DESC, l.id LIMIT $2::int";

struct Args {
  std::string db;
  size_t users = 0;  // 0: all
  size_t k = 50;
  int threads = 0;
  size_t sample = 20;
};

absl::StatusOr<Args> ParseArgs(const std::vector<std::string>& argv) {
  Args args;
  for (size_t i = 0; i < argv.size(); ++i) {
    const std::string& flag = argv[i];
    if (i + 1 >= argv.size()) return absl::InvalidArgumentError(absl::StrCat(flag, " needs a value"));
    const std::string& value = argv[++i];
    bool ok = true;
    if (flag == "--db") {
      args.db = value;
    } else if (flag == "--users") {
      ok = absl::SimpleAtoi(value, &args.users);
    } else if (flag == "--k") {
      ok = absl::SimpleAtoi(value, &args.k) && args.k >= 1 && args.k <= kMaxRecomputeK;
    } else if (flag == "--threads") {
      ok = absl::SimpleAtoi(value, &args.threads) && args.threads >= 0;
    } else if (flag == "--sample") {
      ok = absl::SimpleAtoi(value, &args.sample) && args.sample >= 1;
    } else {
      return absl::InvalidArgumentError(absl::StrCat("unknown flag ", flag));
    }
    if (!ok) return absl::InvalidArgumentError(absl::StrCat(flag, ": bad value \"", value, "\""));
  }
  if (args.db.empty()) return absl::InvalidArgumentError("--db is required");
  return args;
}

absl::Status Run(const Args& args) {
  absl::StatusOr<PgConnection> conn = PgConnection::Connect(args.db);
  if (!conn.ok()) return conn.status();
  const Clock::time_point load_start = Clock::now();
  absl::StatusOr<std::shared_ptr<const engine::Snapshot>> snapshot = LoadMatchSnapshot(*conn);
  if (!snapshot.ok()) return snapshot.status();
  std::printf("load: %.2f s, %zu leaders with traits\n", SecondsSince(load_start),
              (*snapshot)->leader_traits().leader_count());

  std::vector<engine::Uuid> users;
  (*snapshot)->ForEachUserTraits(
      [&](const engine::Uuid& user, const engine::StoredUserTraits&) { users.push_back(user); });
  std::sort(users.begin(), users.end());
  if (args.users > 0 && args.users < users.size()) users.resize(args.users);
  if (users.empty()) return absl::FailedPreconditionError("the database has no user with quiz traits");

  RecomputeOptions options;
  options.users = users;
  options.k = args.k;
  options.threads = args.threads;
  const Clock::time_point job_start = Clock::now();
  absl::StatusOr<RecomputeReport> report = RecomputeMatches(*conn, **snapshot, options);
  if (!report.ok()) return report.status();
  const double job_seconds = SecondsSince(job_start);
  const double n = static_cast<double>(report->users);
  std::printf("recompute: %zu users, k %zu, %lld rows written, %lld deleted, %zu batches\n",
              report->users, args.k, static_cast<long long>(report->rows_written),
              static_cast<long long>(report->rows_deleted), report->batches);
  std::printf("  scoring %.3f s (%.0f users/s)\n", report->scoring_seconds, n / report->scoring_seconds);
  std::printf("  writing %.3f s (%.0f users/s)\n", report->writing_seconds, n / report->writing_seconds);
  std::printf("  whole job %.3f s (%.0f users/s)\n", job_seconds, n / job_seconds);

  // An even sample of the recomputed users.
  const size_t sample = std::min(args.sample, users.size());
  const std::string k_text = std::to_string(args.k);
  double sql_seconds = 0;
  for (size_t i = 0; i < sample; ++i) {
    const std::string user = users[i * users.size() / sample].ToString();
    const Clock::time_point start = Clock::now();
    absl::StatusOr<PgResult> rows = conn->Exec(kSqlTopK, {user, k_text});
    sql_seconds += SecondsSince(start);
    if (!rows.ok()) return rows.status();
  }
  const double sql_per_user = sql_seconds / static_cast<double>(sample);
  const double engine_per_user = report->scoring_seconds / n;
  const double job_per_user = job_seconds / n;
  std::printf("sql top-%zu: %zu users, %.3f ms per user\n", args.k, sample, sql_per_user * 1e3);
  std::printf("  engine scoring %.4f ms per user: %.0fx faster\n", engine_per_user * 1e3,
              sql_per_user / engine_per_user);
  std::printf("  engine whole job (with write-back) %.4f ms per user: %.0fx faster\n",
              job_per_user * 1e3, sql_per_user / job_per_user);
  return absl::OkStatus();
}

}  // namespace
}  // namespace otter::loader

int main(int argc, char** argv) {
  const std::vector<std::string> argv_list(argv + 1, argv + argc);
  std::printf("command: recompute_benchmark %s\n", absl::StrJoin(argv_list, " ").c_str());
  absl::StatusOr<otter::loader::Args> args = otter::loader::ParseArgs(argv_list);
  if (!args.ok()) {
    std::fprintf(stderr, "recompute_benchmark: %s\n%s", std::string(args.status().message()).c_str(),
                 otter::loader::kUsage);
    return 1;
  }
  if (absl::Status s = otter::loader::Run(*args); !s.ok()) {
    std::fprintf(stderr, "recompute_benchmark: %s\n", std::string(s.message()).c_str());
    return 1;
  }
  return 0;
}
