// libFuzzer target: the deterministic executor's schedule search, driven by the input bytes, so a
// coverage-guided engine (libFuzzer here, ClusterFuzzLite or OSS-Fuzz at scale) searches
// interleavings. The first 8 bytes are the program seed (and with it the programs and the pool
// configuration, as `stress --deterministic` draws them); the rest, read in pairs, steers the
// scheduling choices, and a hash of the whole input makes the rest (ByteStrategy below).
//
// The pool is bufpool's, correct or with one mutant switched in, from the environment:
//   POOLCHECK_FUZZ_POOL    shared (default) or locked
//   POOLCHECK_FUZZ_MUTANT  a catalog mutant (`stress --list`); unset or empty: the correct pool
//   POOLCHECK_FUZZ_SCENARIO  a program scenario (default: mixed)
//   POOLCHECK_FUZZ_TRACES  where a finding's trace is written (default: the working directory)
//   POOLCHECK_FUZZ_FEEDBACK  "code" turns the extra counters below off (to measure what they add)
// A finding (any oracle's violation, a deadlock, a livelock) writes a poolcheck schedule trace,
// prints `replay: stress --replay FILE` and aborts, so libFuzzer keeps the input as a crash. When
// AddressSanitizer stops a schedule instead (a use-after-poison in the pool, say), the trace of its
// steps up to the report is written (crash_trace.hpp) and named the same way; replaying it runs into
// the same report.
//
// Feedback beyond code coverage, in libFuzzer's extra counters:
// - reads-from pairs of the pool's arrays: which lease's give_back each rent observed (the array
//   it got was last given back by lease L of thread T), keyed by the renting lease and that lease.
//   A schedule that hands some array along a new path counts as progress even when it ran no new
//   code; this is the pool-level form of reads-from fuzzing (Wolff et al., ASPLOS 2024).
// - context switches, keyed by the kind of point, the two threads and how many switches came
//   before, so preempting somewhere new counts too.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <sanitizer/asan_interface.h>

#include "crash_guard.hpp"
#include "det_rounds.hpp"
#include "poolcheck/deterministic/crash_trace.hpp"
#include "poolcheck/deterministic/schedule_trace.hpp"
#include "poolcheck/deterministic/strategy.hpp"
#include "poolcheck/rent_observer.hpp"
#include "poolcheck/run_outcome.hpp"
#include "poolcheck/scenario_catalog.hpp"
#include "poolcheck/seeded_random.hpp"
#include "poolcheck/violation.hpp"
#include "round_config.hpp"
#include "stress_cli.hpp"
#include "stress_driver.hpp"

namespace {

using namespace poolcheck;

// The schedule bytes are read as pairs (run, next): the running thread keeps running for `run`
// more choices (points with more than one runnable thread), then runnable[next % count] runs. A
// thread that blocks or ends cuts its run short and the next pair is read there. Past the bytes'
// end the schedule goes on as a random walk (`--strategy random`'s choice at every point) from a
// hash of the whole input.
// Why runs: a short prefix places a few preemptions anywhere in the run (the small-depth bugs PCT
// aims at), and mutating one byte moves one preemption and leaves the rest of the prefix as it was.
// Why a random tail: a program takes thousands of choices and inputs are at most max_len bytes, so
// the bytes steer the start and the tail switches as often as a random walk, which finds the
// races of a short critical section in a few schedules; a tail that kept the running thread would
// leave most of each schedule sequential.
class ByteStrategy final : public det::Strategy {
 public:
  ByteStrategy(std::span<const std::uint8_t> bytes, std::uint64_t tail_seed) : bytes_(bytes), tail_(tail_seed) {}
  std::uint32_t pick(std::span<const std::uint32_t> runnable, std::uint32_t current, std::uint64_t,
                     det::PointKind) override {
    if (runnable.size() == 1) return runnable[0];
    const bool can_continue = std::find(runnable.begin(), runnable.end(), current) != runnable.end();
    if (can_continue && run_left_ > 0) {
      --run_left_;
      return current;
    }
    if (next_ + 2 > bytes_.size()) return runnable[tail_.below(runnable.size())];
    run_left_ = bytes_[next_];
    const std::uint8_t choice = bytes_[next_ + 1];
    next_ += 2;
    return runnable[choice % runnable.size()];
  }
  std::string describe() const override { return "fuzzer bytes"; }

