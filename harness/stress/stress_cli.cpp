#include "stress_cli.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <sstream>
#include <string>
#include <variant>
#include <vector>

#include <CLI/CLI.hpp>

#include "bufpool/pool_options.hpp"
#include "child_process.hpp"
#include "pool_target.hpp"
#include "program_name.hpp"
#include "poolcheck/deterministic/schedule_trace.hpp"
#include "poolcheck/deterministic/strategy.hpp"
#include "poolcheck/mutant_catalog.hpp"
#include "poolcheck/pool_kind.hpp"
#include "poolcheck/scenario_catalog.hpp"
#include "poolcheck/program.hpp"
#include "poolcheck/tag_pattern.hpp"
#include "search_plan.hpp"
#include "stress_driver.hpp"

namespace poolcheck {
namespace {

int usage_error(const std::string& message) {
  std::cerr << "stress: " << message << " (see stress --help)\n";
  return 2;
}

// An error in the trace given to --replay (its format or its recorded command): the file and line
// are the problem, not this command line.
int trace_error(const std::string& message) {
  std::cerr << "stress: --replay " << message << "\n";
  return 2;
}

// The flags replay_command() (stress_settings.cpp) writes: all a recorded command may carry.
constexpr std::string_view kReplayFlags[] = {
    "--seed",        "--rounds",     "--threads",       "--ops",        "--pool",           "--scenario",
    "--max-array-length", "--max-per-bucket", "--partitions", "--arrays-per-partition", "--mutant",
    "--noise", "--watchdog",    "--hold-limit", "--checkpoint-every", "--deterministic", "--strategy",   "--pct-depth",      "--pct-steps",
    "--schedule-seed", "--max-steps"};

std::string replay_flag_list() {
  std::string out;
  for (const std::string_view f : kReplayFlags) out += (out.empty() ? "" : " ") + std::string(f);
  return out;
}

// The command line as parsed: the settings, and the names and flags still to be checked.
struct CommandLine {
  StressSettings s;
  std::string pool = pool_targets().front().name;
  std::string scenario = "mixed";
  std::string mutant;  // empty: the correct pool
  std::string noise = "off";  // --noise: on or off (used when given: Pins::noise)
  std::string strategy = std::string(det::default_strategy().name);
  std::uint32_t rounds = 0;
  std::string shard;  // --shard, as given: I/N or auto/N
  bool list = false;
  bool self_test = false;
  std::vector<std::pair<std::string_view, CapFlags>> cap_flags;  // cap flags given, with the kind of pool they configure
  // Non-empty while parsing a trace's recorded command: "FILE:LINE: recorded command: ", so its
  // errors name the trace, not the user's command line.
  std::string recorded_from;
};

// A usage error of the command line `c` came from (the user's, or the one recorded in a trace).
int error_in(const CommandLine& c, const std::string& message) {
  // A trace's text is printable ASCII (the loader checks) but may be long: cut what it echoes.
  return c.recorded_from.empty() ? usage_error(message) : trace_error(c.recorded_from + det::escaped_excerpt(message, 600));
}

// "a, b, c" (or "a or b or c") of the names of `rows`.
template <class Rows, class Keep>
std::string joined(const Rows& rows, const char* separator, Keep keep) {
  std::string out;
  for (const auto& row : rows) {
    if (keep(row)) out += (out.empty() ? "" : separator) + std::string(row.name);
  }
  return out;
}
constexpr auto kAll = [](const auto&) { return true; };

// Numbers are decimal digits only, with no sign, no leading zero, no base prefix and no exponent,
// and must fit in 64 bits: "-1", "010", "0x10" and 2^64 are usage errors, never a silent wrap (the
// option's Range check then bounds the value).
const CLI::Validator kDecimal(
    [](std::string& text) -> std::string {
      const bool digits = !text.empty() && text.find_first_not_of("0123456789") == std::string::npos;
      if (!digits || (text.size() > 1 && text[0] == '0')) {
        return "'" + text.substr(0, 40) + "' is not a decimal number (digits only, no sign, prefix or leading zero)";
      }
      std::uint64_t value = 0;
      const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
      if (ec != std::errc{} || end != text.data() + text.size()) return "'" + text.substr(0, 40) + "' is out of range";
      return {};
    },
    "UINT");

// --duration: a finite, positive decimal number of seconds, at most a year (nan, inf, 0, -1 and
// exponents are refused with a short message).
constexpr double kMaxDurationSeconds = 366.0 * 24 * 3600;
const CLI::Validator kSeconds(
    [](std::string& text) -> std::string {
      const std::string bad = "'" + text.substr(0, 40) + "' is not a number of seconds above 0 and at most 31622400";
      const auto dot = text.find('.');
      const std::string whole = text.substr(0, dot), frac = dot == std::string::npos ? "1" : text.substr(dot + 1);
      const auto is_digits = [](const std::string& t) {
        return !t.empty() && t.find_first_not_of("0123456789") == std::string::npos;
      };
      if (!is_digits(whole) || !is_digits(frac)) return bad;
      double value = 0;
      const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
      if (ec != std::errc{} || end != text.data() + text.size() || !std::isfinite(value) || !(value > 0) ||
          value > kMaxDurationSeconds) {
        return bad;
      }
      return {};
    },
    "SECONDS");

std::string strategy_help() {
  std::string text = "deterministic (default: a search takes each in turn): ";
  for (const det::StrategyEntry& e : det::strategy_catalog()) {
    if (&e != &det::strategy_catalog().front()) text += " or ";
    text += std::string(e.name) + " (" + std::string(e.summary) + ")";
  }
  return text;
}

void add_options(CLI::App& app, CommandLine& c) {
  StressSettings& s = c.s;
  app.option_defaults()->always_capture_default();
  app.add_option("--seed", s.seed, "seed of round 0 (every program, size and chaos delay derives from it)")
      ->check(kDecimal);
  app.add_option("--threads", s.threads, "worker threads per round")->check(kDecimal)->check(CLI::Range(1u, Tag::kMaxThreads));
  app.add_option("--ops", s.ops, "ops per thread per round")->check(kDecimal)->check(CLI::Range(1u, Tag::kMaxOps - 1));
  app.add_option("--duration", s.duration_seconds, "seconds of rounds to run (ignored with --rounds)")
      ->check(kSeconds);
  app.add_option("--rounds", c.rounds, "run exactly this many rounds (replays use 1)")->check(kDecimal)->check(CLI::Range(1u, 1u << 30));
  app.add_option("--pool", c.pool, "pool under test (see --list)")->check(CLI::IsMember(pool_target_names()));
  app.add_option("--scenario", c.scenario, "workload (see --list)");
  app.add_option("--mutant", c.mutant, "run a mutant pool (the --pool flavour with one fault; see --list)");
  app.add_option("--max-array-length", s.max_array_length,
                 "largest bucket of the locked pool, and the largest size programs rent from either pool "
                 "(any pool flag pins the configuration; without one, rounds vary it, tight ones included)")
      ->check(kDecimal)->check(CLI::Range(std::uint64_t{1}, std::uint64_t{1} << 30));
  app.add_option("--max-per-bucket", s.max_per_bucket, "locked pool only: arrays per bucket (its cap)")
      ->check(kDecimal)->check(CLI::Range(std::uint64_t{1}, std::uint64_t{1} << 20));
  app.add_option("--partitions", s.partitions, "shared pool only: partitions (0: one per core)")
      ->check(kDecimal)->check(CLI::Range(std::uint64_t{0}, std::uint64_t{4096}));
  app.add_option("--arrays-per-partition", s.arrays_per_partition, "shared pool only: arrays per partition (its cap)")
      ->check(kDecimal)->check(CLI::Range(std::uint64_t{1}, std::uint64_t{1} << 20));
  app.add_option("--noise", c.noise,
                 "free-running program scenarios: stop threads for a moment, sometimes, at the pool's own atomics, "
                 "locks and yield points, so short race windows are met (default: each round draws on or off)")
      ->check(CLI::IsMember({"on", "off"}));
  app.add_option("--watchdog", s.watchdog_ms,
                 "milliseconds without progress that count as a stall (the stuck threads then get as long again "
                 "to leave before the report)")
      ->check(kDecimal)->check(CLI::Range(100u, 3'600'000u));
  app.add_option("--checkpoint-every", s.checkpoint_every,
                 "free-running program scenarios: every N ops all workers park between ops for an exact bucket-cap "
                 "check (0: never; default: every 32 ops, and at most 16 times in a longer program)")
      ->check(kDecimal)->check(CLI::Range(0u, Tag::kMaxOps - 1))->default_str("auto");
  app.add_option("--hold-limit", s.hold_limit_ms,
                 "workloads: milliseconds of blocking wait with pooled arrays held that count as starvation")
      ->check(kDecimal)->check(CLI::Range(1u, 3'600'000u));
  app.add_option("--repeat", s.repeat, "run the whole campaign N times and report how often a failure recurs")
      ->check(kDecimal)->check(CLI::Range(1u, 1'000'000u));
  app.add_option("--shard", c.shard,
                 "I/N: run only the rounds (or deterministic schedules) whose index is I mod N; auto/N reads I from "
                 "JOB_COMPLETION_INDEX, SLURM_ARRAY_TASK_ID or POOLCHECK_SHARD_INDEX (see stress merge)");
  app.add_option("--json", s.json_path, "write a JSON report to FILE");
  app.add_option("--junit", s.junit_path, "write a JUnit XML report to FILE");
  app.add_flag("--quiet", s.quiet, "no progress line");
  app.add_flag("--list", c.list, "list scenarios, pools and mutants, then exit (with --json FILE: also as JSON)");
  app.add_flag("--self-test", c.self_test,
               "run every mutant (and the correct pools) in child processes and print this build's column of the "
               "kill matrix; --duration is per case (default here 10 s), --json writes the column");
  app.add_flag("--deterministic", s.deterministic,
               "one thread at a time, switching at every atomic and lock of the pool and the harness: a seed fixes the "
               "schedule (defaults to 4 threads x 128 ops, tight pool configurations, a portfolio of strategies; a "
               "workload 4 threads x 64)");
  app.add_option("--strategy", c.strategy, strategy_help())->check(CLI::IsMember(det::strategy_names()));
  app.add_option("--pct-depth", s.pct_depth,
                 "deterministic: bug depth d PCT targets (default: a search takes depths 1 to 4 in turn)")
      ->check(kDecimal)->check(CLI::Range(1u, 16u));
  app.add_option("--pct-steps", s.pct_steps, "deterministic: PCT's k, the steps of one schedule (0: measure)")
      ->check(kDecimal);
  app.add_option("--search", s.search,
                 "deterministic: schedules to try (a new program every " + std::to_string(kSchedulesPerProgram) +
                     " unless --seed is given)")
      ->check(kDecimal)->check(CLI::Range(1u, 100'000'000u));
  app.add_option("--schedule-seed", s.schedule_seed, "deterministic: run exactly this schedule (of the --seed program)")
      ->check(kDecimal);
  app.add_option("--max-steps", s.max_steps, "deterministic: steps after which a schedule is a livelock")
      ->check(kDecimal)->check(CLI::Range(std::uint64_t{100}, std::uint64_t{1} << 40));
  app.add_option("--trace", s.trace_path, "deterministic: write a failing schedule's trace to FILE");
  app.add_option("--replay", s.replay_path, "replay the schedule recorded in FILE (written by a failing --deterministic run)")
      ->check(CLI::ExistingFile);
}

// The cap flags and the kind of pool they configure: a flag the pool does not read would be
// silently ignored (bufpool's shared pool has no per-bucket cap; the locked pool and a user's pool
// no partitions), so it is a usage error. --max-array-length applies to every pool: the largest
// bucket it asks for, and the largest size programs rent (bufpool's shared pool's buckets always
// span 16 to 2^30).
constexpr std::pair<std::string_view, CapFlags> kCapFlags[] = {
    {"--max-per-bucket", CapFlags::per_bucket},
    {"--partitions", CapFlags::partitioned},
    {"--arrays-per-partition", CapFlags::partitioned}};

// What the parsed flags fix (Pins), and which pool flags were given (checked against the pool by
// resolve_plan, once the mode's own checks have run).
void note_pins(const CLI::App& app, CommandLine& c) {
  for (const auto& [flag, kind] : kCapFlags) {
    if (app.count(std::string(flag)) != 0) c.cap_flags.emplace_back(flag, kind);
  }
  Pins& pins = c.s.pins;
  for (const char* flag : {"--max-array-length", "--max-per-bucket", "--partitions", "--arrays-per-partition"}) {
    pins.config = pins.config || app.count(flag) != 0;
  }
  pins.shape = app.count("--threads") != 0 || app.count("--ops") != 0;
  pins.seed = app.count("--seed") != 0;
  pins.strategy = app.count("--strategy") != 0;
  pins.depth = app.count("--pct-depth") != 0;
  pins.noise = app.count("--noise") != 0;
  c.s.noise = c.noise == "on";
}

// Parses argv into the options of `app`. Returns an exit code when the program must stop now.
std::optional<int> parse(CLI::App& app, int argc, const char* const* argv, CommandLine& c) {
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    if (!c.recorded_from.empty()) return trace_error(c.recorded_from + "--help");  // excluded by the allow list
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::string what = e.what();
    if (const auto nl = what.find('\n'); nl != std::string::npos) what.resize(nl);
    return error_in(c, det::escaped_excerpt(what, 400));
  }
  note_pins(app, c);
  return std::nullopt;
}

// The command recorded in a trace file, parsed like a command line: only the flags a replay line
// carries, every error naming the trace.
std::optional<int> parse_recorded(const std::string& command, const std::string& trace_path, CommandLine& c) {
  c.recorded_from = det::escaped_excerpt(trace_path, 200) + ":" + std::to_string(det::kTraceCommandLine) +
                    ": recorded command: ";
  std::istringstream in(command);
  std::vector<std::string> words;
  for (std::string w; in >> w;) words.push_back(w);
  if (words.empty() || (words[0] != "stress" && words[0] != program_name())) {
    return error_in(c, "does not start with '" + program_name() + "'");
  }
  for (std::size_t i = 1; i < words.size(); ++i) {
    const std::string& w = words[i];
    if (w.empty() || w[0] != '-') continue;  // a value
    const std::string_view name = std::string_view(w).substr(0, w.find('='));
    if (std::find(std::begin(kReplayFlags), std::end(kReplayFlags), name) == std::end(kReplayFlags)) {
      return error_in(c, "'" + det::escaped_excerpt(name) + "' is not a flag a replay may carry (only " +
                             replay_flag_list() + ")");
    }
  }
  std::vector<const char*> argv;
  for (const auto& w : words) argv.push_back(w.c_str());
  CLI::App app{"stress (recorded)"};
  add_options(app, c);
  return parse(app, static_cast<int>(argv.size()), argv.data(), c);
}

// --replay FILE: everything but the schedule comes from the command recorded in the trace; this
// command line keeps only its output settings.
std::optional<int> load_recorded(CommandLine& c) {
  const StressSettings mine = c.s;
  std::string command;
  try {
    command = det::load_trace(mine.replay_path).command;
  } catch (const det::TraceError& e) {
    return trace_error(e.what());
  } catch (const std::exception& e) {
    return trace_error(det::escaped_excerpt(mine.replay_path, 200) + ":0: " + e.what());
  }
  c = CommandLine{};
  if (auto code = parse_recorded(command, mine.replay_path, c)) return code;
  c.s.replay_path = mine.replay_path;
  c.s.quiet = mine.quiet;
  c.s.repeat = mine.repeat;
  c.s.json_path = mine.json_path;
  c.s.junit_path = mine.junit_path;
  return std::nullopt;
}

// The names of the command line, resolved into registry rows and checked against each other.
std::optional<int> resolve_plan(const CommandLine& c, RunPlan& plan) {
  const Scenario* scenario = find_scenario(c.scenario);
  if (scenario == nullptr) {
    return error_in(c, "--scenario: unknown scenario '" + c.scenario + "' (known: " +
                       joined(scenario_catalog(), ", ", kAll) + ")");
  }
  if (scenario->kind != ScenarioKind::program) {
    if (!c.mutant.empty()) {
      return error_in(c, "--mutant: '" + c.scenario + "' is a " + std::string(to_string(scenario->kind)) +
                         "; mutant pools run program scenarios");
    }
    if (c.s.checkpoint_every != kAutoCheckpointEvery) {
      return error_in(c, "--checkpoint-every: '" + c.scenario + "' is a " + std::string(to_string(scenario->kind)) +
                         "; quiescent checkpoints run in program scenarios");
    }
    if (c.s.pins.noise) {
      return error_in(c, "--noise: '" + c.scenario + "' is a " + std::string(to_string(scenario->kind)) +
                         "; point noise runs in program scenarios");
    }
  }
  const PoolTarget* pool = find_pool_target(c.pool);  // CLI11 checked the name
  for (const auto& [flag, kind] : c.cap_flags) {
    if (pool->cap_flags != kind) {
      return error_in(c, std::string(flag) + " does not apply to the " + c.pool + " pool (its cap is " +
                             (pool->cap_flags == CapFlags::per_bucket ? "--max-per-bucket"
                                                                      : "--partitions x --arrays-per-partition") +
                             ")");
    }
  }
  if (pool->bufpool == nullptr && scenario->kind != ScenarioKind::program) {
    return error_in(c, "--scenario: '" + c.scenario + "' is a " + std::string(to_string(scenario->kind)) +
                       " over bufpool's pools; the " + c.pool + " pool runs the program scenarios (" +
                       joined(scenario_catalog(), ", ",
                              [](const Scenario& sc) { return sc.kind == ScenarioKind::program; }) +
                       ")");
  }
  if (c.s.deterministic && !pool->run_det) {
    return error_in(c, "--deterministic: the " + c.pool + " pool was not built for a schedule (see poolcheck/check.hpp)");
  }
  // Point noise stops threads at the points of the pool's det-types build: a pool without one has none.
  if (c.s.noise && !pool->run_det) {
    return error_in(c, "--noise on: the " + c.pool + " pool was not built on det types, so it has no points to stop at");
  }
  const Mutant* mutant = nullptr;
  if (!c.mutant.empty()) {
    mutant = find_mutant(c.mutant);
    if (mutant == nullptr) {
      return error_in(c, "--mutant: unknown mutant '" + c.mutant + "' (known: " + joined(mutant_catalog(), ", ", kAll) +
                         ")");
    }
    if (pool->bufpool == nullptr) {
      return error_in(c, "--mutant: mutants are faults switched into bufpool's pools; the " + c.pool +
                         " pool has none");
    }
    if (!mutant->in_pool(pool->bufpool->family)) {
      return error_in(c, "--mutant: '" + c.mutant + "' has no fault in the " + c.pool + " pool");
    }
    if (pool->checked) {
      return error_in(c, "--mutant: use --pool " +
                         joined(pool_targets(), " or ",
                                [](const PoolTarget& p) { return p.bufpool != nullptr && !p.checked; }) +
                         " (mutants are unchecked)");
    }
  }
  plan = RunPlan{pool, scenario, mutant, det::find_strategy(c.strategy)};  // CLI11 checked the strategy
  return std::nullopt;
}

// The flags given on this command line that `allowed` does not list, as "--a, --b" ("" if none).
std::string flags_outside(const CLI::App& app, std::initializer_list<std::string_view> allowed) {
  std::string out;
  for (const CLI::Option* o : app.get_options()) {
    if (o->count() == 0 || o->get_name() == "--help") continue;
    const std::string name = o->get_name();
    if (std::find(allowed.begin(), allowed.end(), name) != allowed.end()) continue;
    out += (out.empty() ? "" : ", ") + name;
  }
  return out;
}

// Every flag a mode would ignore is a usage error: --replay takes everything but its output
// settings from the trace, --self-test runs its own fixed cases, --list prints and exits, and the
// schedule flags mean nothing without --deterministic.
std::optional<int> check_combinations(const CLI::App& app, const CommandLine& c) {
  if (!c.s.replay_path.empty()) {
    if (auto extra = flags_outside(app, {"--replay", "--quiet", "--repeat", "--json", "--junit"}); !extra.empty()) {
      return usage_error("--replay: " + extra +
                         " cannot be combined with it (the trace fixes the run; only --quiet, --repeat, --json "
                         "and --junit apply)");
    }
  } else if (c.self_test) {
    if (auto extra = flags_outside(app, {"--self-test", "--duration", "--threads", "--json", "--junit"});
        !extra.empty()) {
      return usage_error("--self-test: " + extra +
                         " cannot be combined with it (it runs fixed cases; only --duration, --threads, --json and "
                         "--junit apply)");
    }
  } else if (c.list) {
    if (auto extra = flags_outside(app, {"--list", "--json"}); !extra.empty()) {
      return usage_error("--list: " + extra + " cannot be combined with it (only --json applies)");
    }
  } else if (app.count("--shard") != 0 && (app.count("--repeat") != 0 || app.count("--schedule-seed") != 0)) {
    return usage_error(std::string("--shard: ") + (app.count("--repeat") != 0 ? "--repeat" : "--schedule-seed") +
                       " cannot be combined with it (a shard is a slice of a campaign; that runs one case)");
  } else if (c.s.deterministic && app.count("--noise") != 0) {
    return usage_error("--noise: free-running only (the deterministic executor chooses who runs at every point itself)");
  } else if (c.s.deterministic && app.count("--checkpoint-every") != 0) {
    return usage_error("--checkpoint-every: free-running only (the deterministic executor checks the cap exactly at "
                       "the end of each schedule)");
  } else if (!c.s.deterministic) {
    for (const char* flag : {"--strategy", "--pct-depth", "--pct-steps", "--search", "--schedule-seed", "--max-steps",
                             "--trace"}) {
      if (app.count(flag) != 0) return usage_error(std::string(flag) + " needs --deterministic");
    }
  }
  return std::nullopt;
}

// The same file: equal names, or one existing file reached by both.
bool same_file(const std::string& a, const std::string& b) {
  if (a == b) return true;
  struct stat sa {}, sb {};
  return ::stat(a.c_str(), &sa) == 0 && ::stat(b.c_str(), &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

// The path as a message may show it: printable ASCII kept, other bytes as \xNN, at most 200 bytes.
std::string shown_path(const std::string& path) {
  std::string out;
  for (unsigned char ch : path.substr(0, 200)) {
    if (ch >= 0x20 && ch < 0x7f) {
      out += static_cast<char>(ch);
    } else {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\x%02x", ch);
      out += hex;
    }
  }
  return out + (path.size() > 200 ? "..." : "");
}

// Output files are opened before any work: an unwritable one is a usage error naming the path and
// the reason, not a finding lost after the run. A file that did not exist is removed again.
std::optional<int> probe_outputs(const std::vector<std::pair<const char*, std::string>>& outputs,
                                 const std::string& replay_path) {
  for (std::size_t i = 0; i < outputs.size(); ++i) {
    const auto& [flag, path] = outputs[i];
    if (path.empty()) continue;
    for (std::size_t k = 0; k < i; ++k) {
      if (!outputs[k].second.empty() && same_file(path, outputs[k].second)) {
        return usage_error(std::string(flag) + ": '" + shown_path(path) + "' is also the " + outputs[k].first +
                           " file; each report needs its own");
      }
    }
    if (!replay_path.empty() && same_file(path, replay_path)) {
      return usage_error(std::string(flag) + ": '" + shown_path(path) + "' is the trace being replayed");
    }
    struct stat st {};
    const bool existed = ::stat(path.c_str(), &st) == 0;
    if (existed && S_ISDIR(st.st_mode)) {
      return usage_error(std::string(flag) + ": cannot write '" + shown_path(path) + "': " + std::strerror(EISDIR));
    }
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) {
      const int err = errno;
      return usage_error(std::string(flag) + ": cannot write '" + shown_path(path) + "': " + std::strerror(err));
    }
    ::close(fd);
    if (!existed) ::unlink(path.c_str());
  }
  return std::nullopt;
}

// What this machine can give the run: MemAvailable (or physical memory), lowered to the cgroup's
// memory.max when there is one. 0 when unknown.
std::uint64_t memory_limit(std::string& source) {
  std::uint64_t limit = 0;
  std::ifstream meminfo("/proc/meminfo");
  for (std::string key; meminfo >> key;) {
    std::uint64_t kib = 0;
    meminfo >> kib;
    if (key == "MemAvailable:") {
      limit = kib * 1024;
      source = "MemAvailable";
      break;
    }
    meminfo.ignore(1 << 10, '\n');
  }
  if (limit == 0) {
    const long pages = ::sysconf(_SC_PHYS_PAGES), page = ::sysconf(_SC_PAGESIZE);
    if (pages > 0 && page > 0) {
      limit = static_cast<std::uint64_t>(pages) * static_cast<std::uint64_t>(page);
      source = "physical memory";
    }
  }
  std::ifstream cgroup("/sys/fs/cgroup/memory.max");
  std::uint64_t cg = 0;
  if (cgroup >> cg && cg != 0 && (limit == 0 || cg < limit)) {
    limit = cg;
    source = "cgroup memory.max";
  }
  return limit;
}

std::string bytes_text(double bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  int u = 0;
  while (bytes >= 1024 && u < 6) {
    bytes /= 1024;
    ++u;
  }
  std::ostringstream out;
  out << std::fixed << std::setprecision(u == 0 ? 0 : 1) << bytes << ' ' << units[u];
  return out.str();
}

// Bytes one op of a generated program costs while a round runs: the Op itself in the program set,
// plus the worker's per-op records (measured: about 80 bytes per op in all, release build, 4
// threads x 4M ops).
constexpr double kBytesPerOp = 96;

// The run's memory, estimated before any work, against what the machine has: the programs
// (threads x ops x kBytesPerOp) plus the arrays a round holds at once (threads x kLeasesPerThread
// leases of the size most rents stay at or below, times the element size) plus what the pool may
// keep resting. A run that cannot fit is a usage error, not an OOM kill minutes later.
std::optional<int> check_memory(const StressSettings& s) {
  if (s.plan.scenario->kind != ScenarioKind::program) return std::nullopt;  // workloads size their own
  const ProgramShape shape = program_shape(s);
  const double programs = double(s.threads) * double(s.ops) * kBytesPerOp;
  const double typical = double(std::min(shape.largest_common_size, shape.max_array_length)) * sizeof(std::byte);
  const double held = double(s.threads) * kLeasesPerThread * typical;
  // Resting arrays: each bucket up to its cap, every bucket size summed (< 2 x the largest).
  const double cap = s.plan.pool->cap_flags == CapFlags::per_bucket ? double(s.max_per_bucket)
                                                               : double(s.partitions) * double(s.arrays_per_partition);
  const double resting = std::min(cap * 2 * double(shape.max_array_length), held);
  const double estimate = programs + held + resting;
  std::string source;
  const std::uint64_t limit = memory_limit(source);
  if (limit == 0 || estimate <= double(limit)) return std::nullopt;
  return usage_error("--threads " + std::to_string(s.threads) + " x --ops " + std::to_string(s.ops) +
                     ": the run needs about " + bytes_text(estimate) + " (programs " + bytes_text(programs) +
                     ", arrays held " + bytes_text(held) + ", resting " + bytes_text(resting) + "), more than the " +
                     bytes_text(double(limit)) + " this machine has (" + source + ")");
}

// The names resolved, the rest settled and checked (output paths, memory): a command that runs.
std::optional<int> finish_run_command(CommandLine& c, Command& command) {
  if (auto code = resolve_plan(c, c.s.plan)) return code;
  if (c.rounds != 0) c.s.rounds = c.rounds;
  if (!c.shard.empty()) {
    auto shard = parse_shard(c.shard, [](const char* name) -> const char* { return std::getenv(name); });
    if (auto* error = std::get_if<std::string>(&shard)) return error_in(c, "--shard: " + *error);
    c.s.shard = std::get<Shard>(shard);
  }
  if (c.s.partitions == 0) {
    // Resolve now so the replay line names the count this machine used.
    c.s.partitions = bufpool::SharedPoolOptions{}.resolved().partitions;
  }
  if (auto code = probe_outputs({{"--json", c.s.json_path}, {"--junit", c.s.junit_path}, {"--trace", c.s.trace_path}},
                                c.s.replay_path)) {
    return code;
  }
  if (auto code = check_memory(c.s)) return code;
  command.action = Action::run;
  command.settings = c.s;
  return std::nullopt;
}

}  // namespace

std::optional<int> parse_command_line(int argc, const char* const* argv, Command& command) {
  CommandLine c;
  CLI::App app{"poolcheck stress: hammer a pooled-buffer allocator with thousands of threads and check every "
               "oracle; a failure prints the command that replays it"};
  add_options(app, c);
  if (auto code = parse(app, argc, argv, c)) return code;
  if (auto code = check_combinations(app, c)) return code;
  if (!c.s.replay_path.empty()) {
    if (auto code = load_recorded(c)) return code;
  } else if (c.s.deterministic) {
    // A deterministic program is sized to reach the pool's corners: few threads (every
    // interleaving point is a schedule choice), and enough ops per thread to fill the tight caps
    // it runs with and come back to them (measured: 128 finds the catalog's racy mutants in fewer
    // schedules than 32 or 64, for a modest cost per schedule). A workload's ops are its units
    // (tokens per stream, requests per thread): 64 make a token stream fill its buffer at least
    // once, where token-overflow's bug lives.
    if (app.count("--threads") == 0) c.s.threads = kDeterministicThreads;
    const Scenario* scenario = find_scenario(c.scenario);
    const bool workload = scenario != nullptr && scenario->kind != ScenarioKind::program;
    if (app.count("--ops") == 0) c.s.ops = workload ? kDeterministicWorkloadOps : kDeterministicOps;
  }
  if (c.list) {
    command.action = Action::list;
    command.list_json_path = c.s.json_path;
    if (auto code = probe_outputs({{"--json", c.s.json_path}}, {})) return code;
    return std::nullopt;
  }
  if (c.self_test) {
    for (const PoolTarget& t : pool_targets()) {
      if (t.bufpool == nullptr) {
        return usage_error("--self-test: it runs bufpool's mutants; this program checks the " + t.name + " pool");
      }
    }
    command.action = Action::self_test;
    SelfTestOptions& o = command.self_test;
    o.self = self_path();
    if (app.count("--duration") != 0) o.seconds_per_case = c.s.duration_seconds;
    if (app.count("--threads") != 0) o.threads = c.s.threads;
    o.json_path = c.s.json_path;
    o.junit_path = c.s.junit_path;
    if (auto code = probe_outputs({{"--json", o.json_path}, {"--junit", o.junit_path}}, {})) return code;
    return std::nullopt;
  }
  return finish_run_command(c, command);
}

std::optional<int> parse_command_line(const std::vector<std::string>& args, Command& command) {
  std::vector<const char*> argv{"stress"};
  for (const std::string& a : args) argv.push_back(a.c_str());
  return parse_command_line(static_cast<int>(argv.size()), argv.data(), command);
}

std::optional<int> parse_recorded_command(const std::string& recorded, const std::string& trace_path,
                                          Command& command) {
  CommandLine c;
  if (auto code = parse_recorded(recorded, trace_path, c)) return code;
  c.s.replay_path = trace_path;
  return finish_run_command(c, command);
}

}  // namespace poolcheck
