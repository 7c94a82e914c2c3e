// One deterministic schedule of a program set against a fresh pool (or mutant) built with
// DeterministicPolicy; see det_rounds.cpp.
#pragma once

#include "bufpool/pool_stats.hpp"
#include "poolcheck/deterministic/schedule.hpp"
#include "poolcheck/deterministic/strategy.hpp"
#include "poolcheck/program.hpp"
#include "poolcheck/run_outcome.hpp"
#include "stress_settings.hpp"

namespace poolcheck {

RunOutcome run_deterministic_round(const StressSettings& s, const ProgramSet& programs, det::Strategy& strategy,
                                   det::ScheduleResult& schedule_out, bufpool::PoolStats& stats_out);

}  // namespace poolcheck
