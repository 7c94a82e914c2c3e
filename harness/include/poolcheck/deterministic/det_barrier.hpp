// DetBarrier: std::barrier's arrive_and_wait / arrive_and_drop (no completion function), visible to
// the deterministic schedule. Arriving is a scheduling point (the schedule picks the order threads
// arrive in); a thread that must wait blocks in the schedule (Schedule::block_on), not in the OS,
// and is runnable again when the phase completes. Threads that all wait with nobody left to
// arrive are a deadlock the schedule reports, never a hang. Off-schedule it is an ordinary
// barrier (mutex and condition variable).
//
// A waiter learns of an aborted schedule at its next turn through Schedule::checkpoint, which
// throws ScheduleAborted: call it only where the frames on the stack may throw (a workload body).
//
// Thread-safety: as std::barrier. The counters are guarded by `m_`, a real mutex also on-schedule,
// so TSan sees the barrier's edges (the schedule's own hand-offs are hidden from it); it is never
// held across a scheduling point (a thread switched out holding it would block the next one in
// the OS, outside the schedule's sight).
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>

#include "poolcheck/deterministic/schedule.hpp"

namespace poolcheck::det {

class DetBarrier {
 public:
  explicit DetBarrier(std::ptrdiff_t expected) : expected_(expected) {}
  DetBarrier(const DetBarrier&) = delete;
  DetBarrier& operator=(const DetBarrier&) = delete;

  void arrive_and_wait() {
    Schedule::point(PointKind::rmw);
    std::unique_lock lock(m_);
    const std::uint64_t phase = phase_;
    if (++arrived_ >= expected_) return complete_phase();
    if (!Schedule::on_schedule()) {
      cv_.wait(lock, [&] { return phase_ != phase; });
      return;
    }
    while (phase_ == phase) {
      lock.unlock();
      Schedule::block_on(this);  // runnable again once the phase completes (complete_phase)
      Schedule::checkpoint();
      lock.lock();
    }
  }

  // Leaves the barrier: this phase and every later one expect one thread fewer.
  void arrive_and_drop() {
    Schedule::point(PointKind::rmw);
    std::unique_lock lock(m_);
    --expected_;
    if (arrived_ >= expected_ && arrived_ > 0) complete_phase();
  }

 private:
  void complete_phase() {  // m_ held
    arrived_ = 0;
    ++phase_;
    cv_.notify_all();
    Schedule::release_waiters(this);
  }

  std::mutex m_;
  std::condition_variable cv_;
  std::ptrdiff_t expected_;   // guarded by m_
  std::ptrdiff_t arrived_ = 0;  // guarded by m_
  std::uint64_t phase_ = 0;     // guarded by m_
};

}  // namespace poolcheck::det
