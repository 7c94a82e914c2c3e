#include "repeat_runner.hpp"

#include <unistd.h>

#include <algorithm>
#include <exception>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "child_process.hpp"
#include "crash_guard.hpp"
#include "poolcheck/deterministic/schedule_trace.hpp"
#include "poolcheck/violation.hpp"
#include "report_writer.hpp"

namespace poolcheck {
namespace {

// The child's JSON report, or null when it wrote none (a crash or a sanitizer's abort).
nlohmann::json read_report(const std::string& path) {
  std::ifstream in(path);
  if (!in) return nullptr;
  try {
    return nlohmann::json::parse(in);
  } catch (const std::exception&) {
    return nullptr;
  }
}

// The last `limit` bytes of a child's output (a report must not carry a runaway log whole).
std::string tail(const std::string& text, std::size_t limit = 64 * 1024) {
  return text.size() <= limit ? text : "...\n" + text.substr(text.size() - limit);
}

std::string junit_of(const nlohmann::json& j, const std::vector<nlohmann::json>& runs) {
  std::ostringstream cases;
  int tests = 0, failures = 0, errors = 0;
  for (const auto& r : runs) {
    ++tests;
    cases << "    <testcase classname=\"poolcheck.stress.repeat\" name=\"run " << r["run"].get<int>() << "\" time=\""
          << r["seconds"].get<double>() << "\">";
    if (r["exit_code"].get<int>() != 0) {
      ++failures;
      const std::string message = r.value("violation", "exit code " + std::to_string(r["exit_code"].get<int>()));
      cases << "<failure message=\"" << xml_text(message) << "\">" << xml_text(r.value("output", std::string{}))
            << "</failure>";
    }
    cases << "</testcase>\n";
  }
  if (j["interrupted"].get<bool>()) {
    ++tests;
    ++errors;
    cases << "    <testcase classname=\"poolcheck.stress.repeat\" name=\"interrupted\" time=\"0\"><error message=\""
          << "interrupted by a signal (exit " << j["exit_code"].get<int>() << ")\">stopped after "
          << runs.size() << " of " << j["requested"].get<int>() << " runs</error></testcase>\n";
  }
  std::ostringstream doc;
  doc << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites tests=\"" << tests << "\" failures=\"" << failures
      << "\" errors=\"" << errors << "\">\n  <testsuite name=\"poolcheck.stress.repeat\" tests=\"" << tests
      << "\" failures=\"" << failures << "\" errors=\"" << errors << "\">\n"
      << cases.str() << "  </testsuite>\n</testsuites>\n";
  return doc.str();
}

}  // namespace

int repeat_in_children(int argc, char** argv, const StressSettings& settings) {
  const std::uint32_t repeat = settings.repeat;
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
  // Each child's own JSON report, read back for the aggregate.
  const std::string child_json = "/tmp/poolcheck-repeat-" + std::to_string(::getpid()) + ".json";
  set_cleanup_path(1, child_json.c_str());
  args.insert(args.end(), {"--json", child_json});
  // For --replay: the recorded finding, as the child prints it (in its summary, or in the crash
  // guard's last words when the mutant corrupted the heap after the finding).
  std::string needle, step_needle;
  const auto replay = std::find(args.begin(), args.end(), "--replay");
  const bool replaying = replay != args.end();
  if (replaying && replay + 1 != args.end()) {
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
  const std::atomic<bool>& stop = interrupt_flag();
  std::uint32_t failed = 0, exact = 0, ran = 0;
  std::string shown;
  std::vector<nlohmann::json> runs;
  nlohmann::json first_failure = nullptr;
  for (std::uint32_t i = 0; i < repeat && !stop.load(); ++i) {
    ::unlink(child_json.c_str());
    const Child c = run_child(args, 600, &stop);
    if (c.interrupted) break;  // stopped by our signal: not a result
    ++ran;
    const bool bad = c.exit_code != 0;
    failed += bad;
    // The step is part of the printed finding ("... at schedule step N").
    const auto at = needle.empty() ? std::string::npos : c.output.find(needle);
    exact += at != std::string::npos && c.output.find(step_needle, at) != std::string::npos;
    if (shown.empty() || (bad && failed == 1)) shown = c.output;
    nlohmann::json run = {{"run", i}, {"exit_code", c.exit_code}, {"seconds", c.seconds}};
    const nlohmann::json report = read_report(child_json);
    if (bad) {
      // A child that died mid-run leaves its provisional report, which has no violations.
      const auto violations = report.is_object() ? report.find("violations") : report.end();
      if (violations != report.end() && violations->is_array() && !violations->empty() &&
          violations->front().is_object()) {
        run["violation"] = violations->front().value("text", std::string{});
      }
      run["output"] = tail(c.output);
      if (first_failure.is_null()) first_failure = {{"run", i}, {"exit_code", c.exit_code}, {"report", report},
                                                    {"output", tail(c.output)}};
    }
    runs.push_back(run);
  }
  ::unlink(child_json.c_str());
  set_cleanup_path(1, nullptr);
  begin_report();
  const bool interrupted = stop.load();
  const int code = interrupted ? interrupt_exit_code() : failed != 0 ? 1 : 0;
  std::cout << shown;
  std::cout << "repeat: the failure recurred in " << failed << " of " << ran << " runs (each a fresh process)\n";
  if (replaying) {
    std::cout << "repeat: " << exact << " of " << ran << " replays hit the recorded violation at the recorded step\n";
  }
  if (interrupted) std::cout << "repeat: INTERRUPTED after " << ran << " of " << repeat << " runs\n";
  std::cout << std::flush;
  nlohmann::json j = {{"repeat", true},      {"requested", repeat}, {"runs", ran},
                      {"failures", failed},  {"interrupted", interrupted}, {"exit_code", code},
                      {"result", interrupted ? "INTERRUPTED" : failed != 0 ? "FAILED" : "CLEAN"},
                      {"first_failure", first_failure}, {"run_results", runs}};
  if (replaying) j["replays_matched"] = exact;
  try {
    if (!settings.json_path.empty()) write_file(settings.json_path, json_text(j) + "\n", "JSON report");
    if (!settings.junit_path.empty()) write_file(settings.junit_path, junit_of(j, runs), "JUnit report");
  } catch (const std::exception& e) {
    std::cerr << "stress: " << e.what() << "\n";
    return code == 0 ? 1 : code;
  }
  return code;
}

}  // namespace poolcheck
