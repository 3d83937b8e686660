#pragma once
// Turns a parsed request into a reply. The built-in dispatcher answers
// ping, health and stats itself and hands the engine's ops (search, match,
// score, suggest, get, recompute_matches) to an OpHandler once one is
// plugged in; until then they answer `unavailable`. The connection asks
// RunsEngineOp() to choose the thread: engine ops go to the query threads.
//
//   BuiltinDispatcher dispatcher(&stats, {.health = &health, .engine = &ops});
//   dispatcher.Handle(request, writer, Clock::now());   // one complete response
//
// Thread safety: Handle() may be called from any number of threads at once
// as long as the HealthProvider and OpHandler allow it (they must).

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "server/request.h"
#include "server/response_writer.h"
#include "server/stats.h"

namespace otter::server {

// The ops an OpHandler answers: search, match, score, suggest, get and
// recompute_matches (not ping, health, stats, auth).
bool IsEngineOp(Op op);

class Dispatcher {
 public:
  using Clock = std::chrono::steady_clock;

  virtual ~Dispatcher() = default;
  // Writes exactly one complete response (BeginResponse…Finish) for
  // `request` to `writer`, success or error. `start` is when answering
  // began: took_us and the op's latency figures count from it (so a queued
  // engine op's wait is included).
  virtual void Handle(const Request& request, ResponseWriter& writer, Clock::time_point start) = 0;
  // Whether Handle() runs an engine op for `request`, which may take
  // milliseconds and so belongs on a query thread rather than an I/O thread.
  virtual bool RunsEngineOp(const Request& request) const = 0;
  // The change-log position the engine has applied, for `as_of` in replies
  // that do not come from Handle() (parse errors, refusals).
  virtual uint64_t AppliedPosition() const = 0;
};

enum class HealthState { kLoading, kReady, kDegraded };

struct HealthReport {
  HealthState state = HealthState::kLoading;
  uint64_t as_of = 0;                    // the applied change-log position
  std::optional<uint64_t> change_lag_ms;  // age of the oldest unapplied change
  std::string detail;                     // e.g. "database unreachable: …"
};

// What the loader and change follower report.
class HealthProvider {
 public:
  virtual ~HealthProvider() = default;
  virtual HealthReport Health() const = 0;
};

// A provider that reports `loading` at position 0: otterd before the loader
// is wired in.
class LoadingHealth final : public HealthProvider {
 public:
  HealthReport Health() const override { return {}; }
};

// The engine's ops, plugged in by the loader integration.
class OpHandler {
 public:
  virtual ~OpHandler() = default;
  // Writes the members of a successful reply for `request` (an engine op)
  // into the open response in `writer`, or returns the error to answer
  // instead (whatever it wrote is dropped), e.g. kInvalidArgument
  // "near.lat must be within [-90, 90]", kNotFound for `get`. `*as_of`
  // holds the health report's position on entry; a handler that answers
  // from a snapshot sets it to the snapshot's, for the reply (also an error
  // reply).
  virtual absl::Status Handle(const Request& request, ResponseWriter& writer,
                              uint64_t* as_of) = 0;
};

// More members of the `stats` reply: the engine's and the database parts'
// figures.
class StatsSource {
 public:
  virtual ~StatsSource() = default;
  // Writes members (keys and values) into the open stats object.
  virtual void WriteStats(ResponseWriter& writer) const = 0;
};

// What a dispatcher answers with besides its own stats: `health` is
// required; the others may be null.
struct DispatcherParts {
  const HealthProvider* health = nullptr;
  OpHandler* engine = nullptr;        // null: engine ops answer unavailable
  const StatsSource* stats = nullptr;  // null: stats has the server's figures only
};

class BuiltinDispatcher final : public Dispatcher {
 public:
  // `stats` and the parts must outlive the dispatcher.
  BuiltinDispatcher(ServerStats* stats, DispatcherParts parts);

  void Handle(const Request& request, ResponseWriter& writer, Clock::time_point start) override;
  bool RunsEngineOp(const Request& request) const override {
    return engine_ != nullptr && IsEngineOp(request.op);
  }
  uint64_t AppliedPosition() const override { return health_->Health().as_of; }

 private:
  // Answers `request`; sets *as_of to the position the answer reflects.
  absl::Status Answer(const Request& request, const HealthReport& health, ResponseWriter& writer,
                      uint64_t* as_of);

  ServerStats* stats_;
  const HealthProvider* health_;
  OpHandler* engine_;
  const StatsSource* extra_stats_;
};

}  // namespace otter::server
