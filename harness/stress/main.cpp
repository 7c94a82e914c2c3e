// `stress`: runs generated thread programs against a pool with every oracle on, prints a summary,
// and on failure the one command line that replays it. Exit: 0 clean, 1 failure, 2 usage error,
// 130/143 interrupted by SIGINT/SIGTERM.
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <sstream>
#include <vector>
#include <thread>

#include <CLI/CLI.hpp>

#include "bufpool/pool_options.hpp"
#include "crash_guard.hpp"
#include "poolcheck/deterministic/schedule_trace.hpp"
#include "poolcheck/mutant_catalog.hpp"
#include "poolcheck/scenario_catalog.hpp"
#include "poolcheck/tag_pattern.hpp"
#include "child_process.hpp"
#include "report_writer.hpp"
#include "self_test.hpp"
#include "stress_driver.hpp"
#include "stress_settings.hpp"

namespace {

using poolcheck::StressSettings;

int usage_error(const std::string& message) {
  std::cerr << "stress: " << message << " (see stress --help)\n";
  return 2;
}

void list_catalog() {
  using poolcheck::ScenarioKind;
  const std::pair<ScenarioKind, const char*> sections[] = {
      {ScenarioKind::program, "scenarios: generated thread programs (--scenario NAME; also --deterministic, --mutant)"},
      {ScenarioKind::workload, "scenarios: workloads, real consumer code that must pass clean (--scenario NAME)"},
      {ScenarioKind::pitfall, "scenarios: pitfalls, buggy consumers the harness must catch (--scenario NAME)"}};
  for (const auto& [kind, title] : sections) {
    std::cout << title << ":\n";
    for (const auto& s : poolcheck::scenario_catalog()) {
      if (s.kind != kind) continue;
      std::cout << "  " << s.name << std::string(23 - std::min<std::size_t>(22, s.name.size()), ' ') << s.summary;
      if (kind == ScenarioKind::pitfall) std::cout << " [caught by " << s.expected << "]";
      std::cout << "\n";
    }
  }
  std::cout << "pools (--pool NAME):\n"
               "  shared            bufpool::SharedArrayPool (thread-local slots + per-core partitions)\n"
               "  locked            bufpool::LockedArrayPool (one locked stack per bucket)\n"
               "  checked-shared    the shared pool in checked mode (poison fill, live-array tracking)\n"
               "  checked-locked    the locked pool in checked mode\n";
  std::cout << "mutants (--mutant NAME, with --pool shared or locked):\n";
  for (const auto& m : poolcheck::mutant_catalog()) {
    std::cout << "  " << m.name << std::string(22 - std::min<std::size_t>(21, m.name.size()), ' ') << m.summary
              << " [caught by " << m.expected << "; " << (m.locked && m.shared ? "both pools" : m.locked ? "locked" : "shared")
              << "]\n";
  }
}

// The live line: rewritten in place on a terminal, a plain line every few seconds otherwise.
class ProgressPrinter {
 public:
  explicit ProgressPrinter(bool quiet) : quiet_(quiet), tty_(::isatty(2) != 0) {}
  void operator()(const poolcheck::Progress& p, std::uint32_t round) {
    if (quiet_) return;
    const double rate = p.seconds > 0 ? double(p.ops_done) / p.seconds : 0;
    char line[200];
    std::snprintf(line, sizeof line, "round %u: ops %llu/%llu, threads alive %u, %.0f ops/s, violations %llu", round,
                  static_cast<unsigned long long>(p.ops_done), static_cast<unsigned long long>(p.ops_total),
                  p.threads_alive, rate, static_cast<unsigned long long>(p.violations));
    if (tty_) {
      std::fprintf(stderr, "\r\033[K%s", line);
      dirty_ = true;
    } else if (p.seconds - last_plain_ >= 5.0) {
      last_plain_ = p.seconds;
      std::fprintf(stderr, "%s\n", line);
    }
  }
  void finish() {
    if (dirty_) std::fprintf(stderr, "\r\033[K");
    dirty_ = false;
  }
  void round_started() { last_plain_ = 0; }

