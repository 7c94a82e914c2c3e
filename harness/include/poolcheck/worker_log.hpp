// What one worker thread records while it runs (violations, oracle checks, rents, ops), written by
// that thread only and merged into the RunOutcome after the join. Shared by the free-running
// executor's workers and the workload runner's.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "poolcheck/counting_allocator.hpp"
#include "poolcheck/run_outcome.hpp"
#include "poolcheck/violation.hpp"

namespace poolcheck {

struct WorkerLog {
  std::vector<Violation> violations;
  std::array<std::uint64_t, kOracleCount> checks{};
  std::array<std::uint64_t, kLedgerRows> rents_by_bucket{};
  std::uint64_t rents = 0;
  std::uint64_t give_backs = 0;  // give_backs of rented arrays the pool took without throwing
  std::uint64_t hand_overs = 0;
  std::uint64_t ops_done = 0;                // program ops, or workload steps
  std::chrono::nanoseconds longest_hold{0};  // workloads: longest a lease of this thread was held
  std::size_t peak_live_bytes = 0;           // workloads: most bytes this thread held at once
};

// Adds `from` into `into` (violations, checks and counts), for a log that ends up merged as one.
void merge_into_log(WorkerLog& into, const WorkerLog& from);
// Adds `log` into `out` (sums, and maxima for the hold time and the peak).
void merge_into(RunOutcome& out, const WorkerLog& log);
// Merges every worker's log, then the supervising thread's (`main_log`, may be null), into `out`
// and sets how the run ended: a run that completed with findings ended in a violation.
// The violation published first (`first`, from RunState) leads the list: with several threads
// finding things at once, the log order is the thread order, not the order they were found in.
void merge_run(RunOutcome& out, std::span<const WorkerLog> logs, const WorkerLog* main_log, RunEnd end,
               const std::optional<Violation>& first);

}  // namespace poolcheck
