#include "bench/load/load_run.h"

#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "bench/load/load_worker.h"
#include "bench/load/machine.h"
#include "server/server.h"

namespace otter::load {
namespace {

namespace asio = boost::asio;

absl::StatusOr<LoadWorker::SocketAddress> Resolve(const Endpoint& endpoint) {
  if (!endpoint.unix_path.empty())
    return LoadWorker::SocketAddress(asio::local::stream_protocol::endpoint(endpoint.unix_path));
  asio::io_context io;
  asio::ip::tcp::resolver resolver(io);
  boost::system::error_code ec;
  const auto results = resolver.resolve(endpoint.host, std::to_string(endpoint.port), ec);
  if (ec || results.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--connect: cannot resolve \"", endpoint.host, "\": ", ec.message()));
  }
  return LoadWorker::SocketAddress(results.begin()->endpoint());
}

double CpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
  };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

}  // namespace

void LoadStats::Merge(const LoadStats& other) {
  for (std::size_t i = 0; i < kinds.size(); ++i) {
    kinds[i].latency.Merge(other.kinds[i].latency);
    kinds[i].ok += other.kinds[i].ok;
    kinds[i].errors += other.kinds[i].errors;
  }
  latency.Merge(other.latency);
  requests += other.requests;
  replies_in_window += other.replies_in_window;
  for (const auto& [cause, count] : other.errors) errors[cause] += count;
  for (const auto& [event, count] : other.connection_events) connection_events[event] += count;
  connect_failures += other.connect_failures;
  connections_lost += other.connections_lost;
  open_at_end += other.open_at_end;
}

uint64_t LoadStats::error_count() const {
  uint64_t total = 0;
  for (const auto& [cause, count] : errors) total += count;
  return total;
}

absl::StatusOr<LoadResult> RunLoad(const LoadOptions& options, const RequestPool& pool) {
  if (pool.empty()) return absl::InvalidArgumentError("the request pool is empty");
  LoadResult result;
  result.connections_wanted = options.connections;
  result.machine = MachineDescription();
  result.open_files_limit = server::RaiseFileLimit();
  if (result.open_files_limit < static_cast<uint64_t>(options.connections) + 32) {
    std::fprintf(stderr,
                 "otter-load: warning: the open files limit is %llu (the hard limit): too low for "
                 "%d connections; the connections beyond it will fail\n",
                 static_cast<unsigned long long>(result.open_files_limit), options.connections);
  }
  absl::StatusOr<LoadWorker::SocketAddress> address = Resolve(options.endpoint);
  if (!address.ok()) return address.status();

  const int threads = options.threads;
  Coordination coordination(threads);
  std::vector<std::unique_ptr<LoadWorker>> workers;
  for (int i = 0; i < threads; ++i) {
    const int share = options.connections / threads + (i < options.connections % threads ? 1 : 0);
    workers.push_back(
        std::make_unique<LoadWorker>(i, options, pool, &coordination, *address, share));
  }
  const auto connect_start = std::chrono::steady_clock::now();
  std::vector<std::thread> running;
  for (auto& worker : workers) running.emplace_back([&worker] { worker->Run(); });

  coordination.connected.wait();
  const auto start = std::chrono::steady_clock::now();
  result.connect_seconds = std::chrono::duration<double>(start - connect_start).count();
  std::fprintf(stderr,
               "otter-load: %d of %d connections open after %.2f s; running %g s warm-up + %g s\n",
               coordination.open.load(), options.connections, result.connect_seconds,
               options.warmup_s, options.duration_s);
  // A short delay so that every thread is waiting on its timer when the
  // schedule starts.
  coordination.start_ns.store(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                  (start + std::chrono::milliseconds(20)).time_since_epoch())
                                  .count());
  const double cpu_start = CpuSeconds();
  coordination.go.count_down();
  for (std::thread& t : running) t.join();
  result.cpu_seconds = CpuSeconds() - cpu_start;
  result.load_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  result.connections_reached = coordination.max_open.load();
  result.measured_seconds = options.duration_s;
  for (const auto& worker : workers) result.stats.Merge(worker->stats());
  if (result.connections_reached == 0) {
    std::string why;
    for (const auto& [event, count] : result.stats.connection_events)
      absl::StrAppend(&why, " ", event, " (", count, ")");
    return absl::FailedPreconditionError(
        absl::StrCat("no connection to ", options.endpoint.ToString(), " could be opened:", why));
  }
  return result;
}

}  // namespace otter::load
