#include "poolcheck/worker_log.hpp"

#include <algorithm>

namespace poolcheck {

void merge_into(RunOutcome& out, const WorkerLog& log) {
  out.violations.insert(out.violations.end(), log.violations.begin(), log.violations.end());
  for (std::size_t i = 0; i < kOracleCount; ++i) out.checks[i] += log.checks[i];
  for (std::size_t i = 0; i < kLedgerRows; ++i) out.rents_by_bucket[i] += log.rents_by_bucket[i];
  out.rents += log.rents;
  out.give_backs += log.give_backs;
  out.hand_overs += log.hand_overs;
  out.ops_done += log.ops_done;
  out.longest_hold_ms =
      std::max(out.longest_hold_ms, std::chrono::duration<double, std::milli>(log.longest_hold).count());
  out.peak_thread_bytes = std::max<std::uint64_t>(out.peak_thread_bytes, log.peak_live_bytes);
}

void merge_into_log(WorkerLog& into, const WorkerLog& from) {
  into.violations.insert(into.violations.end(), from.violations.begin(), from.violations.end());
  for (std::size_t i = 0; i < kOracleCount; ++i) into.checks[i] += from.checks[i];
  for (std::size_t i = 0; i < kLedgerRows; ++i) into.rents_by_bucket[i] += from.rents_by_bucket[i];
  into.rents += from.rents;
  into.give_backs += from.give_backs;
  into.hand_overs += from.hand_overs;
  into.ops_done += from.ops_done;
  into.longest_hold = std::max(into.longest_hold, from.longest_hold);
  into.peak_live_bytes = std::max(into.peak_live_bytes, from.peak_live_bytes);
}

void merge_run(RunOutcome& out, std::span<const WorkerLog> logs, const WorkerLog* main_log, RunEnd end,
               const std::optional<Violation>& first) {
  for (const WorkerLog& log : logs) merge_into(out, log);
  if (main_log != nullptr) merge_into(out, *main_log);
  if (first) {
    const auto it = std::find_if(out.violations.begin(), out.violations.end(), [&](const Violation& v) {
      return same_finding(v, *first) && v.what == first->what;
    });
    if (it != out.violations.end()) std::rotate(out.violations.begin(), it, it + 1);
  }
  out.end = end;
  if (end == RunEnd::completed && !out.violations.empty()) out.end = RunEnd::violation;
}

}  // namespace poolcheck
