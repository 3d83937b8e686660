// side-by-side: the same queries through otterd and through PostgreSQL/
// PostGIS on the same database, one at a time over one connection each
// (after a warm-up with other queries of the same kinds), and per kind the
// p50/p99 latency of both and their ratio. Where the answers must agree
// (geo: exact totals and nearest ids; personality: totals and the most
// compatible leaders) they are compared and every mismatch is printed.
// --help lists the flags.
//
//   side-by-side --db postgresql://127.0.0.1:5432/otter_bench --connect 127.0.0.1:7870
//
// The text queries need a full-text index the schema does not have; the
// program creates it (CREATE INDEX IF NOT EXISTS, see sql_side.h) and says
// so. Exit status: 0 when everything agreed, 1 on a mismatch or an error
// reply, 2 for bad flags or an unreachable database or daemon.

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "bench/load/blocking_client.h"
#include "bench/load/flags.h"
#include "bench/load/histogram.h"
#include "bench/load/machine.h"
#include "bench/load/query.h"
#include "bench/load/reply.h"
#include "bench/load/request_json.h"
#include "bench/load/workload_sample.h"
#include "bench/side_by_side/compare.h"
#include "bench/side_by_side/sql_side.h"
#include "engine/geodesy.h"
#include "engine/status_macros.h"

