#include "bench/load/blocking_client.h"

#include <utility>

#include <boost/asio/connect.hpp>
#include <boost/asio/generic/stream_protocol.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/write.hpp>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "bench/load/reply.h"
#include "engine/status_macros.h"
#include "server/response_writer.h"

namespace otter::load {

namespace asio = boost::asio;

struct BlockingClient::State {
  asio::io_context io{1};
  asio::generic::stream_protocol::socket socket{io};
  std::string in;
};

BlockingClient::BlockingClient(std::unique_ptr<State> state) : state_(std::move(state)) {}
BlockingClient::BlockingClient(BlockingClient&&) noexcept = default;
BlockingClient& BlockingClient::operator=(BlockingClient&&) noexcept = default;
BlockingClient::~BlockingClient() = default;

absl::StatusOr<BlockingClient> BlockingClient::Connect(const Endpoint& endpoint,
                                                       std::string_view auth_token) {
  auto state = std::make_unique<State>();
  boost::system::error_code ec;
  if (!endpoint.unix_path.empty()) {
    state->socket.connect(asio::local::stream_protocol::endpoint(endpoint.unix_path), ec);
  } else {
    asio::ip::tcp::resolver resolver(state->io);
    const auto results = resolver.resolve(endpoint.host, std::to_string(endpoint.port), ec);
    if (!ec) ec = asio::error::host_not_found;
    for (const auto& entry : results) {
      boost::system::error_code ignored;
      state->socket.close(ignored);
      state->socket.connect(entry.endpoint(), ec);
      if (!ec) {
        state->socket.set_option(asio::ip::tcp::no_delay(true), ignored);
        break;
      }
    }
  }
  if (ec) {
    return absl::UnavailableError(
        absl::StrCat("cannot connect to otterd at ", endpoint.ToString(), ": ", ec.message()));
  }
  BlockingClient client(std::move(state));
  if (!auth_token.empty()) {
    std::string auth = "{\"op\":\"auth\",\"token\":";
    server::ResponseWriter::AppendEscaped(auth, auth_token);
    auth += "}\n";
    OTTER_ASSIGN_OR_RETURN(const std::string reply, client.Call(auth));
    if (!ScanReplyStatus(reply).ok) {
      return absl::PermissionDeniedError(absl::StrCat("otterd refused the auth token: ", reply));
    }
  }
  return client;
}

absl::StatusOr<std::string> BlockingClient::Call(std::string_view line) {
  boost::system::error_code ec;
  asio::write(state_->socket, asio::buffer(line.data(), line.size()), ec);
  if (ec) return absl::UnavailableError(absl::StrCat("otterd: write failed: ", ec.message()));
  const std::size_t n =
      asio::read_until(state_->socket, asio::dynamic_buffer(state_->in), '\n', ec);
  if (ec) return absl::UnavailableError(absl::StrCat("otterd: read failed: ", ec.message()));
  std::string reply = state_->in.substr(0, n - 1);
  state_->in.erase(0, n);
  if (!reply.empty() && reply.back() == '\r') reply.pop_back();
  return reply;
}

}  // namespace otter::load