 private:
  std::span<const std::uint8_t> bytes_;
  SeededRandom tail_;
  std::size_t next_ = 0;
  std::uint64_t run_left_ = 0;
};

// libFuzzer reads this section after every input as extra coverage (FuzzerExtraCounters.cpp): the
// first half for reads-from pairs, the second for context switches.
constexpr std::size_t kFeatureHalf = 1 << 14;
__attribute__((used, section("__libfuzzer_extra_counters"))) std::uint8_t g_features[2 * kFeatureHalf];

// False under POOLCHECK_FUZZ_FEEDBACK=code. Set once, by the first input, before any worker runs.
bool g_extra_feedback = true;

void bump(std::size_t half, std::uint64_t key) noexcept {
  if (!g_extra_feedback) return;
  const std::uint64_t h = key * 0x9E3779B97F4A7C15ull;
  std::uint8_t& c = g_features[half * kFeatureHalf + (h >> 32) % kFeatureHalf];
  if (c != 255) ++c;
}

// RentObserver: the deterministic executor runs one worker at a time, so no two calls overlap.
void count_reads_from(Tag renter, std::uint64_t gave_back) noexcept {
  bump(0, (renter.bits() << 24) ^ (gave_back * 0xD6E8FEB86659FD93ull));
}

void count_switches(const std::vector<det::Step>& steps) {
  std::uint32_t switches = 0;
  for (const det::Step& s : steps) {
    if (s.thread == s.at) continue;
    bump(1, (static_cast<std::uint64_t>(s.kind) << 40) ^ (std::uint64_t{s.at} << 24) ^ (std::uint64_t{s.thread} << 8) ^
                std::min<std::uint32_t>(switches, 255));
    ++switches;
  }
}

std::string traces_dir() {
  const char* dir = std::getenv("POOLCHECK_FUZZ_TRACES");
  return dir != nullptr && dir[0] != '\0' ? dir : ".";
}

// ASan calls this after its report, before the process dies (libFuzzer keeps the death callback for
// itself, to save the input). Async-signal-safe calls only: write_crash_trace is one.
void on_sanitizer_report(const char*) {
  if (const char* trace = det::write_crash_trace()) {
    write_all("fuzz_schedule: a sanitizer stopped the schedule\nreplay: stress --replay ");
    write_all(trace);
    write_all("\n");
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
  static const StressSettings s = [] {
    __asan_set_error_report_callback(on_sanitizer_report);
    const char* feedback = std::getenv("POOLCHECK_FUZZ_FEEDBACK");
    g_extra_feedback = feedback == nullptr || std::string(feedback) != "code";
    return base_settings();
  }();
  return s;
}

[[noreturn]] void report(const StressSettings& run, const RunOutcome& out, det::ScheduleTrace trace) {
  const std::string path =
      traces_dir() + "/poolcheck-fuzz-" + std::to_string(run.seed) + "-" + std::to_string(trace.steps.size()) + ".txt";
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
  constexpr std::size_t kSeedBytes = sizeof(std::uint64_t);
  StressSettings run = settings();
  run.seed = 0;
  if (size > 0) std::memcpy(&run.seed, data, std::min(size, kSeedBytes));
  run = with_config(run, det_program_config(run, run.seed));
  // The recorded command rebuilds the pool and programs; the steps are the fuzzer's, and
  // --replay follows them (the strategy it names is only what the command line must carry).
  run.plan.strategy = &det::calibration_strategy();
  const ProgramSet programs = generate_programs(run.seed, program_shape(run));
  ByteStrategy strategy(size > kSeedBytes ? std::span(data + kSeedBytes, size - kSeedBytes)
                                          : std::span<const std::uint8_t>(),
                        det::fnv1a64(std::string_view(reinterpret_cast<const char*>(data), size)));
  det::ScheduleResult schedule;
  bufpool::PoolStats stats;
  const std::string command = replay_command(run, run.seed, 0);
  det::arm_crash_trace(traces_dir() + "/poolcheck-fuzz-" + std::to_string(run.seed) + "-crash.txt",
                       det::ScheduleTrace{command, std::nullopt, {}, programs});
  set_rent_observer(count_reads_from);
  const RunOutcome out = run_deterministic_round(run, programs, strategy, schedule, stats, nullptr);
  set_rent_observer(nullptr);
  det::disarm_crash_trace();
  count_switches(schedule.trace);
  if (!out.violations.empty() || out.end == RunEnd::stalled) {
    report(run, out,
           det::ScheduleTrace{command, earliest_violation(out), std::move(schedule.trace), programs});
  }
  return 0;
}
