#include "server/dispatcher.h"

#include <chrono>

#include "absl/strings/str_cat.h"
#include "server/status_mapping.h"

namespace otter::server {
namespace {

std::string_view StateName(HealthState state) {
  switch (state) {
    case HealthState::kLoading: return "loading";
    case HealthState::kReady: return "ready";
    case HealthState::kDegraded: return "degraded";
  }
  return "loading";
}

uint64_t MicrosSince(std::chrono::steady_clock::time_point start) {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                   std::chrono::steady_clock::now() - start)
                                   .count());
}

}  // namespace

bool IsEngineOp(Op op) {
  switch (op) {
    case Op::kPing:
    case Op::kHealth:
    case Op::kStats:
    case Op::kAuth: return false;
    case Op::kSearch:
    case Op::kMatch:
    case Op::kScore:
    case Op::kSuggest:
    case Op::kGet:
    case Op::kRecomputeMatches: return true;
  }
  return false;
}

BuiltinDispatcher::BuiltinDispatcher(ServerStats* stats, DispatcherParts parts)
    : stats_(stats), health_(parts.health), engine_(parts.engine), extra_stats_(parts.stats) {}

void BuiltinDispatcher::Handle(const Request& request, ResponseWriter& writer, Clock::time_point start) {
  const HealthReport health = health_->Health();
  writer.BeginResponse(request.id_json, /*ok=*/true);
  uint64_t as_of = health.as_of;
  absl::Status status = Answer(request, health, writer, &as_of);
  const uint64_t took_us = MicrosSince(start);
  if (status.ok()) {
    writer.Finish(took_us, as_of);
  } else {
    writer.Abandon();
    WriteError(writer, request.id_json, status, took_us, as_of);
  }
  stats_->RecordRequest(request.op, took_us, status.ok());
}

absl::Status BuiltinDispatcher::Answer(const Request& request, const HealthReport& health,
                                       ResponseWriter& writer, uint64_t* as_of) {
  // Read-your-writes: waiting for a position belongs to the engine
  // integration; without it, a position not yet applied cannot be served.
  if (request.after && *request.after > health.as_of && IsEngineOp(request.op)) {
    return absl::UnavailableError(absl::StrCat("position ", *request.after,
                                               " is not applied yet (as_of ", health.as_of, ")"));
  }
  switch (request.op) {
    case Op::kPing:
      writer.Key("pong");
      writer.Bool(true);
      return absl::OkStatus();
    case Op::kHealth:
      writer.Key("status");
      writer.String(StateName(health.state));
      if (health.change_lag_ms) {
        writer.Key("change_lag_ms");
        writer.Uint(*health.change_lag_ms);
      }
      if (!health.detail.empty()) {
        writer.Key("detail");
        writer.String(health.detail);
      }
      return absl::OkStatus();
    case Op::kStats:
      stats_->WriteTo(writer);
      if (extra_stats_ != nullptr) extra_stats_->WriteStats(writer);
      return absl::OkStatus();
    case Op::kAuth:
      // The connection handles auth when a token is configured.
      writer.Key("auth");
      writer.String("not required");
      return absl::OkStatus();
    default:
      break;
  }
  if (engine_ == nullptr || health.state == HealthState::kLoading) {
    return absl::UnavailableError(absl::StrCat("op \"", std::string(OpName(request.op)),
                                               "\" is not available: the engine is still loading"));
  }
  return engine_->Handle(request, writer, as_of);
}

}  // namespace otter::server
