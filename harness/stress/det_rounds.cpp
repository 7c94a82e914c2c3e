// The pools of the deterministic executor: the real pools (and their mutants) built with
// DeterministicPolicy, so every atomic and mutex is a scheduling point.
#include <cstddef>
#include <stdexcept>

#include "bufpool/array_pool.hpp"
#include "det_rounds.hpp"
#include "poolcheck/deterministic/det_executor.hpp"
#include "poolcheck/deterministic/det_policy.hpp"
#include "poolcheck/mutant_catalog.hpp"
#include "round_runner.hpp"

namespace poolcheck {
namespace {

using Element = std::byte;

struct CheckedDeterministicPolicy : det::DeterministicPolicy {
  static constexpr bool checked = true;
};

template <class Policy>
RunOutcome run_policy(const StressSettings& s, const ProgramSet& programs, det::Strategy& strategy,
                      det::ScheduleResult& schedule_out, bufpool::PoolStats& stats_out) {
  auto execute = [&](auto& pool, const PoolFacts& facts, AllocationLedger& ledger) {
    det::DetOutcome out = det::run_deterministic(pool, facts, &ledger, programs, strategy, s.max_steps);
    schedule_out = std::move(out.schedule);
    return out.run;
  };
  const bool shared = s.pool == PoolKind::shared || s.pool == PoolKind::checked_shared;
  if (shared) return run_fresh_pool<bufpool::SharedArrayPool<Element, Policy>>(s, execute, stats_out);
  return run_fresh_pool<bufpool::LockedArrayPool<Element, Policy>>(s, execute, stats_out);
}

template <bufpool::testing::Fault F>
using MutantOf = det::DeterministicMutantPolicy<static_cast<std::uint32_t>(F)>;

}  // namespace

RunOutcome run_deterministic_round(const StressSettings& s, const ProgramSet& programs, det::Strategy& strategy,
                                   det::ScheduleResult& schedule_out, bufpool::PoolStats& stats_out) {
  if (s.mutant.empty()) {
    const bool checked = s.pool == PoolKind::checked_shared || s.pool == PoolKind::checked_locked;
    return checked ? run_policy<CheckedDeterministicPolicy>(s, programs, strategy, schedule_out, stats_out)
                   : run_policy<det::DeterministicPolicy>(s, programs, strategy, schedule_out, stats_out);
  }
  const Mutant* m = find_mutant(s.mutant);
  if (m == nullptr) throw std::invalid_argument("unknown mutant '" + s.mutant + "'");
  using bufpool::testing::Fault;
  auto& o = schedule_out;
  auto& st = stats_out;
  switch (m->fault) {
    case Fault::no_lock: return run_policy<MutantOf<Fault::no_lock>>(s, programs, strategy, o, st);
    case Fault::ignore_cap: return run_policy<MutantOf<Fault::ignore_cap>>(s, programs, strategy, o, st);
    case Fault::ignore_clear: return run_policy<MutantOf<Fault::ignore_clear>>(s, programs, strategy, o, st);
    case Fault::clear_after_publish: return run_policy<MutantOf<Fault::clear_after_publish>>(s, programs, strategy, o, st);
    case Fault::double_push: return run_policy<MutantOf<Fault::double_push>>(s, programs, strategy, o, st);
    case Fault::off_by_one_bucket: return run_policy<MutantOf<Fault::off_by_one_bucket>>(s, programs, strategy, o, st);
    case Fault::tls_slot_kept: return run_policy<MutantOf<Fault::tls_slot_kept>>(s, programs, strategy, o, st);
    case Fault::lose_array: return run_policy<MutantOf<Fault::lose_array>>(s, programs, strategy, o, st);
    case Fault::racy_stats: return run_policy<MutantOf<Fault::racy_stats>>(s, programs, strategy, o, st);
    case Fault::partial_clear: return run_policy<MutantOf<Fault::partial_clear>>(s, programs, strategy, o, st);
    case Fault::lease_drops_clear: return run_policy<MutantOf<Fault::lease_drops_clear>>(s, programs, strategy, o, st);
    case Fault::none: break;
  }
  throw std::logic_error("mutant without a fault");
}

}  // namespace poolcheck
