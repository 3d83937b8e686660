// QueryPool alone: where the work runs and where its caller resumes, the
// deadline, the queue bound, and that what the work writes is seen whole by
// its caller (this one is for ThreadSanitizer).

#include "server/query_pool.h"

#include <chrono>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/stats.h"

namespace otter::server {
namespace {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;
using ::testing::ElementsAre;
using ::testing::MatchesRegex;

TEST(QueryPoolTest, RunsOnAQueryThreadAndResumesOnTheCallersThread) {
  QueryStats stats;
  QueryPool pool(2, &stats);
  asio::io_context io(1);
  std::thread::id ran_on;
  std::thread::id resumed_on;
  absl::Status status = absl::UnknownError("never resumed");
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        status = co_await pool.Run([&] { ran_on = std::this_thread::get_id(); }, {.ready = Clock::now()});
        resumed_on = std::this_thread::get_id();
      },
      asio::detached);
  io.run();  // returns once nothing is outstanding: the pool holds the caller's work
  EXPECT_TRUE(status.ok()) << status;
  EXPECT_NE(ran_on, std::thread::id());
  EXPECT_NE(ran_on, std::this_thread::get_id());
  EXPECT_EQ(resumed_on, std::this_thread::get_id());
  EXPECT_EQ(stats.wait.count(), 1u);
  EXPECT_EQ(stats.waiting.load(), 0u);
}

TEST(QueryPoolTest, AnOpPastItsDeadlineIsRefusedWithoutRunning) {
  QueryStats stats;
  QueryPool pool(1, &stats);
  asio::io_context io(1);
  bool ran = false;
  absl::Status status;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        status = co_await pool.Run([&] { ran = true; },
                                   {.ready = Clock::now() - std::chrono::milliseconds(2500),
                                    .deadline = std::chrono::milliseconds(1000)});
      },
      asio::detached);
  io.run();
  EXPECT_FALSE(ran);
  EXPECT_EQ(status.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(std::string(status.message()),
              MatchesRegex(R"(the request waited 25[0-9][0-9] ms for a query thread \(deadline 1000 ms\))"));
  EXPECT_EQ(stats.deadline_missed.load(), 1u);
  EXPECT_EQ(stats.queue_full.load(), 0u);
}

TEST(QueryPoolTest, BeyondMaxQueuedAnOpIsRefusedAtOnceAndTheOthersRunInOrder) {
  QueryStats stats;
  QueryPool pool(1, &stats);
  asio::io_context io(1);
  auto guard = asio::make_work_guard(io);
  std::thread io_thread([&] { io.run(); });

  std::promise<void> started;
  std::promise<void> unblock;
  std::shared_future<void> unblocked = unblock.get_future().share();
  std::vector<int> order;  // written on the one query thread only
  std::vector<absl::Status> statuses(4, absl::UnknownError("never resumed"));
  std::promise<void> refused;
  auto spawn = [&](int i) {
    asio::co_spawn(
        io,
        [&, i]() -> asio::awaitable<void> {
          statuses[static_cast<std::size_t>(i)] = co_await pool.Run(
              [&, i] {
                if (i == 0) {
                  started.set_value();
                  unblocked.wait();
                }
                order.push_back(i);
              },
              {.ready = Clock::now(), .deadline = std::chrono::seconds(60), .max_queued = 2});
          if (i == 3) refused.set_value();
        },
        asio::detached);
  };
  spawn(0);
  ASSERT_EQ(started.get_future().wait_for(std::chrono::seconds(5)), std::future_status::ready);
  for (int i = 1; i <= 3; ++i) spawn(i);
  // Refused while the query thread is still blocked.
  ASSERT_EQ(refused.get_future().wait_for(std::chrono::seconds(5)), std::future_status::ready);
  EXPECT_EQ(stats.waiting.load(), 2u);
  unblock.set_value();
  guard.reset();
  io_thread.join();

  EXPECT_EQ(statuses[3].code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(statuses[3].message(), "too many queries waiting: 2 (max_queued_queries 2)");
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(statuses[static_cast<std::size_t>(i)].ok()) << i;
  EXPECT_THAT(order, ElementsAre(0, 1, 2));
  EXPECT_EQ(stats.queue_full.load(), 1u);
  EXPECT_EQ(stats.waiting.load(), 0u);
  EXPECT_EQ(stats.wait.count(), 3u);
}

TEST(QueryPoolTest, ManyCallersOnSeveralThreadsSeeWhatTheirWorkWrote) {
  QueryStats stats;
  QueryPool pool(2, &stats);
  constexpr int kContexts = 2;
  constexpr int kCallers = 300;
  std::vector<std::unique_ptr<asio::io_context>> contexts;
  std::vector<int> whole(kContexts, 0);
  for (int c = 0; c < kContexts; ++c) {
    contexts.push_back(std::make_unique<asio::io_context>(1));
    for (int i = 0; i < kCallers; ++i) {
      asio::co_spawn(
          *contexts.back(),
          [&, c, i]() -> asio::awaitable<void> {
            std::string reply;
            const std::string expected(1000 + static_cast<std::size_t>(i), static_cast<char>('a' + i % 26));
            const absl::Status status = co_await pool.Run(
                [&] { reply = expected; }, {.ready = Clock::now(), .deadline = std::chrono::seconds(60),
                                            .max_queued = 1000000});
            if (status.ok() && reply == expected) ++whole[static_cast<std::size_t>(c)];
          },
          asio::detached);
    }
  }
  std::vector<std::thread> threads;
  for (auto& io : contexts) threads.emplace_back([&io] { io->run(); });
  for (std::thread& t : threads) t.join();
  for (int c = 0; c < kContexts; ++c) EXPECT_EQ(whole[static_cast<std::size_t>(c)], kCallers) << c;
  EXPECT_EQ(stats.wait.count(), static_cast<uint64_t>(kContexts * kCallers));
  EXPECT_EQ(stats.waiting.load(), 0u);
}

}  // namespace
}  // namespace otter::server
