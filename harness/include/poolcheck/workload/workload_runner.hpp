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

struct WorkloadConfig {
  std::uint32_t threads = 64;
  std::uint64_t seed = 1;
  std::uint64_t steps_total = 0;  // for the progress line: the steps all workers will report
  WorkloadLimits limits;
  std::chrono::milliseconds watchdog{10'000};
  std::chrono::milliseconds progress_every{250};
  std::size_t stack_bytes = 0;  // 0: default_worker_stack_bytes()
  std::function<void(const Progress&)> on_progress;
  const std::atomic<bool>* interrupt = nullptr;
};

// An exception escaping body(ctx) is reported as a pool-error violation naming the thread.
RunOutcome run_workload(const WorkloadConfig& config, const std::function<void(WorkerContext&)>& body);

}  // namespace poolcheck
