#include "bench/load/machine.h"

#include <cstdlib>
#include <fstream>
#include <string_view>
#include <thread>

#include "absl/strings/str_format.h"

namespace otter::load {
namespace {

// The value of the first line of `path` that starts with `key`, after its
// colon and blanks; "" when there is none.
std::string ProcValue(const char* path, std::string_view key) {
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (!std::string_view(line).starts_with(key)) continue;
    const std::size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    const std::size_t start = line.find_first_not_of(" \t", colon + 1);
    return start == std::string::npos ? "" : line.substr(start);
  }
  return "";
}

}  // namespace

std::string MachineDescription() {
  std::string cpu = ProcValue("/proc/cpuinfo", "model name");
  if (cpu.empty()) cpu = "unknown CPU";
  const std::string mem_kib = ProcValue("/proc/meminfo", "MemTotal");  // "24576000 kB"
  const double gib = std::strtod(mem_kib.c_str(), nullptr) / (1024.0 * 1024.0);
  return absl::StrFormat("%s, %u cores, %.1f GiB", cpu, std::thread::hardware_concurrency(), gib);
}

}  // namespace otter::load
