// `stress`: runs generated thread programs against a pool with every oracle on, prints a summary,
// and on failure the one command line that replays it. Exit: 0 clean, 1 failure (a replay that
// diverged from its trace included), 2 usage error (a damaged --replay trace included), 130/143
// interrupted by SIGINT/SIGTERM.
#include <exception>
#include <iostream>

#include <nlohmann/json.hpp>

#include "catalog_listing.hpp"
#include "crash_guard.hpp"
#include "progress_printer.hpp"
#include "repeat_runner.hpp"
#include "report_writer.hpp"
#include "self_test.hpp"
#include "stress_cli.hpp"
#include "stress_driver.hpp"

int main(int argc, char** argv) {
  using namespace poolcheck;
  Command command;
  if (auto code = parse_command_line(argc, argv, command)) return *code;
  if (command.action == Action::list) {
    list_catalog(std::cout);
    if (!command.list_json_path.empty()) {
      try {
        write_file(command.list_json_path, json_text(catalog_json()) + "\n", "the catalog's JSON");
      } catch (const std::exception& e) {
        std::cerr << "stress: " << e.what() << "\n";
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
    std::cerr << "stress: " << e.what() << "\n";
    return 1;
  }
  progress.finish();
  return finish_run(s, report);
}
