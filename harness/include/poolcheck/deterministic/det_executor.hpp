// The deterministic executor: the same thread programs and oracles as the free-running executor,
// run under a Schedule so that (programs, strategy seed) fixes the interleaving. A deadlock or a
// step limit becomes a `stall` violation naming what each thread waits on; every violation carries
// the schedule step where it was found, so a replay can prove it hits the same one. A thread the
// system refuses to start ends the run as RunEnd::thread_limit (as in the free-running executor),
// with the count reached in `error`.
//
// Workers learn of an abort only between ops (Schedule::abort_at_checkpoints_only): the pool's
// give_back paths are noexcept (Lease's destructor, the thread caches), and ScheduleAborted thrown
// from a scheduling point inside them would std::terminate the process before any report. After
// an abort a worker finishes the pool call it is in unscheduled, then unwinds at its next op; the
// pool is leaked by the caller (CountedPool on RunEnd::stalled), never checked or destroyed.
//
// An exit op's fresh thread takes over its program's schedule slot, so the old thread's exit path
// and the rest of the program are scheduled points of that slot. A finding that implicates the pool
// ends the schedule at the finder's next checkpoint (Schedule::stop_at_finding): no step follows
// it, and every thread abandons its leases as after an abort.
//
// The pool must be built with DeterministicPolicy (or a mutant of it), so its atomics and mutexes
// are scheduling points. Not thread-safe: one run at a time.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <vector>
#include <string>

#include "poolcheck/deterministic/det_atomic.hpp"
#include "poolcheck/deterministic/schedule.hpp"
#include "poolcheck/deterministic/strategy.hpp"
#include "poolcheck/program_run.hpp"
#include "poolcheck/supervised_run.hpp"

namespace poolcheck::det {

struct DetOutcome {
  RunOutcome run;
  ScheduleResult schedule;
};

template <PoolUnderTest Pool>
DetOutcome run_deterministic(Pool& pool, const PoolFacts& facts, AllocationLedger* ledger, const ProgramSet& programs,
                             Strategy& strategy, std::uint64_t max_steps,
                             const std::atomic<bool>* interrupt = nullptr) {
  const auto t0 = std::chrono::steady_clock::now();
  const auto n = static_cast<std::uint32_t>(programs.threads.size());
  // The hand-over mailboxes on DetAtomic: a send and a receive are scheduling points too.
  ProgramRun<Pool, DetAtomic> run(PoolRef<Pool>{&pool, facts, facts.counted ? ledger : nullptr}, n);
  // An exit op's fresh thread takes over its program's slot of the schedule (Schedule::Identity),
  // so the old thread's exit path and the new thread's ops are scheduled like any other points.
  run.stop_at_a_pool_finding(&Schedule::stop_at_finding);
  run.run_exits_on_fresh_threads(0, [] {
    const Schedule::Identity identity = Schedule::identity();
    return std::function<void()>([identity] { Schedule::continue_as(identity); });
  });
  RunState state(n, programs.total_ops());
  // A signal stops every program at its next op: the threads give their leases back under the
  // schedule and the run ends interrupted, its pool consistent.
  state.stop_on(interrupt);
  const WorkloadLimits limits;  // stop at the first violation
  std::vector<WorkerLog> logs(n);
  WorkerLog main_log;
  Schedule schedule(strategy, max_steps);
  DetOutcome out;
  note_layout(out.run, facts.classes);
  out.run.threads_requested = n;
  out.run.threads_started = n;
  out.run.ops_total = programs.total_ops();
  // No chaos delays: the schedule is the only source of interleaving.
  out.schedule = schedule.run(n, std::function<void(std::uint32_t)>([&](std::uint32_t i) {
    Schedule::abort_at_checkpoints_only();
    WorkerContext ctx(i, n, programs.seed, state, limits, logs[i], &Schedule::current_step);
    run.run_thread(ctx, programs.threads[i], state, nullptr, &Schedule::checkpoint);
  }));
  if (out.schedule.end == ScheduleResult::End::thread_limit) {
    out.run.end = RunEnd::thread_limit;
    out.run.threads_started = out.schedule.threads_started;
    out.run.error = out.schedule.report;
    out.run.seconds = seconds_since(t0);
    return out;
  }
  WorkerContext main_ctx(n, n, programs.seed, state, limits, main_log, &Schedule::current_step);
  run.finish(main_ctx, n);
  merge_run(out.run, logs, &main_log, RunEnd::completed, state.first_violation());
  if (out.run.end == RunEnd::completed && interrupt != nullptr && interrupt->load(std::memory_order_relaxed)) {
    out.run.end = RunEnd::interrupted;
  }
  out.run.seconds = seconds_since(t0);
  if (out.schedule.end != ScheduleResult::End::completed && out.schedule.end != ScheduleResult::End::stopped) {
    Violation v;
    v.oracle = OracleKind::stall;
    v.step = out.schedule.steps;
    v.what = out.schedule.end == ScheduleResult::End::deadlock
                 ? "deadlock: no thread can run\n" + out.schedule.report
                 : "no completion within " + std::to_string(max_steps) + " schedule steps (livelock?)\n" +
                       out.schedule.report;
    out.run.violations.push_back(v);
    out.run.end = RunEnd::stalled;
  }
  return out;
}

}  // namespace poolcheck::det
