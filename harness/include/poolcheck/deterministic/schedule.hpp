// DeterministicSchedule: runs N real OS threads one at a time, switching only at shared-state
// accesses, so one seed replays the same interleaving exactly.
//
// It works like folly's DeterministicSchedule: every scheduled thread owns a binary semaphore and
// holds the single run token while it runs. At each scheduling point (an operation of DetAtomic or
// DetMutex, a thread start or exit) the running thread asks the strategy for the next thread among
// those runnable, records the step, and if it is another thread, passes the token (posts that
// thread's semaphore and waits on its own). A thread blocked on a det::Mutex is not runnable until the
// holder unlocks, one waiting on a condition variable or an atomic until it is notified (det.hpp). No runnable thread while some are blocked is a deadlock; more points than
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

#include "poolcheck/deterministic/point_kind.hpp"
#include "poolcheck/deterministic/strategy.hpp"

namespace poolcheck::det {

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
  // The calling thread waits for another thread's progress (a sleep, a spin on a flag): a point of
  // kind `yield`, where another runnable thread, if there is one, takes the token. No-op
  // off-schedule; after an abort, an OS yield (the caller's loop must reach a checkpoint).
  static void yield();
  // Test-only fault injection, process-wide: the thread holding the token at step `step` of any
  // schedule raises `signal` there (0: never). It stands in for a pool that crashes, so that the
  // crash path (crash_trace.hpp) and the replay of a crashed schedule can be tested; a replay of the
  // trace crashes at the same step when the same injection is set.
  static void crash_at_step_for_tests(std::uint64_t step, int signal) noexcept;
  // The calling thread cannot proceed until `resource` is released: it stops being runnable and
  // gives the token away.
  static void block_on(const void* resource);
  // Threads blocked on `resource` become runnable again.
  static void release_waiters(const void* resource);
  // True when the calling thread is run by a schedule.
  static bool on_schedule() noexcept;
  // True when the calling thread's schedule has ended early (deadlock, step limit, thread limit, a
  // finding): its threads run unscheduled until they unwind. False off-schedule.
  static bool aborted() noexcept;

  // --- hooks for det::ConditionVariable and det::Atomic::wait (notification) ---------------------
  // A wait is two calls: expect_notify registers the calling thread as a waiter on `resource` and
  // returns its ticket, await_notify(resource, ticket) then blocks it in the schedule until a notify
  // issued after the registration lets it go. Between them the caller may take points (a condition
  // variable releases its lock there): a notify in between is not lost.
  //
  // A notify grants permits: notify(r, false) one, notify(r, true) one for every registered waiter
  // (never more permits than waiters), and makes every waiter blocked on `r` runnable. A waiter
  // takes the oldest permit issued after its own registration; one that finds none blocks again.
  // So which waiter a notify_one wakes is decided by which one the strategy runs first, an ordinary
  // recorded step, and a waiter registered after a notify never takes that notify's permit (the
  // wake-up it would steal is one std::condition_variable guarantees to an earlier waiter). A
  // waiter never wakes without a permit: no spurious wake-ups, so schedules are repeatable.
  //
  // Token holder only (the calling thread is scheduled). After an abort the registry is left alone:
  // expect_notify returns 0; await_notify throws ScheduleAborted, or returns false on a thread that
  // may not throw there (see point()); notify does nothing.
  static std::uint64_t expect_notify(const void* resource);
  static bool await_notify(const void* resource, std::uint64_t ticket);
  // A timed wait's end: takes a permit for `ticket` if one is there (true: notified), otherwise
  // withdraws the registration (false: timed out). After an abort: false.
  static bool cancel_wait(const void* resource, std::uint64_t ticket);
  static void notify(const void* resource, bool all);
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
  // Notification state of one resource (see expect_notify). Tickets and permit ids are drawn from
  // `next`; permits are kept oldest first.
  struct Waiters {
    const void* resource = nullptr;
    std::uint64_t next = 1;
    std::vector<std::uint64_t> tickets;
    std::vector<std::uint64_t> permits;
  };
  Waiters* find_waiters(const void* resource);
  void forget_if_idle(Waiters& w);
  bool take_permit(const void* resource, std::uint64_t ticket);

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
  std::vector<Waiters> waiters_;  // token holder only, never after an abort (TSan told to ignore)
};

}  // namespace poolcheck::det
