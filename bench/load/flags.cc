#include "bench/load/flags.h"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <fstream>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "bench/load/request_json.h"

namespace otter::load {
namespace {

absl::Status NotInRange(const Flag& flag, double min, double max) {
  return absl::InvalidArgumentError(absl::StrCat("--", flag.name, " must be a number within [",
                                                 FormatDouble(min), ", ", FormatDouble(max),
                                                 "], not \"", flag.value, "\""));
}

}  // namespace

absl::StatusOr<std::vector<Flag>> SplitFlags(const std::vector<std::string>& args,
                                             const std::vector<std::string_view>& switches) {
  std::vector<Flag> flags;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg.size() < 3 || arg.compare(0, 2, "--") != 0) {
      return absl::InvalidArgumentError(absl::StrCat("unexpected argument \"", arg, "\""));
    }
    Flag flag;
    const std::size_t equals = arg.find('=');
    flag.name = arg.substr(2, equals == std::string::npos ? std::string::npos : equals - 2);
    std::replace(flag.name.begin(), flag.name.end(), '_', '-');
    const bool is_switch = std::find(switches.begin(), switches.end(), flag.name) != switches.end();
    if (equals != std::string::npos) {
      flag.value = arg.substr(equals + 1);
    } else if (!is_switch) {
      if (i + 1 == args.size())
        return absl::InvalidArgumentError(absl::StrCat("--", flag.name, " needs a value"));
      flag.value = args[++i];
    }
    flags.push_back(std::move(flag));
  }
  return flags;
}

absl::StatusOr<double> ParseNumber(const Flag& flag, double min, double max) {
  double value = 0;
  const char* end = flag.value.data() + flag.value.size();
  const auto [ptr, ec] = std::from_chars(flag.value.data(), end, value);
  if (flag.value.empty() || ec != std::errc() || ptr != end || !std::isfinite(value) ||
      value < min || value > max) {
    return NotInRange(flag, min, max);
  }
  return value;
}

absl::StatusOr<int64_t> ParseInteger(const Flag& flag, int64_t min, int64_t max) {
  int64_t value = 0;
  const char* end = flag.value.data() + flag.value.size();
  const auto [ptr, ec] = std::from_chars(flag.value.data(), end, value);
  if (flag.value.empty() || ec != std::errc() || ptr != end || value < min || value > max) {
    return absl::InvalidArgumentError(absl::StrCat("--", flag.name, " must be an integer within [",
                                                   min, ", ", max, "], not \"", flag.value, "\""));
  }
  return value;
}

std::string Endpoint::ToString() const {
  return unix_path.empty() ? absl::StrCat(host, ":", port) : absl::StrCat("unix:", unix_path);
}

absl::StatusOr<Endpoint> ParseEndpoint(std::string_view text) {
  const absl::Status bad = absl::InvalidArgumentError(
      absl::StrCat("--connect must be HOST:PORT or unix:PATH, not \"", std::string(text), "\""));
  Endpoint endpoint;
  if (text.starts_with("unix:")) {
    if (text.size() == 5) return bad;
    endpoint.unix_path = std::string(text.substr(5));
    return endpoint;
  }
  const std::size_t colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return bad;
  std::string_view host = text.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  const std::string_view port = text.substr(colon + 1);
  unsigned value = 0;
  const auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (port.empty() || ec != std::errc() || ptr != port.data() + port.size() || value == 0 ||
      value > 65535) {
    return bad;
  }
  endpoint.host = std::string(host);
  endpoint.port = static_cast<uint16_t>(value);
  return endpoint;
}

std::string CommandLine(int argc, char** argv) {
  std::string line;
  for (int i = 0; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (i > 0) line.push_back(' ');
    const bool plain =
        !arg.empty() &&
        arg.find_first_not_of(
            "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_=.,:/@+%") ==
            std::string_view::npos;
    if (plain) {
      line += arg;
      continue;
    }
    line.push_back('\'');
    for (char c : arg) {
      if (c == '\'') {
        line += "'\\''";
      } else {
        line.push_back(c);
      }
    }
    line.push_back('\'');
  }
  return line;
}

absl::StatusOr<std::string> ReadFirstLine(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    return absl::NotFoundError(absl::StrCat("cannot read \"", path, "\": ", std::strerror(errno)));
  }
  std::string line;
  std::getline(in, line);
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

}  // namespace otter::load
