#include "poolcheck/workload/workload_runner.hpp"

#include <algorithm>
#include <exception>
#include <memory>
#include <string>
#include <vector>

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

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

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

// Watches the workers until they finish, stall or are interrupted.
RunEnd supervise(RunContext& c, std::chrono::steady_clock::time_point t0) {
  auto last_change = std::chrono::steady_clock::now();
  auto last_progress = last_change;
  std::uint64_t last_steps = ~0ull;
  RunEnd end = RunEnd::completed;
  for (;;) {
    const bool finished = c.state.wait_all_finished(std::chrono::milliseconds(20));
    const auto now = std::chrono::steady_clock::now();
    const std::uint64_t steps = c.state.ops_done();
    if (c.config.interrupt != nullptr && c.config.interrupt->load(std::memory_order_relaxed) &&
        end == RunEnd::completed) {
      end = RunEnd::interrupted;
      c.state.request_stop();
    }
    if (c.config.on_progress && (now - last_progress >= c.config.progress_every || finished)) {
      last_progress = now;
      c.config.on_progress(Progress{steps, c.state.ops_total(), c.state.threads_alive(), c.state.violation_count(),
                                    seconds_since(t0)});
    }
    if (finished) return end;
    if (steps != last_steps) {
      last_steps = steps;
      last_change = now;
    } else if (now - last_change >= c.config.watchdog) {
      c.state.request_stop();
      return RunEnd::stalled;
    }
  }
}

}  // namespace

RunOutcome run_workload(const WorkloadConfig& config, const std::function<void(WorkerContext&)>& body) {
  const auto t0 = std::chrono::steady_clock::now();
  auto c = std::make_unique<RunContext>(config, body);
  RunOutcome out;
  out.threads_requested = config.threads;
  out.ops_total = config.steps_total;
  const bool started = c->launcher.start(config.threads,
                                         config.stack_bytes != 0 ? config.stack_bytes : default_worker_stack_bytes(),
                                         [rc = c.get()](std::uint32_t i, bool abort_start) {
                                           if (!abort_start) worker(*rc, i);
                                         });
  out.threads_started = c->launcher.started();
  if (!started) {
    c->launcher.release(/*abort_start=*/true);
    c->launcher.join();
    out.end = RunEnd::thread_limit;
    out.error = c->launcher.error();
    out.seconds = seconds_since(t0);
    return out;
  }
  c->launcher.release();
  const RunEnd end = supervise(*c, t0);
  if (end == RunEnd::stalled) {
    out.end = end;
    out.ops_done = c->state.ops_done();
    out.stall_report = "no workload step finished for " + std::to_string(config.watchdog.count()) + " ms; " +
                       std::to_string(c->state.threads_alive()) + " of " + std::to_string(config.threads) +
                       " threads still running";
    if (auto first = c->state.first_violation()) out.violations.push_back(*first);
    out.seconds = seconds_since(t0);
    c->launcher.detach();
    (void)c.release();  // the stuck workers still use it
    return out;
  }
  c->launcher.join();
  for (const WorkerLog& log : c->logs) merge_into(out, log);
  out.end = end;
  if (end == RunEnd::completed && !out.violations.empty()) out.end = RunEnd::violation;
  out.seconds = seconds_since(t0);
  return out;
}

}  // namespace poolcheck