 private:
  bool quiet_;
  bool tty_;
  bool dirty_ = false;
  double last_plain_ = 0;
};

void write_reports(const StressSettings& s, const poolcheck::StressReport& r) {
  if (!s.json_path.empty()) poolcheck::write_json(s.json_path, s, r);
  if (!s.junit_path.empty()) poolcheck::write_junit(s.junit_path, s, r);
}

// --repeat N: runs the same command N times, each in a fresh process (a mutant may corrupt the heap
// or a sanitizer may end the process), and reports how often it failed and, for --replay, how often
// it hit the recorded violation at the recorded step.
int repeat_in_children(int argc, char** argv, std::uint32_t repeat) {
  std::vector<std::string> args = {poolcheck::self_path()};
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
      const auto trace = poolcheck::det::load_trace(*(replay + 1));
      if (trace.violation) {
        needle = std::string(poolcheck::oracle_name(trace.violation->oracle)) + ": " + trace.violation->what;
        // Findings after the run (accounting, statistics) carry no step.
        if (trace.violation->step != 0) step_needle = " at schedule step " + std::to_string(trace.violation->step);
      }
    } catch (const std::exception&) {
    }
  }
  std::uint32_t failed = 0, exact = 0;
  std::string shown;
  for (std::uint32_t i = 0; i < repeat; ++i) {
    const poolcheck::Child c = poolcheck::run_child(args);
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

// The command line: StressSettings plus the raw values that need checking after parsing.
struct CommandLine {
  StressSettings s;
  bool self_test = false;
  std::string pool_name = "shared";
  std::uint32_t rounds = 0;
  bool list = false;
};

void add_options(CLI::App& app, CommandLine& c) {
  StressSettings& s = c.s;
  app.option_defaults()->always_capture_default();
  app.add_option("--seed", s.seed, "seed of round 0 (every program, size and chaos delay derives from it)");
  app.add_option("--threads", s.threads, "worker threads per round")->check(CLI::Range(1u, poolcheck::Tag::kMaxThreads));
  app.add_option("--ops", s.ops, "ops per thread per round")->check(CLI::Range(1u, poolcheck::Tag::kMaxOps - 1));
  app.add_option("--duration", s.duration_seconds, "seconds of rounds to run (ignored with --rounds)")
      ->check(CLI::PositiveNumber);
  app.add_option("--rounds", c.rounds, "run exactly this many rounds (replays use 1)")->check(CLI::Range(1u, 1u << 30));
  app.add_option("--pool", c.pool_name, "pool under test (see --list)")->check(CLI::IsMember(poolcheck::pool_kind_names()));
  app.add_option("--scenario", s.scenario, "workload (see --list)");
  app.add_option("--mutant", s.mutant, "run a mutant pool (the --pool flavour with one fault; see --list)");
  app.add_option("--max-array-length", s.max_array_length,
                 "largest bucket of the locked pool, and the largest size programs rent from either pool")
      ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{1} << 30));
  app.add_option("--max-per-bucket", s.max_per_bucket, "locked pool: arrays per bucket (its cap)")
      ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{1} << 20));
  app.add_option("--partitions", s.partitions, "shared pool: partitions (0: one per core)")
      ->check(CLI::Range(std::uint64_t{0}, std::uint64_t{4096}));
  app.add_option("--arrays-per-partition", s.arrays_per_partition, "shared pool: arrays per partition (its cap)")
      ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{1} << 20));
  app.add_option("--watchdog", s.watchdog_ms, "milliseconds without progress that count as a stall")
      ->check(CLI::Range(100u, 3'600'000u));
  app.add_option("--hold-limit", s.hold_limit_ms,
                 "workloads: milliseconds of blocking wait with pooled arrays held that count as starvation")
      ->check(CLI::Range(1u, 3'600'000u));
  app.add_option("--repeat", s.repeat, "run the whole campaign N times and report how often a failure recurs")
      ->check(CLI::Range(1u, 1'000'000u));
  app.add_option("--json", s.json_path, "write a JSON report to FILE");
  app.add_option("--junit", s.junit_path, "write a JUnit XML report to FILE");
  app.add_flag("--quiet", s.quiet, "no progress line");
  app.add_flag("--list", c.list, "list scenarios, pools and mutants, then exit");
  app.add_flag("--self-test", c.self_test,
               "run every mutant (and the correct pools) in child processes and print this build's column of the "
               "kill matrix; --duration is per case (default here 10 s), --json writes the column");
  app.add_flag("--deterministic", s.deterministic,
               "one thread at a time, switching at every atomic and lock of the pool: a seed fixes the schedule "
               "(defaults to 4 threads x 32 ops)");
  app.add_option("--strategy", s.strategy, "deterministic: pct or random")->check(CLI::IsMember({"pct", "random"}));
  app.add_option("--pct-depth", s.pct_depth, "deterministic: bug depth d PCT targets")->check(CLI::Range(1u, 16u));
  app.add_option("--pct-steps", s.pct_steps, "deterministic: PCT's k, the steps of one schedule (0: measure)");
  app.add_option("--search", s.search, "deterministic: schedules to try")->check(CLI::Range(1u, 100'000'000u));
  app.add_option("--schedule-seed", s.schedule_seed, "deterministic: run exactly this schedule");
  app.add_option("--max-steps", s.max_steps, "deterministic: steps after which a schedule is a livelock")
      ->check(CLI::Range(std::uint64_t{100}, std::uint64_t{1} << 40));
  app.add_option("--trace", s.trace_path, "deterministic: write a failing schedule's trace to FILE");
  app.add_option("--replay", s.replay_path, "replay the schedule recorded in FILE (written by a failing --deterministic run)")
      ->check(CLI::ExistingFile);
}

