// The whole `stress` command over a table of pools: bufpool's own main() and every user's
// poolcheck::stress_main<Adapter> end here, so there is one driver.
#include <exception>
#include <iostream>
#include <sstream>
#include <string_view>
#include <utility>

#include <nlohmann/json.hpp>

#include "catalog_listing.hpp"
#include "crash_guard.hpp"
#include "poolcheck/check.hpp"
#include "pool_target.hpp"
#include "program_name.hpp"
#include "progress_printer.hpp"
#include "repeat_runner.hpp"
#include "report_merge.hpp"
#include "report_writer.hpp"
#include "self_test.hpp"
#include "stress_cli.hpp"
#include "stress_driver.hpp"

namespace poolcheck {

int stress_main(int argc, char** argv, std::vector<PoolTarget> pools, std::string name) {
  try {
    set_program_name(std::move(name));
    set_pool_targets(std::move(pools));
  } catch (const std::exception& e) {
    std::cerr << e.what() << "\n";  // the embedding program's mistake, not the user's command line
    return 2;
  }
  // `stress merge FILE.json...`: the reports of a sharded campaign combined (report_merge.hpp).
  if (argc > 1 && std::string_view(argv[1]) == "merge") return merge_main(argc - 1, argv + 1, program_name());
  Command command;
  if (auto code = parse_command_line(argc, argv, command)) return *code;
  if (command.action == Action::list) {
    list_catalog(std::cout);
    if (!command.list_json_path.empty()) {
      try {
        write_file(command.list_json_path, json_text(catalog_json()) + "\n", "the catalog's JSON");
      } catch (const std::exception& e) {
        std::cerr << program_name() << ": " << e.what() << "\n";
        return 1;
      }
    }
    return 0;
  }
  if (command.action == Action::self_test) return run_self_test(command.self_test);
  const StressSettings& s = command.settings;

  install_crash_guard();
  if (s.repeat > 1) return repeat_in_children(argc, argv, s);
  ProgressPrinter progress(s.quiet);
  StressReport report;
  try {
    report = run_campaign(s, progress_hooks(progress, s));
  } catch (const std::exception& e) {
    std::cerr << program_name() << ": " << e.what() << "\n";
    return 1;
  }
  progress.finish();
  return finish_run(s, report);
}

std::string program_name_from(const char* argv0) {
  std::string name = argv0 != nullptr ? argv0 : "";
  if (const auto slash = name.rfind('/'); slash != std::string::npos) name.erase(0, slash + 1);
  if (name.empty() || name.find_first_of(" \t\n\"'\\") != std::string::npos) return "stress";
  return name;
}

namespace {

// Restores std::cerr's buffer when the check returns, however it returns.
class CaptureStderr {
 public:
  explicit CaptureStderr(std::ostream& into) : saved_(std::cerr.rdbuf(into.rdbuf())) {}
  ~CaptureStderr() { std::cerr.rdbuf(saved_); }
  CaptureStderr(const CaptureStderr&) = delete;
  CaptureStderr& operator=(const CaptureStderr&) = delete;

 private:
  std::streambuf* saved_;
};

std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

}  // namespace

CheckResult run_check(std::vector<PoolTarget> pools, const std::vector<std::string>& args) {
  CheckResult result;
  std::ostringstream errors;
  {
    CaptureStderr capture(errors);
    try {
      set_pool_targets(std::move(pools));
    } catch (const std::exception& e) {
      result.exit_code = 2;
      result.error = e.what();
      return result;
    }
    Command command;
    if (auto code = parse_command_line(args, command)) {
      result.exit_code = *code;
      result.error = first_line(errors.str());
      return result;
    }
    if (command.action == Action::self_test || command.settings.repeat > 1) {
      result.exit_code = 2;
      result.error = "check_pool: --self-test and --repeat start child processes; run them from a stress_main program";
      return result;
    }
    if (command.action == Action::list) {
      std::ostringstream listing;
      list_catalog(listing);
      result.summary = listing.str();
      return result;
    }
    const StressSettings& s = command.settings;
    install_crash_guard();
    ProgressPrinter progress(/*quiet=*/true);
    StressReport report;
    try {
      report = run_campaign(s, progress_hooks(progress, s));
    } catch (const std::exception& e) {
      result.exit_code = 1;
      result.error = e.what();
      return result;
    }
    std::ostringstream summary;
    print_summary(summary, s, report);
    result.summary = summary.str();
    result.exit_code = exit_code(report);
    if (!report.replay_line.empty()) {
      const auto space = report.replay_line.find(' ');
      result.replay_args = space == std::string::npos ? "" : report.replay_line.substr(space + 1);
    }
    if (report.det) result.trace_file = report.det->trace_file;
    if (!report.total.violations.empty()) result.first = report.total.violations.front();
    try {
      if (!s.json_path.empty()) write_json(s.json_path, s, report);
      if (!s.junit_path.empty()) write_junit(s.junit_path, s, report);
    } catch (const std::exception& e) {
      result.error = e.what();
      if (result.exit_code == 0) result.exit_code = 1;
    }
  }
  return result;
}

std::string describe(const CheckResult& r) {
  std::string out = "exit " + std::to_string(r.exit_code);
  if (!r.error.empty()) out += ": " + r.error;
  out += "\n" + r.summary;
  if (!r.replay_args.empty()) out += "replay with these flags: " + r.replay_args + "\n";
  if (!r.trace_file.empty()) out += "replay the schedule: --replay " + r.trace_file + "\n";
  return out;
}

}  // namespace poolcheck
