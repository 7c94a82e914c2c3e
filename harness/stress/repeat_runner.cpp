#include "repeat_runner.hpp"

#include <algorithm>
#include <exception>
#include <iostream>
#include <string>
#include <vector>

#include "child_process.hpp"
#include "poolcheck/deterministic/schedule_trace.hpp"
#include "poolcheck/violation.hpp"

namespace poolcheck {

int repeat_in_children(int argc, char** argv, std::uint32_t repeat) {
  std::vector<std::string> args = {self_path()};
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--repeat" || a == "--json" || a == "--junit") {
      ++i;  // drop the flag and its value: children must not overwrite one report N times
      continue;
    }
    if (a.rfind("--repeat=", 0) == 0 || a.rfind("--json=", 0) == 0 || a.rfind("--junit=", 0) == 0) continue;
    args.push_back(a);
  }
  // For --replay: the recorded finding, as the child prints it (in its summary, or in the crash
  // guard's last words when the mutant corrupted the heap after the finding).
  std::string needle, step_needle;
  const auto replay = std::find(args.begin(), args.end(), "--replay");
  if (replay != args.end() && replay + 1 != args.end()) {
    try {
      const auto trace = det::load_trace(*(replay + 1));
      if (trace.violation) {
        needle = std::string(oracle_name(trace.violation->oracle)) + ": " + trace.violation->what;
        // Findings after the run (accounting, statistics) carry no step.
        if (trace.violation->step != 0) step_needle = " at schedule step " + std::to_string(trace.violation->step);
      }
    } catch (const std::exception&) {
    }
  }
  std::uint32_t failed = 0, exact = 0;
  std::string shown;
  for (std::uint32_t i = 0; i < repeat; ++i) {
    const Child c = run_child(args);
    const bool bad = c.exit_code != 0;
    failed += bad;
    // The step is part of the printed finding ("... at schedule step N").
    const auto at = needle.empty() ? std::string::npos : c.output.find(needle);
    exact += at != std::string::npos && c.output.find(step_needle, at) != std::string::npos;
    if (shown.empty() || (bad && failed == 1)) shown = c.output;
  }
  std::cout << shown;
  std::cout << "repeat: the failure recurred in " << failed << " of " << repeat << " runs (each a fresh process)\n";
  if (replay != args.end()) {
    std::cout << "repeat: " << exact << " of " << repeat
              << " replays hit the recorded violation at the recorded step\n";
  }
  return failed != 0 ? 1 : 0;
}

}  // namespace poolcheck
