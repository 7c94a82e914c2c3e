// poolcheck::yield_point(): a scheduling point a pool may place inside its own critical sections,
// e.g. between reading a stack's top and writing it back, so that the deterministic schedule can
// run another thread right there. With the section's lock held nobody else can enter and the point
// only costs a step; without it (a missing lock) the schedule interleaves the racing thread there.
// A point of kind `plain`, as DeterministicPolicy::race_window. Off-schedule a no-op: one call and
// one thread_local check. Throws ScheduleAborted at a point of an aborted schedule (schedule.hpp).
#pragma once

#include "poolcheck/deterministic/schedule.hpp"

namespace poolcheck {

inline void yield_point() { det::Schedule::point(det::PointKind::plain); }

}  // namespace poolcheck
