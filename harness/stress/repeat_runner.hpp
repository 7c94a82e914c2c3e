// `stress --repeat N`: the same command N times, each in a fresh process (a mutant may corrupt the
// heap or a sanitizer may end the process), then how often it failed and, for --replay, how often
// it hit the recorded violation at the recorded step.
#pragma once

#include <cstdint>

namespace poolcheck {

// Runs argv (without --repeat, --json and --junit: children must not overwrite one report N
// times) `repeat` times as child processes; prints one child's output (the first failing one's, if
// any) and the counts. Returns 1 if any run failed, else 0.
int repeat_in_children(int argc, char** argv, std::uint32_t repeat);

}  // namespace poolcheck
