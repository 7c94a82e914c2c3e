// One round against one pool: the executor, then the checks only quiescence allows (the pool's
// statistics against the harness's counts, caps), then, once the pool is destroyed, accounting.
// Shared by the correct pools (stress_driver.cpp), the mutant pools (mutant_rounds.cpp) and the
// deterministic executor (det_rounds.cpp); the pool and its checks are CountedPool, as for workloads.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>

#include "bufpool/pool_stats.hpp"
#include "poolcheck/counting_allocator.hpp"
#include "poolcheck/deterministic/crash_trace.hpp"
#include "poolcheck/deterministic/det_executor.hpp"
#include "poolcheck/free_executor.hpp"
#include "poolcheck/oracles/accounting_oracle.hpp"
#include "poolcheck/workload/counted_pool.hpp"
#include "stress_driver.hpp"

namespace poolcheck {

using Element = std::byte;

// The free-running execution of one round (see run_fresh_pool). With settings.noise the pool must
// be built on det types (DeterministicPolicy, or a user's pool on det::Sync): their points are
// where the noise stops threads.
inline auto free_running(const ProgramSet& programs, const StressSettings& settings, const StressHooks& hooks,
                         std::uint32_t round) {
  return [&programs, &settings, &hooks, round](auto& pool, const PoolFacts& facts, AllocationLedger& ledger) {
    FreeExecutor<std::remove_reference_t<decltype(pool)>> executor(pool, facts, &ledger);
    FreeRunConfig config;
    config.watchdog = std::chrono::milliseconds(settings.watchdog_ms);
    config.checkpoint_every = settings.checkpoint_every;
    config.point_noise = settings.noise;
    config.interrupt = hooks.interrupt;
    if (hooks.on_progress) config.on_progress = [&hooks, round](const Progress& p) { hooks.on_progress(p, round); };
    return executor.run(programs, config);
  };
}

// The deterministic execution of one schedule (see run_fresh_pool): the pool must be built on
// det types (DeterministicPolicy, or a user's pool on det::Sync).
inline auto under_schedule(const ProgramSet& programs, const StressSettings& settings, det::Strategy& strategy,
                           det::ScheduleResult& schedule_out, const std::atomic<bool>* interrupt) {
  return [&programs, &settings, &strategy, &schedule_out, interrupt](auto& pool, const PoolFacts& facts,
                                                                     AllocationLedger& ledger) {
    det::DetOutcome out =
        det::run_deterministic(pool, facts, &ledger, programs, strategy, settings.max_steps, interrupt);
    schedule_out = std::move(out.schedule);
    // A crash in the end-of-run checks or the pool's destruction still writes this schedule's trace.
    det::set_crash_trace_steps(&schedule_out.trace);
    return out.run;
  };
}

// Runs one round against a fresh counted pool of type Pool built from the settings:
// `execute(pool, facts, ledger)` runs the programs (free-running or deterministic) and returns the
// outcome; CountedPool::finish adds the quiescent checks (statistics against the harness's rent
// count, caps) and the accounting check after destroying the pool, or keeps the pool alive when
// workers may still be in it or it was caught misbehaving.
// `Maker`: see CountedPool.
template <class Pool, class Maker = FamilyOfPool<Pool>, class Execute>
RunOutcome run_fresh_pool(const StressSettings& s, Execute&& execute, bufpool::PoolStats& stats_out) {
  CountedPool<Pool, Maker> counted(pool_settings(s));
  RunOutcome out = execute(counted.pool(), counted.facts(), counted.ledger());
  if constexpr (PoolWithStats<Pool>) {
    if (out.end != RunEnd::stalled && out.end != RunEnd::thread_limit) stats_out = counted.pool().stats();
  }
  counted.finish(out, HarnessCounts{out.rents, out.give_backs, out.rents_by_bucket});
  return out;
}

// The mutant pools: the real pools with one fault switched in (mutant_rounds.cpp).
RunOutcome run_mutant_round(const StressSettings& s, const ProgramSet& programs, const StressHooks& hooks,
                            std::uint32_t round, bufpool::PoolStats& stats_out);
// A free-running round with point noise: bufpool's pool (or its mutant) on DeterministicPolicy,
// the types whose atomics, locks and race windows are points (noisy_rounds.cpp).
RunOutcome run_noisy_bufpool_round(const StressSettings& s, const ProgramSet& programs, const StressHooks& hooks,
                                   std::uint32_t round, bufpool::PoolStats& stats_out);

}  // namespace poolcheck
