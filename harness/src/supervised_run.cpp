#include "poolcheck/supervised_run.hpp"

#include <utility>

namespace poolcheck {
namespace {

// Watches the workers until they finish, stall or are interrupted.
RunEnd supervise(RunState& state, const SupervisorConfig& config, std::chrono::steady_clock::time_point t0) {
  auto last_change = std::chrono::steady_clock::now();
  auto last_progress = last_change;
  std::uint64_t last_ops = ~0ull;
  RunEnd end = RunEnd::completed;
  for (;;) {
    const bool finished = state.wait_all_finished(std::chrono::milliseconds(20));
    const auto now = std::chrono::steady_clock::now();
    const std::uint32_t alive = state.threads_alive();
    const std::uint64_t ops = state.ops_done();
    if (config.interrupt != nullptr && config.interrupt->load(std::memory_order_relaxed) && end == RunEnd::completed) {
      end = RunEnd::interrupted;
      state.request_stop();
    }
    if (config.while_running && alive != 0) config.while_running();
    if (config.on_progress && (now - last_progress >= config.progress_every || alive == 0 || finished)) {
      last_progress = now;
      config.on_progress(Progress{ops, state.ops_total(), alive, state.violation_count(), seconds_since(t0)});
    }
    if (finished) return end;
    if (ops != last_ops) {
      last_ops = ops;
      last_change = now;
    } else if (now - last_change >= config.watchdog) {
      state.request_stop();
      return RunEnd::stalled;
    }
  }
}

// Up to one more watchdog period for the stuck workers to leave; an interrupt ends the wait.
bool wait_for_stuck(RunState& state, const SupervisorConfig& config) {
  const auto deadline = std::chrono::steady_clock::now() + config.watchdog;
  while (std::chrono::steady_clock::now() < deadline) {
    if (state.wait_all_finished(std::chrono::milliseconds(50))) return true;
    if (config.interrupt != nullptr && config.interrupt->load(std::memory_order_relaxed)) return false;
  }
  return state.wait_all_finished(std::chrono::milliseconds(0));
}

}  // namespace

double seconds_since(std::chrono::steady_clock::time_point t0) noexcept {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

bool ended_early(const SupervisedEnd& end, const RunState& state, RunOutcome& out,
                 std::chrono::steady_clock::time_point t0) {
  out.threads_started = end.threads_started;
  if (end.end != RunEnd::thread_limit && end.end != RunEnd::stalled) return false;
  out.end = end.end;
  out.error = end.error;
  if (end.end == RunEnd::stalled) {
    out.ops_done = state.ops_done();
    if (auto first = state.first_violation()) out.violations.push_back(*first);
  }
  out.seconds = seconds_since(t0);
  return true;
}

SupervisedEnd run_supervised(ThreadLauncher& launcher, RunState& state, std::uint32_t threads,
                             std::function<void(std::uint32_t)> body, const SupervisorConfig& config) {
  const auto t0 = std::chrono::steady_clock::now();
  SupervisedEnd out;
  const bool started = launcher.start(threads, config.stack_bytes != 0 ? config.stack_bytes : default_worker_stack_bytes(),
                                      [b = std::move(body)](std::uint32_t i, bool abort_start) {
                                        if (!abort_start) b(i);
                                      });
  out.threads_started = launcher.started();
  if (!started) {
    launcher.release(/*abort_start=*/true);
    launcher.join();
    out.end = RunEnd::thread_limit;
    out.error = launcher.error();
    return out;
  }
  launcher.release();
  out.end = supervise(state, config, t0);
  if (out.end == RunEnd::stalled) {
    out.stuck_threads = state.threads_alive();
    if (config.describe_stall) out.stall_report = config.describe_stall();
    // supervise() asked them to stop. A worker inside one slow op leaves after it; waiting for that
    // keeps the stall a finding without leaving a thread behind that reads the caller's frames.
    out.stuck_left = wait_for_stuck(state, config);
    if (out.stuck_left) {
      launcher.join();
    } else {
      launcher.detach();
    }
    return out;
  }
  launcher.join();
  return out;
}

}  // namespace poolcheck
