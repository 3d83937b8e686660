#include "bench/load/load_report.h"

#include <cstdio>
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "bench/load/request_json.h"
#include "server/response_writer.h"

namespace otter::load {
namespace {

constexpr double kPercentiles[] = {0.5, 0.9, 0.99, 0.999};
constexpr const char* kPercentileNames[] = {"p50", "p90", "p99", "p99.9"};

double Ms(uint64_t ns) { return static_cast<double>(ns) / 1e6; }

std::string LoadDescription(const LoadOptions& options) {
  return options.rate > 0
             ? absl::StrFormat(
                   "open loop at %.0f requests/s (latency from the scheduled send time)",
                   options.rate)
             : absl::StrFormat("flat out, %d request(s) in flight per connection",
                               options.pipeline);
}

std::string EncodingName(const LoadOptions& options) {
  return options.encoding == Encoding::kBinary ? "binary" : "json";
}

double Throughput(const LoadResult& result) {
  return static_cast<double>(result.stats.replies_in_window) / result.measured_seconds;
}

std::string LatencyRow(std::string_view name, const Histogram& h) {
  std::string row = absl::StrFormat("  %-12s %10llu", std::string(name),
                                    static_cast<unsigned long long>(h.count()));
  for (double q : kPercentiles)
    absl::StrAppend(&row, absl::StrFormat(" %9.3f", Ms(h.Percentile(q))));
  absl::StrAppend(&row, absl::StrFormat(" %9.3f\n", Ms(h.max())));
  return row;
}

std::string Counts(const std::map<std::string, uint64_t>& counts) {
  std::string out;
  for (const auto& [name, count] : counts)
    absl::StrAppend(&out, out.empty() ? "" : ", ", name, " ", count);
  return out.empty() ? "none" : out;
}

// JSON members, written by hand: the report is small and flat.
void Member(std::string& out, std::string_view key) {
  if (out.back() != '{') out.push_back(',');
  server::ResponseWriter::AppendEscaped(out, key);
  out.push_back(':');
}
void StringMember(std::string& out, std::string_view key, std::string_view value) {
  Member(out, key);
  server::ResponseWriter::AppendEscaped(out, value);
}
void NumberMember(std::string& out, std::string_view key, double value) {
  Member(out, key);
  out += FormatDouble(value);
}
void CountsMember(std::string& out, std::string_view key,
                  const std::map<std::string, uint64_t>& counts) {
  Member(out, key);
  out.push_back('{');
  for (const auto& [name, count] : counts) NumberMember(out, name, static_cast<double>(count));
  out.push_back('}');
}
void LatencyMember(std::string& out, std::string_view key, const Histogram& h) {
  Member(out, key);
  out.push_back('{');
  NumberMember(out, "count", static_cast<double>(h.count()));
  for (std::size_t i = 0; i < std::size(kPercentiles); ++i) {
    NumberMember(out, kPercentileNames[i], Ms(h.Percentile(kPercentiles[i])));
  }
  NumberMember(out, "max", Ms(h.max()));
  NumberMember(out, "mean", h.mean() / 1e6);
  out.push_back('}');
}

}  // namespace

double ErrorRate(const LoadResult& result) {
  if (result.stats.requests == 0) return 0;
  return static_cast<double>(result.stats.error_count()) /
         static_cast<double>(result.stats.requests);
}

bool ErrorRateExceeded(const LoadResult& result, const LoadOptions& options) {
  const double failed_connections =
      static_cast<double>(result.stats.connect_failures + result.stats.connections_lost) /
      static_cast<double>(result.connections_wanted);
  return ErrorRate(result) > options.max_error_rate || failed_connections > options.max_error_rate;
}

std::string FormatReport(const LoadResult& result, const LoadOptions& options,
                         std::string_view command) {
  const LoadStats& s = result.stats;
  std::string out;
  absl::StrAppend(&out, "command: ", std::string(command), "\n");
  absl::StrAppend(&out, "machine: ", result.machine, "\n");
  absl::StrAppend(&out, "target: ", options.endpoint.ToString(), ", ", EncodingName(options),
                  " encoding, ", options.threads, " threads\n");
  absl::StrAppend(&out, "load: ", LoadDescription(options), "\n");
  absl::StrAppend(&out, "mix: ", MixToString(options.mix), "\n");
  absl::StrAppend(
      &out,
      absl::StrFormat("connections: %d wanted, %d reached (in %.2f s), %llu failed to open, "
                      "%llu lost, %llu open at the end; open files limit %llu\n",
                      result.connections_wanted, result.connections_reached, result.connect_seconds,
                      static_cast<unsigned long long>(s.connect_failures),
                      static_cast<unsigned long long>(s.connections_lost),
                      static_cast<unsigned long long>(s.open_at_end),
                      static_cast<unsigned long long>(result.open_files_limit)));
  absl::StrAppend(&out, absl::StrFormat("time: %.0f s warm-up, %.0f s measured\n", options.warmup_s,
                                        result.measured_seconds));
  absl::StrAppend(
      &out,
      absl::StrFormat("requests: %llu measured, %llu answered, %llu failed (%.4f%%)\n",
                      static_cast<unsigned long long>(s.requests),
                      static_cast<unsigned long long>(s.answered()),
                      static_cast<unsigned long long>(s.error_count()), 100 * ErrorRate(result)));
  absl::StrAppend(&out, absl::StrFormat("throughput: %.0f replies/s received while measuring\n",
                                        Throughput(result)));
  absl::StrAppend(&out,
                  "latency (ms)        count       p50       p90       p99     p99.9       max\n");
  out += LatencyRow("all", s.latency);
  for (QueryKind kind : kAllQueryKinds) {
    const KindStats& k = s.kinds[static_cast<std::size_t>(kind)];
    if (k.latency.count() > 0) out += LatencyRow(QueryKindName(kind), k.latency);
  }
  absl::StrAppend(&out, "failed requests: ", Counts(s.errors), "\n");
  absl::StrAppend(&out, "connection events: ", Counts(s.connection_events), "\n");
  absl::StrAppend(&out, absl::StrFormat("generator CPU: %.1f s in %.1f s (%.0f%% of one core)\n",
                                        result.cpu_seconds, result.load_seconds,
                                        100 * result.cpu_seconds / result.load_seconds));
  return out;
}

std::string FormatReportJson(const LoadResult& result, const LoadOptions& options,
                             std::string_view command) {
  const LoadStats& s = result.stats;
  std::string out = "{";
  StringMember(out, "command", command);
  StringMember(out, "machine", result.machine);
  StringMember(out, "target", options.endpoint.ToString());
  StringMember(out, "encoding", EncodingName(options));
  NumberMember(out, "threads", options.threads);
  NumberMember(out, "rate", options.rate);
  NumberMember(out, "pipeline", options.pipeline);
  StringMember(out, "mix", MixToString(options.mix));
  NumberMember(out, "connections_wanted", result.connections_wanted);
  NumberMember(out, "connections_reached", result.connections_reached);
  NumberMember(out, "connections_failed_to_open", static_cast<double>(s.connect_failures));
  NumberMember(out, "connections_lost", static_cast<double>(s.connections_lost));
  NumberMember(out, "connections_open_at_end", static_cast<double>(s.open_at_end));
  NumberMember(out, "connect_seconds", result.connect_seconds);
  NumberMember(out, "open_files_limit", static_cast<double>(result.open_files_limit));
  NumberMember(out, "warmup_seconds", options.warmup_s);
  NumberMember(out, "measured_seconds", result.measured_seconds);
  NumberMember(out, "requests", static_cast<double>(s.requests));
  NumberMember(out, "answered", static_cast<double>(s.answered()));
  NumberMember(out, "failed", static_cast<double>(s.error_count()));
  NumberMember(out, "error_rate", ErrorRate(result));
  NumberMember(out, "throughput", Throughput(result));
  Member(out, "latency_ms");
  out.push_back('{');
  LatencyMember(out, "all", s.latency);
  for (QueryKind kind : kAllQueryKinds) {
    const KindStats& k = s.kinds[static_cast<std::size_t>(kind)];
    if (k.latency.count() > 0) LatencyMember(out, QueryKindName(kind), k.latency);
  }
  out.push_back('}');
  CountsMember(out, "failed_by_cause", s.errors);
  CountsMember(out, "connection_events", s.connection_events);
  NumberMember(out, "generator_cpu_seconds", result.cpu_seconds);
  NumberMember(out, "load_seconds", result.load_seconds);
  out += "}\n";
  return out;
}

}  // namespace otter::load
