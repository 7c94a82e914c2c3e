// What one workload thread has: its index, its seeded random stream, fresh tags for its rentals,
// its violation log and oracle counts, the run's stop flag and progress, and the bookkeeping of
// the leases it holds (how many, how many bytes, since when), which the starvation oracle and the
// lost-lease check read.
//
// A WorkerContext belongs to its thread: nothing in it is shared except `RunState` (its own
// thread-safety contract) and the read-only limits. Workload code (scenarios/) receives one per
// thread from run_workload() and passes it to every CheckedBuffer it rents.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

#include "poolcheck/counting_allocator.hpp"
#include "poolcheck/run_state.hpp"
#include "poolcheck/seeded_random.hpp"
#include "poolcheck/tag_pattern.hpp"
#include "poolcheck/violation.hpp"
#include "poolcheck/worker_log.hpp"

namespace poolcheck {

struct WorkloadLimits {
  // A lease held across one blocking wait at least this long is starvation (see wait()).
  std::chrono::milliseconds hold_limit{100};
  bool stop_on_first_violation = true;
};

class WorkerContext {
 public:
  // `step_of_violation`: the deterministic executor's clock; each violation is stamped with the
  // schedule step it was found at (null: free-running, no step).
  WorkerContext(std::uint32_t index, std::uint32_t threads, std::uint64_t seed, RunState& state,
                const WorkloadLimits& limits, WorkerLog& log, std::uint64_t (*step_of_violation)() = nullptr);
  WorkerContext(const WorkerContext&) = delete;
  WorkerContext& operator=(const WorkerContext&) = delete;

  std::uint32_t index() const noexcept { return index_; }
  std::uint32_t threads() const noexcept { return threads_; }
  SeededRandom& rng() noexcept { return rng_; }
  WorkerLog& log() noexcept { return log_; }

  // A tag no other rental of this run carries: (this thread, its next rental number).
  Tag next_tag() noexcept;

  // Records a violation (stamped with the schedule step, if any); stops the run when the limits
  // say so. Returns false (for `return ctx.report(v)`).
  bool report(Violation v);
  void count_check(OracleKind kind) noexcept { ++log_.checks[static_cast<std::size_t>(kind)]; }

  bool stop_requested() const noexcept { return state_.stop_requested(); }
  // One unit of the workload's progress (a token, a request): feeds the live line and the watchdog.
  void step_done() noexcept;

  // A blocking wait of the consumer (for upstream tokens, a client, a queue). Holding pooled arrays
  // across a wait of at least the hold limit is starvation: the arrays sit idle while other
  // requests fall back to fresh allocations. The thread really waits (min(d, 2 x limit)); under a
  // deterministic schedule it yields to the other threads instead (Schedule::yield) and may throw
  // ScheduleAborted there.
  void wait(std::chrono::microseconds d, const char* what);

  // CheckedBuffer's bookkeeping of the leases this thread holds.
  void on_lease_taken(std::size_t bytes) noexcept;
  void on_lease_ended(std::size_t bytes, std::chrono::steady_clock::time_point since) noexcept;
  std::size_t live_leases() const noexcept { return live_leases_; }
  std::size_t live_bytes() const noexcept { return live_bytes_; }

 private:
  const std::uint32_t index_;
  const std::uint32_t threads_;
  SeededRandom rng_;
  RunState& state_;
  const WorkloadLimits& limits_;
  WorkerLog& log_;
  std::uint64_t (*const step_of_violation_)();
  std::uint32_t next_op_ = 0;
  std::size_t live_leases_ = 0;
  std::size_t live_bytes_ = 0;
};

}  // namespace poolcheck
