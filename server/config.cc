#include "server/config.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string_view>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace otter::server {
namespace {

std::string_view Strip(std::string_view s) {
  while (!s.empty() && absl::ascii_isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && absl::ascii_isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

using Apply = absl::Status (*)(Config&, std::string_view);

absl::StatusOr<uint64_t> ParseUint(std::string_view value, uint64_t min, uint64_t max) {
  uint64_t n = 0;
  auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
  if (ec != std::errc() || end != value.data() + value.size() || n < min || n > max) {
    return absl::InvalidArgumentError(absl::StrCat("must be an integer within [", min, ", ", max,
                                                   "], not \"", std::string(value), "\""));
  }
  return n;
}

template <typename T, auto Member>
absl::Status SetUint(Config& c, std::string_view v, uint64_t min, uint64_t max) {
  absl::StatusOr<uint64_t> n = ParseUint(v, min, max);
  if (!n.ok()) return n.status();
  c.*Member = static_cast<T>(*n);
  return absl::OkStatus();
}

template <auto Member>
absl::Status SetBool(Config& c, std::string_view v) {
  if (v == "true" || v == "on" || v == "1") {
    c.*Member = true;
  } else if (v == "false" || v == "off" || v == "0") {
    c.*Member = false;
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("must be true or false (on/off, 1/0), not \"", std::string(v), "\""));
  }
  return absl::OkStatus();
}

template <typename T, auto Member>
absl::Status SetLimit(Config& c, std::string_view v, uint64_t min, uint64_t max) {
  absl::StatusOr<uint64_t> n = ParseUint(v, min, max);
  if (!n.ok()) return n.status();
  c.limits.*Member = static_cast<T>(*n);
  return absl::OkStatus();
}

struct Setting {
  std::string_view key;
  std::string_view help;
  Apply apply;
};

constexpr uint64_t kDay = 86400000;

const Setting kSettings[] = {
    {"db", "libpq conninfo or URL of the database",
     [](Config& c, std::string_view v) { c.db = std::string(v); return absl::OkStatus(); }},
    {"listen", "TCP host:port (default 127.0.0.1:7870; port 0 picks one; empty: none)",
     [](Config& c, std::string_view v) { c.listen = std::string(v); return absl::OkStatus(); }},
    {"unix", "unix socket path, created with mode 0660",
     [](Config& c, std::string_view v) { c.unix_path = std::string(v); return absl::OkStatus(); }},
    {"threads", "I/O threads, one io_context each (0 = one per core)",
     [](Config& c, std::string_view v) { return SetUint<int, &Config::threads>(c, v, 0, 1024); }},
    {"query_threads", "threads running the engine ops (0 = one per core)",
     [](Config& c, std::string_view v) { return SetUint<int, &Config::query_threads>(c, v, 0, 1024); }},
    {"auth_token_file", "file holding the shared secret clients must send [reload]",
     [](Config& c, std::string_view v) { c.auth_token_file = std::string(v); return absl::OkStatus(); }},
    {"log_level", "debug, info, warn or error [reload]",
     [](Config& c, std::string_view v) {
       absl::StatusOr<LogLevel> level = ParseLogLevel(v);
       if (!level.ok()) return level.status();
       c.log_level = *level;
       return absl::OkStatus();
     }},
    {"drain_timeout_ms", "on SIGTERM, how long to wait for in-flight requests",
     [](Config& c, std::string_view v) { return SetUint<uint32_t, &Config::drain_timeout_ms>(c, v, 0, kDay); }},
    {"prune_interval_ms", "record the change-log position and prune the log this often (0: never)",
     [](Config& c, std::string_view v) {
       return SetUint<uint32_t, &Config::prune_interval_ms>(c, v, 0, kDay);
     }},
    {"consumer_name", "this replica's name for its change-log position (default: host name/listen)",
     [](Config& c, std::string_view v) {
       if (v.empty() || v.size() > 200) return absl::InvalidArgumentError("must have 1 to 200 characters");
       c.consumer_name = std::string(v);
       return absl::OkStatus();
     }},
    {"record_searches", "record searches into search_history and popular_searches",
     [](Config& c, std::string_view v) { return SetBool<&Config::record_searches>(c, v); }},
    {"recompute_on_quiz", "recompute a user's cached match scores on a new quiz result",
     [](Config& c, std::string_view v) { return SetBool<&Config::recompute_on_quiz>(c, v); }},
    {"match_k", "leaders kept per user in personality_match_scores",
     [](Config& c, std::string_view v) { return SetUint<uint32_t, &Config::match_k>(c, v, 1, 1000); }},
    {"max_request_bytes", "largest request line or frame payload [reload]",
     [](Config& c, std::string_view v) {
       return SetLimit<std::size_t, &Limits::max_request_bytes>(c, v, 64, uint64_t{64} << 20);
     }},
    {"max_connections", "connections beyond this get `overloaded` [reload]",
     [](Config& c, std::string_view v) {
       return SetLimit<std::size_t, &Limits::max_connections>(c, v, 1, 1000000);
     }},
    {"max_output_bytes", "pending replies per connection before it stops reading [reload]",
     [](Config& c, std::string_view v) {
       return SetLimit<std::size_t, &Limits::max_output_bytes>(c, v, 4096, uint64_t{1} << 30);
     }},
    {"idle_timeout_ms", "close connections idle this long [reload]",
     [](Config& c, std::string_view v) {
       return SetLimit<uint32_t, &Limits::idle_timeout_ms>(c, v, 100, kDay);
     }},
    {"request_timeout_ms", "a started request must arrive in full within this [reload]",
     [](Config& c, std::string_view v) {
       return SetLimit<uint32_t, &Limits::request_timeout_ms>(c, v, 10, kDay);
     }},
    {"after_timeout_ms", "how long a request waits for its \"after\" position [reload]",
     [](Config& c, std::string_view v) {
       return SetLimit<uint32_t, &Limits::after_timeout_ms>(c, v, 0, kDay);
     }},
    {"query_deadline_ms", "an engine op not started within this gets `overloaded` [reload]",
     [](Config& c, std::string_view v) {
       return SetLimit<uint32_t, &Limits::query_deadline_ms>(c, v, 1, kDay);
     }},
    {"max_queued_queries", "engine ops waiting for a query thread beyond: `overloaded` [reload]",
     [](Config& c, std::string_view v) {
       return SetLimit<std::size_t, &Limits::max_queued_queries>(c, v, 1, 1000000);
     }},
};

const Setting* FindSetting(std::string_view key) {
  for (const Setting& s : kSettings) {
    if (s.key == key) return &s;
  }
  return nullptr;
}

absl::Status Prefixed(std::string_view where, const absl::Status& s) {
  return absl::InvalidArgumentError(absl::StrCat(std::string(where), ": ", std::string(s.message())));
}

std::string EnvName(std::string_view key) { return absl::AsciiStrToUpper(absl::StrCat("OTTER_", std::string(key))); }

absl::Status ApplyFile(Config& c, const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    return absl::InvalidArgumentError(
        absl::StrCat("config: cannot read \"", path, "\": ", std::strerror(errno)));
  }
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    std::string_view text = line;
    if (std::size_t hash = text.find('#'); hash != std::string_view::npos) text = text.substr(0, hash);
    text = Strip(text);
    if (text.empty()) continue;
    const std::string where = absl::StrCat(path, ":", number);
    std::size_t eq = text.find('=');
    if (eq == std::string_view::npos) return absl::InvalidArgumentError(absl::StrCat(where, ": expected key = value"));
    std::string_view key = Strip(text.substr(0, eq));
    std::string_view value = Strip(text.substr(eq + 1));
    const Setting* s = FindSetting(key);
    if (s == nullptr || key == "config") {
      return absl::InvalidArgumentError(absl::StrCat(where, ": unknown key \"", std::string(key), "\""));
    }
    if (absl::Status st = s->apply(c, value); !st.ok()) return Prefixed(absl::StrCat(where, ": ", std::string(key)), st);
  }
  return absl::OkStatus();
}

