#include "poolcheck/workload/workload_runner.hpp"

#include <algorithm>
#include <exception>
#include <memory>
#include <string>
#include <vector>

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

}  // namespace

RunOutcome run_workload(const WorkloadConfig& config, const std::function<void(WorkerContext&)>& body) {
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
                         std::to_string(c->state.threads_alive()) + " of " + std::to_string(config.threads) +
                         " threads still running";
      (void)c.release();  // the stuck workers still use it
    }
    return out;
  }
  merge_run(out, c->logs, nullptr, end.end, c->state.first_violation());
  out.seconds = seconds_since(t0);
  return out;
}

}  // namespace poolcheck
