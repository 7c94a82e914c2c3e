// The free-running executor: one OS thread per program, all released at once, no scheduling but
// the OS's and seeded chaos delays (yields, spins, short sleeps) between ops, for raw contention
// under TSan and ASan at thousands of threads.
//
// The workers run their programs through ProgramRun (program_run.hpp: the ops, the oracles, the
// hand-overs; an exit op ends the worker's OS thread and runs the rest on a fresh one);
// run_supervised (supervised_run.hpp) starts and watches them. While they run, the main thread
// also samples the bucket cap, and every FreeRunConfig::checkpoint_every ops all of them park for
// an exact one (quiescent_checkpoints.hpp); after the join, the checks of quiescence.
//
// run() must be called from one thread at a time. After RunEnd::stalled, worker threads are
// still stuck in the pool: the caller must write its report and exit the process without
// destroying the pool.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "poolcheck/deterministic/point_noise.hpp"
#include "poolcheck/program_run.hpp"
#include "poolcheck/quiescent_checkpoints.hpp"
#include "poolcheck/supervised_run.hpp"

namespace poolcheck {

// The supervision (watchdog, progress, interrupt, stack size) plus what a free run adds.
struct FreeRunConfig : SupervisorConfig {
  bool stop_on_first_violation = true;
  std::uint64_t chaos_seed = 0;  // chaos delays are drawn from (programs.seed ^ this)
  // Arm point noise (deterministic/point_noise.hpp) on every worker, drawn from the same seed: for a
  // pool built on det types, whose atomics, locks and yield points are then where threads stop.
  bool point_noise = false;
  // Every this many ops all workers park for an exact cap check (quiescent_checkpoints.hpp); 0:
  // never; kAutoCheckpointEvery: every 32 ops, further apart in long programs (checkpoint_interval).
  std::uint32_t checkpoint_every = kAutoCheckpointEvery;
};

template <PoolUnderTest Pool>
class FreeExecutor {
 public:
  FreeExecutor(Pool& pool, const PoolFacts& facts, AllocationLedger* ledger)
      : ref_{&pool, facts, facts.counted ? ledger : nullptr} {
    require_same_layout(ref_);
  }

  // Runs a copy of `programs`: after a stall the workers still read it, so the executor owns it.
  RunOutcome run(const ProgramSet& programs, const FreeRunConfig& config) {
    return run(std::make_shared<const ProgramSet>(programs), config);
  }
  // Runs `shared` without copying it (a caller that runs one large program set many times).
  RunOutcome run(std::shared_ptr<const ProgramSet> shared, const FreeRunConfig& config) {
    const auto t0 = std::chrono::steady_clock::now();
    const ProgramSet& programs = *shared;
    const auto n = static_cast<std::uint32_t>(programs.threads.size());
    // Everything the workers touch lives here, on the heap: after a stall they are still running,
    // so it is kept alive (leaked) rather than destroyed under them.
    auto c = std::make_unique<Context>(ref_, std::move(shared), config);
    c->run.run_exits_on_fresh_threads(config.stack_bytes);
    RunOutcome out;
    note_layout(out, ref_.facts.classes);
    out.threads_requested = n;
    out.ops_total = programs.total_ops();
    WorkerContext main_ctx(n, n, programs.seed, c->state, c->limits, c->main_log);

    SupervisorConfig supervision = config;
    if (ref_.ledger != nullptr) supervision.while_running = [&] { sample_cap(*c, n); };
    supervision.describe_stall = [&] { return c->state.stall_report(programs); };
    const SupervisedEnd end = run_supervised(c->launcher, c->state, n, [cp = c.get()](std::uint32_t i) {
      const std::uint64_t seed = cp->programs->seed;
      WorkerContext ctx(i, cp->state.thread_count(), seed, cp->state, cp->limits, cp->logs[i]);
      SeededRandom chaos(seed ^ cp->config.chaos_seed ^ 0xC4A05ull, i);
      std::optional<det::PointNoise> noise;
      if (cp->config.point_noise) noise.emplace(seed ^ cp->config.chaos_seed, i, cp->state.thread_count());
      cp->run.run_thread(ctx, cp->programs->threads[i], cp->state, &chaos, nullptr, &cp->checkpoints);
    }, supervision);
    if (ended_early(end, c->state, out, t0)) {
      if (out.end == RunEnd::stalled) {
        out.stall_report = end.stall_report;
        if (!end.stuck_left) (void)c.release();  // stuck workers still use it; the pool must live on too
      }
      return out;
    }
    merge_into_log(c->main_log, c->checkpoint_log);
    c->run.finish(main_ctx, n);
    merge_run(out, c->logs, &c->main_log, end.end, c->state.first_violation());
    out.seconds = seconds_since(t0);
    return out;
  }

