#include "server/query_pool.h"

#include <utility>

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "absl/strings/str_cat.h"

namespace otter::server {
namespace {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

}  // namespace

QueryPool::QueryPool(unsigned threads, QueryStats* stats)
    : pool_(threads), stats_(stats), threads_(threads) {}

QueryPool::~QueryPool() { Stop(); }

void QueryPool::Stop() {
  pool_.stop();
  pool_.join();
}

asio::awaitable<absl::Status> QueryPool::Run(absl::FunctionRef<void()> work, QueryBudget budget) {
  // One atomic add admits or refuses: the bound holds across I/O threads.
  const uint64_t waiting = stats_->waiting.fetch_add(1, std::memory_order_relaxed);
  if (waiting >= budget.max_queued) {
    stats_->waiting.fetch_sub(1, std::memory_order_relaxed);
    stats_->queue_full.fetch_add(1, std::memory_order_relaxed);
    co_return absl::ResourceExhaustedError(absl::StrCat(
        "too many queries waiting: ", waiting, " (max_queued_queries ", budget.max_queued, ")"));
  }
  const Clock::time_point queued = Clock::now();
  // Not co_spawn onto the pool: after a coroutine that never suspends it
  // posts once more to the pool, behind every queued op, before resuming
  // the caller.
  co_return co_await asio::async_initiate<decltype(asio::use_awaitable), void(absl::Status)>(
      [this, work, budget, queued](auto handler) {
        auto caller = asio::make_work_guard(asio::get_associated_executor(handler));
        asio::post(pool_, [this, work, budget, queued, handler = std::move(handler),
                           caller = std::move(caller)]() mutable {
          absl::Status status = Execute(work, budget, queued);
          asio::post(caller.get_executor(),
                     [handler = std::move(handler), status = std::move(status)]() mutable {
                       std::move(handler)(std::move(status));
                     });
        });
      },
      asio::use_awaitable);
}

absl::Status QueryPool::Execute(absl::FunctionRef<void()> work, const QueryBudget& budget,
                                Clock::time_point queued) {
  const Clock::time_point now = Clock::now();
  stats_->waiting.fetch_sub(1, std::memory_order_relaxed);
  stats_->wait.Record(static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::microseconds>(now - queued).count()));
  if (now - budget.ready > budget.deadline) {
    stats_->deadline_missed.fetch_add(1, std::memory_order_relaxed);
    const auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(now - budget.ready);
    return absl::ResourceExhaustedError(absl::StrCat("the request waited ", waited.count(),
                                                     " ms for a query thread (deadline ",
                                                     budget.deadline.count(), " ms)"));
  }
  work();
  return absl::OkStatus();
}

}  // namespace otter::server
