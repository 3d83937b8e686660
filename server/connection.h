#pragma once
// One client connection: one coroutine that reads, frames, parses,
// dispatches and writes, on its worker's thread. The first byte chooses the
// encoding (JSON lines, or binary frames after a handshake). Engine ops run
// on the query pool while the coroutine waits for them, so the worker's
// other connections go on; replies keep the order of the requests.
//
//   StartConnection(std::move(socket), worker);   // on worker.io's thread
//
// Bounded per connection: replies pending in the output buffer (reading
// stops while they exceed max_output_bytes, so a client that does not read
// cannot grow memory), request size, a deadline to receive a started
// request, an idle timeout. Buffers start small (4 KiB, allocated only when
// bytes are readable) and grow on demand.
//
// Thread safety: a connection lives on its worker's thread only; a query
// thread writes an engine op's reply while the coroutine waits for it.

#include <boost/asio/basic_stream_socket.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>

#include "server/worker.h"

namespace otter::server {

using TcpSocket = boost::asio::basic_stream_socket<boost::asio::ip::tcp,
                                                   boost::asio::io_context::executor_type>;
using UnixSocket = boost::asio::basic_stream_socket<boost::asio::local::stream_protocol,
                                                    boost::asio::io_context::executor_type>;

// Serves `socket` until the client closes, a limit closes it, or the worker
// drains. Requires that the caller counted it with stats->ConnectionOpened()
// and runs on `worker.io`'s thread; the connection counts itself closed.
void StartConnection(TcpSocket socket, Worker& worker);
void StartConnection(UnixSocket socket, Worker& worker);

// Constant-time comparison of a client's token with the expected one: its
// running time depends only on expected.size().
bool TokensEqual(std::string_view given, std::string_view expected);

}  // namespace otter::server
