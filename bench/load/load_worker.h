#pragma once
// One thread of a load run: an io_context (concurrency hint 1), its
// connections, and the coroutines that connect them, send requests on
// schedule (or keep each pipeline full), read the replies and time them.
//
//   LoadWorker worker(index, options, pool, &coordination, address, /*connections=*/5000);
//   std::thread t([&] { worker.Run(); });   // RunLoad does this per thread
//
// Thread safety: a LoadWorker runs on its own thread; the Coordination is
// shared by all.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <latch>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/basic_stream_socket.hpp>
#include <boost/asio/basic_waitable_timer.hpp>
#include <boost/asio/generic/stream_protocol.hpp>
#include <boost/asio/io_context.hpp>

#include "bench/load/load_options.h"
#include "bench/load/load_run.h"
#include "bench/load/request_pool.h"
#include "server/line_framer.h"

namespace otter::load {

// What the threads of a run share.
struct Coordination {
  explicit Coordination(int threads) : connected(threads), go(1) {}

  std::latch connected;              // each thread counts down once its connections are up
  std::latch go;                     // the main thread opens it once start_ns is set
  std::atomic<int64_t> start_ns{0};  // steady clock: when the warm-up starts
  std::atomic<int> open{0};
  std::atomic<int> max_open{0};
};

class LoadWorker {
 public:
  using SocketAddress = boost::asio::generic::stream_protocol::endpoint;

  // Thread `index` of options.threads, with `connections` connections to
  // `address`. `options`, `pool` (not empty) and `coordination` must
  // outlive the worker.
  LoadWorker(int index, const LoadOptions& options, const RequestPool& pool,
             Coordination* coordination, const SocketAddress& address, int connections);
  ~LoadWorker();

  // The thread's body: connects, waits for the start, drives the load,
  // drains, closes. Returns when every connection is closed.
  void Run();

  const LoadStats& stats() const { return stats_; }

 private:
  using Socket = boost::asio::basic_stream_socket<boost::asio::generic::stream_protocol,
                                                  boost::asio::io_context::executor_type>;
  using Clock = std::chrono::steady_clock;
  using Timer = boost::asio::basic_waitable_timer<Clock, boost::asio::wait_traits<Clock>,
                                                  boost::asio::io_context::executor_type>;
  struct InFlight {
    uint64_t id;
    int64_t start_ns;  // scheduled (or, flat out, sent) time
    QueryKind kind;
    bool measured;
  };
  struct Connection {
    explicit Connection(boost::asio::io_context& io) : socket(io) {}
    Socket socket;
    bool open = false;
    bool write_active = false;
    std::string out;      // requests waiting for the write in progress
    std::string writing;  // the bytes of the write in progress
    std::string in;
    std::size_t in_pos = 0;
    server::LineFramer framer;
    std::deque<InFlight> in_flight;
    uint64_t next_id = 0;
  };

  boost::asio::awaitable<void> ConnectAll();
  boost::asio::awaitable<void> ConnectLane();
  boost::asio::awaitable<bool> Connect(Connection& c);
  boost::asio::awaitable<void> Drive();
  boost::asio::awaitable<void> Read(Connection& c);
  // Handles one reply (a JSON line, or a frame's payload with its id).
  void OnReply(Connection& c, std::string_view reply, uint64_t frame_id, int64_t now_ns);
  void Send(Connection& c, int64_t start_ns);
  void StartWrite(Connection& c);
  // Closes `c` and counts its measured requests in flight among the errors
  // as `cause`; unless `event` is empty (the run is over), counts the
  // connection as lost and `event` among the connection events.
  void Close(Connection& c, std::string_view event, std::string_view cause);
  Connection* NextOpen();
  bool Measured(int64_t start_ns) const {
    return start_ns >= measure_start_ns_ && start_ns < measure_end_ns_;
  }
  void CountConnectFailure(std::string message);

  const int index_;
  const LoadOptions& options_;
  const RequestPool& pool_;
  Coordination* coordination_;
  boost::asio::io_context io_{1};
  std::vector<std::unique_ptr<Connection>> connections_;
  const SocketAddress address_;
  std::size_t next_to_connect_ = 0;
  int lanes_left_ = 0;
  Timer* connect_deadline_ = nullptr;  // while ConnectAll runs
  bool connect_timed_out_ = false;
  std::size_t round_robin_ = 0;
  std::size_t next_request_;  // position in the pool
  int64_t measure_start_ns_ = 0;
  int64_t measure_end_ns_ = 0;
  uint64_t in_flight_ = 0;
  LoadStats stats_;
};

}  // namespace otter::load
