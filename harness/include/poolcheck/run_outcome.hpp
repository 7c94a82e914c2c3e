// What a run produced: how it ended, its violations, and the counts the summary prints.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "poolcheck/counting_allocator.hpp"
#include "poolcheck/size_classes.hpp"
#include "poolcheck/violation.hpp"

namespace poolcheck {

enum class RunEnd {
  completed,     // every program ran to its end
  violation,     // stopped at the first violation
  interrupted,   // SIGINT/SIGTERM
  stalled,       // the watchdog saw no progress: threads are still stuck, the process must exit
  thread_limit,  // the system refused to start all threads
};

const char* to_string(RunEnd end) noexcept;

struct RunOutcome {
  RunEnd end = RunEnd::completed;
  std::vector<Violation> violations;
  std::uint64_t ops_done = 0;
  std::uint64_t ops_total = 0;
  std::uint32_t threads_requested = 0;
  std::uint32_t threads_started = 0;
  double seconds = 0;
  std::array<std::uint64_t, kOracleCount> checks{};           // oracle checks run, by oracle
  std::array<std::uint64_t, kLedgerRows> rents_by_bucket{};  // non-empty rents, by bucket (last: over-size)
  // The size classes rents_by_bucket's rows are of (note_layout): the longest of the pools' layouts
  // when each extends the others (bufpool's always do), else none (`layouts_differ`).
  SizeClasses classes;
  bool layouts_differ = false;
  std::uint64_t rents = 0;
  std::uint64_t give_backs = 0;  // give_backs the harness made (the pool's own count must agree)
  std::uint64_t hand_overs = 0;
  std::string error;         // thread_limit: what the system said
  std::string stall_report;  // stalled: what each stuck thread was doing
  // Workloads (scenarios/): what they measured beyond pass/fail.
  double longest_hold_ms = 0;           // longest any lease was held
  std::uint64_t peak_thread_bytes = 0;  // most pooled bytes one thread held at once
  std::uint64_t fresh_allocations = 0;  // the pools' fresh allocations (rents the pools could not serve)
  std::vector<std::string> notes;       // the workload's own findings, one line each (last round's)

  bool clean() const noexcept { return violations.empty() && (end == RunEnd::completed); }
};

// Records that `out`'s rents were made on a pool with `classes` (see RunOutcome::classes).
void note_layout(RunOutcome& out, const SizeClasses& classes);

// The violation a schedule hit first: the one with the earliest step (violations found outside the
// schedule, step 0, only when no other has a step); empty when there is none. A trace records it,
// and a replay must hit it again at the same step.
std::optional<Violation> earliest_violation(const RunOutcome& out);

// Adds `b` into `a` (a run of several rounds).
void accumulate(RunOutcome& a, const RunOutcome& b);

}  // namespace poolcheck