// Parses argv into `c`. Returns an exit code when the program must stop now (help, usage error).
std::optional<int> parse(CLI::App& app, int argc, const char* const* argv) {
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::string what = e.what();
    if (const auto nl = what.find('\n'); nl != std::string::npos) what.resize(nl);
    return usage_error(what);
  }
  return std::nullopt;
}

// The command recorded in a trace file, parsed like a command line.
std::optional<int> parse_recorded(const std::string& command, CommandLine& c) {
  std::istringstream in(command);
  std::vector<std::string> words;
  for (std::string w; in >> w;) words.push_back(w);
  if (words.empty() || words[0] != "stress") return usage_error("--replay: the trace's command does not start with 'stress'");
  std::vector<const char*> argv;
  for (const auto& w : words) argv.push_back(w.c_str());
  CLI::App app{"stress (recorded)"};
  add_options(app, c);
  return parse(app, static_cast<int>(argv.size()), argv.data());
}

}  // namespace

int main(int argc, char** argv) {
  CommandLine c;
  CLI::App app{"poolcheck stress: hammer a pooled-buffer allocator with thousands of threads and check every "
               "oracle; a failure prints the command that replays it"};
  add_options(app, c);
  if (auto code = parse(app, argc, argv)) return *code;
  if (!c.s.replay_path.empty()) {
    // Everything but the schedule comes from the command recorded in the trace.
    const std::string path = c.s.replay_path;
    const bool quiet = c.s.quiet;
    const std::uint32_t repeat = c.s.repeat;
    const std::string json = c.s.json_path, junit = c.s.junit_path;
    std::string command;
    try {
      command = poolcheck::det::load_trace(path).command;
    } catch (const std::exception& e) {
      return usage_error(std::string("--replay: ") + e.what());
    }
    c = CommandLine{};
    if (auto code = parse_recorded(command, c)) return *code;
    c.s.replay_path = path;
    c.s.quiet = quiet;
    c.s.repeat = repeat;
    c.s.json_path = json;
    c.s.junit_path = junit;
  } else if (c.s.deterministic) {
    if (app.count("--threads") == 0) c.s.threads = 4;
    if (app.count("--ops") == 0) c.s.ops = 32;
  }
  StressSettings& s = c.s;
  const std::string& pool_name = c.pool_name;
  const std::uint32_t rounds = c.rounds;
  const bool list = c.list;
  if (list) {
    list_catalog();
    return 0;
  }
  if (c.self_test) {
    poolcheck::SelfTestOptions o;
    o.self = poolcheck::self_path();
    if (app.count("--duration") != 0) o.seconds_per_case = s.duration_seconds;
    if (app.count("--threads") != 0) o.threads = s.threads;
    o.json_path = s.json_path;
    return poolcheck::run_self_test(o);
  }
  if (poolcheck::find_scenario(s.scenario) == nullptr) {
    std::string names;
    for (const auto& sc : poolcheck::scenario_catalog()) names += (names.empty() ? "" : ", ") + std::string(sc.name);
    return usage_error("--scenario: unknown scenario '" + s.scenario + "' (known: " + names + ")");
  }
  if (const auto* scenario = poolcheck::find_scenario(s.scenario); scenario->kind != poolcheck::ScenarioKind::program) {
    if (s.deterministic || !s.replay_path.empty()) {
      return usage_error("--deterministic: '" + s.scenario + "' is a " + std::string(to_string(scenario->kind)) +
                         " (free-running only); the deterministic executor runs program scenarios");
    }
    if (!s.mutant.empty()) {
      return usage_error("--mutant: '" + s.scenario + "' is a " + std::string(to_string(scenario->kind)) +
                         "; mutant pools run program scenarios");
    }
  }
  if (!s.mutant.empty()) {
    const poolcheck::Mutant* m = poolcheck::find_mutant(s.mutant);
    if (m == nullptr) {
      std::string names;
      for (const auto& mu : poolcheck::mutant_catalog()) names += (names.empty() ? "" : ", ") + std::string(mu.name);
      return usage_error("--mutant: unknown mutant '" + s.mutant + "' (known: " + names + ")");
    }
    const bool shared = pool_name == "shared" || pool_name == "checked-shared";
    if ((shared && !m->shared) || (!shared && !m->locked)) {
      return usage_error("--mutant: '" + s.mutant + "' has no fault in the " + pool_name + " pool");
    }
    if (pool_name.rfind("checked-", 0) == 0) return usage_error("--mutant: use --pool shared or locked (mutants are unchecked)");
  }
  if (rounds != 0) s.rounds = rounds;
  s.pool = *poolcheck::pool_kind_from_name(pool_name);
  if (s.partitions == 0) {
    // Resolve now so the replay line names the count this machine used.
    s.partitions = bufpool::SharedPoolOptions{}.resolved().partitions;
  }

  poolcheck::install_crash_guard();
  ProgressPrinter progress(s.quiet);
  poolcheck::StressHooks hooks;
  hooks.interrupt = &poolcheck::interrupt_flag();
  hooks.on_progress = [&](const poolcheck::Progress& p, std::uint32_t round) { progress(p, round); };
  hooks.on_round_start = [&](const std::string& replay_line) {
    progress.round_started();
    poolcheck::set_crash_replay_line(replay_line);
  };

  if (s.repeat > 1) return repeat_in_children(argc, argv, s.repeat);

  poolcheck::StressReport shown;
  try {
    shown = s.deterministic || !s.replay_path.empty() ? poolcheck::run_deterministic_campaign(s, hooks)
                                                      : poolcheck::run_stress(s, hooks);
  } catch (const std::exception& e) {
    std::cerr << "stress: " << e.what() << "\n";
    return 1;
  }
  progress.finish();
  if (shown.total.end == poolcheck::RunEnd::stalled) {
    // Stuck workers cannot be joined: report and leave without running destructors.
    poolcheck::print_summary(std::cout, s, shown);
    try {
      write_reports(s, shown);
    } catch (const std::exception& e) {
      std::cerr << "stress: " << e.what() << "\n";
    }
    std::cout.flush();
    std::_Exit(1);
  }
  poolcheck::print_summary(std::cout, s, shown);
  try {
    write_reports(s, shown);
  } catch (const std::exception& e) {
    std::cerr << "stress: " << e.what() << "\n";
    return 1;
  }
  const int code = poolcheck::exit_code(shown);
  if (code == 0) return 0;
  // A failed run may have left a corrupt pool behind on purpose (see round_runner.hpp): leave
  // without destructors or leak checks, the report is out.
  std::cout.flush();
  std::cerr.flush();
  std::_Exit(code == 130 ? poolcheck::interrupt_exit_code() : code);
}
