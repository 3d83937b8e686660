// otter-recompute: recomputes the cached personality_match_scores (each
// user's top-k leaders) with the engine's scorer and writes them back.
//
//   otter-recompute --db postgresql://otter@localhost/otter                 # every user
//   otter-recompute --db URL --users 6f1c0a5e-...,0b7e...  --k 20 --threads 2
//
// Loads leaders and users' traits from the database, recomputes, prints
// progress lines on stderr and the summary on stdout. Exit status 0 on
// success, 1 on any error (a bad flag or UUID, the database unreachable, a
// batch failed), with the reason on stderr.

#include <cstdio>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "engine/uuid.h"
#include "loader/match_recompute.h"
#include "loader/pg_connection.h"

namespace otter::loader {
namespace {

constexpr char kUsage[] =
    "usage: otter-recompute --db URL [--users UUID,UUID,...] [--k 50] [--threads N]\n"
    "  --db URL        libpq connection string or URL (required)\n"
    "  --users LIST    comma-separated user ids (default: every user with quiz traits)\n"
    "  --k N           leaders kept per user, 1..1000 (default 50)\n"
    "  --threads N     scoring threads, 0 = one per core (default 0)\n";

struct Args {
  std::string db;
  RecomputeOptions options;
};

absl::StatusOr<Args> ParseArgs(const std::vector<std::string>& argv) {
  Args args;
  for (size_t i = 0; i < argv.size(); ++i) {
    const std::string& flag = argv[i];
    if (i + 1 >= argv.size()) return absl::InvalidArgumentError(absl::StrCat(flag, " needs a value"));
    const std::string& value = argv[++i];
    if (flag == "--db") {
      args.db = value;
    } else if (flag == "--users") {
      for (absl::string_view piece : absl::StrSplit(value, ',', absl::SkipWhitespace())) {
        const std::string text(piece);
        absl::StatusOr<engine::Uuid> id = engine::Uuid::Parse(text);
        if (!id.ok()) {
          return absl::InvalidArgumentError(
              absl::StrCat("--users: \"", text, "\" is not a UUID: ", id.status().message()));
        }
        args.options.users.push_back(*id);
      }
      if (args.options.users.empty()) return absl::InvalidArgumentError("--users: the list is empty");
    } else if (flag == "--k") {
      if (!absl::SimpleAtoi(value, &args.options.k) || args.options.k < 1 ||
          args.options.k > kMaxRecomputeK) {
        return absl::InvalidArgumentError(
            absl::StrCat("--k must be an integer in [1, ", kMaxRecomputeK, "], got \"", value, "\""));
      }
    } else if (flag == "--threads") {
      if (!absl::SimpleAtoi(value, &args.options.threads) || args.options.threads < 0) {
        return absl::InvalidArgumentError(
            absl::StrCat("--threads must be an integer >= 0, got \"", value, "\""));
      }
    } else {
      return absl::InvalidArgumentError(absl::StrCat("unknown flag ", flag));
    }
  }
  if (args.db.empty()) return absl::InvalidArgumentError("--db is required");
  return args;
}

int Run(Args args) {
  absl::StatusOr<PgConnection> conn = PgConnection::Connect(args.db);
  if (!conn.ok()) {
    std::fprintf(stderr, "otter-recompute: %s\n", std::string(conn.status().message()).c_str());
    return 1;
  }
  absl::StatusOr<std::shared_ptr<const engine::Snapshot>> snapshot =
      LoadMatchSnapshot(*conn, [](const TableProgress& p) {
        if (!p.done) return;
        std::fprintf(stderr, "read %s: %lld rows in %.2f s\n", std::string(CatalogTableName(p.table)).c_str(),
                     static_cast<long long>(p.rows), p.seconds);
      });
  if (!snapshot.ok()) {
    std::fprintf(stderr, "otter-recompute: loading failed: %s\n",
                 std::string(snapshot.status().message()).c_str());
    return 1;
  }
  args.options.progress = [](const RecomputeProgress& p) {
    std::fprintf(stderr, "recompute: %zu / %zu users, %lld rows written\n", p.users_done, p.users_total,
                 static_cast<long long>(p.rows_written));
  };
  absl::StatusOr<RecomputeReport> report = RecomputeMatches(*conn, **snapshot, args.options);
  if (!report.ok()) {
    std::fprintf(stderr, "otter-recompute: recompute failed: %s\n",
                 std::string(report.status().message()).c_str());
    return 1;
  }
  std::printf(
      "users %zu (without traits %zu), rows written %lld, rows deleted %lld, batches %zu, "
      "scoring %.3f s, writing %.3f s\n",
      report->users, report->users_without_traits, static_cast<long long>(report->rows_written),
      static_cast<long long>(report->rows_deleted), report->batches, report->scoring_seconds,
      report->writing_seconds);
  return 0;
}

}  // namespace
}  // namespace otter::loader

int main(int argc, char** argv) {
  const std::vector<std::string> argv_list(argv + 1, argv + argc);
  for (const std::string& arg : argv_list) {
    if (arg == "--help" || arg == "-h") {
      std::fputs(otter::loader::kUsage, stdout);
      return 0;
    }
  }
  absl::StatusOr<otter::loader::Args> args = otter::loader::ParseArgs(argv_list);
  if (!args.ok()) {
    std::fprintf(stderr, "otter-recompute: %s\n%s", std::string(args.status().message()).c_str(),
                 otter::loader::kUsage);
    return 1;
  }
  return otter::loader::Run(*std::move(args));
}
