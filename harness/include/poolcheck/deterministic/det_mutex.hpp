// det::Mutex: a mutex the deterministic schedule can see (Lockable: lock, try_lock, unlock).
// lock() and try_lock() are scheduling points of kind `lock`; when the mutex is held, lock() blocks
// the thread in the schedule (not in the OS) until the holder unlocks, then tries again. unlock()
// makes the blocked threads runnable and is a point of kind `unlock`. A real std::mutex inside
// carries the lock's happens-before edges to TSan, which the schedule's own hand-offs hide.
// Off-schedule it is that std::mutex, and lock/try_lock are where point noise may stop a thread.
// DetMutex is its old name, kept for the pool policy.
// Thread-safe.
#pragma once

#include <mutex>

#include "poolcheck/deterministic/schedule.hpp"

namespace poolcheck::det {

class Mutex {
 public:
  Mutex() = default;
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;

  void lock() {
    if (!Schedule::on_schedule()) {
      Schedule::point(PointKind::lock);  // off-schedule: point noise only (point_noise.hpp)
      m_.lock();
      return;
    }
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
    if (Schedule::on_schedule()) {
      Schedule::release_waiters(this);
      Schedule::point(PointKind::unlock);
    }
  }

 private:
  std::mutex m_;
};

using DetMutex = Mutex;

}  // namespace poolcheck::det
