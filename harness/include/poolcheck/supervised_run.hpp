// Starts the workers of a run and watches them from the calling (main) thread: one launcher and one
// supervision loop for every runner (program executors and workloads alike).
//
// The workers start parked at a barrier and are released together. While they run, this thread
// reports progress, runs a sampled check between polls, honours an interrupt flag and runs the
// watchdog: no op finished for `watchdog` is a stall. The stuck workers are then asked to stop and
// given one more watchdog period to leave: a worker that was only slow (one huge memset under
// TSan) leaves and is joined, so the caller's frames it still reads stay valid. Workers that do not
// leave are still inside the pool: they are detached, and everything the body touches must be
// leaked by the caller, which reports and leaves the process without destroying it.
//
// Not thread-safe: one run at a time per calling thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

#include "poolcheck/run_outcome.hpp"
#include "poolcheck/run_state.hpp"
#include "poolcheck/thread_launcher.hpp"

namespace poolcheck {

// What the live line shows.
struct Progress {
  std::uint64_t ops_done = 0;
  std::uint64_t ops_total = 0;
  std::uint32_t threads_alive = 0;
  std::uint64_t violations = 0;
  double seconds = 0;
};

struct SupervisorConfig {
  std::chrono::milliseconds watchdog{10'000};  // no progress this long: stall
  std::chrono::milliseconds progress_every{250};
  std::size_t stack_bytes = 0;                        // 0: default_worker_stack_bytes()
  std::function<void(const Progress&)> on_progress;  // on the calling thread
  const std::atomic<bool>* interrupt = nullptr;      // set by a signal handler: stop now
  // Called on the calling thread between polls while workers are alive: a sampled check.
  std::function<void()> while_running;
  // Called on the calling thread the moment a stall is declared, before the stuck workers are
  // asked to stop: what each was doing then (SupervisedEnd::stall_report).
  std::function<std::string()> describe_stall;
};

struct SupervisedEnd {
  RunEnd end = RunEnd::completed;  // completed, interrupted, stalled or thread_limit
  std::uint32_t threads_started = 0;
  std::string error;  // thread_limit: what the system said
  // stalled only:
  std::uint32_t stuck_threads = 0;  // workers still running when the stall was declared
  bool stuck_left = false;          // every one of them left within the grace and was joined
  std::string stall_report;         // describe_stall() at the stall, if set
};

// Runs body(i) on `threads` new threads through `launcher` and supervises them with `state` (the
// workers report their progress there). Returns after every worker was joined, or on a stall
// (workers joined if they left within the grace, detached if not) or a failed start (the started
// ones released with abort and joined).
SupervisedEnd run_supervised(ThreadLauncher& launcher, RunState& state, std::uint32_t threads,
                             std::function<void(std::uint32_t)> body, const SupervisorConfig& config);

// For a run that did not get to join its workers (thread limit, stall): fills `out` with how it
// ended, what the system said, the ops done and the first violation published; true if so. The
// caller adds its stall report and, unless `end.stuck_left`, leaks what stalled workers still use.
bool ended_early(const SupervisedEnd& end, const RunState& state, RunOutcome& out,
                 std::chrono::steady_clock::time_point t0);

double seconds_since(std::chrono::steady_clock::time_point t0) noexcept;

}  // namespace poolcheck
