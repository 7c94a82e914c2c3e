// Runs a stress campaign: rounds of generated programs against a fresh, counted pool each, until
// the time budget or the round count is spent, then the checks only quiescence allows (statistics,
// exact caps) and, once the pool is destroyed, the accounting check.
//
// Not thread-safe: one campaign at a time (it owns the process's worker threads).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "bufpool/pool_stats.hpp"
#include "poolcheck/free_executor.hpp"
#include "poolcheck/run_outcome.hpp"
#include "stress_settings.hpp"

namespace poolcheck {

struct RoundRecord {
  std::uint32_t round = 0;
  std::uint64_t seed = 0;  // the round's seed; deterministic: the schedule's seed
  RunEnd end = RunEnd::completed;
  std::size_t violations = 0;
  double seconds = 0;
  PoolSettings config;     // the pool configuration it ran with (round_config.hpp)
  bool tight = false;      // is_tight(config)
  bool noise = false;      // free-running: ran with point noise (round_config.hpp)
  // Deterministic: the program the schedule ran, and the strategy that drew it.
  std::optional<std::uint64_t> program_seed;
  std::string strategy;    // registry name
  std::uint32_t pct_depth = 0;
  std::uint64_t pct_steps = 0;
};

// The record of a round that ended as `out` (its configuration and choices are filled in after).
inline RoundRecord round_record(std::uint32_t round, std::uint64_t seed, const RunOutcome& out) {
  RoundRecord r;
  r.round = round;
  r.seed = seed;
  r.end = out.end;
  r.violations = out.violations.size();
  r.seconds = out.seconds;
  return r;
}

// What a deterministic campaign adds to the report.
struct DeterministicInfo {
  std::string strategy;                  // e.g. "PCT depth 3 over ~4000 steps"
  std::uint64_t schedules = 0;           // schedules run
  std::uint64_t longest_schedule = 0;    // steps
  std::uint64_t pct_steps = 0;           // k used by PCT
  std::uint64_t programs = 0;            // program seeds searched
  std::optional<double> miss_bound;      // PCT: chance a depth-d bug every program reaches was missed
  std::uint32_t miss_bound_depth = 0;    // its d
  std::optional<std::uint64_t> failing_schedule_seed;
  std::string trace_file;                // written for a failing schedule
  std::optional<bool> replay_matched;    // --replay: same violation at the same step, same trace
  std::uint64_t replay_divergences = 0;  // --replay: steps where the recorded thread could not run
};

struct StressReport {
  RunOutcome total;                     // summed over rounds
  std::vector<RoundRecord> rounds;
  bufpool::PoolStats last_pool_stats;   // of the last round's pool, at quiescence
  std::optional<std::uint64_t> failing_seed;  // the round seed to replay
  std::uint32_t partitions = 0;         // resolved, for the summary
  std::string replay_line;              // the one command that replays the failure ("" when clean)
  std::optional<DeterministicInfo> det;
};

struct StressHooks {
  std::function<void(const Progress&, std::uint32_t round)> on_progress;
  // Before each round or schedule starts, with the line that replays it: lets the caller keep the
  // line current for crash reports.
  std::function<void(const std::string& replay_line)> on_round_start;
  const std::atomic<bool>* interrupt = nullptr;
};

// The settings' plan is resolved (stress_cli.cpp): its scenario is set, a mutant runs a program
// scenario on an unchecked pool of a family it has a fault in.
StressReport run_stress(const StressSettings& settings, const StressHooks& hooks);

// --deterministic: up to settings.search schedules over the programs, configurations and strategies
// search_plan.hpp draws (or one schedule seed, or the schedule of settings.replay_path). Throws
// std::runtime_error for an unreadable trace file.
StressReport run_deterministic_campaign(const StressSettings& settings, const StressHooks& hooks);

// --deterministic or --replay: run_deterministic_campaign, else run_stress.
StressReport run_campaign(const StressSettings& settings, const StressHooks& hooks);

// The program shape settings describe (scenario applied).
ProgramShape program_shape(const StressSettings& settings);

}  // namespace poolcheck