absl::Status Finalize(Config& c) {
  if (!c.listen.empty()) {
    std::string_view l = c.listen;
    std::size_t colon = l.rfind(':');
    if (colon == std::string_view::npos) return absl::InvalidArgumentError("listen: expected host:port, e.g. 127.0.0.1:7870");
    std::string_view host = l.substr(0, colon);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    absl::StatusOr<uint64_t> port = ParseUint(l.substr(colon + 1), 0, 65535);
    if (!port.ok()) return Prefixed("listen: port", port.status());
    if (host.empty()) return absl::InvalidArgumentError("listen: the host is missing, e.g. 127.0.0.1:7870");
    c.listen_host = std::string(host);
    c.listen_port = static_cast<uint16_t>(*port);
  }
  if (c.listen.empty() && c.unix_path.empty()) {
    return absl::InvalidArgumentError("nothing to listen on: set listen or unix");
  }
  if (c.consumer_name.empty()) {
    char host[256] = {};
    const bool named = gethostname(host, sizeof host - 1) == 0 && host[0] != '\0';
    c.consumer_name = absl::StrCat(named ? host : "otterd", "/", c.listen.empty() ? c.unix_path : c.listen);
  }
  if (!c.auth_token_file.empty()) {
    std::ifstream in(c.auth_token_file, std::ios::binary);
    if (!in) {
      return absl::InvalidArgumentError(absl::StrCat("auth_token_file: cannot read \"", c.auth_token_file,
                                                     "\": ", std::strerror(errno)));
    }
    std::stringstream content;
    content << in.rdbuf();
    c.auth_token = std::string(Strip(content.str()));
    if (c.auth_token.empty()) return absl::InvalidArgumentError("auth_token_file: the file is empty");
    if (c.auth_token.size() > 1024) return absl::InvalidArgumentError("auth_token_file: the token exceeds 1024 bytes");
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<Config> LoadConfig(const std::vector<std::string>& args, const EnvLookup& env) {
  std::vector<std::pair<std::string, std::string>> flags;
  std::string config_file;
  if (const char* v = env("OTTER_CONFIG"); v != nullptr) config_file = v;
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string_view arg = args[i];
    if (arg.substr(0, 2) != "--") return absl::InvalidArgumentError(absl::StrCat("unexpected argument \"", std::string(arg), "\""));
    arg.remove_prefix(2);
    std::string key, value;
    if (std::size_t eq = arg.find('='); eq != std::string_view::npos) {
      key = std::string(arg.substr(0, eq));
      value = std::string(arg.substr(eq + 1));
    } else {
      key = std::string(arg);
      if (i + 1 >= args.size()) return absl::InvalidArgumentError(absl::StrCat("--", key, " needs a value"));
      value = args[++i];
    }
    for (char& ch : key) ch = ch == '-' ? '_' : ch;
    if (key == "config") {
      config_file = value;
      continue;
    }
    if (FindSetting(key) == nullptr) return absl::InvalidArgumentError(absl::StrCat("unknown flag --", std::string(arg.substr(0, arg.find('=')))));
    flags.emplace_back(std::move(key), std::move(value));
  }

  Config c;
  c.config_file = config_file;
  if (!config_file.empty()) {
    if (absl::Status s = ApplyFile(c, config_file); !s.ok()) return s;
  }
  for (const Setting& s : kSettings) {
    const std::string name = EnvName(s.key);
    if (const char* v = env(name.c_str()); v != nullptr) {
      if (absl::Status st = s.apply(c, v); !st.ok()) return Prefixed(name, st);
    }
  }
  for (const auto& [key, value] : flags) {
    std::string flag = key;
    for (char& ch : flag) ch = ch == '_' ? '-' : ch;
    if (absl::Status st = FindSetting(key)->apply(c, value); !st.ok()) return Prefixed("--" + flag, st);
  }
  if (absl::Status s = Finalize(c); !s.ok()) return s;
  return c;
}

std::string ConfigUsage() {
  std::string out =
      "usage: otterd [--db CONNINFO] [--listen HOST:PORT] [--unix PATH] [--threads N]\n"
      "              [--auth-token-file F] [--config F] [--SETTING VALUE]...\n\n"
      "Each setting also comes from OTTER_<NAME> and from `name = value` lines in\n"
      "the --config file (flag > environment > file > default). [reload]: SIGHUP\n"
      "re-reads it.\n\n";
  for (const Setting& s : kSettings) {
    std::string flag(s.key);
    for (char& ch : flag) ch = ch == '_' ? '-' : ch;
    absl::StrAppend(&out, "  --", flag, std::string(std::max<std::size_t>(2, 22 - flag.size()), ' '),
                    std::string(s.help), "\n");
  }
  absl::StrAppend(&out, "  --config", std::string(16, ' '), "a file of `key = value` lines (OTTER_CONFIG)\n");
  return out;
}

}  // namespace otter::server
