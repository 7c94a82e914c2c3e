// det::SharedMutex: a reader-writer lock the deterministic schedule can see (SharedLockable:
// lock, try_lock, unlock, lock_shared, try_lock_shared, unlock_shared). Readers share it, a writer
// excludes readers and writers. Taking it either way is a scheduling point of kind `lock`; a thread
// that cannot take it blocks in the schedule (not in the OS) until an unlock of either kind, which
// makes every blocked thread runnable (each tries again) and is a point of kind `unlock`. Which
// waiter gets it, and whether a reader slips in ahead of a waiting writer, is the schedule's choice
// (no writer preference: a schedule may starve a writer, and its step limit then reports it).
// A real std::shared_mutex inside carries the lock's happens-before edges to TSan, which the
// schedule's own hand-offs hide. Off-schedule it is that std::shared_mutex. Thread-safe.
#pragma once

#include <shared_mutex>

#include "poolcheck/deterministic/schedule.hpp"

namespace poolcheck::det {

class SharedMutex {
 public:
  SharedMutex() = default;
  SharedMutex(const SharedMutex&) = delete;
  SharedMutex& operator=(const SharedMutex&) = delete;

  void lock() {
    if (!Schedule::on_schedule()) return m_.lock();
    for (;;) {
      Schedule::point(PointKind::lock);
      if (m_.try_lock()) return;
      Schedule::block_on(this);
    }
  }
  bool try_lock() {
    Schedule::point(PointKind::lock);
    return m_.try_lock();
  }
  void unlock() {
    m_.unlock();
    released();
  }

  void lock_shared() {
    if (!Schedule::on_schedule()) return m_.lock_shared();
    for (;;) {
      Schedule::point(PointKind::lock);
      if (m_.try_lock_shared()) return;
      Schedule::block_on(this);
    }
  }
  bool try_lock_shared() {
    Schedule::point(PointKind::lock);
    return m_.try_lock_shared();
  }
  void unlock_shared() {
    m_.unlock_shared();
    released();
  }

 private:
  // Under a schedule nobody waits in the OS, so std::shared_mutex's try_ calls fail only when the
  // lock is really taken the other way (no contended internals, no waiting writer to defer to).
  void released() {
    if (!Schedule::on_schedule()) return;
    Schedule::release_waiters(this);
    Schedule::point(PointKind::unlock);
  }

  std::shared_mutex m_;
};

}  // namespace poolcheck::det
