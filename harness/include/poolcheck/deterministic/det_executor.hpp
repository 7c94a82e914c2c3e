// The deterministic executor: the same thread programs and oracles as the free-running executor,
// run under a Schedule so that (programs, strategy seed) fixes the interleaving. A deadlock or a
// step limit becomes a `stall` violation naming what each thread waits on; every violation carries
// the schedule step where it was found, so a replay can prove it hits the same one.
//
// The pool must be built with DeterministicPolicy (or a mutant of it), so its atomics and mutexes
// are scheduling points. Not thread-safe: one run at a time.
#pragma once

#include <cstdint>
#include <string>

#include "poolcheck/deterministic/schedule.hpp"
#include "poolcheck/deterministic/strategy.hpp"
#include "poolcheck/free_executor.hpp"

namespace poolcheck::det {

struct DetOutcome {
  RunOutcome run;
  ScheduleResult schedule;
};

template <PoolUnderTest Pool>
DetOutcome run_deterministic(Pool& pool, const PoolFacts& facts, AllocationLedger* ledger, const ProgramSet& programs,
                             Strategy& strategy, std::uint64_t max_steps) {
  FreeExecutor<Pool> executor(pool, facts, ledger);
  Schedule schedule(strategy, max_steps);
  DetOutcome out;
  FreeRunConfig config;
  config.step_of_violation = &Schedule::current_step;
  const auto n = static_cast<std::uint32_t>(programs.threads.size());
  out.run = executor.run_scheduled(programs, config, [&](auto&& body) {
    out.schedule = schedule.run(n, std::function<void(std::uint32_t)>(body));
  });
  if (out.schedule.end != ScheduleResult::End::completed) {
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
