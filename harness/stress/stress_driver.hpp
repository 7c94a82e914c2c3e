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
#include <vector>

#include "bufpool/pool_stats.hpp"
#include "poolcheck/free_executor.hpp"
#include "poolcheck/run_outcome.hpp"
#include "stress_settings.hpp"

namespace poolcheck {

struct RoundRecord {
  std::uint32_t round = 0;
  std::uint64_t seed = 0;
  RunEnd end = RunEnd::completed;
  std::size_t violations = 0;
  double seconds = 0;
};

struct StressReport {
  RunOutcome total;                     // summed over rounds
  std::vector<RoundRecord> rounds;
  bufpool::PoolStats last_pool_stats;   // of the last round's pool, at quiescence
  std::optional<std::uint64_t> failing_seed;  // the round seed to replay
  std::uint32_t partitions = 0;         // resolved, for the summary
};

struct StressHooks {
  std::function<void(const Progress&, std::uint32_t round)> on_progress;
  // Before each round starts: lets the caller keep the replay line current for crash reports.
  std::function<void(std::uint64_t round_seed)> on_round_start;
  const std::atomic<bool>* interrupt = nullptr;
};

// Throws std::invalid_argument for an unknown scenario (the CLI validates first).
StressReport run_stress(const StressSettings& settings, const StressHooks& hooks);

}  // namespace poolcheck
