#include "poolcheck/workload/worker_context.hpp"

#include <algorithm>
#include <thread>

#include "poolcheck/deterministic/schedule.hpp"

namespace poolcheck {

WorkerContext::WorkerContext(std::uint32_t index, std::uint32_t threads, std::uint64_t seed, RunState& state,
                             const WorkloadLimits& limits, WorkerLog& log, std::uint64_t (*step_of_violation)())
    : index_(index),
      threads_(threads),
      rng_(seed, index),
      state_(state),
      limits_(limits),
      log_(log),
      step_of_violation_(step_of_violation) {}

Tag WorkerContext::next_tag() noexcept {
  // Tags carry 24 bits of rental number; a thread renting more wraps, which only weakens the
  // "whose bytes are these" wording of a report, never a check.
  next_op_ = (next_op_ + 1) % Tag::kMaxOps;
  return Tag{index_, next_op_};
}

bool WorkerContext::report(Violation v) {
  if (step_of_violation_ != nullptr) v.step = step_of_violation_();
  log_.violations.push_back(v);
  state_.record_first(v);
  if (limits_.stop_on_first_violation) state_.request_stop();
  return false;
}

void WorkerContext::step_done() noexcept {
  ++log_.ops_done;
  state_.on_op_done(index_);
}

void WorkerContext::wait(std::chrono::microseconds d, const char* what) {
  count_check(OracleKind::starvation);
  if (live_leases_ != 0 && d >= limits_.hold_limit) {
    Violation v;
    v.oracle = OracleKind::starvation;
    v.lease = Tag{index_, next_op_};
    v.what = "thread " + std::to_string(index_) + " held " + std::to_string(live_leases_) + " pooled arrays (" +
             std::to_string(live_bytes_) + " bytes) across a blocking wait of " +
             std::to_string(d.count() / 1000) + " ms (" + what + "), over the hold limit of " +
             std::to_string(limits_.hold_limit.count()) +
             " ms: the arrays sit idle while other requests rent fresh ones (give them back before waiting)";
    report(v);
  }
  if (det::Schedule::on_schedule()) {
    // Under a schedule time does not pass: the wait lets the other threads run instead (and is
    // where a waiter learns that its schedule aborted).
    det::Schedule::checkpoint();
    det::Schedule::yield();
    return;
  }
  std::this_thread::sleep_for(std::min<std::chrono::microseconds>(d, 2 * limits_.hold_limit));
}

void WorkerContext::on_lease_taken(std::size_t bytes) noexcept {
  ++live_leases_;
  live_bytes_ += bytes;
  log_.peak_live_bytes = std::max(log_.peak_live_bytes, live_bytes_);
}

void WorkerContext::on_lease_ended(std::size_t bytes, std::chrono::steady_clock::time_point since) noexcept {
  --live_leases_;
  live_bytes_ -= bytes;
  log_.longest_hold = std::max<std::chrono::nanoseconds>(log_.longest_hold, std::chrono::steady_clock::now() - since);
}

}  // namespace poolcheck
