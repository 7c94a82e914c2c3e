// The trace of a deterministic schedule that crashes: a SIGSEGV, an abort or a sanitizer's death in
// the middle of a schedule writes the schedule's steps so far as a trace file (the format of
// schedule_trace.hpp, without a violation line), so `stress --replay FILE` runs the same schedule
// into the same crash.
//
// Everything that needs memory is prepared before the schedule runs: arm_crash_trace renders the
// trace's head (command and programs) and keeps it with the file name. write_crash_trace, called
// from a signal handler or a sanitizer's death callback, only reads that, formats the step lines
// with its own integer formatting, hashes them and writes them with open/write/close: every call
// async-signal-safe. It reads the steps of the running schedule without a lock: the crashing
// thread holds the schedule's token (only the token holder appends a step), or the schedule is
// over and its steps rest in the caller's result; a crash inside the append itself (a heap the
// pool corrupted) may leave no trace, never a trace that lies: the file is whole or absent.
//
// Thread-safety: arm/disarm/set_crash_trace_steps from the thread that runs schedules, between or
// around them (Schedule::run sets the steps); write_crash_trace from any thread, once.
#pragma once

#include <string>
#include <vector>

#include "poolcheck/deterministic/schedule.hpp"
#include "poolcheck/deterministic/schedule_trace.hpp"

namespace poolcheck::det {

// From now on a crash writes `head` (its command and programs; its violation and steps are
// ignored) and the steps so far to `path`. Replaces what was armed before.
void arm_crash_trace(const std::string& path, const ScheduleTrace& head);
// A crash writes no trace from now on.
void disarm_crash_trace() noexcept;
// Where the steps of the armed schedule are: Schedule::run points it at its own record while it
// runs and clears it when it returns; the caller may point it at the result's steps while it
// still works with the schedule's pool (its end-of-run checks, its destruction). Null: no steps.
void set_crash_trace_steps(const std::vector<Step>* steps) noexcept;
// Async-signal-safe. Writes the armed trace with the steps so far (a temporary file renamed into
// place, so the path holds a whole trace or nothing new) and returns its path, or nullptr when
// nothing is armed, no step was recorded, or the file could not be written.
const char* write_crash_trace() noexcept;

}  // namespace poolcheck::det
