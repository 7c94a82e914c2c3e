// The mutant pools, instantiated here (one TU: twenty-two pool types compile in parallel with the rest).
#include <cstddef>
#include <stdexcept>

#include "bufpool/array_pool.hpp"
#include "poolcheck/mutant_catalog.hpp"
#include "round_runner.hpp"

namespace poolcheck {
namespace {

using Element = std::byte;

template <bufpool::testing::Fault F>
using MutantPolicy = bufpool::testing::WithFaults<HarnessPolicy, static_cast<std::uint32_t>(F)>;

template <bufpool::testing::Fault F>
RunOutcome run_with_fault(const StressSettings& s, const ProgramSet& programs, const StressHooks& hooks,
                          std::uint32_t round, bufpool::PoolStats& stats_out) {
  const bool shared = s.pool == PoolKind::shared || s.pool == PoolKind::checked_shared;
  const auto run = free_running(programs, s, hooks, round);
  if (shared) return run_fresh_pool<bufpool::SharedArrayPool<Element, MutantPolicy<F>>>(s, run, stats_out);
  return run_fresh_pool<bufpool::LockedArrayPool<Element, MutantPolicy<F>>>(s, run, stats_out);
}

}  // namespace

RunOutcome run_mutant_round(const StressSettings& s, const ProgramSet& programs, const StressHooks& hooks,
                            std::uint32_t round, bufpool::PoolStats& stats_out) {
  const Mutant* m = find_mutant(s.mutant);
  if (m == nullptr) throw std::invalid_argument("unknown mutant '" + s.mutant + "'");
  using bufpool::testing::Fault;
  switch (m->fault) {
    case Fault::no_lock: return run_with_fault<Fault::no_lock>(s, programs, hooks, round, stats_out);
    case Fault::ignore_cap: return run_with_fault<Fault::ignore_cap>(s, programs, hooks, round, stats_out);
    case Fault::ignore_clear: return run_with_fault<Fault::ignore_clear>(s, programs, hooks, round, stats_out);
    case Fault::clear_after_publish:
      return run_with_fault<Fault::clear_after_publish>(s, programs, hooks, round, stats_out);
    case Fault::double_push: return run_with_fault<Fault::double_push>(s, programs, hooks, round, stats_out);
    case Fault::off_by_one_bucket: return run_with_fault<Fault::off_by_one_bucket>(s, programs, hooks, round, stats_out);
    case Fault::tls_slot_kept: return run_with_fault<Fault::tls_slot_kept>(s, programs, hooks, round, stats_out);
    case Fault::lose_array: return run_with_fault<Fault::lose_array>(s, programs, hooks, round, stats_out);
    case Fault::racy_stats: return run_with_fault<Fault::racy_stats>(s, programs, hooks, round, stats_out);
    case Fault::partial_clear: return run_with_fault<Fault::partial_clear>(s, programs, hooks, round, stats_out);
    case Fault::lease_drops_clear:
      return run_with_fault<Fault::lease_drops_clear>(s, programs, hooks, round, stats_out);
    case Fault::none: break;
  }
  throw std::logic_error("mutant without a fault");
}

}  // namespace poolcheck
