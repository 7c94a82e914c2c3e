// Runs a workload: one OS thread per worker (started together at a barrier, as the free-running
// executor does), each calling body(ctx) with its own WorkerContext, while this thread prints
// progress, watches for stalls and honours an interrupt. After the join every worker's log merges
// into one RunOutcome; the workload then finishes its pools (CountedPool::finish).
//
// Not thread-safe: one run at a time per calling thread. After RunEnd::stalled the workers are
// detached and still running: the caller must leak what they use, report and exit the process.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>

#include "poolcheck/supervised_run.hpp"
#include "poolcheck/run_outcome.hpp"
#include "poolcheck/workload/worker_context.hpp"

namespace poolcheck {

// The supervision (watchdog, progress, interrupt, stack size) plus what a workload adds.
struct WorkloadConfig : SupervisorConfig {
  std::uint32_t threads = 64;
  std::uint64_t seed = 1;
  std::uint64_t steps_total = 0;  // for the progress line: the steps all workers will report
  WorkloadLimits limits;
};

// An exception escaping body(ctx) is reported as a pool-error violation naming the thread.
RunOutcome run_workload(const WorkloadConfig& config, const std::function<void(WorkerContext&)>& body);

}  // namespace poolcheck
