#include "server/applied_position.h"

#include <utility>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace otter::server {

namespace asio = boost::asio;

struct AppliedPosition::Waiter {
  explicit Waiter(const asio::any_io_executor& executor) : timer(executor) {}
  asio::steady_timer timer;
};

uint64_t AppliedPosition::current() const {
  std::lock_guard<std::mutex> lock(mu_);
  return current_;
}

size_t AppliedPosition::waiting() const {
  std::lock_guard<std::mutex> lock(mu_);
  return waiters_.size();
}

void AppliedPosition::Advance(uint64_t position) {
  std::vector<std::shared_ptr<Waiter>> ready;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (position <= current_) return;
    current_ = position;
    const auto end = waiters_.upper_bound(position);
    for (auto it = waiters_.begin(); it != end; ++it) ready.push_back(std::move(it->second));
    waiters_.erase(waiters_.begin(), end);
  }
  for (std::shared_ptr<Waiter>& waiter : ready) {
    const asio::any_io_executor executor = waiter->timer.get_executor();
    asio::post(executor, [waiter = std::move(waiter)] { waiter->timer.cancel(); });
  }
}

asio::awaitable<bool> AppliedPosition::WaitFor(uint64_t position, std::chrono::milliseconds timeout) {
  auto waiter = std::make_shared<Waiter>(co_await asio::this_coro::executor);
  waiter->timer.expires_after(timeout);
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (current_ >= position) co_return true;
    waiters_.emplace(position, waiter);
  }
  // Ends when Advance() cancels the timer or when it expires.
  co_await waiter->timer.async_wait(asio::as_tuple(asio::use_awaitable));
  std::lock_guard<std::mutex> lock(mu_);
  for (auto [it, end] = waiters_.equal_range(position); it != end; ++it) {
    if (it->second == waiter) {
      waiters_.erase(it);
      break;
    }
  }
  co_return current_ >= position;
}

}  // namespace otter::server
