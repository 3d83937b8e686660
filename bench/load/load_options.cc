#include "bench/load/load_options.h"

#include <algorithm>
#include <thread>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "engine/status_macros.h"

namespace otter::load {

std::string LoadUsage() {
  return absl::StrCat(
      "usage: otter-load [flags]\n"
      "Drives otterd with many connections and a mix of realistic requests built\n"
      "from the database's data, then reports throughput, errors and latency.\n"
      "\n"
      "  --connect HOST:PORT|unix:PATH  otterd's address (127.0.0.1:7870)\n"
      "  --encoding json|binary         JSON lines or binary frames (binary)\n"
      "  --connections N                connections to open (10000)\n"
      "  --threads T                    I/O threads, one io_context each (one per core)\n"
      "  --rate R                       requests/s over all connections on a fixed\n"
      "                                 schedule, latency from the scheduled time;\n"
      "                                 0 = flat out (0)\n"
      "  --tick-us U                    with --rate: sends due within U microseconds go\n"
      "                                 out in one wake-up; the wait counts in the\n"
      "                                 latency (100)\n"
      "  --pipeline P                   with --rate 0: requests in flight per connection (1)\n"
      "  --warmup S                     seconds of load before measuring (5)\n"
      "  --duration S                   seconds measured (20)\n"
      "  --mix KIND=W,...               request kinds and weights (",
      std::string(kDefaultMix),
      ");\n"
      "                                 kinds: ping, health, geo, text, combined,\n"
      "                                 personality, suggest, get\n"
      "  --db URL                       database to sample queries from (needed unless\n"
      "                                 the mix is only ping and health)\n"
      "  --pool N                       distinct requests built in advance (20000)\n"
      "  --seed N                       sampling and shuffling seed (1)\n"
      "  --token-file F                 otterd's auth token\n"
      "  --max-error-rate X             exit 1 when errors / requests exceeds X (0)\n"
      "  --connect-timeout S            give up connecting after S seconds (30)\n"
      "  --drain-timeout S              wait S seconds for replies after the run (10)\n"
      "  --json                         print the report as one JSON object\n");
}

absl::StatusOr<LoadOptions> ParseLoadOptions(const std::vector<std::string>& args) {
  LoadOptions o;
  OTTER_ASSIGN_OR_RETURN(o.mix, ParseMix(kDefaultMix));
  OTTER_ASSIGN_OR_RETURN(const std::vector<Flag> flags, SplitFlags(args, {"json"}));
  for (const Flag& f : flags) {
    if (f.name == "connect") {
      OTTER_ASSIGN_OR_RETURN(o.endpoint, ParseEndpoint(f.value));
    } else if (f.name == "encoding") {
      if (f.value != "json" && f.value != "binary") {
        return absl::InvalidArgumentError(
            absl::StrCat("--encoding must be json or binary, not \"", f.value, "\""));
      }
      o.encoding = f.value == "json" ? Encoding::kJson : Encoding::kBinary;
    } else if (f.name == "connections") {
      OTTER_ASSIGN_OR_RETURN(o.connections, ParseInteger(f, 1, 1'000'000));
    } else if (f.name == "threads") {
      OTTER_ASSIGN_OR_RETURN(o.threads, ParseInteger(f, 0, 256));
    } else if (f.name == "rate") {
      OTTER_ASSIGN_OR_RETURN(o.rate, ParseNumber(f, 0, 1e8));
    } else if (f.name == "tick-us") {
      OTTER_ASSIGN_OR_RETURN(o.tick_us, ParseInteger(f, 0, 100'000));
    } else if (f.name == "pipeline") {
      OTTER_ASSIGN_OR_RETURN(o.pipeline, ParseInteger(f, 1, 10'000));
    } else if (f.name == "warmup") {
      OTTER_ASSIGN_OR_RETURN(o.warmup_s, ParseNumber(f, 0, 86'400));
    } else if (f.name == "duration") {
      OTTER_ASSIGN_OR_RETURN(o.duration_s, ParseNumber(f, 0.001, 86'400));
    } else if (f.name == "mix") {
      OTTER_ASSIGN_OR_RETURN(o.mix, ParseMix(f.value));
    } else if (f.name == "db") {
      o.db = f.value;
    } else if (f.name == "pool") {
      OTTER_ASSIGN_OR_RETURN(o.pool_size, ParseInteger(f, 1, 10'000'000));
    } else if (f.name == "seed") {
      OTTER_ASSIGN_OR_RETURN(o.seed, ParseInteger(f, 0, INT64_MAX));
    } else if (f.name == "token-file") {
      OTTER_ASSIGN_OR_RETURN(o.auth_token, ReadFirstLine(f.value));
    } else if (f.name == "max-error-rate") {
      OTTER_ASSIGN_OR_RETURN(o.max_error_rate, ParseNumber(f, 0, 1));
    } else if (f.name == "connect-timeout") {
      OTTER_ASSIGN_OR_RETURN(o.connect_timeout_s, ParseNumber(f, 0.001, 3600));
    } else if (f.name == "drain-timeout") {
      OTTER_ASSIGN_OR_RETURN(o.drain_timeout_s, ParseNumber(f, 0, 3600));
    } else if (f.name == "json") {
      o.json = true;
    } else {
      return absl::InvalidArgumentError(absl::StrCat("unknown flag --", f.name));
    }
  }
  if (o.threads == 0)
    o.threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  if (o.threads > o.connections) o.threads = o.connections;
  if (o.mix.NeedsSample() && o.db.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("--db is required: the mix (",
                                                   MixToString(o.mix),
                                                   ") has kinds built from the database's data"));
  }
  if (o.rate > 0 && o.pipeline != 1) {
    return absl::InvalidArgumentError(
        "--pipeline applies to --rate 0 only: a fixed rate sets the load");
  }
  return o;
}

}  // namespace otter::load
