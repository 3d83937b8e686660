#pragma once
// otterd's settings from flags, a config file and OTTER_* environment
// variables, in that order of precedence (flag > env > file > default).
//
//   --listen 127.0.0.1:7870   OTTER_LISTEN=…   listen = 127.0.0.1:7870
//
// Every setting has one name: `max_connections` is the file key, the flag
// --max-connections (or --max_connections) and the variable
// OTTER_MAX_CONNECTIONS. The config file holds `key = value` lines; `#`
// starts a comment. Settings marked [reload] change on SIGHUP; the others
// need a restart.
//
//   absl::StatusOr<Config> config = LoadConfig(args, [](const char* n) { return getenv(n); });
//
// Thread safety: plain values and pure functions.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "server/log.h"

namespace otter::server {

// The limits a running daemon may change on SIGHUP.
struct Limits {
  std::size_t max_request_bytes = std::size_t{1} << 20;  // one line or frame payload
  std::size_t max_connections = 10000;                  // beyond: `overloaded`, close
  std::size_t max_output_bytes = 256 * 1024;  // pending replies before reading stops
  uint32_t idle_timeout_ms = 300000;          // no request for this long: close
  uint32_t request_timeout_ms = 10000;        // a started request must arrive within
  uint32_t after_timeout_ms = 5000;  // wait this long for a request's "after" position
  // An engine op that waited longer for a query thread gets `overloaded`
  // instead of running; measured from when it could first run (received in
  // full, or its "after" position applied).
  uint32_t query_deadline_ms = 1000;
  std::size_t max_queued_queries = 4096;  // engine ops waiting beyond: `overloaded` at once
};

struct Config {
  std::string db;              // libpq conninfo or URL, for the loader
  std::string listen = "127.0.0.1:7870";  // host:port; "" disables TCP; port 0 picks one
  std::string unix_path;       // unix socket path ("" = none), created 0660
  int threads = 0;             // io_contexts; 0 = hardware concurrency
  int query_threads = 0;       // threads running engine ops; 0 = hardware concurrency
  std::string config_file;     // the file the settings were read from
  std::string auth_token_file;  // [reload] "" = no authentication
  std::string auth_token;      // its content, without a final newline
  LogLevel log_level = LogLevel::kInfo;  // [reload]
  uint32_t drain_timeout_ms = 10000;     // SIGTERM: give up waiting after this
  // With db: record the change-log position and prune the log this often
  // (0: never, and the replica holds nothing back), record searches, and
  // recompute a user's cached match scores (keeping match_k leaders) when a
  // new quiz result arrives.
  uint32_t prune_interval_ms = 10000;
  // With db: this replica's name in otter_change_consumers, where it records
  // its change-log position (replicas of one database need distinct names).
  // Unset: "<host name>/<listen>" (or the unix socket path).
  std::string consumer_name;
  bool record_searches = true;
  bool recompute_on_quiz = true;
  uint32_t match_k = 50;
  Limits limits;                         // [reload]

  // Host and port of `listen`, split; valid after LoadConfig().
  std::string listen_host;
  uint16_t listen_port = 0;
};

// Looks up an environment variable; nullptr when unset.
using EnvLookup = std::function<const char*(const char*)>;

// Builds the configuration from `args` (argv without the program name),
// the environment and the config file named by --config / OTTER_CONFIG.
// Returns kInvalidArgument naming the setting and its source on any error:
// "unknown flag --lsten", "--threads: must be an integer within [0, 1024],
// not \"x\"", "otterd.conf:3: unknown key \"listn\"", "auth_token_file: cannot
// read \"…\": No such file or directory".
absl::StatusOr<Config> LoadConfig(const std::vector<std::string>& args, const EnvLookup& env);

// The --help text.
std::string ConfigUsage();

}  // namespace otter::server
