// DetMutex: a mutex the deterministic schedule can see. lock() is a scheduling point; when the
// mutex is held, the thread blocks in the schedule (not in the OS) until the holder unlocks. A real
// std::mutex inside carries the lock's happens-before edges to TSan, which the schedule's own
// hand-offs hide. Off-schedule it is that std::mutex. Thread-safe.
#pragma once

#include <mutex>

#include "poolcheck/deterministic/schedule.hpp"

namespace poolcheck::det {

class DetMutex {
 public:
  void lock() {
    if (!Schedule::on_schedule()) {
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

}  // namespace poolcheck::det
