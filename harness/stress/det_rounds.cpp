// The pools of the deterministic executor: the real pools (and their mutants) built with
// DeterministicPolicy, so every atomic and mutex is a scheduling point.
#include <chrono>
#include <cstddef>

#include "det_rounds.hpp"
#include "poolcheck/deterministic/crash_trace.hpp"
#include "poolcheck/deterministic/det_executor.hpp"
#include "poolcheck/deterministic/det_policy.hpp"
#include "poolcheck/mutant_catalog.hpp"
#include "poolcheck/pool_kind.hpp"
#include "poolcheck/scenario_catalog.hpp"
#include "round_runner.hpp"

namespace poolcheck {
namespace {

template <class Policy>
RunOutcome run_policy(const StressSettings& s, const ProgramSet& programs, det::Strategy& strategy,
                      det::ScheduleResult& schedule_out, bufpool::PoolStats& stats_out,
                      const std::atomic<bool>* interrupt) {
  const auto execute = under_schedule(programs, s, strategy, schedule_out, interrupt);
  auto run = [&](auto flavour) {
    return run_fresh_pool<typename decltype(flavour)::template Pool<Element>>(s, execute, stats_out);
  };
  // Mutants are unchecked: instantiate their pools only for the unchecked rows.
  if constexpr (bufpool::testing::faults_of<Policy>() != 0) {
    return visit_pool<Policy, unchecked_pool>(*s.plan.pool->bufpool, run);
  } else {
    return visit_pool<Policy>(*s.plan.pool->bufpool, run);
  }
}

// A workload or pitfall under the schedule: its own code, on pools of DeterministicPolicy, with its
// barriers, counters and waits on det types (WorkloadConfig::det). It builds and finishes its own
// pools; its statistics note is in the outcome, so no stats come out.
RunOutcome run_workload_round(const StressSettings& s, det::Strategy& strategy, det::ScheduleResult& schedule_out,
                              const std::atomic<bool>* interrupt) {
  const DetWorkload det{&strategy, s.max_steps, &schedule_out};
  WorkloadParams p;
  p.pool = s.plan.pool->bufpool->kind;  // the command line runs workloads on bufpool's pools only
  p.pools = pool_settings(s);
  p.ops = s.ops;
  p.run.threads = s.threads;
  p.run.seed = s.seed;
  p.run.limits.hold_limit = std::chrono::milliseconds(s.hold_limit_ms);
  p.run.interrupt = interrupt;
  p.run.det = &det;
  return s.plan.scenario->run(p);
}

}  // namespace

RunOutcome run_deterministic_round(const StressSettings& s, const ProgramSet& programs, det::Strategy& strategy,
                                   det::ScheduleResult& schedule_out, bufpool::PoolStats& stats_out,
                                   const std::atomic<bool>* interrupt) {
  if (s.plan.scenario->kind != ScenarioKind::program) return run_workload_round(s, strategy, schedule_out, interrupt);
  return s.plan.pool->run_det(s, programs, strategy, schedule_out, stats_out, interrupt);
}

RunOutcome run_bufpool_det_round(const StressSettings& s, const ProgramSet& programs, det::Strategy& strategy,
                                 det::ScheduleResult& schedule_out, bufpool::PoolStats& stats_out,
                                 const std::atomic<bool>* interrupt) {
  if (s.plan.mutant == nullptr) {
    return run_policy<det::DeterministicPolicy>(s, programs, strategy, schedule_out, stats_out, interrupt);
  }
  return visit_fault(*s.plan.mutant, [&](auto fault) {
    return run_policy<MutantPolicy<det::DeterministicPolicy, decltype(fault)::value>>(s, programs, strategy,
                                                                                      schedule_out, stats_out, interrupt);
  });
}

}  // namespace poolcheck
