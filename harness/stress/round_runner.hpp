// One round against one pool: the executor, then the checks only quiescence allows (the pool's
// statistics against the harness's counts, caps), then, once the pool is destroyed, accounting.
// Shared by the correct pools (stress_driver.cpp) and the mutant pools (mutant_rounds.cpp).
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>

#include "bufpool/pool_stats.hpp"
#include "poolcheck/counting_allocator.hpp"
#include "poolcheck/free_executor.hpp"
#include "poolcheck/oracles/accounting_oracle.hpp"
#include "poolcheck/workload/counted_pool.hpp"
#include "stress_driver.hpp"

namespace poolcheck {

using Element = std::byte;

// `execute(pool, facts, ledger)` runs the programs (free-running or deterministic) and returns the
// outcome; this adds the quiescent checks and the accounting check after destroying the pool.
template <class Pool, class Execute>
RunOutcome run_round(std::unique_ptr<Pool> pool, AllocationLedger& ledger, const PoolFacts& facts, Execute&& execute,
                     bufpool::PoolStats& stats_out) {
  RunOutcome out = execute(*pool, facts, ledger);
  if (out.end == RunEnd::stalled || out.end == RunEnd::thread_limit) {
    // Stalled workers may still use the pool (free-running), or left it mid-operation
    // (deterministic abort): it must outlive the process, which exits after the report.
    if (out.end == RunEnd::stalled) (void)pool.release();
    return out;
  }
  stats_out = pool->stats();
  if (!out.violations.empty()) {
    // A pool caught sharing or losing arrays may free one twice when destroyed: keep it, and the
    // process exits after the report without running destructors.
    (void)pool.release();
    return out;
  }
  if (out.end == RunEnd::completed) {
    ++out.checks[static_cast<std::size_t>(OracleKind::stats)];
    if (auto v = check_pool_stats(stats_out, out.rents, ledger)) out.violations.push_back(*v);
  }
  pool.reset();
  ++out.checks[static_cast<std::size_t>(OracleKind::accounting)];
  if (auto v = AccountingOracle::check_after_destroy(ledger)) out.violations.push_back(*v);
  if (!out.violations.empty() && out.end == RunEnd::completed) out.end = RunEnd::violation;
  return out;
}

// The free-running execution of one round (see run_round).
inline auto free_running(const ProgramSet& programs, const StressSettings& settings, const StressHooks& hooks,
                         std::uint32_t round) {
  return [&programs, &settings, &hooks, round](auto& pool, const PoolFacts& facts, AllocationLedger& ledger) {
    FreeExecutor<std::remove_reference_t<decltype(pool)>> executor(pool, facts, &ledger);
    FreeRunConfig config;
    config.watchdog = std::chrono::milliseconds(settings.watchdog_ms);
    config.interrupt = hooks.interrupt;
    if (hooks.on_progress) config.on_progress = [&hooks, round](const Progress& p) { hooks.on_progress(p, round); };
    return executor.run(programs, config);
  };
}

// Runs one round against a fresh pool of type Pool built from the settings.
template <class Pool, bool Shared, class Execute>
RunOutcome run_fresh_pool(const StressSettings& s, Execute&& execute, bufpool::PoolStats& stats_out) {
  AllocationLedger ledger(sizeof(typename Pool::value_type));
  CountingAllocator allocator(&ledger);
  if constexpr (Shared) {
    bufpool::SharedPoolOptions options;
    options.partitions = static_cast<std::size_t>(s.partitions);
    options.arrays_per_partition = static_cast<std::size_t>(s.arrays_per_partition);
    auto pool = std::make_unique<Pool>(options, allocator);
    const PoolFacts facts = shared_pool_facts(*pool);
    return run_round(std::move(pool), ledger, facts, execute, stats_out);
  } else {
    auto pool = std::make_unique<Pool>(
        bufpool::PoolOptions{static_cast<std::size_t>(s.max_array_length), static_cast<std::size_t>(s.max_per_bucket)},
        allocator);
    const PoolFacts facts = locked_pool_facts(*pool);
    return run_round(std::move(pool), ledger, facts, execute, stats_out);
  }
}

// The mutant pools: the real pools with one fault switched in (mutant_rounds.cpp).
RunOutcome run_mutant_round(const StressSettings& s, const ProgramSet& programs, const StressHooks& hooks,
                            std::uint32_t round, bufpool::PoolStats& stats_out);

}  // namespace poolcheck
