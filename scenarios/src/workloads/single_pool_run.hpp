// The frame of a workload that uses one pool: build a CountedPool of the flavour `stress --pool`
// names, let the workload run on it, then add the pool's stats note and finish the pool with the
// harness's rent and give_back counts (the only pool of the run, so the counts are all its own).
#pragma once

#include "poolcheck/workloads/workload_params.hpp"

namespace poolcheck {

// Calls workload(counted) with a CountedPool<Pool> of element type T, for the Pool of p.pool's
// flavour, and returns its outcome once the pool is finished. The workload runs its body
// (run_workload) and adds its own notes and checks; it may still use the pool after the body.
//
// `outside_harness`: rents and give_backs the workload itself makes on the pool after a clean run
// (a probe, not counted by the harness). They are added to the harness's counts, which the pool's
// statistics are compared with only after a clean run.
template <class T, class Workload>
RunOutcome run_single_pool(const WorkloadParams& p, Workload&& workload, HarnessCounts outside_harness = {}) {
  return with_flavour(p.pool, [&](auto flavour) {
    using Pool = typename decltype(flavour)::template Pool<T>;
    CountedPool<Pool> counted(p.pools);
    RunOutcome out = workload(counted);
    add_pool_note(out, counted.pool().stats());
    HarnessCounts counts{out.rents + outside_harness.rents, out.give_backs + outside_harness.give_backs, std::nullopt};
    // Per bucket only when every rent is known by bucket (the outside ones too, or there are none).
    if (outside_harness.rents == 0 || outside_harness.rents_by_bucket) {
      counts.rents_by_bucket = out.rents_by_bucket;
      if (outside_harness.rents_by_bucket) {
        for (std::size_t b = 0; b < kLedgerRows; ++b) (*counts.rents_by_bucket)[b] += (*outside_harness.rents_by_bucket)[b];
      }
    }
    counted.finish(out, counts);
    return out;
  });
}

}  // namespace poolcheck
