// How a stress campaign is told: the human summary, the JSON document and the JUnit XML file.
// Called on the main thread after the run (or from the stall path, with what is known).
#pragma once

#include <iosfwd>
#include <string>

#include "stress_driver.hpp"
#include "stress_settings.hpp"

namespace poolcheck {

// Exit status of a campaign: 0 clean, 1 failure (violation, stall, thread limit, a replay that
// diverged from its trace), 130 interrupted.
int exit_code(const StressReport& report);
// --replay: the run did not follow the trace (a recorded thread could not run at some step, or a
// different violation or step than recorded).
bool replay_diverged(const StressReport& report) noexcept;

void print_summary(std::ostream& out, const StressSettings& settings, const StressReport& report);

// Both throw std::runtime_error naming the path when the file cannot be written.
void write_json(const std::string& path, const StressSettings& settings, const StressReport& report);
void write_junit(const std::string& path, const StressSettings& settings, const StressReport& report);

// The end of a run: prints the summary to stdout, writes the --json and --junit reports, and
// returns the exit code; a failed run leaves at once instead (std::_Exit, no destructors), since it
// may have left stuck workers or a corrupt pool behind on purpose (see round_runner.hpp).
int finish_run(const StressSettings& settings, const StressReport& report);

}  // namespace poolcheck
