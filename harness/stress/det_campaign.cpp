// `stress --deterministic`: schedules over the programs, pool configurations and strategies that
// search_plan.hpp draws (from --seed), stop at the first failing schedule, write its trace, print
// the line that replays it.
// `stress --replay FILE` runs a recorded schedule and says whether it hit the same violation at the
// same step with the same trace.
#include <algorithm>
#include <chrono>
#include <exception>
#include <iostream>
#include <stdexcept>
#include <string>
#include <vector>

#include "det_rounds.hpp"
#include "program_name.hpp"
#include "poolcheck/deterministic/crash_trace.hpp"
#include "round_config.hpp"
#include "search_plan.hpp"
#include "poolcheck/deterministic/schedule_trace.hpp"
#include "poolcheck/deterministic/strategy.hpp"
#include "poolcheck/scenario_catalog.hpp"
#include "stress_driver.hpp"

namespace poolcheck {
namespace {

bool failed(const RunOutcome& out) { return !out.violations.empty() || out.end == RunEnd::stalled; }

}  // namespace

StressReport run_deterministic_campaign(const StressSettings& settings, const StressHooks& hooks) {
  StressSettings s = settings;
  std::optional<det::ScheduleTrace> recorded;
  if (!s.replay_path.empty()) recorded = det::load_trace(s.replay_path);
  // A workload runs its own code: its "programs" are empty, one per thread (the strategies need the
  // thread count), and its traces carry none (the seed in their command rebuilds the workload). A
  // program scenario's trace carries its programs; without them they come from the seed.
  const bool workload = s.plan.scenario->kind != ScenarioKind::program;
  const auto programs_for = [workload](const StressSettings& run) {
    return workload ? ProgramSet{run.seed, std::vector<ThreadProgram>(run.threads)}
                    : generate_programs(run.seed, program_shape(run));
  };
  const auto programs_of = [workload](const ProgramSet& p) {
    return workload ? std::nullopt : std::optional<ProgramSet>(p);
  };
  StressReport report;
  report.partitions = static_cast<std::uint32_t>(s.partitions);
  DeterministicInfo info;

  if (recorded) {
    // The recorded command names every choice (program seed, configuration, strategy, depth); the
    // trace carries its programs too, so a program RapidCheck shrank replays as well.
    const ProgramSet programs = !workload && recorded->programs ? *recorded->programs : programs_for(s);
    auto strategy = det::make_replay(recorded->choices(), &info.replay_divergences);
    info.strategy = strategy->describe();
    det::ScheduleResult schedule;
    if (hooks.on_round_start) hooks.on_round_start(program_name() + " --replay " + s.replay_path);
    RunOutcome out = run_deterministic_round(s, programs, *strategy, schedule, report.last_pool_stats, hooks.interrupt);
    info.schedules = 1;
    info.programs = 1;
    info.longest_schedule = schedule.steps;
    const auto found = earliest_violation(out);
    const bool same_violation =
        recorded->violation.has_value() == found.has_value() && (!found || same_finding(*found, *recorded->violation));
    info.replay_matched =
        same_violation && info.replay_divergences == 0 && det::same_steps(schedule.trace, recorded->steps);
    RoundRecord record = round_record(0, s.seed, out);
    record.config = pool_settings(s);
    record.tight = is_tight(s, record.config);
    record.program_seed = s.seed;
    report.rounds.push_back(record);
    // A diverged replay fails too (exit 1): the trace did not reproduce what it recorded.
    if (failed(out) || !*info.replay_matched) {
      report.failing_seed = s.seed;
      report.replay_line = program_name() + " --replay " + s.replay_path;
    }
    accumulate(report.total, out);
    report.det = info;
    return report;
  }

  // Runs one schedule of `programs` under `run` (the program seed, configuration and strategy of
  // this schedule) and records it; on failure writes its trace and the replay line (a trace's
  // command names every choice; --replay follows the recorded steps instead). True if it failed or
  // could not start its threads, or a signal cut it short: the search stops.
  auto run_schedule = [&](const StressSettings& run, const ProgramSet& programs, std::uint64_t schedule_seed,
                          det::Strategy& strategy, det::ScheduleResult& schedule) {
    const std::string replay = replay_command(run, run.seed, schedule_seed);
    if (hooks.on_round_start) hooks.on_round_start(replay);
    const std::string trace_file = !s.trace_path.empty() ? s.trace_path
                                                         : "poolcheck-trace-" + std::to_string(run.seed) + "-" +
                                                               std::to_string(schedule_seed) + ".txt";
    // A crash in this schedule (or in its pool's end-of-run checks) writes its steps so far there.
    det::arm_crash_trace(trace_file, det::ScheduleTrace{replay, std::nullopt, {}, programs_of(programs)});
    RunOutcome out = run_deterministic_round(run, programs, strategy, schedule, report.last_pool_stats, hooks.interrupt);
    det::disarm_crash_trace();
    RoundRecord record = round_record(static_cast<std::uint32_t>(info.schedules), schedule_seed, out);
    record.config = pool_settings(run);
    record.tight = is_tight(run, record.config);
    record.program_seed = run.seed;
    record.strategy = std::string(run.plan.strategy->name);
    if (run.plan.strategy->depth_bounded) {
      record.pct_depth = run.pct_depth;
      record.pct_steps = run.pct_steps;
    }
    report.rounds.push_back(record);
    ++info.schedules;
    info.longest_schedule = std::max(info.longest_schedule, schedule.steps);
    const bool bad = failed(out);
    accumulate(report.total, out);
    // A thread the system would not start ends the search (as in a free-running campaign): no
    // schedule ran, so there is no trace to write and nothing to replay. So does a signal.
    if (!bad) return out.end == RunEnd::thread_limit || out.end == RunEnd::interrupted;
    info.strategy += "; failed under " + strategy.describe();
    info.failing_schedule_seed = schedule_seed;
    report.failing_seed = run.seed;
    report.replay_line = replay;
    info.trace_file = trace_file;
    try {
      // A program scenario's programs come from the seed afresh: a mutant that corrupted the heap
      // (no-lock's racing stacks) may have overwritten the copy the run used.
      det::save_trace(info.trace_file,
                      det::ScheduleTrace{replay, earliest_violation(out), std::move(schedule.trace),
                                         programs_of(workload ? programs : generate_programs(run.seed, program_shape(run)))});
    } catch (const std::exception& e) {
      // The finding and its replay line (which names the schedule seed) still reach the report;
      // only the step-by-step trace is lost.
      std::cerr << "stress: " << e.what() << " (the finding and its replay line follow)\n";
      info.trace_file.clear();
    }
    return true;
  };

  const std::vector<SearchStrategy> portfolio = search_portfolio(s);
  bool needs_steps = false;
  for (const SearchStrategy& p : portfolio) needs_steps = needs_steps || p.strategy->depth_bounded;
  needs_steps = needs_steps && s.pct_steps == 0;
  info.strategy = portfolio.size() == 1 ? describe(portfolio) : "portfolio (round-robin) of " + describe(portfolio);
  // The PCT miss bound is stated for one depth: the pinned one, else 3 (the classic choice).
  const std::uint32_t bound_depth = s.pins.depth || s.schedule_seed ? s.pct_depth : 3;
  double miss = 1.0;
  bool bounded = false;
  // --schedule-seed runs that one schedule (after PCT's calibration, which it does not count).
  const std::uint32_t budget = s.schedule_seed ? 1 : s.search;
  const std::uint32_t per_program = schedules_per_program(s);
  std::uint32_t counted = 0, picks = 0;
  bool stop = false;
  // A shard runs the schedules whose count is its own mod the shard count. It walks the same
  // programs and counters as the unsharded search and skips the rest, so each schedule it runs has
  // the program, strategy and seed the unsharded search gives it there.
  const Shard shard = s.shard;
  const auto owns_any = [&](std::uint32_t from, std::uint32_t n) {
    return n >= shard.count || (shard.index + shard.count - from % shard.count) % shard.count < n;
  };
  for (std::uint32_t index = 0; !stop && counted < budget; ++index) {
    if (!shard.whole()) {
      const std::uint32_t here = std::min(per_program, budget - counted);
      if (!owns_any(counted, here)) {
        counted += here;
        picks += here - (needs_steps && !s.schedule_seed ? 1 : 0);
        continue;
      }
    }
    StressSettings run = s;
    run.seed = program_seed_for(s, index);
    // A workload sizes its own use of the pool: it keeps the configuration of the settings.
    if (!workload) run = with_config(run, det_program_config(s, run.seed));
    const ProgramSet programs = programs_for(run);
    const auto threads = static_cast<std::uint32_t>(programs.threads.size());
    ++info.programs;
    std::uint32_t on_this_program = 0;
    if (needs_steps) {
      // PCT needs k, the length of a schedule of this program: measure it with one random-walk
      // schedule (which is also a search schedule; if it fails, its replay line names the random
      // strategy).
      StressSettings calibration = run;
      calibration.plan.strategy = &det::calibration_strategy();
      const std::uint64_t seed = schedule_seed_for(run.seed, ~0u);
      auto strategy = calibration.plan.strategy->make(det::StrategyParams{seed, threads, 0, 0});
      det::ScheduleResult schedule;
      if (shard.owns(counted)) {
        if (run_schedule(calibration, programs, seed, *strategy, schedule)) break;
      } else {
        // Another shard's schedule: run only for its length, unrecorded (its owner reports it).
        bufpool::PoolStats unused;
        run_deterministic_round(calibration, programs, *strategy, schedule, unused, hooks.interrupt);
      }
      run.pct_steps = std::max<std::uint64_t>(schedule.steps, 1);
      if (!s.schedule_seed) {
        ++counted;
        ++on_this_program;
      }
    }
    for (; on_this_program < per_program && counted < budget; ++on_this_program, ++counted, ++picks) {
      if (hooks.interrupt != nullptr && hooks.interrupt->load()) {
        report.total.end = RunEnd::interrupted;
        stop = true;
        break;
      }
      if (!shard.owns(counted)) continue;
      const SearchStrategy& pick = portfolio[picks % portfolio.size()];
      StressSettings chosen = run;
      chosen.plan.strategy = pick.strategy;
      if (pick.strategy->depth_bounded) chosen.pct_depth = pick.depth;
      const std::uint64_t schedule_seed = s.schedule_seed ? *s.schedule_seed : schedule_seed_for(run.seed, on_this_program);
      auto strategy = pick.strategy->make(det::StrategyParams{schedule_seed, threads, chosen.pct_depth, chosen.pct_steps});
      det::ScheduleResult schedule;
      if (run_schedule(chosen, programs, schedule_seed, *strategy, schedule)) {
        stop = true;
        break;
      }
      if (pick.strategy->depth_bounded && pick.depth == bound_depth) {
        miss *= det::pct_miss_bound(threads, chosen.pct_steps, bound_depth, 1);
        bounded = true;
      }
      info.pct_steps = chosen.pct_steps;
    }
  }
  if (bounded && !info.failing_schedule_seed) {
    info.miss_bound = miss;
    info.miss_bound_depth = bound_depth;
  }
  report.det = info;
  return report;
}

}  // namespace poolcheck
