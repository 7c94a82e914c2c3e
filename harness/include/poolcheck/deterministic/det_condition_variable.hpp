// det::ConditionVariable: std::condition_variable_any's interface (wait, wait with a predicate,
// wait_for, wait_until, notify_one, notify_all) for any BasicLockable lock, typically
// std::unique_lock<det::Mutex>, visible to the deterministic schedule. Off-schedule it is a
// std::condition_variable_any.
//
// Under a schedule, wait(lock) registers the thread as a waiter while it still holds the lock
// (Schedule::expect_notify), releases the lock (the lock's own points), blocks in the schedule (not
// in the OS) until a notify issued after the registration lets it go (Schedule::await_notify), then
// takes the lock again: a notify cannot be lost between the unlock and the block. It never wakes
// without a notify (no spurious wake-ups, so schedules repeat); which waiter a notify_one wakes is
// the schedule's choice. notify_one/notify_all are points of kind `unlock` (they make blocked
// threads runnable). A wait nobody notifies is a deadlock the schedule reports.
//
// Time does not pass in a schedule, so a timed wait (wait_for, wait_until; the duration or time
// point is ignored) is a wait that times out at the thread's next turn: it registers, releases
// the lock, takes a `yield` point (another thread runs, if any can), and returns no_timeout if a
// notify reached it meanwhile, timeout otherwise. Both outcomes are schedule choices, recorded and
// replayed like any other; a loop that waits with a timeout until a condition holds spins there
// as a yielding waiter, which the step limit bounds.
//
// An aborted schedule: the wait takes the lock again (unscheduled, while the ScheduleAborted it
// throws unwinds), or, on a thread that may not throw at a point, returns as a spurious wake-up.
// Thread-safe, as std::condition_variable_any.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <utility>

#include "poolcheck/deterministic/schedule.hpp"

namespace poolcheck::det {

class ConditionVariable {
 public:
  ConditionVariable() = default;
  ConditionVariable(const ConditionVariable&) = delete;
  ConditionVariable& operator=(const ConditionVariable&) = delete;

  void notify_one() {
    if (!Schedule::on_schedule()) return cv_.notify_one();
    Schedule::notify(this, /*all=*/false);
    Schedule::point(PointKind::unlock);
  }
  void notify_all() {
    if (!Schedule::on_schedule()) return cv_.notify_all();
    Schedule::notify(this, /*all=*/true);
    Schedule::point(PointKind::unlock);
  }

  template <class Lock>
  void wait(Lock& lock) {
    if (!Schedule::on_schedule()) return cv_.wait(lock);
    const std::uint64_t ticket = Schedule::expect_notify(this);
    lock.unlock();
    Relock<Lock> relock{lock};
    Schedule::await_notify(this, ticket);
  }
  template <class Lock, class Predicate>
  void wait(Lock& lock, Predicate pred) {
    while (!pred()) wait(lock);
  }

  template <class Lock, class Rep, class Period>
  std::cv_status wait_for(Lock& lock, const std::chrono::duration<Rep, Period>& rel_time) {
    if (!Schedule::on_schedule()) return cv_.wait_for(lock, rel_time);
    return timed_wait(lock);
  }
  template <class Lock, class Clock, class Duration>
  std::cv_status wait_until(Lock& lock, const std::chrono::time_point<Clock, Duration>& abs_time) {
    if (!Schedule::on_schedule()) return cv_.wait_until(lock, abs_time);
    return timed_wait(lock);
  }
  template <class Lock, class Rep, class Period, class Predicate>
  bool wait_for(Lock& lock, const std::chrono::duration<Rep, Period>& rel_time, Predicate pred) {
    if (!Schedule::on_schedule()) return cv_.wait_for(lock, rel_time, std::move(pred));
    while (!pred()) {
      if (timed_wait(lock) == std::cv_status::timeout) return pred();
    }
    return true;
  }
  template <class Lock, class Clock, class Duration, class Predicate>
  bool wait_until(Lock& lock, const std::chrono::time_point<Clock, Duration>& abs_time, Predicate pred) {
    if (!Schedule::on_schedule()) return cv_.wait_until(lock, abs_time, std::move(pred));
    while (!pred()) {
      if (timed_wait(lock) == std::cv_status::timeout) return pred();
    }
    return true;
  }

 private:
  // Takes the lock again when the wait ends, also when it ends by ScheduleAborted: then it runs
  // while unwinding, where the lock's points do not throw and it is taken unscheduled.
  template <class Lock>
  struct Relock {
    explicit Relock(Lock& l) : lock(l) {}
    Relock(const Relock&) = delete;
    Relock& operator=(const Relock&) = delete;
    ~Relock() noexcept(false) { lock.lock(); }
    Lock& lock;
  };

  template <class Lock>
  std::cv_status timed_wait(Lock& lock) {
    const std::uint64_t ticket = Schedule::expect_notify(this);
    lock.unlock();
    Relock<Lock> relock{lock};
    Schedule::yield();
    return Schedule::cancel_wait(this, ticket) ? std::cv_status::no_timeout : std::cv_status::timeout;
  }

  std::condition_variable_any cv_;
};

}  // namespace poolcheck::det
