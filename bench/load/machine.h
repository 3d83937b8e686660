#pragma once
// A one-line description of the machine a benchmark ran on, for its report.
//
//   std::string m = MachineDescription();   // "Intel(R) Xeon(R) Processor, 2 cores, 23.4 GiB"
//
// Thread safety: reads /proc; safe to call from any thread.

#include <string>

namespace otter::load {

// The CPU model (from /proc/cpuinfo), the cores this process may use, and
// the memory (from /proc/meminfo); "unknown" for what cannot be read.
std::string MachineDescription();

}  // namespace otter::load
