#pragma once
// The query threads: engine ops (search, match, score, suggest, get,
// recompute_matches) run here rather than on the I/O threads, so that ping,
// health and the other connections of an I/O thread never wait behind an
// expensive query. Ops wait in one first-in-first-out queue, which is
// bounded; an op that a thread picks up after its deadline is not run.
//
//   QueryPool pool(/*threads=*/2, &stats.queries());
//   absl::Status s = co_await pool.Run([&] { dispatcher.Handle(request, writer, ready); },
//                                      {.ready = received, .deadline = 1000ms, .max_queued = 4096});
//
// Thread safety: Run() may be awaited from coroutines on any number of
// threads at once. Stop() and the destructor are called from one thread.

#include <chrono>
#include <cstdint>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "server/stats.h"

namespace otter::server {

// What bounds one engine op's wait for a query thread.
struct QueryBudget {
  // When the op could first have run: its request received in full, or its
  // "after" position applied.
  std::chrono::steady_clock::time_point ready;
  std::chrono::milliseconds deadline{1000};  // it may start until ready + deadline
  uint64_t max_queued = 4096;                // refused when this many ops wait already
};

class QueryPool {
 public:
  // Starts `threads` (>= 1) query threads; `stats` must outlive the pool.
  QueryPool(unsigned threads, QueryStats* stats);
  // Stop().
  ~QueryPool();
  QueryPool(const QueryPool&) = delete;
  QueryPool& operator=(const QueryPool&) = delete;

  // Runs `work` on a query thread, then resumes the awaiting coroutine on
  // its own executor and returns OK. `work` runs while the awaiting
  // coroutine is suspended, so it may write to that coroutine's state
  // (nothing else may touch it meanwhile): the resumption is posted after
  // `work` returned, which orders its writes before the caller continues.
  // Returns kResourceExhausted without running `work` when
  // `budget.max_queued` ops wait already ("too many queries waiting: 4096
  // (max_queued_queries 4096)"), or when a thread picks it up past
  // budget.ready + budget.deadline ("the request waited 1250 ms for a query
  // thread (deadline 1000 ms)").
  boost::asio::awaitable<absl::Status> Run(absl::FunctionRef<void()> work, QueryBudget budget);

  // Lets the ops running now finish, drops those still waiting (their
  // callers never resume), and joins the threads. Requires that the
  // callers' executors are no longer run, or that nothing waits.
  void Stop();

  unsigned threads() const { return threads_; }

 private:
  // On a query thread: the deadline check, then `work`.
  absl::Status Execute(absl::FunctionRef<void()> work, const QueryBudget& budget,
                       std::chrono::steady_clock::time_point queued);

  boost::asio::thread_pool pool_;
  QueryStats* stats_;
  unsigned threads_;
};

}  // namespace otter::server
