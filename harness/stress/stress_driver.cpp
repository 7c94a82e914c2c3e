#include "stress_driver.hpp"

#include <algorithm>
#include <bit>
#include <chrono>
#include <cstddef>
#include <memory>

#include "bufpool/array_pool.hpp"
#include "poolcheck/counting_allocator.hpp"
#include "poolcheck/scenario_catalog.hpp"
#include "round_config.hpp"
#include "round_runner.hpp"

namespace poolcheck {

ProgramShape program_shape(const StressSettings& settings) {
  ProgramShape shape;
  shape.threads = settings.threads;
  shape.ops_per_thread = settings.ops;
  // Sizes go up to the largest bucket (the maximum rounded up to a power of two); over-size
  // requests lie just above it.
  std::uint64_t largest = 16;
  while (largest < std::min<std::uint64_t>(settings.max_array_length, bufpool::kMaxBucketLength)) largest *= 2;
  // A pool with its own size classes: up to its largest class, so its top class and the first
  // over-size length are both rented (unless its classes reach far beyond the configuration's length,
  // as bufpool's shared pool's do).
  SizeClasses classes;
  if (settings.plan.pool->layout) {
    classes = settings.plan.pool->layout(pool_settings(settings));
    if (classes.largest() <= 2 * largest) largest = classes.largest();
  }
  shape.max_array_length = largest;
  shape.largest_common_size = std::min<std::uint64_t>(shape.largest_common_size, largest);
  // Classes that are not powers of two have edges that powers of two miss.
  const auto caps = classes.capacities();
  if (std::any_of(caps.begin(), caps.end(), [](std::size_t c) { return !std::has_single_bit(c); })) {
    shape.size_edges.assign(caps.begin(), caps.end());
  }
  settings.plan.scenario->shape(shape);
  if (!settings.plan.pool->over_size_reachable) shape.oversize_percent = 0;

  return shape;
}

namespace {

WorkloadParams workload_params(const StressSettings& s, const StressHooks& hooks, std::uint64_t seed,
                               std::uint32_t round) {
  WorkloadParams p;
  p.pool = s.plan.pool->bufpool->kind;  // the command line runs workloads on bufpool's pools only
  p.pools = pool_settings(s);
  p.ops = s.ops;
  p.run.threads = s.threads;
  p.run.seed = seed;
  p.run.limits.hold_limit = std::chrono::milliseconds(s.hold_limit_ms);
  p.run.watchdog = std::chrono::milliseconds(s.watchdog_ms);
  p.run.interrupt = hooks.interrupt;
  if (hooks.on_progress) p.run.on_progress = [&hooks, round](const Progress& pr) { hooks.on_progress(pr, round); };
  return p;
}

}  // namespace

StressReport run_campaign(const StressSettings& settings, const StressHooks& hooks) {
  return settings.deterministic || !settings.replay_path.empty() ? run_deterministic_campaign(settings, hooks)
                                                                 : run_stress(settings, hooks);
}

StressReport run_stress(const StressSettings& settings, const StressHooks& hooks) {
  const Scenario* scenario = settings.plan.scenario;
  const bool programs_run = scenario->kind == ScenarioKind::program;
  StressReport report;
  report.partitions = static_cast<std::uint32_t>(settings.partitions);
  const auto t0 = std::chrono::steady_clock::now();
  // A shard runs the rounds whose index is its own mod the shard count; a round's seed comes from its
  // index, so a shard's round is the same round the unsharded run has at that index.
  const Shard shard = settings.shard;
  for (std::uint32_t round = shard.index;; round += shard.count) {
    if (settings.rounds) {
      if (round >= *settings.rounds) break;
    } else if (round != shard.index && std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() >=
                                           settings.duration_seconds) {
      break;
    }
    const std::uint64_t seed = round_seed(settings.seed, round);
    // Program rounds draw their pool configuration from the seed (round_config.hpp); workloads
    // size their own use of the pool and run with the settings' configuration.
    StressSettings rs = programs_run ? with_config(settings, free_round_config(settings, seed)) : settings;
    if (programs_run) {
      const RoundShape shape = free_round_shape(settings, seed);
      rs.threads = shape.threads;
      rs.ops = shape.ops;
      rs.noise = free_round_noise(settings, seed);
    }
    const std::string replay = replay_command(rs, seed);
    if (hooks.on_round_start) hooks.on_round_start(replay);
    RunOutcome out;
    if (programs_run) {
      const ProgramSet programs = generate_programs(seed, program_shape(rs));
      out = rs.plan.pool->run_free(rs, programs, hooks, round, report.last_pool_stats);
    } else {
      out = scenario->run(workload_params(rs, hooks, seed, round));
    }
    RoundRecord record = round_record(round, seed, out);
    record.config = pool_settings(rs);
    record.tight = is_tight(rs, record.config);
    record.noise = rs.noise;
    report.rounds.push_back(record);
    const bool failed = !out.violations.empty() || out.end == RunEnd::stalled;
    accumulate(report.total, out);
    if (failed && !report.failing_seed) {
      report.failing_seed = seed;
      report.replay_line = replay;
    } else if (out.end == RunEnd::interrupted && report.replay_line.empty()) {
      report.replay_line = replay;  // the round the signal cut short
    }
    if (out.end != RunEnd::completed) break;  // a violation, a stall, an interrupt or the thread limit ends the run
  }
  return report;
}

}  // namespace poolcheck
