// How a stress campaign is told: the human summary, the JSON document and the JUnit XML file.
// Called on the main thread after the run (or from the stall path, with what is known).
#pragma once

#include <cstdint>
#include <iosfwd>
#include <string>

#include <nlohmann/json_fwd.hpp>

#include "stress_driver.hpp"
#include "stress_settings.hpp"

namespace poolcheck {

// Exit status of a campaign: 0 clean, 1 failure (violation, stall, thread limit, a replay that
// diverged from its trace), 130/143 interrupted by SIGINT/SIGTERM (the JSON's exit_code is the
// process's).
int exit_code(const StressReport& report);
// --replay: the run did not follow the trace (a recorded thread could not run at some step, or a
// different violation or step than recorded).
bool replay_diverged(const StressReport& report) noexcept;

// Text as XML character data or attribute value, valid whatever the bytes (escaped markup, control
// bytes as \xNN, invalid UTF-8 as U+FFFD).
std::string xml_text(const std::string& text);
// A JSON document as text, invalid UTF-8 replaced (never throws for a stray byte).
std::string json_text(const nlohmann::json& j);
// Writes `text` to `path` (built before opening: no empty file on failure); throws
// std::runtime_error naming `what`, the path and strerror(errno).
void write_file(const std::string& path, const std::string& text, const char* what);

// What every JSON report of `stress` starts with, so `stress merge` can tell shards of one campaign
// from anything else: the format and poolcheck's version, the settings every shard of a campaign
// shares, and the shard (index, count).
inline constexpr const char* kReportFormat = "poolcheck-stress-report/1";
void stamp_report(nlohmann::json& j, const StressSettings& settings);

void print_summary(std::ostream& out, const StressSettings& settings, const StressReport& report);

// Both throw std::runtime_error naming the path when the file cannot be written.
void write_json(const std::string& path, const StressSettings& settings, const StressReport& report);
void write_junit(const std::string& path, const StressSettings& settings, const StressReport& report);

// Before each round (or schedule): --json and --junit say the process died during it, with the
// line that replays it. The final report overwrites both; a process that never gets there (a
// crash, a sanitizer's report, a kill) leaves these behind instead of nothing. Errors are printed
// to stderr, never thrown (the paths were probed before the run). `started`: which round (or
// schedule) of this process is starting, from 1; the JSON report names it as "started".
void write_provisional_reports(const StressSettings& settings, const std::string& replay_line,
                               std::uint64_t started);

// The end of a run: prints the summary to stdout, writes the --json and --junit reports, and
// returns the exit code; a failed run leaves at once instead (std::_Exit, no destructors), since it
// may have left stuck workers or a corrupt pool behind on purpose (see round_runner.hpp).
int finish_run(const StressSettings& settings, const StressReport& report);

}  // namespace poolcheck
