#pragma once
// What one I/O thread owns: its io_context (concurrency hint 1), its
// request parser, its live connections, and a cached copy of the run-time
// settings; plus the SharedSettings that SIGHUP republishes. Engine ops go
// to the query pool the workers share.
//
// Thread safety: SharedSettings is thread-safe. A Worker is used only on
// its own thread, except `io`, which other threads may post to.

#include <atomic>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <string>

#include <boost/asio/io_context.hpp>

#include "server/applied_position.h"
#include "server/config.h"
#include "server/dispatcher.h"
#include "server/query_pool.h"
#include "server/request.h"
#include "server/stats.h"

namespace otter::server {

// Settings that change at run time (SIGHUP).
struct RuntimeSettings {
  Limits limits;
  std::string auth_token;  // "" = no authentication
};

class SharedSettings {
 public:
  explicit SharedSettings(RuntimeSettings initial);
  // Replaces the settings; workers pick them up at their next request.
  void Publish(RuntimeSettings settings);
  std::shared_ptr<const RuntimeSettings> Load() const;
  // Increases with every Publish().
  uint64_t generation() const { return generation_.load(std::memory_order_acquire); }

 private:
  mutable std::mutex mu_;  // std::mutex: ThreadSanitizer understands it
  std::shared_ptr<const RuntimeSettings> current_;
  std::atomic<uint64_t> generation_{0};
};

// A live connection as its worker sees it: something to shut down on drain.
class ConnectionBase {
 public:
  virtual ~ConnectionBase() = default;
  // Stops reading: answers what was received in full, then closes.
  virtual void Shutdown() = 0;

  std::list<ConnectionBase*>::iterator registry_position;
};

struct Worker {
  // The pointers must outlive the worker; `applied` may be null (requests
  // with "after" are then answered at once, by the dispatcher).
  Worker(SharedSettings* shared, Dispatcher* dispatcher, ServerStats* stats, QueryPool* queries,
         AppliedPosition* applied = nullptr);

  // The current run-time settings; refreshed when SIGHUP published new ones.
  // The reference is valid until the next call on this thread: copy what
  // must outlive a co_await.
  const RuntimeSettings& settings();

  RequestParser parser;
  Dispatcher* dispatcher;
  ServerStats* stats;
  QueryPool* queries;
  AppliedPosition* applied;
  std::list<ConnectionBase*> connections;
  bool draining = false;
  // Declared after `connections`, so destroyed before it: connections the
  // context still holds (a drain that timed out) unregister from a live list.
  boost::asio::io_context io{1};

 private:
  SharedSettings* shared_;
  uint64_t generation_ = 0;
  std::shared_ptr<const RuntimeSettings> cached_;
};

}  // namespace otter::server
