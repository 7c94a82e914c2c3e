// `stress --repeat N`: the same command N times, each in a fresh process (a mutant may corrupt the
// heap or a sanitizer may end the process), then how often it failed and, for --replay, how often
// it hit the recorded violation at the recorded step.
#pragma once

#include <cstdint>

#include "stress_settings.hpp"

namespace poolcheck {

// Runs argv (without --repeat, --json and --junit: each child writes its JSON report to a
// temporary file of its own) `settings.repeat` times as child processes; prints one child's output
// (the first failing one's, if any) and the counts, and writes --json and --junit as the
// aggregate: runs, failures, the first failing child's report and output. SIGINT/SIGTERM stops
// the running child, starts no other, and reports the runs so far. Returns 1 if any run failed,
// 130/143 if interrupted, else 0.
int repeat_in_children(int argc, char** argv, const StressSettings& settings);

}  // namespace poolcheck
