// Deterministic mode for your own pool: the one header to include.
//
// The deterministic executor runs threads one at a time and switches between them only at
// scheduling points, so a seed fixes the interleaving and a failing one replays exactly. The
// points are the operations of the types here. To be checked this way a pool needs one change:
// its atomic and mutex types become template parameters, taken from a "Sync" bundle whose default
// is the pool's own std types, so production code never depends on poolcheck (folly's Atom idiom).
//
// Before:
//
//   class FreeList {
//     std::mutex m_;
//     std::atomic<std::size_t> size_{0};
//     Node* top_ = nullptr;
//    public:
//     void push(Node* n) { std::lock_guard g(m_); n->next = top_; top_ = n; ++size_; }
//   };
//
// After (StdTypes is the pool's own bundle: the part of poolcheck::StdSync it uses):
//
//   struct StdTypes {
//     template <class T> using atomic = std::atomic<T>;
//     using mutex = std::mutex;
//     static void yield_point() noexcept {}
//   };
//   template <class Sync = StdTypes>
//   class FreeList {
//     typename Sync::mutex m_;
//     typename Sync::template atomic<std::size_t> size_{0};
//     Node* top_ = nullptr;
//    public:
//     void push(Node* n) {
//       std::lock_guard g(m_);
//       n->next = top_;
//       Sync::yield_point();  // optional: lets a schedule interleave here if the lock were missing
//       top_ = n;
//       ++size_;
//     }
//   };
//
// Production keeps using FreeList<>; the checker builds FreeList<poolcheck::det::Sync> and runs it
// under a det::Schedule (schedule.hpp), with any strategy (strategy.hpp).
//
// What is here:
//   det::Atomic<T>          std::atomic<T>'s whole interface, each operation a point; wait/notify
//                           block in the schedule (det_atomic.hpp). DetAtomic is an alias.
//   det::Mutex              Lockable; a held mutex blocks in the schedule (det_mutex.hpp). DetMutex
//                           is an alias.
//   det::SharedMutex        SharedLockable; readers share, a writer excludes (det_shared_mutex.hpp).
//   det::ConditionVariable  condition_variable_any's interface; waits block in the schedule, timed
//                           waits time out at the thread's next turn (det_condition_variable.hpp).
//   poolcheck::yield_point  a bare point for inside a pool's critical sections (yield_point.hpp).
//   StdSync, det::Sync      the two bundles; SyncTypes<S> the concept both meet (sync_types.hpp).
//
// Off-schedule (any thread a Schedule does not run) every type is the std type it stands for, with
// one thread_local check per operation; the locks hold the real std locks on-schedule too, so TSan
// sees their happens-before edges. Under a schedule an operation may throw ScheduleAborted once the
// schedule has ended early (a deadlock, the step limit): let it unwind the thread's body.
#pragma once

#include "poolcheck/deterministic/det_atomic.hpp"
#include "poolcheck/deterministic/det_condition_variable.hpp"
#include "poolcheck/deterministic/det_mutex.hpp"
#include "poolcheck/deterministic/det_shared_mutex.hpp"
#include "poolcheck/deterministic/schedule.hpp"
#include "poolcheck/deterministic/strategy.hpp"
#include "poolcheck/deterministic/sync_types.hpp"
#include "poolcheck/deterministic/yield_point.hpp"
