// otter-load: the load generator for otterd. Samples the database once,
// builds a pool of realistic requests, opens many connections and drives
// them at a fixed rate or flat out, then prints the report (--help lists
// the flags).
//
//   otter-load --db postgresql://127.0.0.1:5432/otter_bench --connections 10000 --rate 50000
//
// Exit status: 0, 1 when the errors exceed --max-error-rate, 2 for bad
// flags, an unreachable database or daemon.

#include <csignal>
#include <cstdio>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "bench/load/flags.h"
#include "bench/load/load_options.h"
#include "bench/load/load_report.h"
#include "bench/load/load_run.h"
#include "bench/load/query.h"
#include "bench/load/request_pool.h"
#include "bench/load/workload_sample.h"
#include "loader/pg_connection.h"

namespace {

int Fail(const absl::Status& status) {
  std::fprintf(stderr, "otter-load: %s\n", std::string(status.message()).c_str());
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace otter::load;
  std::vector<std::string> args(argv + 1, argv + argc);
  for (const std::string& arg : args) {
    if (arg == "--help" || arg == "-h") {
      std::fputs(LoadUsage().c_str(), stdout);
      return 0;
    }
  }
  std::signal(SIGPIPE, SIG_IGN);
  absl::StatusOr<LoadOptions> options = ParseLoadOptions(args);
  if (!options.ok()) return Fail(options.status());

  WorkloadSample sample;
  QueryGenerator generator;
  if (options->mix.NeedsSample()) {
    absl::StatusOr<otter::loader::PgConnection> conn =
        otter::loader::PgConnection::Connect(options->db);
    if (!conn.ok()) return Fail(conn.status());
    SampleSizes sizes;
    sizes.seed = options->seed;
    absl::StatusOr<WorkloadSample> sampled = SampleWorkload(*conn, sizes);
    if (!sampled.ok()) return Fail(sampled.status());
    sample = *std::move(sampled);
    QueryOptions query_options;
    query_options.seed = options->seed;
    absl::StatusOr<QueryGenerator> created = QueryGenerator::Create(&sample, query_options);
    if (!created.ok()) return Fail(created.status());
    generator = *std::move(created);
    std::fprintf(stderr, "otter-load: sampled %zu tours, %zu users, %zu leaders\n",
                 sample.tours.size(), sample.user_ids.size(), sample.leader_ids.size());
  }
  const RequestPool pool =
      BuildRequestPool(options->mix, generator, options->pool_size, options->seed);

  absl::StatusOr<LoadResult> result = RunLoad(*options, pool);
  if (!result.ok()) return Fail(result.status());
  const std::string command = CommandLine(argc, argv);
  const std::string report = options->json ? FormatReportJson(*result, *options, command)
                                           : FormatReport(*result, *options, command);
  std::fputs(report.c_str(), stdout);
  if (ErrorRateExceeded(*result, *options)) {
    std::fprintf(stderr, "otter-load: errors exceed --max-error-rate %g\n",
                 options->max_error_rate);
    return 1;
  }
  return 0;
}
