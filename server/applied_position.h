#pragma once
// The change-log position the engine has applied, and waiting for one
// (read-your-writes: a request's "after"). The change follower calls
// Advance() after each publish; a connection whose request names a position
// not applied yet suspends its coroutine on WaitFor() instead of blocking
// its worker thread.
//
//   AppliedPosition applied;
//   applied.Advance(snapshot->as_of());                  // follower thread
//   bool ok = co_await applied.WaitFor(after, 5000ms);   // a worker's coroutine
//
// A waiter is a timer on its own worker's executor, armed for the timeout;
// Advance() cancels the timers of the waiters it satisfies by posting to
// their executors (a timer may only be touched from its own thread), so
// no thread ever blocks.
//
// Thread safety: all methods may be called from any thread at once.

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>

#include <boost/asio/awaitable.hpp>


namespace otter::server {

class AppliedPosition {
 public:
  AppliedPosition() = default;
  AppliedPosition(const AppliedPosition&) = delete;
  AppliedPosition& operator=(const AppliedPosition&) = delete;

  // The applied position (0 before the first publish).
  uint64_t current() const;

  // Records that `position` is applied (a lower one is ignored) and wakes
  // the waiters it satisfies.
  void Advance(uint64_t position);

  // Completes once `position` is applied (true) or after `timeout` (false),
  // on the calling coroutine's executor.
  boost::asio::awaitable<bool> WaitFor(uint64_t position, std::chrono::milliseconds timeout);

  // Requests waiting now (for stats and tests).
  size_t waiting() const;

 private:
  struct Waiter;

  mutable std::mutex mu_;  // std::mutex: ThreadSanitizer understands it
  uint64_t current_ = 0;
  std::multimap<uint64_t, std::shared_ptr<Waiter>> waiters_;
};

}  // namespace otter::server
