// Everything one `stress` invocation fixes, and the one command line that replays it. The names the
// command line gives (--pool, --scenario, --mutant, --strategy) are resolved once, by the CLI, into
// the run plan: registry rows the drivers use as they are.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "shard.hpp"
#include "poolcheck/deterministic/strategy.hpp"
#include "poolcheck/pool_kind.hpp"
#include "pool_target.hpp"
#include "poolcheck/quiescent_checkpoints.hpp"

namespace poolcheck {

struct Mutant;
struct Scenario;

// What runs: rows of the pool targets (pool_target.hpp), the scenario catalog, the mutant catalog and
// the strategy registry. Resolved and validated by the CLI (stress_cli.cpp).
struct RunPlan {
  const PoolTarget* pool = &pool_targets().front();
  const Scenario* scenario = nullptr;  // set by the CLI (default: mixed)
  const Mutant* mutant = nullptr;      // null: the correct pool
  const det::StrategyEntry* strategy = &det::default_strategy();
};

inline constexpr std::uint32_t kDefaultHoldLimitMs = 100;
// --deterministic's defaults for --threads and --ops.
inline constexpr std::uint32_t kDeterministicThreads = 4;
inline constexpr std::uint32_t kDeterministicOps = 128;
inline constexpr std::uint32_t kDeterministicWorkloadOps = 64;  // a workload's ops are its units (tokens, requests)

// Which choices the command line fixed, so a campaign does not vary them (round_config.hpp,
// search_plan.hpp). A replay line names every one of them, so a replay pins them all.
struct Pins {
  bool config = false;    // any of --max-array-length, --max-per-bucket, --partitions, --arrays-per-partition
  bool shape = false;     // --threads or --ops: free-running rounds keep them
  bool seed = false;      // --seed: a deterministic search keeps this one program seed
  bool strategy = false;  // --strategy: a deterministic search uses only this strategy
  bool depth = false;     // --pct-depth: PCT runs only at this depth
  bool noise = false;     // --noise: free-running rounds keep it
};

struct StressSettings {
  std::uint64_t seed = 1;
  std::uint32_t threads = 1024;
  std::uint32_t ops = 64;                   // per thread, per round
  double duration_seconds = 10;             // run rounds until this much time has passed
  std::optional<std::uint32_t> rounds;      // exactly this many rounds instead (replays use 1)
  std::uint64_t max_array_length = 1024 * 1024;
  std::uint64_t max_per_bucket = 50;        // locked flavour's cap
  std::uint64_t partitions = 0;             // shared flavour; 0: one per core
  std::uint64_t arrays_per_partition = 32;  // shared flavour's cap per partition
  RunPlan plan;                             // pool, scenario, mutant, strategy
  Pins pins;                                // what the command line fixed
  std::uint32_t watchdog_ms = 10'000;
  // Free-running: ops between quiescent checkpoints; 0: none; kAutoCheckpointEvery: checkpoint_interval's.
  std::uint32_t checkpoint_every = kAutoCheckpointEvery;
  std::uint32_t hold_limit_ms = kDefaultHoldLimitMs;  // workloads: arrays held across a longer wait are starvation
  std::uint32_t repeat = 1;                 // run the whole thing N times; report recurrence
  Shard shard;                              // --shard I/N: only the rounds or schedules this shard owns
  bool quiet = false;
  // Free-running program rounds: point noise (point_noise.hpp) in the pool's own atomics, locks and
  // marked windows. Unless --noise pins it, each round draws it (round_config.hpp).
  bool noise = false;
  // Deterministic executor (--deterministic): one thread runs at a time, a seed fixes the schedule.
  bool deterministic = false;
  std::uint32_t pct_depth = 3;
  std::uint64_t pct_steps = 0;              // PCT's k; 0: measured by a random-walk calibration schedule
  std::uint32_t search = 100;               // schedules to try
  std::optional<std::uint64_t> schedule_seed;  // try exactly this schedule
  std::uint64_t max_steps = 2'000'000;      // per schedule; more is a livelock
  std::string trace_path;                   // where a failing schedule's trace goes ("" = derived name)
  std::string replay_path;                  // --replay FILE
  std::string json_path;
  std::string junit_path;
};

// The seed of round r: round 0 runs the given seed, later rounds derive theirs (printed on failure).
std::uint64_t round_seed(std::uint64_t seed, std::uint32_t round) noexcept;

// "stress --seed S --rounds 1 --threads ... (every setting that changes what runs)": paste to replay.
std::string replay_command(const StressSettings& settings, std::uint64_t seed);
// The pool options of the settings, as every pool family reads them.
PoolSettings pool_settings(const StressSettings& s) noexcept;
// The same for one deterministic schedule.
std::string replay_command(const StressSettings& settings, std::uint64_t seed, std::uint64_t schedule_seed);
// The seed of the i-th schedule a deterministic search tries.
std::uint64_t schedule_seed_for(std::uint64_t seed, std::uint32_t i) noexcept;

}  // namespace poolcheck
