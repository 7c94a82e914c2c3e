// The mutant pools, instantiated here (one TU: a pool type per mutant and unchecked pool row
// compiles in parallel with the rest): every row of the mutant catalog over every unchecked row of
// the pool registry, chosen by the two visitors.
#include <cstddef>

#include "poolcheck/mutant_catalog.hpp"
#include "poolcheck/pool_kind.hpp"
#include "round_runner.hpp"

namespace poolcheck {

RunOutcome run_mutant_round(const StressSettings& s, const ProgramSet& programs, const StressHooks& hooks,
                            std::uint32_t round, bufpool::PoolStats& stats_out) {
  const auto run = free_running(programs, s, hooks, round);
  return visit_fault(*s.plan.mutant, [&](auto fault) {
    using Policy = MutantPolicy<HarnessPolicy, decltype(fault)::value>;
    return visit_pool<Policy, unchecked_pool>(*s.plan.pool->bufpool, [&](auto flavour) {
      return run_fresh_pool<typename decltype(flavour)::template Pool<Element>>(s, run, stats_out);
    });
  });
}

}  // namespace poolcheck
