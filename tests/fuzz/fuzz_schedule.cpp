// libFuzzer target: the deterministic executor's schedule search, driven by the input bytes, so a
// coverage-guided engine (libFuzzer here, ClusterFuzzLite or OSS-Fuzz at scale) searches
// interleavings. The bytes choose the program seed (and with it the programs and the pool
// configuration, as `stress --deterministic` draws them) and then every choice of the schedule
// that has more than one runnable thread; past their end the running thread keeps running.
//
// The pool is bufpool's, correct or with one mutant switched in, from the environment:
//   POOLCHECK_FUZZ_POOL    shared (default) or locked
//   POOLCHECK_FUZZ_MUTANT  a catalog mutant (`stress --list`); unset or empty: the correct pool
//   POOLCHECK_FUZZ_SCENARIO  a program scenario (default: mixed)
//   POOLCHECK_FUZZ_TRACES  where a finding's trace is written (default: the working directory)
// A finding (any oracle's violation, a deadlock, a livelock) writes a poolcheck schedule trace,
// prints `replay: stress --replay FILE` and aborts, so libFuzzer keeps the input as a crash.
//
// Feedback beyond code coverage: libFuzzer's extra counters get one feature per context switch,
// keyed by the kind of point it happened at, the two threads and how many switches came before,
// so a schedule that switches somewhere new counts as progress even when it runs no new code.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include <fuzzer/FuzzedDataProvider.h>

#include "det_rounds.hpp"
#include "poolcheck/deterministic/schedule_trace.hpp"
#include "poolcheck/deterministic/strategy.hpp"
#include "poolcheck/scenario_catalog.hpp"
#include "poolcheck/violation.hpp"
#include "round_config.hpp"
#include "stress_cli.hpp"
#include "stress_driver.hpp"

namespace {

using namespace poolcheck;

// libFuzzer reads this section after every input as extra coverage (FuzzerExtraCounters.cpp).
constexpr std::size_t kSwitchFeatures = 1 << 14;
__attribute__((used, section("__libfuzzer_extra_counters"))) std::uint8_t g_switch_features[kSwitchFeatures];

// Each choice with more than one runnable thread takes the next byte (mod the count); once the
// bytes run out the current thread keeps running while it can.
class ByteStrategy final : public det::Strategy {
 public:
  explicit ByteStrategy(FuzzedDataProvider& in) : in_(in) {}
  std::uint32_t pick(std::span<const std::uint32_t> runnable, std::uint32_t current, std::uint64_t,
                     det::PointKind) override {
    if (runnable.size() == 1) return runnable[0];
    if (in_.remaining_bytes() == 0) {
      for (const std::uint32_t t : runnable) {
        if (t == current) return t;
      }
      return runnable[0];
    }
    return runnable[in_.ConsumeIntegral<std::uint8_t>() % runnable.size()];
  }
  std::string describe() const override { return "fuzzer bytes"; }

 private:
  FuzzedDataProvider& in_;
};

void count_switches(const std::vector<det::Step>& steps) {
  std::uint32_t switches = 0;
  for (const det::Step& s : steps) {
    if (s.thread == s.at) continue;
    const std::uint64_t key = (static_cast<std::uint64_t>(s.kind) << 40) ^ (std::uint64_t{s.at} << 24) ^
                              (std::uint64_t{s.thread} << 8) ^ std::min<std::uint32_t>(switches, 255);
    const std::uint64_t h = key * 0x9E3779B97F4A7C15ull;
    std::uint8_t& c = g_switch_features[(h >> 32) % kSwitchFeatures];
    if (c != 255) ++c;
    ++switches;
  }
}

// The settings of `stress --deterministic` for the pool and mutant of the environment.
StressSettings base_settings() {
  std::vector<std::string> args = {"--deterministic", "--quiet"};
  const char* pool = std::getenv("POOLCHECK_FUZZ_POOL");
  args.insert(args.end(), {"--pool", pool != nullptr && pool[0] != '\0' ? pool : "shared"});
  if (const char* mutant = std::getenv("POOLCHECK_FUZZ_MUTANT"); mutant != nullptr && mutant[0] != '\0') {
    args.insert(args.end(), {"--mutant", mutant});
  }
  if (const char* scenario = std::getenv("POOLCHECK_FUZZ_SCENARIO"); scenario != nullptr && scenario[0] != '\0') {
    args.insert(args.end(), {"--scenario", scenario});
  }
  Command command;
  if (auto code = parse_command_line(args, command)) {
    std::fprintf(stderr, "fuzz_schedule: POOLCHECK_FUZZ_POOL, _MUTANT and _SCENARIO do not make a stress run\n");
    std::exit(2);
  }
  if (command.settings.plan.scenario->kind != ScenarioKind::program) {
    std::fprintf(stderr, "fuzz_schedule: POOLCHECK_FUZZ_SCENARIO must be a program scenario (stress --list)\n");
    std::exit(2);
  }
  return command.settings;
}

const StressSettings& settings() {
  static const StressSettings s = base_settings();
  return s;
}

[[noreturn]] void report(const StressSettings& run, const RunOutcome& out, det::ScheduleTrace trace) {
  const char* dir = std::getenv("POOLCHECK_FUZZ_TRACES");
  const std::string path = std::string(dir != nullptr && dir[0] != '\0' ? dir : ".") + "/poolcheck-fuzz-" +
                           std::to_string(run.seed) + "-" + std::to_string(trace.steps.size()) + ".txt";
  const std::string what = out.violations.empty() ? std::string(to_string(out.end)) : to_string(out.violations.front());
  try {
    det::save_trace(path, trace);
    std::fprintf(stderr, "fuzz_schedule: %s\nreplay: stress --replay %s\n", what.c_str(), path.c_str());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fuzz_schedule: %s (the trace could not be written: %s)\n", what.c_str(), e.what());
  }
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  StressSettings run = settings();
  run.seed = in.ConsumeIntegral<std::uint64_t>();
  run = with_config(run, det_program_config(run, run.seed));
  // The recorded command rebuilds the pool and programs; the steps are the fuzzer's, and
  // --replay follows them (the strategy it names is only what the command line must carry).
  run.plan.strategy = &det::calibration_strategy();
  const ProgramSet programs = generate_programs(run.seed, program_shape(run));
  ByteStrategy strategy(in);
  det::ScheduleResult schedule;
  bufpool::PoolStats stats;
  const RunOutcome out = run_deterministic_round(run, programs, strategy, schedule, stats, nullptr);
  count_switches(schedule.trace);
  if (!out.violations.empty() || out.end == RunEnd::stalled) {
    std::optional<Violation> first;
    for (const Violation& v : out.violations) {
      if (!first || (v.step != 0 && (first->step == 0 || v.step < first->step))) first = v;
    }
    report(run, out,
           det::ScheduleTrace{replay_command(run, run.seed, 0), first, std::move(schedule.trace),
                              generate_programs(run.seed, program_shape(run))});
  }
  return 0;
}
