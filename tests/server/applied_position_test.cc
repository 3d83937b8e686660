#include "server/applied_position.h"

#include <chrono>
#include <optional>
#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include "gtest/gtest.h"

namespace otter::server {
namespace {

namespace asio = boost::asio;
using std::chrono::milliseconds;

// Runs WaitFor(position, timeout) on its own io_context thread; result()
// joins and returns its answer.
class Wait {
 public:
  Wait(AppliedPosition& applied, uint64_t position, milliseconds timeout) {
    asio::co_spawn(io_, applied.WaitFor(position, timeout), [this](std::exception_ptr, bool ok) {
      answer_ = ok;
      done_at_ = std::chrono::steady_clock::now();
    });
    thread_ = std::thread([this] { io_.run(); });
  }
  bool result() {
    thread_.join();
    return answer_.value();
  }
  std::chrono::steady_clock::time_point done_at() const { return done_at_; }

 private:
  asio::io_context io_;
  std::thread thread_;
  std::optional<bool> answer_;
  std::chrono::steady_clock::time_point done_at_;
};

void WaitUntilWaiting(const AppliedPosition& applied, size_t n) {
  while (applied.waiting() < n) std::this_thread::sleep_for(milliseconds(1));
}

TEST(AppliedPositionTest, AnAppliedPositionNeedsNoWait) {
  AppliedPosition applied;
  applied.Advance(10);
  Wait wait(applied, 10, milliseconds(60000));
  EXPECT_TRUE(wait.result());
  EXPECT_EQ(applied.waiting(), 0u);
}

TEST(AppliedPositionTest, AdvanceWakesExactlyTheWaitersItSatisfies) {
  AppliedPosition applied;
  Wait low(applied, 5, milliseconds(60000));
  Wait high(applied, 9, milliseconds(300));
  WaitUntilWaiting(applied, 2);
  const auto advanced_at = std::chrono::steady_clock::now();
  applied.Advance(7);
  EXPECT_TRUE(low.result());
  EXPECT_FALSE(high.result());  // times out: 9 was never applied
  EXPECT_LT(low.done_at(), advanced_at + milliseconds(250)) << "woken by Advance, not by a timer";
  EXPECT_EQ(applied.current(), 7u);
  EXPECT_EQ(applied.waiting(), 0u);
}

TEST(AppliedPositionTest, APositionNeverMovesBackwards) {
  AppliedPosition applied;
  applied.Advance(20);
  applied.Advance(3);
  EXPECT_EQ(applied.current(), 20u);
}

TEST(AppliedPositionTest, ManyWaitersAcrossThreadsAllWake) {
  AppliedPosition applied;
  std::vector<std::unique_ptr<Wait>> waits;
  for (uint64_t p = 1; p <= 16; ++p) {
    waits.push_back(std::make_unique<Wait>(applied, p, milliseconds(60000)));
  }
  WaitUntilWaiting(applied, 16);
  for (uint64_t p = 2; p <= 16; p += 2) applied.Advance(p);
  for (auto& wait : waits) EXPECT_TRUE(wait->result());
}

}  // namespace
}  // namespace otter::server
