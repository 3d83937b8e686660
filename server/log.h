#pragma once
// Structured log lines on stderr, one per event, key=value:
//   ts=2027-05-01T12:00:00.123Z level=info event=listening addr=127.0.0.1:7870
//
//   Log(LogLevel::kInfo, "listening", {{"addr", address}});
//
// Thread safety: Log() and SetLogLevel() may be called from any thread; each
// line is written with one call, so lines never interleave.

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

#include "absl/status/statusor.h"

namespace otter::server {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

// "debug", "info", "warn" or "error"; kInvalidArgument otherwise.
absl::StatusOr<LogLevel> ParseLogLevel(std::string_view name);
std::string_view LogLevelName(LogLevel level);

// Lines below `level` are dropped. Default kInfo.
void SetLogLevel(LogLevel level);
bool LogEnabled(LogLevel level);

using LogField = std::pair<std::string_view, std::string_view>;

// Writes one line when `level` is enabled. Values holding spaces, quotes or
// '=' are quoted and escaped.
void Log(LogLevel level, std::string_view event, std::initializer_list<LogField> fields = {});

}  // namespace otter::server
