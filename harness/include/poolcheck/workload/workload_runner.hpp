// Runs a workload: one OS thread per worker (started together at a barrier, as the free-running
// executor does), each calling body(ctx) with its own WorkerContext, while this thread prints
// progress, watches for stalls and honours an interrupt. After the join every worker's log merges
// into one RunOutcome; the workload then finishes its pools (CountedPool::finish).
//
// With `WorkloadConfig::det` set, the workers run under a deterministic Schedule instead (the
// workload's pools must then be built with det::DeterministicPolicy, and its own synchronisation
// be det types: DetAtomic, DetBarrier, WorkerContext::wait): one at a time, switching at every
// scheduling point, so (seed, strategy) fixes the interleaving and a trace replays it. A deadlock
// or the step limit is a `stall` violation, as for programs; workers learn of an abort only at
// checkpoints (WorkerContext::wait, DetBarrier), never inside the pool's noexcept paths.
//
// Not thread-safe: one run at a time per calling thread. After RunEnd::stalled, workers that left
// within the grace after the stop request were joined; any that did not are detached and still
// running (the stall report says which case it was): the caller must leak what they may use (its
// pools: CountedPool::finish does), report and exit the process.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>

#include "poolcheck/deterministic/schedule.hpp"
#include "poolcheck/deterministic/strategy.hpp"
#include "poolcheck/supervised_run.hpp"
#include "poolcheck/run_outcome.hpp"
#include "poolcheck/workload/worker_context.hpp"

namespace poolcheck {

// A workload run under the deterministic executor: the strategy that picks the thread at each
// point, the step limit, and where the schedule's result (steps, end) goes.
struct DetWorkload {
  det::Strategy* strategy = nullptr;
  std::uint64_t max_steps = 2'000'000;
  det::ScheduleResult* schedule_out = nullptr;
};

// The supervision (watchdog, progress, interrupt, stack size) plus what a workload adds.
struct WorkloadConfig : SupervisorConfig {
  std::uint32_t threads = 64;
  std::uint64_t seed = 1;
  std::uint64_t steps_total = 0;  // for the progress line: the steps all workers will report
  WorkloadLimits limits;
  const DetWorkload* det = nullptr;  // set: run under a deterministic schedule (see above)
};

// An exception escaping body(ctx) is reported as a pool-error violation naming the thread.
RunOutcome run_workload(const WorkloadConfig& config, const std::function<void(WorkerContext&)>& body);

}  // namespace poolcheck
