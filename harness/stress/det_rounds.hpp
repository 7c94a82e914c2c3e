// One deterministic schedule of a program set against a fresh pool (or mutant) built with
// DeterministicPolicy; see det_rounds.cpp.
#pragma once

#include <atomic>

#include "bufpool/pool_stats.hpp"
#include "poolcheck/deterministic/schedule.hpp"
#include "poolcheck/deterministic/strategy.hpp"
#include "poolcheck/program.hpp"
#include "poolcheck/run_outcome.hpp"
#include "stress_settings.hpp"

namespace poolcheck {

// `interrupt` (may be null): a signal's flag; once set, the programs stop at their next op and the
// round ends interrupted.
RunOutcome run_deterministic_round(const StressSettings& s, const ProgramSet& programs, det::Strategy& strategy,
                                   det::ScheduleResult& schedule_out, bufpool::PoolStats& stats_out,
                                   const std::atomic<bool>* interrupt);

// A program schedule on one of bufpool's pools (the plan's pool has `bufpool` set), or its mutant:
// bufpool's PoolTarget::run_det.
RunOutcome run_bufpool_det_round(const StressSettings& s, const ProgramSet& programs, det::Strategy& strategy,
                                 det::ScheduleResult& schedule_out, bufpool::PoolStats& stats_out,
                                 const std::atomic<bool>* interrupt);

}  // namespace poolcheck
