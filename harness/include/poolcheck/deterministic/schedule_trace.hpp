// A failing schedule as a file: the command that produced it, the first violation (to prove a
// replay hits the same one at the same step) and every step (chosen thread, thread at the point,
// kind of point). `stress --replay FILE` reads it back.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "poolcheck/deterministic/schedule.hpp"
#include "poolcheck/program.hpp"
#include "poolcheck/violation.hpp"

namespace poolcheck::det {

struct ScheduleTrace {
  std::string command;                 // stress flags that rebuild the pool (and the programs, from the seed)
  std::optional<Violation> violation;  // the first one found (oracle, leases, offset, step)
  std::vector<Step> steps;
  // The programs themselves, op by op: a replay runs these rather than regenerating them from the
  // seed, so programs that never came from a seed (RapidCheck's shrunk ones) replay too.
  std::optional<ProgramSet> programs;

  std::vector<std::uint32_t> choices() const;
};

// Throws std::runtime_error naming the path on I/O failure.
void save_trace(const std::string& path, const ScheduleTrace& trace);
// Throws std::runtime_error naming the path and line when the file is not a trace.
ScheduleTrace load_trace(const std::string& path);

}  // namespace poolcheck::det
