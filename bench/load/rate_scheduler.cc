#include "bench/load/rate_scheduler.h"

#include <cassert>
#include <cmath>

namespace otter::load {

RateScheduler::RateScheduler(double rate_per_second, Clock::time_point start, double phase)
    : start_(start), interval_ns_(1e9 / rate_per_second), phase_(phase) {
  assert(rate_per_second > 0);
  assert(phase >= 0 && phase < 1);
}

RateScheduler::Clock::time_point RateScheduler::TimeOf(uint64_t index) const {
  // From the start each time, not by adding intervals: no drift.
  const double offset = std::floor((static_cast<double>(index) + phase_) * interval_ns_);
  return start_ + std::chrono::nanoseconds(static_cast<int64_t>(offset));
}

std::optional<RateScheduler::Clock::time_point> RateScheduler::PopDue(Clock::time_point now) {
  const Clock::time_point due = TimeOf(next_index_);
  if (due > now) return std::nullopt;
  ++next_index_;
  return due;
}

}  // namespace otter::load
