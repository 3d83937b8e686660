#pragma once
// Command-line flags of the benchmark programs: "--name value" or
// "--name=value", switches without a value, and numbers checked against a
// range with a message naming the flag.
//
//   OTTER_ASSIGN_OR_RETURN(std::vector<Flag> flags, SplitFlags(args, {"json"}));
//   for (const Flag& f : flags) if (f.name == "rate") OTTER_ASSIGN_OR_RETURN(rate, ParseNumber(f,
//   0, 1e7));
//
// Thread safety: pure functions.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace otter::load {

struct Flag {
  std::string name;   // without the dashes
  std::string value;  // "" for a switch
};

// Splits `args` (argv without the program name) into flags. Names in
// `switches` take no value. kInvalidArgument for an argument that is not a
// flag ("unexpected argument \"x\"") or a flag without its value
// ("--rate needs a value").
absl::StatusOr<std::vector<Flag>> SplitFlags(const std::vector<std::string>& args,
                                             const std::vector<std::string_view>& switches);

// The flag's value as a number in [min, max]; kInvalidArgument
// "--rate must be a number within [0, 10000000], not \"x\"" otherwise.
absl::StatusOr<double> ParseNumber(const Flag& flag, double min, double max);
// The same for an integer.
absl::StatusOr<int64_t> ParseInteger(const Flag& flag, int64_t min, int64_t max);

// Where otterd listens: "HOST:PORT" or "unix:PATH" (as otter-cli's --connect).
struct Endpoint {
  std::string host = "127.0.0.1";
  uint16_t port = 7870;
  std::string unix_path;  // set for a unix socket

  std::string ToString() const;
};
// kInvalidArgument "--connect must be HOST:PORT or unix:PATH, not \"x\"".
absl::StatusOr<Endpoint> ParseEndpoint(std::string_view text);

// The program's command line, arguments quoted for a shell when needed.
std::string CommandLine(int argc, char** argv);

// The first line of a file without its newline, e.g. an auth token.
absl::StatusOr<std::string> ReadFirstLine(const std::string& path);

}  // namespace otter::load
