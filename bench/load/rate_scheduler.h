#pragma once
// The send times of an open-loop load: request k is due at
// start + (k + phase) / rate, whatever happened to the requests before it.
// Latency is measured from that scheduled time, not from when the request
// actually left, so a stalled server or generator shows up in the
// percentiles instead of silently lowering the offered load (coordinated
// omission).
//
//   RateScheduler schedule(/*rate_per_second=*/25'000, start);
//   while (auto due = schedule.PopDue(Clock::now())) Send(*due);
//   timer.expires_at(schedule.next());
//
// T threads sharing a total rate R each use rate R / T and phases 0, 1/T,
// ... (T-1)/T, so that their sends interleave evenly.
//
// Thread safety: none; one scheduler per thread.

#include <chrono>
#include <cstdint>
#include <optional>

namespace otter::load {

class RateScheduler {
 public:
  using Clock = std::chrono::steady_clock;

  // Requires rate_per_second > 0 and phase in [0, 1).
  RateScheduler(double rate_per_second, Clock::time_point start, double phase = 0);

  // The scheduled time of the next request.
  Clock::time_point next() const { return TimeOf(next_index_); }
  // When the next request is due by `now`, returns its scheduled time and
  // moves on to the one after; nullopt otherwise.
  std::optional<Clock::time_point> PopDue(Clock::time_point now);
  // How many requests were popped.
  uint64_t popped() const { return next_index_; }

 private:
  Clock::time_point TimeOf(uint64_t index) const;

  Clock::time_point start_;
  double interval_ns_;
  double phase_;
  uint64_t next_index_ = 0;
};

}  // namespace otter::load
