#include "poolcheck/run_outcome.hpp"

#include <algorithm>

namespace poolcheck {

const char* to_string(RunEnd end) noexcept {
  switch (end) {
    case RunEnd::completed: return "completed";
    case RunEnd::violation: return "violation";
    case RunEnd::interrupted: return "interrupted";
    case RunEnd::stalled: return "stalled";
    case RunEnd::thread_limit: return "thread-limit";
  }
  return "?";
}

std::optional<Violation> earliest_violation(const RunOutcome& out) {
  std::optional<Violation> first;
  for (const Violation& v : out.violations) {
    if (!first || (v.step != 0 && (first->step == 0 || v.step < first->step))) first = v;
  }
  return first;
}

void note_layout(RunOutcome& out, const SizeClasses& classes) {
  if (out.layouts_differ || out.classes.extends(classes)) return;
  if (classes.extends(out.classes)) {
    out.classes = classes;
  } else {
    out.classes = SizeClasses{};
    out.layouts_differ = true;
  }
}

void accumulate(RunOutcome& a, const RunOutcome& b) {
  if (b.layouts_differ) {
    a.classes = SizeClasses{};
    a.layouts_differ = true;
  }
  note_layout(a, b.classes);
  if (a.end == RunEnd::completed) a.end = b.end;
  a.violations.insert(a.violations.end(), b.violations.begin(), b.violations.end());
  a.ops_done += b.ops_done;
  a.ops_total += b.ops_total;
  a.threads_requested = std::max(a.threads_requested, b.threads_requested);
  a.threads_started = std::max(a.threads_started, b.threads_started);
  a.seconds += b.seconds;
  for (std::size_t i = 0; i < a.checks.size(); ++i) a.checks[i] += b.checks[i];
  for (std::size_t i = 0; i < a.rents_by_bucket.size(); ++i) a.rents_by_bucket[i] += b.rents_by_bucket[i];
  a.rents += b.rents;
  a.give_backs += b.give_backs;
  a.hand_overs += b.hand_overs;
  if (a.error.empty()) a.error = b.error;
  if (a.stall_report.empty()) a.stall_report = b.stall_report;
  a.longest_hold_ms = std::max(a.longest_hold_ms, b.longest_hold_ms);
  a.peak_thread_bytes = std::max(a.peak_thread_bytes, b.peak_thread_bytes);
  a.fresh_allocations += b.fresh_allocations;
  if (!b.notes.empty()) a.notes = b.notes;
}

}  // namespace poolcheck
