// otterd: the Otter Trip search daemon. Reads its settings (flags, OTTER_*
// environment, --config file), binds, prints "listening on ADDRESS" on
// stdout, loads the catalog from --db in the background (health says
// "loading" meanwhile), and serves until SIGTERM. Logs go to stderr, one
// key=value line per event. Without --db only ping, health and stats work.

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "server/config.h"
#include "server/daemon.h"
#include "server/log.h"
#include "server/server.h"

int main(int argc, char** argv) {
  using namespace otter::server;
  std::vector<std::string> args(argv + 1, argv + argc);
  for (const std::string& arg : args) {
    if (arg == "--help" || arg == "-h") {
      std::fputs(ConfigUsage().c_str(), stdout);
      return 0;
    }
  }
  std::signal(SIGPIPE, SIG_IGN);
  const EnvLookup env = [](const char* name) -> const char* { return std::getenv(name); };
  absl::StatusOr<Config> config = LoadConfig(args, env);
  if (!config.ok()) {
    std::fprintf(stderr, "otterd: %s\n", std::string(config.status().message()).c_str());
    return 2;
  }
  SetLogLevel(config->log_level);
  const uint64_t files = RaiseFileLimit();
  Log(LogLevel::kInfo, "starting",
      {{"open_files_limit", std::to_string(files)},
       {"auth", config->auth_token.empty() ? "off" : "on"},
       {"db", config->db.empty() ? "none" : "configured"}});
  if (files < config->limits.max_connections + 64) {
    Log(LogLevel::kWarn, "open_files_limit_low",
        {{"limit", std::to_string(files)},
         {"max_connections", std::to_string(config->limits.max_connections)}});
  }

  absl::StatusOr<std::unique_ptr<Daemon>> daemon = Daemon::Create(*config);
  absl::Status started = daemon.status();
  if (started.ok()) {
    (*daemon)->set_reloader([args, env] { return LoadConfig(args, env); });
    started = (*daemon)->Start();
  }
  if (!started.ok()) {
    std::fprintf(stderr, "otterd: %s\n", std::string(started.message()).c_str());
    Log(LogLevel::kError, "start_failed", {{"error", std::string(started.message())}});
    return 1;
  }
  return (*daemon)->Run();
}
