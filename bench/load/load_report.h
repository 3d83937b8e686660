#pragma once
// otter-load's report: requests, errors by cause, throughput, latency
// percentiles overall and per kind, connections, and the command that
// produced them; as text for people or as one JSON object.
//
//   std::fputs(FormatReport(result, options, command).c_str(), stdout);
//   if (ErrorRateExceeded(result, options)) return 1;
//
// Thread safety: pure functions.

#include <string>
#include <string_view>

#include "bench/load/load_options.h"
#include "bench/load/load_run.h"

namespace otter::load {

std::string FormatReport(const LoadResult& result, const LoadOptions& options,
                         std::string_view command);
std::string FormatReportJson(const LoadResult& result, const LoadOptions& options,
                             std::string_view command);

// errors / requests, 0 without requests.
double ErrorRate(const LoadResult& result);
// Whether the failed requests, or the connections that failed to open or
// closed early, exceed options.max_error_rate as a fraction of the
// requests (connections).
bool ErrorRateExceeded(const LoadResult& result, const LoadOptions& options);

}  // namespace otter::load
