#include "server/listener.h"

#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <type_traits>
#include <utility>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "absl/strings/str_cat.h"
#include "server/connection.h"
#include "server/log.h"
#include "server/response_writer.h"
#include "server/status_mapping.h"

namespace otter::server {
namespace {

namespace asio = boost::asio;
constexpr auto kAwait = asio::as_tuple(asio::use_awaitable);

// Tells a client beyond the connection cap why, then closes once it has
// read the line (or after two seconds), so the line is not lost to a reset.
template <typename Socket>
asio::awaitable<void> Refuse(std::shared_ptr<Socket> socket, std::string line) {
  auto [ec, n] = co_await asio::async_write(*socket, asio::buffer(line), kAwait);
  boost::system::error_code ignored;
  socket->shutdown(asio::socket_base::shutdown_send, ignored);
  asio::basic_waitable_timer<std::chrono::steady_clock,
                             asio::wait_traits<std::chrono::steady_clock>,
                             asio::io_context::executor_type>
      timer(socket->get_executor(), std::chrono::seconds(2));
  // The handler shares the socket: it may run after this frame is gone.
  timer.async_wait([socket](const boost::system::error_code& e) {
    boost::system::error_code ignore;
    if (!e) socket->close(ignore);
  });
  char sink[512];
  while (!ec) {
    auto [read_ec, read_n] = co_await socket->async_read_some(asio::buffer(sink), kAwait);
    ec = read_ec;
  }
  timer.cancel();
  socket->close(ignored);
}

}  // namespace

Listener::Listener(asio::io_context& io, std::vector<Worker*> workers, ServerStats* stats,
                   SharedSettings* settings)
    : io_(io), workers_(std::move(workers)), stats_(stats), settings_(settings) {}

Listener::~Listener() = default;

absl::Status Listener::ListenTcp(const std::string& host, uint16_t port) {
  boost::system::error_code ec;
  const asio::ip::address address = asio::ip::make_address(host, ec);
  if (ec) return absl::InvalidArgumentError(absl::StrCat("listen: \"", host, "\" is not an IP address"));
  const asio::ip::tcp::endpoint endpoint(address, port);
  auto acceptor = std::make_unique<TcpAcceptor>(io_);
  acceptor->open(endpoint.protocol(), ec);
  if (!ec) acceptor->set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor->bind(endpoint, ec);
  if (!ec) acceptor->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return absl::UnavailableError(absl::StrCat("listen on ", host, ":", port, ": ", ec.message()));
  }
  tcp_ = std::move(acceptor);
  return absl::OkStatus();
}

absl::Status Listener::ListenUnix(const std::string& path) {
  struct stat st;
  if (::lstat(path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) {
      return absl::UnavailableError(absl::StrCat("unix: \"", path, "\" exists and is not a socket"));
    }
    ::unlink(path.c_str());  // a stale socket from a previous run
  }
  boost::system::error_code ec;
  auto acceptor = std::make_unique<UnixAcceptor>(io_);
  const asio::local::stream_protocol::endpoint endpoint(path);
  acceptor->open(endpoint.protocol(), ec);
  if (!ec) acceptor->bind(endpoint, ec);
  // Restrict before listen(): no client can connect in between.
  if (!ec && ::chmod(path.c_str(), 0660) != 0) ec.assign(errno, boost::system::system_category());
  if (!ec) acceptor->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return absl::UnavailableError(absl::StrCat("unix socket ", path, ": ", ec.message()));
  unix_ = std::move(acceptor);
  unix_path_ = path;
  return absl::OkStatus();
}

std::string Listener::tcp_address() const {
  if (!tcp_) return "";
  boost::system::error_code ec;
  const asio::ip::tcp::endpoint endpoint = tcp_->local_endpoint(ec);
  if (ec) return "";
  const std::string host = endpoint.address().to_string();
  return endpoint.address().is_v6() ? absl::StrCat("[", host, "]:", endpoint.port())
                                    : absl::StrCat(host, ":", endpoint.port());
}

void Listener::Start() {
  if (tcp_) asio::co_spawn(io_, AcceptLoop(*tcp_), asio::detached);
  if (unix_) asio::co_spawn(io_, AcceptLoop(*unix_), asio::detached);
}

void Listener::Close() {
  boost::system::error_code ignored;
  if (tcp_) tcp_->close(ignored);
  if (unix_) {
    unix_->close(ignored);
    ::unlink(unix_path_.c_str());
  }
}

Worker& Listener::NextWorker() {
  Worker& worker = *workers_[next_];
  next_ = (next_ + 1) % workers_.size();
  return worker;
}

template <typename Acceptor>
asio::awaitable<void> Listener::AcceptLoop(Acceptor& acceptor) {
  while (acceptor.is_open()) {
    Worker& worker = NextWorker();
    auto [ec, socket] = co_await acceptor.async_accept(worker.io, kAwait);
    if (ec == asio::error::operation_aborted || !acceptor.is_open()) break;
    if (ec) {
      // Out of descriptors or memory: back off instead of spinning.
      Log(LogLevel::kWarn, "accept_failed", {{"error", ec.message()}});
      asio::steady_timer pause(io_, std::chrono::milliseconds(50));
      co_await pause.async_wait(kAwait);
      continue;
    }
    const std::size_t cap = settings_->Load()->limits.max_connections;
    if (stats_->open_connections() >= static_cast<int64_t>(cap)) {
      stats_->ConnectionRefused();
      std::string line;
      ResponseWriter w(&line);
      WriteError(w, "null",
                 absl::ResourceExhaustedError(absl::StrCat("connection limit of ", cap, " reached")),
                 0, worker.dispatcher->AppliedPosition());
      line.push_back('\n');
      using Socket = std::decay_t<decltype(socket)>;
      asio::co_spawn(worker.io, Refuse(std::make_shared<Socket>(std::move(socket)), std::move(line)),
                     asio::detached);
      continue;
    }
    stats_->ConnectionOpened();
    // The connection runs on its worker's thread.
    asio::post(worker.io, [socket = std::move(socket), &worker]() mutable {
      StartConnection(std::move(socket), worker);
    });
  }
}

}  // namespace otter::server
