#include "server/server.h"

#include <sys/resource.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <thread>
#include <utility>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "absl/strings/str_cat.h"
#include "server/log.h"

namespace otter::server {
namespace {

namespace asio = boost::asio;

RuntimeSettings RuntimeOf(const Config& config) { return {config.limits, config.auth_token}; }

// Polls until every connection has closed or the drain timeout passed, then
// stops every worker.
asio::awaitable<void> FinishDrain(std::vector<Worker*> workers, ServerStats* stats,
                                  std::chrono::milliseconds timeout) {
  const auto give_up = std::chrono::steady_clock::now() + timeout;
  asio::steady_timer timer(workers[0]->io);
  while (stats->open_connections() > 0 && std::chrono::steady_clock::now() < give_up) {
    timer.expires_after(std::chrono::milliseconds(10));
    co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
  }
  Log(LogLevel::kInfo, "drained", {{"open_connections", std::to_string(stats->open_connections())}});
  for (Worker* worker : workers) worker->io.stop();
}

}  // namespace

Server::Server(Config config, DispatcherParts parts, AppliedPosition* applied)
    : config_(std::move(config)),
      settings_(RuntimeOf(config_)),
      dispatcher_(&stats_, parts) {
  const unsigned hardware = std::max(1u, std::thread::hardware_concurrency());
  const unsigned threads = config_.threads > 0 ? static_cast<unsigned>(config_.threads) : hardware;
  const unsigned query_threads =
      config_.query_threads > 0 ? static_cast<unsigned>(config_.query_threads) : hardware;
  queries_ = std::make_unique<QueryPool>(query_threads, &stats_.queries());
  std::vector<Worker*> raw;
  for (unsigned i = 0; i < threads; ++i) {
    workers_.push_back(std::make_unique<Worker>(&settings_, &dispatcher_, &stats_, queries_.get(), applied));
    guards_.push_back(asio::make_work_guard(workers_.back()->io));
    raw.push_back(workers_.back().get());
  }
  listener_ = std::make_unique<Listener>(workers_[0]->io, std::move(raw), &stats_, &settings_);
}

Server::~Server() = default;

absl::Status Server::Start() {
  // Handle signals before anyone can learn the address and send one.
  signals_ = std::make_unique<asio::signal_set>(workers_[0]->io, SIGTERM, SIGINT, SIGHUP);
  WaitForSignal();
  if (!config_.listen.empty()) {
    if (absl::Status s = listener_->ListenTcp(config_.listen_host, config_.listen_port); !s.ok()) return s;
    std::printf("listening on %s\n", listener_->tcp_address().c_str());
    Log(LogLevel::kInfo, "listening", {{"addr", listener_->tcp_address()}});
  }
  if (!config_.unix_path.empty()) {
    if (absl::Status s = listener_->ListenUnix(config_.unix_path); !s.ok()) return s;
    std::printf("listening on unix:%s\n", config_.unix_path.c_str());
    Log(LogLevel::kInfo, "listening", {{"addr", "unix:" + config_.unix_path}});
  }
  std::fflush(stdout);
  return absl::OkStatus();
}

int Server::Run() {
  listener_->Start();
  Log(LogLevel::kInfo, "serving",
      {{"threads", std::to_string(workers_.size())},
       {"query_threads", std::to_string(queries_->threads())}});
  std::vector<std::thread> threads;
  for (std::size_t i = 1; i < workers_.size(); ++i) {
    threads.emplace_back([worker = workers_[i].get()] { worker->io.run(); });
  }
  workers_[0]->io.run();
  for (std::thread& thread : threads) thread.join();
  // Engine ops are still running only when the drain timed out.
  queries_->Stop();
  Log(LogLevel::kInfo, "stopped");
  return 0;
}

void Server::Drain() {
  asio::post(workers_[0]->io, [this] {
    if (draining_) return;
    Log(LogLevel::kInfo, "draining", {{"signal", "none"}});
    BeginDrain();
  });
}

void Server::WaitForSignal() {
  signals_->async_wait([this](const boost::system::error_code& ec, int signal) {
    if (ec) return;
    if (signal == SIGHUP) {
      Reload();
    } else if (draining_) {
      Log(LogLevel::kWarn, "second_signal_stopping_now");
      for (auto& worker : workers_) worker->io.stop();
      return;
    } else {
      Log(LogLevel::kInfo, "draining", {{"signal", signal == SIGTERM ? "SIGTERM" : "SIGINT"}});
      BeginDrain();
    }
    WaitForSignal();
  });
}

void Server::BeginDrain() {
  draining_ = true;
  listener_->Close();
  for (auto& worker : workers_) {
    asio::post(worker->io, [w = worker.get()] {
      w->draining = true;
      // Shutdown() may end a connection, which unregisters it: copy first.
      std::vector<ConnectionBase*> connections(w->connections.begin(), w->connections.end());
      for (ConnectionBase* connection : connections) connection->Shutdown();
    });
  }
  std::vector<Worker*> raw;
  for (auto& worker : workers_) raw.push_back(worker.get());
  asio::co_spawn(workers_[0]->io,
                 FinishDrain(std::move(raw), &stats_, std::chrono::milliseconds(config_.drain_timeout_ms)),
                 asio::detached);
}

void Server::Reload() {
  if (!reloader_) {
    Log(LogLevel::kWarn, "reload_ignored", {{"reason", "no config source"}});
    return;
  }
  absl::StatusOr<Config> next = reloader_();
  if (!next.ok()) {
    Log(LogLevel::kError, "reload_failed", {{"error", std::string(next.status().message())}});
    return;
  }
  if (next->listen != config_.listen || next->unix_path != config_.unix_path ||
      next->threads != config_.threads || next->query_threads != config_.query_threads ||
      next->db != config_.db) {
    Log(LogLevel::kWarn, "reload_partial",
        {{"reason", "listen, unix, threads, query_threads and db change only on restart"}});
  }
  SetLogLevel(next->log_level);
  settings_.Publish(RuntimeOf(*next));
  config_.limits = next->limits;
  config_.auth_token = next->auth_token;
  config_.log_level = next->log_level;
  Log(LogLevel::kInfo, "reloaded",
      {{"max_connections", std::to_string(next->limits.max_connections)},
       {"auth", next->auth_token.empty() ? "off" : "on"},
       {"log_level", LogLevelName(next->log_level)}});
}

uint64_t RaiseFileLimit() {
  rlimit limit;
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return 0;
  if (limit.rlim_cur < limit.rlim_max) {
    rlimit raised = limit;
    raised.rlim_cur = limit.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &raised) == 0) return raised.rlim_cur;
  }
  return limit.rlim_cur;
}

}  // namespace otter::server
