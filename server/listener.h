#pragma once
// Accepts TCP and unix-socket clients and hands each to the next worker in
// turn (round robin), where its connection runs. Beyond max_connections a
// client gets one `overloaded` error line and is closed.
//
//   Listener listener(workers[0]->io, workers, &stats, &settings);
//   listener.ListenTcp("127.0.0.1", 0);     // then listener.tcp_address()
//   listener.Start();
//
// Thread safety: every method runs on the accepting io_context's thread
// (Close() may be posted there).

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/basic_socket_acceptor.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>

#include "absl/status/status.h"
#include "server/stats.h"
#include "server/worker.h"

namespace otter::server {

class Listener {
 public:
  // `io` runs the accept loops; `workers`, `stats` and `settings` must
  // outlive the listener.
  Listener(boost::asio::io_context& io, std::vector<Worker*> workers, ServerStats* stats,
           SharedSettings* settings);
  ~Listener();

  // Binds and listens on host:port (port 0 picks a free one). Returns
  // kInvalidArgument for a bad host, kUnavailable when the bind fails.
  absl::Status ListenTcp(const std::string& host, uint16_t port);
  // Binds a unix socket at `path` with mode 0660, replacing a stale socket
  // file there. Returns kUnavailable when that fails.
  absl::Status ListenUnix(const std::string& path);

  // "host:port" actually bound (IPv6 hosts in brackets); "" without TCP.
  std::string tcp_address() const;

  // Starts the accept loops. Requires at least one successful Listen*().
  void Start();
  // Stops accepting and removes the unix socket file.
  void Close();

 private:
  using TcpAcceptor = boost::asio::basic_socket_acceptor<boost::asio::ip::tcp,
                                                         boost::asio::io_context::executor_type>;
  using UnixAcceptor = boost::asio::basic_socket_acceptor<boost::asio::local::stream_protocol,
                                                          boost::asio::io_context::executor_type>;

  template <typename Acceptor>
  boost::asio::awaitable<void> AcceptLoop(Acceptor& acceptor);
  Worker& NextWorker();

  boost::asio::io_context& io_;
  std::vector<Worker*> workers_;
  ServerStats* stats_;
  SharedSettings* settings_;
  std::size_t next_ = 0;
  std::unique_ptr<TcpAcceptor> tcp_;
  std::unique_ptr<UnixAcceptor> unix_;
  std::string unix_path_;
};

}  // namespace otter::server
