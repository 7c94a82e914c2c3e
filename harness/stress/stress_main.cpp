// The whole `stress` command over a table of pools: bufpool's own main() and every user's
// poolcheck::stress_main<Adapter> end here, so there is one driver.
#include <exception>
#include <iostream>
#include <utility>

#include <nlohmann/json.hpp>

#include "catalog_listing.hpp"
#include "crash_guard.hpp"
#include "poolcheck/check.hpp"
#include "pool_target.hpp"
#include "program_name.hpp"
#include "progress_printer.hpp"
#include "repeat_runner.hpp"
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

}  // namespace poolcheck
