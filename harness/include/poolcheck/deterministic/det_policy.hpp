// The pool policy of the deterministic executor: the production pool code, with every atomic and
// mutex a scheduling point, the counting allocator, and, under a schedule, the partition choice
// fixed by the thread's index instead of the CPU it happens to run on. Off any schedule (a
// free-running round with point noise, point_noise.hpp) it is the harness's policy on det types:
// the CPU picks the partition, and the points are where the noise stops threads.
#pragma once

#include "bufpool/pool_policy.hpp"
#include "bufpool/testing/faults.hpp"
#include "poolcheck/counting_allocator.hpp"
#include "poolcheck/deterministic/det_atomic.hpp"
#include "poolcheck/deterministic/det_mutex.hpp"

namespace poolcheck::det {

struct DeterministicPolicy : HarnessPolicy {
  template <class U>
  using atomic = DetAtomic<U>;
  using mutex = DetMutex;
  static unsigned current_core() noexcept {
    return Schedule::on_schedule() ? Schedule::thread_index() : HarnessPolicy::current_core();
  }
  // Inside the pool's critical sections, between reading a stack's top and writing it back: with
  // the lock in place nobody else can enter; without it (the no-lock mutant) the schedule can
  // interleave another thread right there.
  static void race_window() { Schedule::point(PointKind::plain); }
};

template <std::uint32_t F>
using DeterministicMutantPolicy = bufpool::testing::WithFaults<DeterministicPolicy, F>;

}  // namespace poolcheck::det
