#pragma once
// otter-load's settings, from its command line.
//
//   OTTER_ASSIGN_OR_RETURN(LoadOptions options, ParseLoadOptions(args));
//
// Thread safety: plain values and pure functions.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "bench/load/flags.h"
#include "bench/load/request_pool.h"

namespace otter::load {

enum class Encoding { kJson, kBinary };

struct LoadOptions {
  Endpoint endpoint;
  Encoding encoding = Encoding::kBinary;
  int connections = 10000;
  int threads = 0;  // 0: one per core
  // Requests per second over all connections, on a fixed schedule; 0 runs
  // flat out, each connection keeping `pipeline` requests in flight.
  double rate = 0;
  int pipeline = 1;
  // With a rate: the driver sleeps at least this long between wake-ups, and
  // sends everything due at each one.
  int tick_us = 100;
  double warmup_s = 5;
  double duration_s = 20;
  Mix mix;
  std::string db;  // libpq URL or conninfo; needed when the mix needs a sample
  std::size_t pool_size = 20000;
  uint64_t seed = 1;
  std::string auth_token;  // from --token-file; "" without authentication
  double max_error_rate = 0;
  bool json = false;
  double connect_timeout_s = 30;
  double drain_timeout_s = 10;
};

// kInvalidArgument naming the flag for an unknown flag or a bad value.
// --help is not handled here.
absl::StatusOr<LoadOptions> ParseLoadOptions(const std::vector<std::string>& args);

// The --help text.
std::string LoadUsage();

}  // namespace otter::load
