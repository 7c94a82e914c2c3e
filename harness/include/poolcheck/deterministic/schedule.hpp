// DeterministicSchedule: runs N real OS threads one at a time, switching only at shared-state
// accesses, so one seed replays the same interleaving exactly.
//
// It works like folly's DeterministicSchedule: every scheduled thread owns a binary semaphore and
// holds the single run token while it runs. At each scheduling point (an operation of DetAtomic or
// DetMutex, a thread start or exit) the running thread asks the strategy for the next thread among
// those runnable, records the step, and if it is another thread, passes the token (posts that
// thread's semaphore and waits on its own). A thread blocked on a DetMutex is not runnable until the
// holder unlocks. No runnable thread while some are blocked is a deadlock; more points than
// max_steps is a livelock; either aborts the run: every scheduled thread then unwinds with
// ScheduleAborted at its next point, or, on a thread that asked for checkpoints, at its next
// checkpoint (see abort_at_checkpoints_only). A thread that cannot be started ends the run as
// End::thread_limit, with the count reached: the started threads exit without running their body.
//
// The hand-off is invisible to TSan (AnnotateIgnoreSyncBegin/End around it): the semaphores would
// otherwise be happens-before edges that hide every race the schedule serialises. The schedule's
// own state is atomics. DetMutex keeps a real std::mutex inside, so TSan still sees lock edges.
//
// Thread-safety: run() from one thread at a time; the static hooks from any thread (they are
// no-ops on threads the schedule does not run, e.g. main after the run).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <semaphore>
#include <stdexcept>
#include <string>
#include <vector>

#include "poolcheck/deterministic/strategy.hpp"

namespace poolcheck::det {

enum class PointKind : std::uint8_t { start, exit, load, store, rmw, lock, unlock, blocked, plain };
const char* to_string(PointKind kind) noexcept;

struct Step {
  std::uint32_t thread;  // the thread chosen to run after the point
  std::uint32_t at;      // the thread that reached the point
  PointKind kind;
};

// Step-for-step equality of two traces (the exact-replay check).
bool same_steps(const std::vector<Step>& a, const std::vector<Step>& b) noexcept;

// Thrown at a scheduling point of an aborted schedule (deadlock or step limit), to unwind workers.
struct ScheduleAborted : std::runtime_error {
  ScheduleAborted() : std::runtime_error("deterministic schedule aborted") {}
};

struct ScheduleResult {
  // stopped: a thread ended the schedule at a finding (stop_at_finding); the run reports it.
  enum class End { completed, deadlock, step_limit, thread_limit, stopped };
  End end = End::completed;
  std::uint64_t steps = 0;
  std::vector<Step> trace;
  std::string report;  // deadlock/step limit: what each unfinished thread waits on; thread_limit: why
  std::uint32_t threads_started = 0;  // all of them unless thread_limit
};

class Schedule {
 public:
  Schedule(Strategy& strategy, std::uint64_t max_steps);
  ~Schedule();
  Schedule(const Schedule&) = delete;
  Schedule& operator=(const Schedule&) = delete;

  // Runs body(i) on n fresh threads under the schedule; returns when all have exited.
  ScheduleResult run(std::uint32_t n, const std::function<void(std::uint32_t)>& body);

  // --- hooks for DetAtomic / DetMutex ------------------------------------------------------------
  // A scheduling point of the calling thread. No-op off-schedule; throws ScheduleAborted when the
  // schedule aborted, unless the thread is already unwinding or asked for checkpoints (then it is
  // a no-op: the thread runs on, unscheduled, to its next checkpoint).
  static void point(PointKind kind);
  // From now on, the calling (scheduled) thread learns of an abort only at checkpoint(), never at
  // a point. For bodies that call into code with noexcept frames between its points (the pool:
  // Lease's give_back, a pool's thread-cache and destructor paths): an exception thrown from a
  // point there would reach a noexcept boundary and std::terminate the process. After an abort
  // such a thread finishes the call it is in without switching (the schedule is over: its trace
  // ends at the abort, and the pool's state is leaked by the caller, never checked or destroyed)
  // and unwinds at its next checkpoint, where only the body's own frames are on the stack.
  // Code that never returns to a checkpoint (a livelock inside the pool) would then spin on: the
  // pool code has none (no spin loops; its locks are never nested but registry-then-partition).
  static void abort_at_checkpoints_only() noexcept;
  // Ends the calling thread's schedule here, after a finding that implicates the pool: no step is
  // taken after this one; every thread unwinds at its next checkpoint (as after an abort) and
  // the result is End::stopped. No-op off-schedule.
  static void stop_at_finding();
  // Throws ScheduleAborted if the calling thread's schedule aborted (and it is not unwinding).
  // No-op off-schedule. Call only where every frame on the stack may throw.
  static void checkpoint();
  // The calling thread cannot proceed until `resource` is released: it stops being runnable and
  // gives the token away.
  static void block_on(const void* resource);
  // Threads blocked on `resource` become runnable again.
  static void release_waiters(const void* resource);
  // True when the calling thread is run by a schedule.
  static bool on_schedule() noexcept;
  // The calling thread's index in its schedule (0 off-schedule).
  static std::uint32_t thread_index() noexcept;
  // Points taken so far by the calling thread's schedule (0 off-schedule): where a violation happened.
  static std::uint64_t current_step() noexcept;

  // A scheduled thread's place in its schedule, for a thread that carries on its work (an exit
  // op: the rest of a program on a fresh OS thread). The scheduled thread starts the new one at
  // one of its own points (it holds the token) and then waits for it to end (joins it), taking no
  // point meanwhile; the new thread calls continue_as(identity()) first and from then on is that
  // slot of the schedule: its points, and those of its thread-local destructors (the pool's
  // thread-exit path), are the slot's. It never takes the slot's exit point: when it has ended,
  // the waiting thread goes on as the slot, still holding the token.
  struct Identity {
    Schedule* schedule = nullptr;
    std::uint32_t index = 0;
    bool checkpoints_only = false;
  };
  static Identity identity() noexcept;
  static void continue_as(const Identity& identity) noexcept;

 private:
  struct Slot;
  struct ThreadExitGuard;
  void thread_main(std::uint32_t i, const std::function<void(std::uint32_t)>& body);
  void switch_from(std::uint32_t me, PointKind kind, bool me_runnable);
  std::uint32_t choose(std::uint32_t me, PointKind kind);
  void hand_to(std::uint32_t next, std::uint32_t me, bool wait);
  void abort_all(ScheduleResult::End why);
  std::string waiting_report() const;

  Strategy& strategy_;
  const std::uint64_t max_steps_;
  std::uint32_t threads_ = 0;
  std::unique_ptr<Slot[]> slots_;
  std::atomic<std::uint64_t> steps_{0};
  std::vector<Step> trace_;  // token holder only (TSan told to ignore: the token is its lock)
  std::atomic<int> end_{0};                              // ScheduleResult::End
  std::atomic<bool> aborted_{false};
  std::atomic<std::uint32_t> exited_{0};
  std::counting_semaphore<1024> all_done_{0};
  std::string report_;  // written by the token holder before abort, read after join
};

}  // namespace poolcheck::det