namespace otter::side_by_side {
namespace {

using load::QueryKind;
using Clock = std::chrono::steady_clock;

// otterd ranks by exact geodesic distances (Karney's, as PostGIS computes
// them) but may report a hit's distance as its estimate, within
// engine::kEstimateRelativeError.
constexpr Tolerance kDistanceTolerance{1e-6, engine::kEstimateRelativeError};
// otterd scores in single precision: 100 * (1 - sqrt(mean square)) to
// about 1e-5 relative.
constexpr Tolerance kCompatibilityTolerance{1e-3, 0};

constexpr const char* kUsage =
    "usage: side-by-side --db URL [flags]\n"
    "Runs the same queries through otterd and through PostgreSQL/PostGIS on the\n"
    "same database, one at a time, and prints p50/p99 of each and the ratio.\n"
    "\n"
    "  --db URL                       the database otterd serves (required)\n"
    "  --connect HOST:PORT|unix:PATH  otterd's address (127.0.0.1:7870)\n"
    "  --token-file F                 otterd's auth token\n"
    "  --queries N                    queries per kind (200)\n"
    "  --warmup N                     untimed queries per kind first, other instances\n"
    "                                 of the same kind (20)\n"
    "  --kinds K,...                  among geo, text, combined, personality (all four)\n"
    "  --radius-km R                  radius of geo and combined queries (25)\n"
    "  --seed N                       sampling seed (1)\n";

struct Options {
  std::string db;
  load::Endpoint endpoint;
  std::string auth_token;
  int queries = 200;
  int warmup = 20;
  std::vector<QueryKind> kinds = {QueryKind::kGeo, QueryKind::kText, QueryKind::kCombined,
                                  QueryKind::kPersonality};
  double radius_km = 25;
  uint64_t seed = 1;
};

absl::StatusOr<Options> ParseOptions(const std::vector<std::string>& args) {
  Options o;
  OTTER_ASSIGN_OR_RETURN(const std::vector<load::Flag> flags, load::SplitFlags(args, {}));
  for (const load::Flag& f : flags) {
    if (f.name == "db") {
      o.db = f.value;
    } else if (f.name == "connect") {
      OTTER_ASSIGN_OR_RETURN(o.endpoint, load::ParseEndpoint(f.value));
    } else if (f.name == "token-file") {
      OTTER_ASSIGN_OR_RETURN(o.auth_token, load::ReadFirstLine(f.value));
    } else if (f.name == "queries") {
      OTTER_ASSIGN_OR_RETURN(o.queries, load::ParseInteger(f, 1, 1'000'000));
    } else if (f.name == "warmup") {
      OTTER_ASSIGN_OR_RETURN(o.warmup, load::ParseInteger(f, 0, 1'000'000));
    } else if (f.name == "radius-km") {
      OTTER_ASSIGN_OR_RETURN(o.radius_km, load::ParseNumber(f, 0, 20'000));
    } else if (f.name == "seed") {
      OTTER_ASSIGN_OR_RETURN(o.seed, load::ParseInteger(f, 0, INT64_MAX));
    } else if (f.name == "kinds") {
      o.kinds.clear();
      for (absl::string_view name : absl::StrSplit(absl::string_view(f.value), ',')) {
        const std::optional<QueryKind> kind = load::QueryKindFromName(std::string(name));
        if (!kind || (*kind != QueryKind::kGeo && *kind != QueryKind::kText &&
                      *kind != QueryKind::kCombined && *kind != QueryKind::kPersonality)) {
          return absl::InvalidArgumentError(
              absl::StrCat("--kinds: \"", std::string(name),
                           "\" is not one of geo, text, combined, personality"));
        }
        o.kinds.push_back(*kind);
      }
    } else {
      return absl::InvalidArgumentError(absl::StrCat("unknown flag --", f.name));
    }
  }
  if (o.db.empty()) return absl::InvalidArgumentError("--db is required");
  return o;
}

// The figures of one kind.
struct KindRun {
  QueryKind kind = QueryKind::kGeo;
  load::Histogram otter_ns;
  load::Histogram sql_ns;
  int agreed = 0;        // geo, personality: queries whose answers agree
  int equal_totals = 0;  // text, combined
  std::size_t common_hits = 0;
  std::size_t sql_hits = 0;
  std::vector<std::string> problems;  // mismatches and errors, one line each
};

bool MustAgree(QueryKind kind) {
  return kind == QueryKind::kGeo || kind == QueryKind::kPersonality;
}

std::string Describe(const load::Query& q) {
  std::string out = absl::StrCat(std::string(load::QueryKindName(q.kind)), " {");
  if (!q.text.empty()) absl::StrAppend(&out, "q \"", q.text, "\" ");
  if (q.point) {
    absl::StrAppend(&out, "near ", load::FormatDouble(q.point->lat), ",",
                    load::FormatDouble(q.point->lon), " ", load::FormatDouble(q.radius_km), " km ");
  }
  if (!q.category.empty())
    absl::StrAppend(&out, "category ", q.category, " price <= ", q.price_max, " ");
  if (!q.user_id.empty()) absl::StrAppend(&out, "user ", q.user_id, " ");
  out.back() = '}';
  return out;
}

// Runs `warmup` untimed queries, then `queries`, through both sides.
absl::StatusOr<KindRun> RunKind(QueryKind kind, const std::vector<load::Query>& warmup,
                                const std::vector<load::Query>& queries,
                                load::BlockingClient& client, SqlSide& sql) {
  KindRun run;
  run.kind = kind;
  // Warm-up queries differ from the measured ones, so that neither side
  // answers a measured query from pages it just read for the same query.
  for (const load::Query& q : warmup) {
    OTTER_RETURN_IF_ERROR(
        client.Call(load::JsonLine(load::OpOf(kind), load::RequestFields(q), 0)).status());
    OTTER_RETURN_IF_ERROR(sql.Run(q).status());
  }
  std::vector<std::string> lines;
  for (std::size_t i = 0; i < queries.size(); ++i) {
    lines.push_back(load::JsonLine(load::OpOf(kind), load::RequestFields(queries[i]), i + 1));
  }
  load::SearchReplyParser parser;
  for (std::size_t i = 0; i < queries.size(); ++i) {
    // Alternating the two sides query by query exposes both to the same
    // background load on a shared machine.
    const Clock::time_point t0 = Clock::now();
    OTTER_ASSIGN_OR_RETURN(const std::string line, client.Call(lines[i]));
    const Clock::time_point t1 = Clock::now();
    absl::StatusOr<load::SearchReply> sql_reply = sql.Run(queries[i]);
    const Clock::time_point t2 = Clock::now();
    if (!sql_reply.ok()) return sql_reply.status();
    run.otter_ns.Record(static_cast<uint64_t>(std::chrono::nanoseconds(t1 - t0).count()));
    run.sql_ns.Record(static_cast<uint64_t>(std::chrono::nanoseconds(t2 - t1).count()));

    absl::StatusOr<load::SearchReply> otter_reply = parser.Parse(line);
    if (!otter_reply.ok()) {
      run.problems.push_back(
          absl::StrCat(Describe(queries[i]), ": ", otter_reply.status().message()));
      continue;
    }
    run.common_hits += CommonHits(*otter_reply, *sql_reply);
    run.sql_hits += sql_reply->hits.size();
    if (otter_reply->total == sql_reply->total) ++run.equal_totals;
    if (!MustAgree(kind)) continue;
    const ValueKind value =
        kind == QueryKind::kGeo ? ValueKind::kDistance : ValueKind::kCompatibility;
    const Tolerance& tolerance =
        kind == QueryKind::kGeo ? kDistanceTolerance : kCompatibilityTolerance;
    const std::vector<std::string> problems =
        CompareRanked(*otter_reply, *sql_reply, value, tolerance);
    if (problems.empty()) {
      ++run.agreed;
    } else {
      for (const std::string& p : problems)
        run.problems.push_back(absl::StrCat(Describe(queries[i]), ": ", p));
    }
  }
  return run;
}

double Ms(uint64_t ns) { return static_cast<double>(ns) / 1e6; }

void PrintRuns(const std::vector<KindRun>& runs, int queries) {
  std::printf("\n%-12s %10s %10s %10s %10s %9s %9s   %s\n", "kind", "otterd p50", "p99", "SQL p50",
              "p99", "ratio p50", "p99", "agreement");
  for (const KindRun& run : runs) {
    const double o50 = Ms(run.otter_ns.Percentile(0.5)), o99 = Ms(run.otter_ns.Percentile(0.99));
    const double s50 = Ms(run.sql_ns.Percentile(0.5)), s99 = Ms(run.sql_ns.Percentile(0.99));
    std::string agreement;
    if (MustAgree(run.kind)) {
      agreement = absl::StrFormat("%d/%d agree (total, top ids)", run.agreed, queries);
    } else {
      agreement = absl::StrFormat(
          "totals equal %d/%d, %s of SQL's hits also in otterd's (not required)", run.equal_totals,
          queries,
          run.sql_hits == 0 ? "-"
                            : absl::StrFormat("%.0f%%", 100.0 * run.common_hits / run.sql_hits));
    }
    std::printf("%-12s %7.3f ms %7.3f ms %7.2f ms %7.2f ms %8.0fx %8.0fx   %s\n",
                std::string(load::QueryKindName(run.kind)).c_str(), o50, o99, s50, s99, s50 / o50,
                s99 / o99, agreement.c_str());
  }
  if (std::any_of(runs.begin(), runs.end(), [](const KindRun& r) { return !MustAgree(r.kind); })) {
    std::printf(
        "(text answers differ by design: otterd matches the last word as a prefix, tolerates "
        "typos,\n"
        " also indexes tags, category and location, and ranks by BM25F; PostgreSQL ranks by\n"
        " ts_rank_cd over title and description)\n");
  }
  bool any = false;
  for (const KindRun& run : runs) {
    for (const std::string& problem : run.problems) {
      if (!any) std::printf("\nmismatches and errors:\n");
      any = true;
      std::printf("  %s\n", problem.c_str());
    }
  }
}

int Fail(const absl::Status& status) {
  std::fprintf(stderr, "side-by-side: %s\n", std::string(status.message()).c_str());
  return 2;
}

int Main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  for (const std::string& arg : args) {
    if (arg == "--help" || arg == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    }
  }
  absl::StatusOr<Options> options = ParseOptions(args);
  if (!options.ok()) return Fail(options.status());
  absl::StatusOr<SqlSide> sql = SqlSide::Connect(options->db);
  if (!sql.ok()) return Fail(sql.status());
  absl::StatusOr<load::BlockingClient> client =
      load::BlockingClient::Connect(options->endpoint, options->auth_token);
  if (!client.ok()) return Fail(client.status());

  std::printf(
      "side-by-side: otterd against PostgreSQL/PostGIS, one query at a time over one connection "
      "each\n");
  std::printf("command: %s\n", load::CommandLine(argc, argv).c_str());
  std::printf("machine: %s\n", load::MachineDescription().c_str());
  absl::StatusOr<std::string> versions = sql->Versions();
  if (!versions.ok()) return Fail(versions.status());
  std::printf("database: %s\n", versions->c_str());
  absl::StatusOr<std::string> size = sql->DataSize();
  if (!size.ok()) return Fail(size.status());
  std::printf("data: %s\n", size->c_str());
  const bool needs_text = std::find(options->kinds.begin(), options->kinds.end(),
                                    QueryKind::kText) != options->kinds.end() ||
                          std::find(options->kinds.begin(), options->kinds.end(),
                                    QueryKind::kCombined) != options->kinds.end();
  if (needs_text) {
    const Clock::time_point t0 = Clock::now();
    absl::StatusOr<bool> created = sql->EnsureTextIndex();
    if (!created.ok()) return Fail(created.status());
    if (*created) {
      std::printf(
          "text index: created %s (GIN on to_tsvector('english', title || ' ' || "
          "coalesce(description, '')); the schema has none) in %.1f s\n",
          kTextIndexName, std::chrono::duration<double>(Clock::now() - t0).count());
    } else {
      std::printf("text index: %s present\n", kTextIndexName);
    }
  }

  absl::StatusOr<loader::PgConnection> sample_conn = loader::PgConnection::Connect(options->db);
  if (!sample_conn.ok()) return Fail(sample_conn.status());
  load::SampleSizes sizes;
  sizes.seed = options->seed;
  absl::StatusOr<load::WorkloadSample> sample = load::SampleWorkload(*sample_conn, sizes);
  if (!sample.ok()) return Fail(sample.status());
  load::QueryOptions query_options;
  query_options.radius_km = options->radius_km;
  query_options.combined_personality = false;
  query_options.seed = options->seed;
  absl::StatusOr<load::QueryGenerator> generator =
      load::QueryGenerator::Create(&*sample, query_options);
  if (!generator.ok()) return Fail(generator.status());
  std::printf(
      "queries: %d per kind, the same for both sides, after %d warm-up queries; %g km radius\n",
      options->queries, options->warmup, options->radius_km);
  std::fflush(stdout);

  std::vector<KindRun> runs;
  for (QueryKind kind : options->kinds) {
    std::vector<load::Query> warmup, queries;
    for (int i = 0; i < options->warmup; ++i) warmup.push_back(generator->Next(kind));
    for (int i = 0; i < options->queries; ++i) queries.push_back(generator->Next(kind));
    absl::StatusOr<KindRun> run = RunKind(kind, warmup, queries, *client, *sql);
    if (!run.ok()) return Fail(run.status());
    std::fprintf(stderr, "side-by-side: %s done\n", std::string(load::QueryKindName(kind)).c_str());
    runs.push_back(*std::move(run));
  }
  PrintRuns(runs, options->queries);
  for (const KindRun& run : runs) {
    if (!run.problems.empty()) return 1;
  }
  return 0;
}

}  // namespace
}  // namespace otter::side_by_side

int main(int argc, char** argv) { return otter::side_by_side::Main(argc, argv); }
