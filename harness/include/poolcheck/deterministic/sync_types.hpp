// The synchronisation bundles a pool can be templated on: SyncTypes<S> is what a pool may use from
// its bundle; StdSync is the production one (the std types, yield_point a no-op); det::Sync is the
// deterministic executor's (every operation a scheduling point, see det.hpp).
#pragma once

#include <atomic>
#include <concepts>
#include <condition_variable>
#include <mutex>
#include <shared_mutex>

#include "poolcheck/deterministic/det_atomic.hpp"
#include "poolcheck/deterministic/det_condition_variable.hpp"
#include "poolcheck/deterministic/det_mutex.hpp"
#include "poolcheck/deterministic/det_shared_mutex.hpp"
#include "poolcheck/deterministic/yield_point.hpp"

namespace poolcheck {

// A bundle S provides: `S::atomic<T>` with std::atomic's interface, `S::mutex` (Lockable),
// `S::shared_mutex` (SharedLockable), `S::condition_variable` (waits on a
// std::unique_lock<S::mutex>, notifies), and `S::yield_point()`. Checked here on the operations a
// pool typically uses; det::Atomic has all of std::atomic's.
template <class S>
concept SyncTypes =
    requires {
      typename S::template atomic<int>;
      typename S::template atomic<void*>;
      typename S::mutex;
      typename S::shared_mutex;
      typename S::condition_variable;
      S::yield_point();
    } &&
    requires(typename S::template atomic<int>& a, typename S::template atomic<void*>& p, int& expected, void*& ptr,
             typename S::mutex& m, typename S::shared_mutex& sm, typename S::condition_variable& cv,
             std::unique_lock<typename S::mutex>& lock) {
      { a.load(std::memory_order_acquire) } -> std::same_as<int>;
      a.store(1, std::memory_order_release);
      { a.exchange(1) } -> std::same_as<int>;
      { a.fetch_add(1) } -> std::same_as<int>;
      { a.fetch_sub(1) } -> std::same_as<int>;
      { a.compare_exchange_strong(expected, 1) } -> std::same_as<bool>;
      { a.compare_exchange_weak(expected, 1, std::memory_order_acq_rel, std::memory_order_acquire) } -> std::same_as<bool>;
      { p.load() } -> std::same_as<void*>;
      { p.compare_exchange_strong(ptr, nullptr) } -> std::same_as<bool>;
      m.lock();
      { m.try_lock() } -> std::same_as<bool>;
      m.unlock();
      sm.lock();
      { sm.try_lock() } -> std::same_as<bool>;
      sm.unlock();
      sm.lock_shared();
      { sm.try_lock_shared() } -> std::same_as<bool>;
      sm.unlock_shared();
      cv.wait(lock);
      cv.notify_one();
      cv.notify_all();
    };

// Production: the std types. A pool that must not depend on poolcheck declares its own copy of
// this (four aliases and an empty function) as its default.
struct StdSync {
  template <class T>
  using atomic = std::atomic<T>;
  using mutex = std::mutex;
  using shared_mutex = std::shared_mutex;
  using condition_variable = std::condition_variable_any;
  static void yield_point() noexcept {}
};

namespace det {

// Deterministic mode: every operation a scheduling point under a Schedule, the std types off it.
struct Sync {
  template <class T>
  using atomic = Atomic<T>;
  using mutex = Mutex;
  using shared_mutex = SharedMutex;
  using condition_variable = ConditionVariable;
  static void yield_point() { poolcheck::yield_point(); }
};

}  // namespace det

static_assert(SyncTypes<StdSync>);
static_assert(SyncTypes<det::Sync>);

}  // namespace poolcheck
