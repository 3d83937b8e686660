#pragma once
// The otterd server: N workers (one io_context and thread each), a listener
// that spreads connections over them, the query threads that run the
// engine ops, the built-in dispatcher, and signal handling: SIGTERM/SIGINT
// drain (stop accepting, answer what was received, close, exit 0), SIGHUP
// reloads the run-time settings.
//
//   Server server(config, {.health = &health, .engine = &ops}, &applied);
//   if (absl::Status s = server.Start(); !s.ok()) …   // prints "listening on …"
//   return server.Run();                              // until SIGTERM
//
// Thread safety: construct, Start() and Run() from one thread; Run()
// blocks and uses the calling thread as worker 0. Drain() may be called from
// any thread.

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/signal_set.hpp>

#include "absl/status/statusor.h"
#include "server/applied_position.h"
#include "server/config.h"
#include "server/dispatcher.h"
#include "server/listener.h"
#include "server/query_pool.h"
#include "server/stats.h"
#include "server/worker.h"

namespace otter::server {

class Server {
 public:
  // The parts must outlive the server. `applied` may be null: requests
  // with "after" then wait for nothing (the dispatcher answers them at once).
  Server(Config config, DispatcherParts parts, AppliedPosition* applied = nullptr);
  ~Server();

  // Produces the configuration again on SIGHUP (re-reading the file and the
  // environment). Without one, SIGHUP is logged and ignored.
  void set_reloader(std::function<absl::StatusOr<Config>()> reloader) { reloader_ = std::move(reloader); }

  // Binds the listeners and prints one "listening on ADDRESS" line per
  // listener to stdout (ADDRESS is host:port or unix:PATH). Returns the
  // listener's error when a bind fails.
  absl::Status Start();

  // "host:port" the TCP listener bound; "" without TCP. Valid after Start().
  std::string tcp_address() const { return listener_->tcp_address(); }

  // Serves until a drain completes; returns the process exit code (0).
  int Run();

  // Begins the drain that SIGTERM begins: Run() then returns once every
  // connection has been answered and closed (or drain_timeout_ms passed).
  void Drain();

 private:
  void WaitForSignal();
  void BeginDrain();
  void Reload();

  Config config_;
  ServerStats stats_;
  SharedSettings settings_;
  BuiltinDispatcher dispatcher_;
  std::vector<std::unique_ptr<Worker>> workers_;
  // Declared after workers_, so stopped before they go: its threads post to
  // the workers' io_contexts.
  std::unique_ptr<QueryPool> queries_;
  std::vector<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> guards_;
  std::unique_ptr<Listener> listener_;
  std::unique_ptr<boost::asio::signal_set> signals_;
  std::function<absl::StatusOr<Config>()> reloader_;
  bool draining_ = false;
};

// Raises the soft RLIMIT_NOFILE to the hard limit; returns the new soft
// limit (the old one when raising failed).
uint64_t RaiseFileLimit();

}  // namespace otter::server
