// The bulk load of a database into the engine: rows/s per table and the
// time to the first Snapshot, measured twice: ReadCatalog into an
// EngineWriter directly (the COPY and decoding, then the index build), and
// through a ChangeFollower from Start() to `ready` (what otterd waits for).
//
//   load_benchmark --db postgresql://postgres@127.0.0.1:5432/otter_bench [--via reader|follower|both]
//
// Prints the command line first, then one line per table and a summary.

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <string_view>
#include <thread>

#include "absl/strings/str_cat.h"
#include "engine/engine_writer.h"
#include "engine/snapshot.h"
#include "loader/catalog_reader.h"
#include "loader/change_follower.h"
#include "loader/engine_feed.h"
#include "loader/pg_connection.h"

namespace otter::loader {
namespace {

using Clock = std::chrono::steady_clock;

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// The process's resident memory, from /proc/self/status ("?" elsewhere).
std::string ResidentMemory() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return line.substr(line.find_first_not_of(" \t", 6));
  }
  return "?";
}

void PrintTable(const TableProgress& p) {
  std::printf("  %-20s %10lld rows %8.3f s %12.0f rows/s %8.1f MB\n", std::string(CatalogTableName(p.table)).c_str(),
              static_cast<long long>(p.rows), p.seconds, p.seconds > 0 ? double(p.rows) / p.seconds : 0.0,
              double(p.bytes) / 1e6);
}

int ViaReader(const std::string& url) {
  std::printf("ReadCatalog + EngineWriter:\n");
  const Clock::time_point start = Clock::now();
  absl::StatusOr<PgConnection> conn = PgConnection::Connect(url);
  if (!conn.ok()) {
    std::fprintf(stderr, "%s\n", std::string(conn.status().message()).c_str());
    return 1;
  }
  engine::EngineWriter writer;
  EngineFeed feed(writer);
  absl::StatusOr<CatalogReadResult> load = ReadCatalog(*conn, feed, [](const TableProgress& p) {
    if (p.done) PrintTable(p);
  });
  if (!load.ok()) {
    std::fprintf(stderr, "load failed: %s\n", std::string(load.status().message()).c_str());
    return 1;
  }
  const double read_seconds = SecondsSince(start);
  int64_t rows = 0;
  for (const TableProgress& t : load->tables) rows += t.rows;
  const Clock::time_point publish_start = Clock::now();
  absl::StatusOr<std::shared_ptr<const engine::Snapshot>> snapshot = writer.Publish(load->fence);
  if (!snapshot.ok()) {
    std::fprintf(stderr, "publish failed: %s\n", std::string(snapshot.status().message()).c_str());
    return 1;
  }
  std::printf("  read %lld rows in %.3f s (%.0f rows/s); index build (first Publish) %.3f s; "
              "first snapshot after %.3f s; RSS %s\n",
              static_cast<long long>(rows), read_seconds, double(rows) / read_seconds, SecondsSince(publish_start),
              SecondsSince(start), ResidentMemory().c_str());
  return 0;
}

int ViaFollower(const std::string& url) {
  std::printf("ChangeFollower, Start() to ready:\n");
  engine::SnapshotHolder holder;
  ChangeFollowerOptions options;
  options.conninfo = url;
  options.prune_interval = std::chrono::milliseconds(0);
  options.log = [](FollowerLogLevel level, std::string_view event, absl::Span<const FollowerLogField> fields) {
    if (level < FollowerLogLevel::kInfo) return;
    std::string line = absl::StrCat("  ", std::string(event));
    for (const auto& [key, value] : fields) absl::StrAppend(&line, " ", std::string(key), "=", std::string(value));
    std::printf("%s\n", line.c_str());
  };
  ChangeFollower follower(options, holder);
  const Clock::time_point start = Clock::now();
  if (absl::Status s = follower.Start(); !s.ok()) {
    std::fprintf(stderr, "%s\n", std::string(s.message()).c_str());
    return 1;
  }
  while (follower.Status().state != FollowerState::kReady) {
    if (SecondsSince(start) > 600) {
      std::fprintf(stderr, "not ready after 600 s: %s\n", follower.Status().detail.c_str());
      return 1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  const double ready = SecondsSince(start);
  const FollowerStatus status = follower.Status();
  std::printf("  ready after %.3f s (load %.3f s, %lld rows); RSS %s\n", ready, status.counters.last_load_seconds,
              static_cast<long long>(status.counters.last_load_rows), ResidentMemory().c_str());
  follower.Stop();
  return 0;
}

int Main(int argc, char** argv) {
  std::string url;
  std::string via = "both";
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--db" && i + 1 < argc) {
      url = argv[++i];
    } else if (arg == "--via" && i + 1 < argc) {
      via = argv[++i];
    } else {
      std::fprintf(stderr, "usage: load_benchmark --db URL [--via reader|follower|both]\n");
      return 2;
    }
  }
  if (url.empty() || (via != "reader" && via != "follower" && via != "both")) {
    std::fprintf(stderr, "usage: load_benchmark --db URL [--via reader|follower|both]\n");
    return 2;
  }
  std::printf("command:");
  for (int i = 0; i < argc; ++i) std::printf(" %s", argv[i]);
  std::printf("\n");
  if (via != "follower") {
    if (int rc = ViaReader(url); rc != 0) return rc;
  }
  if (via != "reader") return ViaFollower(url);
  return 0;
}

}  // namespace
}  // namespace otter::loader

int main(int argc, char** argv) { return otter::loader::Main(argc, argv); }
