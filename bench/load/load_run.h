#pragma once
// One load run: T threads, each with its own io_context and its share of
// the connections, connect (and handshake), then drive requests from a
// pool for the warm-up and the measured duration, then wait for the last
// replies. Requests whose scheduled time falls in the measured window are
// the ones counted.
//
//   OTTER_ASSIGN_OR_RETURN(LoadResult result, RunLoad(options, pool));
//   PrintReport(result, options, command_line);
//
// Thread safety: RunLoad starts and joins its own threads; call it from one
// thread.

#include <array>
#include <cstdint>
#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "bench/load/histogram.h"
#include "bench/load/load_options.h"
#include "bench/load/query.h"
#include "bench/load/request_pool.h"

namespace otter::load {

struct KindStats {
  Histogram latency;  // nanoseconds, every answered request
  uint64_t ok = 0;
  uint64_t errors = 0;  // error replies
};

// What one thread saw; merged into one at the end.
struct LoadStats {
  std::array<KindStats, kQueryKindCount> kinds;
  Histogram latency;      // every answered request, nanoseconds
  uint64_t requests = 0;  // requests scheduled in the measured window
  // Replies received during the measured window, whenever their request
  // was sent: the throughput.
  uint64_t replies_in_window = 0;
  // Failed measured requests by cause: an error reply's code, or
  // "connection_lost" (the connection closed first), "unanswered" (no reply
  // before the drain timeout), "no_connection" (every connection of the
  // thread was closed).
  std::map<std::string, uint64_t> errors;
  // Connection-level events: connect or handshake failures (by message),
  // "closed_by_server", unsolicited replies ("unsolicited: overloaded").
  std::map<std::string, uint64_t> connection_events;
  uint64_t connect_failures = 0;
  uint64_t connections_lost = 0;  // opened, then closed before the end of the run
  uint64_t open_at_end = 0;       // connections still open when measuring ended

  void Merge(const LoadStats& other);
  uint64_t error_count() const;
  uint64_t answered() const { return latency.count(); }
};

struct LoadResult {
  LoadStats stats;
  int connections_wanted = 0;
  int connections_reached = 0;  // the most open at once
  double connect_seconds = 0;   // to open every connection
  double measured_seconds = 0;
  uint64_t open_files_limit = 0;
  double load_seconds = 0;  // from the start of the warm-up to the last reply (or drain timeout)
  double cpu_seconds = 0;   // the generator's own user + system time meanwhile
  std::string machine;      // MachineDescription()
};

// Runs the load described by `options` with requests from `pool` (not
// empty). Returns kFailedPrecondition when no connection could be opened;
// otherwise every failure is counted in the result.
absl::StatusOr<LoadResult> RunLoad(const LoadOptions& options, const RequestPool& pool);

}  // namespace otter::load
