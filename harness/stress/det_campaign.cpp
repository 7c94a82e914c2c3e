// `stress --deterministic`: one program set (from --seed), many schedules (from the strategy's
// seeds), stop at the first failing schedule, write its trace, print the line that replays it.
// `stress --replay FILE` runs a recorded schedule and says whether it hit the same violation at the
// same step with the same trace.
#include <chrono>
#include <exception>
#include <iostream>
#include <stdexcept>

#include "det_rounds.hpp"
#include "poolcheck/deterministic/schedule_trace.hpp"
#include "poolcheck/deterministic/strategy.hpp"
#include "stress_driver.hpp"

namespace poolcheck {
namespace {

std::unique_ptr<det::Strategy> make_strategy(const det::StrategyEntry& entry, const StressSettings& s,
                                             std::uint64_t schedule_seed, const ProgramSet& programs) {
  return entry.make(det::StrategyParams{schedule_seed, static_cast<std::uint32_t>(programs.threads.size()),
                                        s.pct_depth, s.pct_steps});
}

bool failed(const RunOutcome& out) { return !out.violations.empty() || out.end == RunEnd::stalled; }

std::optional<Violation> first_violation(const RunOutcome& out) {
  std::optional<Violation> first;
  for (const Violation& v : out.violations) {
    if (!first || (v.step != 0 && (first->step == 0 || v.step < first->step))) first = v;
  }
  return first;
}

}  // namespace

StressReport run_deterministic_campaign(const StressSettings& settings, const StressHooks& hooks) {
  StressSettings s = settings;
  std::optional<det::ScheduleTrace> recorded;
  if (!s.replay_path.empty()) recorded = det::load_trace(s.replay_path);
  // A trace carries its programs; without them they come from the seed.
  const ProgramSet programs = recorded && recorded->programs ? *recorded->programs
                                                             : generate_programs(s.seed, program_shape(s));
  StressReport report;
  report.partitions = static_cast<std::uint32_t>(s.partitions);
  DeterministicInfo info;

  if (recorded) {
    auto strategy = det::make_replay(recorded->choices(), &info.replay_divergences);
    info.strategy = strategy->describe();
    det::ScheduleResult schedule;
    if (hooks.on_round_start) hooks.on_round_start("stress --replay " + s.replay_path);
    RunOutcome out = run_deterministic_round(s, programs, *strategy, schedule, report.last_pool_stats, hooks.interrupt);
    info.schedules = 1;
    info.longest_schedule = schedule.steps;
    const auto found = first_violation(out);
    const bool same_violation =
        recorded->violation.has_value() == found.has_value() && (!found || same_finding(*found, *recorded->violation));
    info.replay_matched =
        same_violation && info.replay_divergences == 0 && det::same_steps(schedule.trace, recorded->steps);
    report.rounds.push_back(RoundRecord{0, s.seed, out.end, out.violations.size(), out.seconds});
    // A diverged replay fails too (exit 1): the trace did not reproduce what it recorded.
    if (failed(out) || !*info.replay_matched) {
      report.failing_seed = s.seed;
      report.replay_line = "stress --replay " + s.replay_path;
    }
    accumulate(report.total, out);
    report.det = info;
    return report;
  }

  // Runs one schedule and records it; on failure writes its trace and the replay line (a trace's
  // command names the schedule seed; --replay follows the recorded steps instead). True if it failed
  // or could not start its threads: the search stops.
  auto run_schedule = [&](const StressSettings& settings_of_run, std::uint32_t round, std::uint64_t schedule_seed,
                          det::Strategy& strategy, det::ScheduleResult& schedule) {
    const std::string replay = replay_command(settings_of_run, s.seed, schedule_seed);
    if (hooks.on_round_start) hooks.on_round_start(replay);
    RunOutcome out = run_deterministic_round(settings_of_run, programs, strategy, schedule,
                                             report.last_pool_stats, hooks.interrupt);
    ++info.schedules;
    info.longest_schedule = std::max(info.longest_schedule, schedule.steps);
    report.rounds.push_back(RoundRecord{round, schedule_seed, out.end, out.violations.size(), out.seconds});
    const bool bad = failed(out);
    accumulate(report.total, out);
    // A thread the system would not start ends the search (as in a free-running campaign): no
    // schedule ran, so there is no trace to write and nothing to replay. So does a signal.
    if (!bad) return out.end == RunEnd::thread_limit || out.end == RunEnd::interrupted;
    info.failing_schedule_seed = schedule_seed;
    report.failing_seed = s.seed;
    report.replay_line = replay;
    info.trace_file = !s.trace_path.empty() ? s.trace_path
                                            : "poolcheck-trace-" + std::to_string(s.seed) + "-" +
                                                  std::to_string(schedule_seed) + ".txt";
    try {
      // The programs come from the seed afresh: a mutant that corrupted the heap (no-lock's racing
      // stacks) may have overwritten the copy the run used.
      det::save_trace(info.trace_file, det::ScheduleTrace{replay, first_violation(out), std::move(schedule.trace),
                                                          generate_programs(s.seed, program_shape(s))});
    } catch (const std::exception& e) {
      // The finding and its replay line (which names the schedule seed) still reach the report;
      // only the step-by-step trace is lost.
      std::cerr << "stress: " << e.what() << " (the finding and its replay line follow)\n";
      info.trace_file.clear();
    }
    return true;
  };

  const det::StrategyEntry& searcher = *s.plan.strategy;
  if (searcher.depth_bounded && s.pct_steps == 0) {
    // PCT needs k, the length of a schedule: measure it with one random-walk schedule (which is
    // also a search schedule; if it fails, its replay line names the random strategy).
    StressSettings calibration = s;
    calibration.plan.strategy = &det::calibration_strategy();
    const std::uint64_t seed = schedule_seed_for(s.seed, ~0u);
    auto strategy = make_strategy(*calibration.plan.strategy, calibration, seed, programs);
    det::ScheduleResult schedule;
    if (run_schedule(calibration, 0, seed, *strategy, schedule)) {
      info.strategy = strategy->describe() + " (PCT calibration)";
      report.det = info;
      return report;
    }
    s.pct_steps = std::max<std::uint64_t>(schedule.steps, 1);
  }
  info.pct_steps = s.pct_steps;
  const std::uint32_t schedules = s.schedule_seed ? 1 : s.search;
  for (std::uint32_t i = 0; i < schedules; ++i) {
    if (hooks.interrupt != nullptr && hooks.interrupt->load()) {
      report.total.end = RunEnd::interrupted;
      break;
    }
    const std::uint64_t schedule_seed = s.schedule_seed ? *s.schedule_seed : schedule_seed_for(s.seed, i);
    auto strategy = make_strategy(searcher, s, schedule_seed, programs);
    if (i == 0) info.strategy = strategy->describe();
    det::ScheduleResult schedule;
    if (run_schedule(s, i, schedule_seed, *strategy, schedule)) break;
  }
  if (searcher.depth_bounded && !info.failing_schedule_seed) {
    info.miss_bound = det::pct_miss_bound(static_cast<std::uint32_t>(programs.threads.size()), info.pct_steps,
                                          s.pct_depth, info.schedules);
  }
  report.det = info;
  return report;
}

}  // namespace poolcheck
