// Free-running rounds with point noise on bufpool's pools and their mutants: the pools built with
// DeterministicPolicy (the deterministic executor's types), run by the free-running executor with
// point noise armed. One TU of its own: a pool type per mutant and row, compiled in parallel.
#include <cstddef>

#include "poolcheck/deterministic/det_policy.hpp"
#include "poolcheck/mutant_catalog.hpp"
#include "poolcheck/pool_kind.hpp"
#include "round_runner.hpp"

namespace poolcheck {

RunOutcome run_noisy_bufpool_round(const StressSettings& s, const ProgramSet& programs, const StressHooks& hooks,
                                   std::uint32_t round, bufpool::PoolStats& stats_out) {
  const auto run = free_running(programs, s, hooks, round);
  auto on = [&](auto flavour) {
    return run_fresh_pool<typename decltype(flavour)::template Pool<Element>>(s, run, stats_out);
  };
  if (s.plan.mutant == nullptr) return visit_pool<det::DeterministicPolicy>(*s.plan.pool->bufpool, on);
  return visit_fault(*s.plan.mutant, [&](auto fault) {
    return visit_pool<MutantPolicy<det::DeterministicPolicy, decltype(fault)::value>, unchecked_pool>(
        *s.plan.pool->bufpool, on);
  });
}

}  // namespace poolcheck
