// What every workload is run with, and the flavour dispatch that builds its pools.
//
// A workload is real consumer code (a token streamer, a request that throws, a grower) written
// against CheckedBuffer and run by run_workload(); a pitfall is the same code with one consumer bug
// switched in. Each workload builds its own CountedPool(s) of the flavour `stress --pool` names,
// of whatever element types it needs, and finishes them (quiescent checks, accounting).
#pragma once

#include <cstdint>
#include <string>
#include <type_traits>

#include "bufpool/array_pool.hpp"
#include "poolcheck/counting_allocator.hpp"
#include "poolcheck/deterministic/det_policy.hpp"
#include "poolcheck/pool_kind.hpp"
#include "poolcheck/run_outcome.hpp"
#include "poolcheck/workload/counted_pool.hpp"
#include "poolcheck/workload/workload_runner.hpp"

namespace poolcheck {

struct WorkloadParams {
  PoolKind pool = PoolKind::shared;
  PoolSettings pools;
  WorkloadConfig run;     // threads, seed, limits, watchdog, progress; steps_total set by the workload
  std::uint32_t ops = 64;  // per thread: tokens per stream, requests per thread, ...
};

using WorkloadFn = RunOutcome (*)(const WorkloadParams&);

// Calls fn(flavour) for the pool `p.pool` names in the pool registry, where flavour::Pool<T> is
// that pool of element T over the harness's policy (so one workload can build char, uint8_t and
// float pools of the same flavour), or over det::DeterministicPolicy when the workload runs under
// the deterministic executor (p.run.det): its atomics and mutexes are then scheduling points.
template <class Fn>
RunOutcome with_flavour(const WorkloadParams& p, Fn&& fn) {
  if (p.run.det != nullptr) return visit_pool<det::DeterministicPolicy>(pool_entry(p.pool), fn);
  return visit_pool<HarnessPolicy>(pool_entry(p.pool), fn);
}

// The run's configuration with the progress total set: `workers` threads report `steps_each` steps.
inline WorkloadConfig run_config(const WorkloadParams& p, std::uint64_t workers, std::uint64_t steps_each) {
  WorkloadConfig config = p.run;
  config.steps_total = workers * steps_each;
  return config;
}

// "12.5%" of part in whole (0% when whole is 0), for notes.
std::string percent_text(std::uint64_t part, std::uint64_t whole);
// The stats note every workload prints: rents, fresh allocations and their share.
void add_pool_note(RunOutcome& out, const bufpool::PoolStats& s, const char* pool_name = "pool");

}  // namespace poolcheck
