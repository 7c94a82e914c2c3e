#include "poolcheck/workload/workload_runner.hpp"

#include <algorithm>
#include <exception>
#include <memory>
#include <string>
#include <vector>

#include "poolcheck/deterministic/crash_trace.hpp"
#include "poolcheck/supervised_run.hpp"
#include "poolcheck/thread_launcher.hpp"

namespace poolcheck {
namespace {

// Everything the workers touch lives here, on the heap, so a stalled run can leak it under them.
struct RunContext {
  RunContext(const WorkloadConfig& c, std::function<void(WorkerContext&)> b)
      : config(c), body(std::move(b)), state(c.threads, c.steps_total), logs(c.threads) {}
  const WorkloadConfig config;
  const std::function<void(WorkerContext&)> body;
  RunState state;
  std::vector<WorkerLog> logs;
  ThreadLauncher launcher;  // last: destroyed (joined) first
};

void worker(RunContext& c, std::uint32_t i) {
  c.state.on_start(i);
  WorkerContext ctx(i, c.config.threads, c.config.seed, c.state, c.config.limits, c.logs[i]);
  try {
    c.body(ctx);
  } catch (const std::exception& e) {
    ctx.report(Violation{OracleKind::pool_error, "workload thread " + std::to_string(i) + " ended with an exception: " +
                                                     e.what(),
                         std::nullopt, std::nullopt, nullptr, 0, 0});
  }
  c.state.on_finish(i);
}

// The workers under a deterministic schedule (WorkloadConfig::det).
RunOutcome run_deterministic_workload(const WorkloadConfig& config, const std::function<void(WorkerContext&)>& body) {
  const auto t0 = std::chrono::steady_clock::now();
  const DetWorkload& d = *config.det;
  const std::uint32_t n = config.threads;
  RunState state(n, config.steps_total);
  // A signal stops the workers at their next check of the stop flag, under the schedule.
  state.stop_on(config.interrupt);
  std::vector<WorkerLog> logs(n);
  RunOutcome out;
  out.threads_requested = n;
  out.threads_started = n;
  out.ops_total = config.steps_total;
  det::Schedule schedule(*d.strategy, d.max_steps);
  det::ScheduleResult result = schedule.run(n, [&](std::uint32_t i) {
    // The pool's give_back paths are noexcept: an abort must not throw from a point inside them.
    det::Schedule::abort_at_checkpoints_only();
    state.on_start(i);
    WorkerContext ctx(i, n, config.seed, state, config.limits, logs[i], &det::Schedule::current_step);
    try {
      body(ctx);
    } catch (const det::ScheduleAborted&) {
      throw;  // the schedule ended (deadlock, step limit): the result says which
    } catch (const std::exception& e) {
      ctx.report(Violation{OracleKind::pool_error,
                           "workload thread " + std::to_string(i) + " ended with an exception: " + e.what(),
                           std::nullopt, std::nullopt, nullptr, 0, 0});
    }
    state.on_finish(i);
  });
  if (result.end == det::ScheduleResult::End::thread_limit) {
    out.end = RunEnd::thread_limit;
    out.threads_started = result.threads_started;
    out.error = result.report;
  } else {
    merge_run(out, logs, nullptr, RunEnd::completed, state.first_violation());
    if (out.end == RunEnd::completed && config.interrupt != nullptr && config.interrupt->load()) {
      out.end = RunEnd::interrupted;
    }
    if (result.end != det::ScheduleResult::End::completed) {
      // What workers reported while they unwound after the abort (a buffer dropped by the
      // unwinding, say) is an effect of the abort, not a finding: only what came before it stays.
      // Those carry a step below the schedule's last one (a point counts its step before anything
      // after it runs; after the abort the count stands still).
      std::erase_if(out.violations, [&](const Violation& v) { return v.step >= result.steps; });
      Violation v;
      v.oracle = OracleKind::stall;
      v.step = result.steps;
      v.what = result.end == det::ScheduleResult::End::deadlock
                   ? "deadlock: no thread can run\n" + result.report
                   : "no completion within " + std::to_string(d.max_steps) + " schedule steps (livelock?)\n" +
                         result.report;
      out.violations.push_back(v);
      out.end = RunEnd::stalled;
    }
  }
  out.seconds = seconds_since(t0);
  if (d.schedule_out != nullptr) {
    *d.schedule_out = std::move(result);
    // A crash in the workload's end-of-run checks (its pools' destruction) still writes the trace.
    det::set_crash_trace_steps(&d.schedule_out->trace);
  }
  return out;
}

}  // namespace

RunOutcome run_workload(const WorkloadConfig& config, const std::function<void(WorkerContext&)>& body) {
  if (config.det != nullptr) return run_deterministic_workload(config, body);
  const auto t0 = std::chrono::steady_clock::now();
  auto c = std::make_unique<RunContext>(config, body);
  RunOutcome out;
  out.threads_requested = config.threads;
  out.ops_total = config.steps_total;
  const SupervisedEnd end =
      run_supervised(c->launcher, c->state, config.threads, [rc = c.get()](std::uint32_t i) { worker(*rc, i); },
                     config);
  if (ended_early(end, c->state, out, t0)) {
    if (out.end == RunEnd::stalled) {
      out.stall_report = "no workload step finished for " + std::to_string(config.watchdog.count()) + " ms; " +
                         std::to_string(end.stuck_threads) + " of " + std::to_string(config.threads) +
                         " threads still running" +
                         (end.stuck_left ? " (they left after the stop request and were joined)"
                                         : " (they did not leave after the stop request)");
      if (!end.stuck_left) (void)c.release();  // the stuck workers still use it
    }
    return out;
  }
  merge_run(out, c->logs, nullptr, end.end, c->state.first_violation());
  out.seconds = seconds_since(t0);
  return out;
}

}  // namespace poolcheck
