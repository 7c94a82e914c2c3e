// bufpool's pools as stress's pool targets: each row of bufpool's registry (pool_kind.hpp) runs its
// correct pool or, with --mutant, that pool with one fault, free-running or under a schedule.
#include <cstddef>

#include "det_rounds.hpp"
#include "pool_target.hpp"
#include "round_runner.hpp"

namespace poolcheck {
namespace {

RunOutcome run_bufpool_free_round(const StressSettings& s, const ProgramSet& programs, const StressHooks& hooks,
                                  std::uint32_t round, bufpool::PoolStats& stats_out) {
  if (s.noise) return run_noisy_bufpool_round(s, programs, hooks, round, stats_out);
  if (s.plan.mutant != nullptr) return run_mutant_round(s, programs, hooks, round, stats_out);
  const auto run = free_running(programs, s, hooks, round);
  return visit_pool<HarnessPolicy>(*s.plan.pool->bufpool, [&](auto flavour) {
    return run_fresh_pool<typename decltype(flavour)::template Pool<Element>>(s, run, stats_out);
  });
}

}  // namespace

std::vector<PoolTarget> bufpool_targets() {
  std::vector<PoolTarget> out;
  for (const PoolEntry& p : pool_registry()) {
    PoolTarget t;
    t.name = std::string(p.name);
    t.summary = std::string(p.summary);
    t.cap_flags = p.family == PoolFamily::locked ? CapFlags::per_bucket : CapFlags::partitioned;
    t.over_size_reachable = visit_family(p.family, [](auto family) { return family.kOverSizeReachable; });
    t.checked = p.checked;
    t.bufpool = &p;
    t.run_free = run_bufpool_free_round;
    t.run_det = run_bufpool_det_round;
    out.push_back(std::move(t));
  }
  return out;
}

}  // namespace poolcheck
