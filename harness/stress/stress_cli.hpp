// The command line of `stress`: its options, parsed once and checked, with the names it gives
// (--pool, --scenario, --mutant, --strategy) resolved into the run plan (stress_settings.hpp), so
// no driver looks a name up again. A usage error prints one line on stderr and exits 2.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "self_test.hpp"
#include "stress_settings.hpp"

namespace poolcheck {

enum class Action { run, list, self_test };

struct Command {
  Action action = Action::run;
  StressSettings settings;    // action == run: complete, plan resolved, partitions resolved
  SelfTestOptions self_test;  // action == self_test
  std::string list_json_path;  // action == list: also write the catalog as JSON here ("" for none)
};

// Parses argv (for --replay, the command recorded in the trace, with this command line's --quiet,
// --repeat, --json and --junit) into `command`. Returns the exit code when stress must stop now:
// 0 after --help, 2 after a usage error.
// Parsing runs nothing: it reads the trace of --replay, and prints only --help and errors.
std::optional<int> parse_command_line(int argc, const char* const* argv, Command& command);
// The same for the arguments after the program name.
std::optional<int> parse_command_line(const std::vector<std::string>& args, Command& command);
// The command recorded in the trace `trace_path` (its line 2), as --replay parses it: only the flags
// replay_command() writes are accepted, and errors (exit code 2) name the trace file and line.
std::optional<int> parse_recorded_command(const std::string& recorded, const std::string& trace_path,
                                          Command& command);

}  // namespace poolcheck