 private:
  struct Context {
    Context(const PoolRef<Pool>& ref, std::shared_ptr<const ProgramSet> p, const FreeRunConfig& c)
        : programs(std::move(p)),
          config(c),
          state(static_cast<std::uint32_t>(programs->threads.size()), programs->total_ops()),
          logs(programs->threads.size()),
          run(ref, static_cast<std::uint32_t>(programs->threads.size())),
          checkpoints(static_cast<std::uint32_t>(programs->threads.size()),
                      ref.ledger != nullptr ? checkpoint_interval(c.checkpoint_every, longest(*programs)) : 0,
                      [this, ref](std::uint32_t op) { check_at_checkpoint(ref, op); }) {
      limits.stop_on_first_violation = c.stop_on_first_violation;
    }
    // Runs alone, every worker parked between ops (QuiescentCheckpoints): the ledger's resting
    // count is what the pool rests, compared with the cap exactly. Workers that finished their
    // programs may still give back their last leases; that only makes the count lower.
    void check_at_checkpoint(const PoolRef<Pool>& ref, std::uint32_t op) {
      ++checkpoint_log.checks[static_cast<std::size_t>(OracleKind::bucket_cap)];
      const std::uint32_t every = checkpoints.every();
      const std::string when = "at the quiescent checkpoint before op " + std::to_string(op) +
                               " of every thread still running (no pool call in flight; ops " +
                               std::to_string(op - every) + " to " + std::to_string(op - 1) +
                               " of each thread ran since the last check)";
      if (auto v = BucketCapOracle::check(
              *ref.ledger, ref.facts.resting_cap + ref.facts.slots_per_thread * (state.thread_count() + 1), when)) {
        state.record_first(*v);
        checkpoint_log.violations.push_back(*v);
        if (config.stop_on_first_violation) state.request_stop();
      }
    }
    static std::size_t longest(const ProgramSet& p) noexcept {
      std::size_t most = 0;
      for (const auto& t : p.threads) most = std::max(most, t.ops.size());
      return most;
    }
    const std::shared_ptr<const ProgramSet> programs;
    const FreeRunConfig config;
    WorkloadLimits limits;
    RunState state;
    std::vector<WorkerLog> logs;
    WorkerLog main_log;
    WorkerLog checkpoint_log;  // written by the checkpoints' check only (one at a time, workers parked)
    ProgramRun<Pool> run;
    QuiescentCheckpoints checkpoints;
    ThreadLauncher launcher;  // last: destroyed (joined) first
  };

  // While running, at a sampled instant: the ledger's resting count leaves out the arrays of
  // calls in flight, so the cap is the resting cap plus one slot per thread that may hold one
  // (the workers, and this thread from an earlier run on the same pool), with no slack.
  void sample_cap(Context& c, std::uint32_t n) {
    ++c.main_log.checks[static_cast<std::size_t>(OracleKind::bucket_cap)];
    if (auto v = BucketCapOracle::check(*ref_.ledger, ref_.facts.resting_cap + ref_.facts.slots_per_thread * (n + 1),
                                        "at a sampled instant while running")) {
      c.state.record_first(*v);
      c.main_log.violations.push_back(*v);
      if (c.config.stop_on_first_violation) c.state.request_stop();
    }
  }

  const PoolRef<Pool> ref_;
};

}  // namespace poolcheck
