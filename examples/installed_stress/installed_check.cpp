// Compiled against the installed headers of poolcheck::check (the library behind `stress`, its
// own headers included by their bare names from include/poolcheck/stress/) and linked with it and
// its CLI11 and nlohmann-json dependencies: a command line parses into the run plan it names, and
// a usage error is refused with exit code 2. Exit 0 when both hold.
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "stress_cli.hpp"

int main() {
  int failures = 0;
  auto expect = [&failures](bool ok, const char* what) {
    if (!ok) {
      std::fprintf(stderr, "installed_check: FAILED: %s\n", what);
      ++failures;
    }
  };

  poolcheck::Command command;
  const std::optional<int> stop =
      poolcheck::parse_command_line(std::vector<std::string>{"--pool", "locked", "--threads", "8"}, command);
  expect(!stop.has_value(), "a valid command line does not stop the run");
  expect(command.action == poolcheck::Action::run, "a command line without --list or --self-test runs");
  expect(command.settings.threads == 8, "--threads 8 is read");
  expect(command.settings.plan.pool != nullptr && command.settings.plan.pool->name == "locked",
         "--pool locked resolves to the locked pool's registry row");

  poolcheck::Command refused;
  expect(poolcheck::parse_command_line(std::vector<std::string>{"--pool", "no-such-pool"}, refused) == 2,
         "an unknown pool is a usage error (exit code 2)");

  if (failures == 0) std::puts("installed_check: the installed check library parses and refuses as stress does");
  return failures == 0 ? 0 : 1;
}
