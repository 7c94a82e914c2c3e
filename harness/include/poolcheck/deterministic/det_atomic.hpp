// det::Atomic<T>: std::atomic<T>'s whole interface (C++20: load, store, exchange, both
// compare_exchange forms, the fetch_ operations and operators of integral, floating-point and
// pointer types, wait/notify, is_lock_free), each operation a scheduling point of the deterministic
// schedule (folly's DeterministicAtomic). Off-schedule it is a plain std::atomic<T>, and the same
// size. DetAtomic is its old name, kept for the pool policy and the harness.
//
// Point kinds: load and operator T are `load`; store and operator= are `store`; every
// read-modify-write, operator and compare_exchange is `rmw`; notify_one/notify_all are `unlock`
// (like an unlock, they make blocked threads runnable). is_lock_free takes none (no shared state).
//
// compare_exchange_weak is strong here: a spurious failure would make a schedule unrepeatable.
//
// wait(old) under a schedule blocks the thread in the schedule (not the OS) until a notify that
// follows its check and a value that differs from `old` (compared as bytes, as std does): it loads
// (a point), and when the value equals `old` it registers for a notify before any other thread can
// run, then blocks (Schedule::expect_notify/await_notify; which waiter a notify_one wakes is a
// schedule choice). A notify that leaves the value unchanged lets it check again and block again;
// it never wakes without a notify, so a missing notify is a deadlock the schedule reports. After an
// aborted schedule, on a thread that may not throw at a point, wait returns as soon as it would
// block (nobody is left to notify it).
//
// Not noexcept where std is: a point of an aborted schedule throws ScheduleAborted (schedule.hpp).
// No volatile overloads. Thread-safe, as std::atomic.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstring>
#include <type_traits>

#include "poolcheck/deterministic/schedule.hpp"

namespace poolcheck::det {

namespace atomic_detail {

// The kinds std::atomic gives arithmetic to (bool has none).
template <class T>
concept Integral = std::is_integral_v<T> && !std::is_same_v<std::remove_cv_t<T>, bool>;
template <class T>
concept Floating = std::is_floating_point_v<T>;
template <class T>
concept ObjectPointer = std::is_pointer_v<T> && std::is_object_v<std::remove_pointer_t<T>>;

// std::atomic's difference_type: present for integral, floating-point and pointer types only.
template <class T>
struct Difference {};
template <class T>
  requires Integral<T> || Floating<T>
struct Difference<T> {
  using difference_type = T;
};
template <class T>
struct Difference<T*> {
  using difference_type = std::ptrdiff_t;
};

}  // namespace atomic_detail

template <class T>
class Atomic : public atomic_detail::Difference<T> {
  static constexpr bool kIntegral = atomic_detail::Integral<T>;
  static constexpr bool kArithmetic = atomic_detail::Integral<T> || atomic_detail::Floating<T>;
  static constexpr bool kPointer = atomic_detail::ObjectPointer<T>;
  using Order = std::memory_order;
  static constexpr Order kSeqCst = std::memory_order_seq_cst;

 public:
  using value_type = T;
  static constexpr bool is_always_lock_free = std::atomic<T>::is_always_lock_free;

  Atomic() noexcept(std::is_nothrow_default_constructible_v<T>) : a_(T{}) {}
  constexpr Atomic(T v) noexcept : a_(v) {}  // NOLINT: implicit, as std::atomic
  Atomic(const Atomic&) = delete;
  Atomic& operator=(const Atomic&) = delete;

  // Answered at compile time when it can be: clang with libstdc++ would otherwise call
  // __atomic_is_lock_free, which only libatomic defines.
  bool is_lock_free() const noexcept {
    if constexpr (is_always_lock_free) {
      return true;
    } else {
      return a_.is_lock_free();
    }
  }

  T load(Order mo = kSeqCst) const {
    Schedule::point(PointKind::load);
    return a_.load(mo);
  }
  operator T() const { return load(); }  // NOLINT: implicit, as std::atomic
  void store(T v, Order mo = kSeqCst) {
    Schedule::point(PointKind::store);
    a_.store(v, mo);
  }
  T operator=(T v) {
    store(v);
    return v;
  }
  T exchange(T v, Order mo = kSeqCst) {
    Schedule::point(PointKind::rmw);
    return a_.exchange(v, mo);
  }

  bool compare_exchange_strong(T& expected, T desired, Order success, Order failure) {
    Schedule::point(PointKind::rmw);
    return a_.compare_exchange_strong(expected, desired, success, failure);
  }
  bool compare_exchange_strong(T& expected, T desired, Order mo = kSeqCst) {
    Schedule::point(PointKind::rmw);
    return a_.compare_exchange_strong(expected, desired, mo);
  }
  bool compare_exchange_weak(T& expected, T desired, Order success, Order failure) {
    return compare_exchange_strong(expected, desired, success, failure);
  }
  bool compare_exchange_weak(T& expected, T desired, Order mo = kSeqCst) {
    return compare_exchange_strong(expected, desired, mo);
  }

  // Integral and floating-point types.
  T fetch_add(T v, Order mo = kSeqCst)
    requires kArithmetic
  {
    Schedule::point(PointKind::rmw);
    return a_.fetch_add(v, mo);
  }
  T fetch_sub(T v, Order mo = kSeqCst)
    requires kArithmetic
  {
    Schedule::point(PointKind::rmw);
    return a_.fetch_sub(v, mo);
  }
  T operator+=(T v)
    requires kArithmetic
  {
    Schedule::point(PointKind::rmw);
    return a_ += v;
  }
  T operator-=(T v)
    requires kArithmetic
  {
    Schedule::point(PointKind::rmw);
    return a_ -= v;
  }

  // Pointer types: arithmetic in elements.
  T fetch_add(std::ptrdiff_t d, Order mo = kSeqCst)
    requires kPointer
  {
    Schedule::point(PointKind::rmw);
    return a_.fetch_add(d, mo);
  }
  T fetch_sub(std::ptrdiff_t d, Order mo = kSeqCst)
    requires kPointer
  {
    Schedule::point(PointKind::rmw);
    return a_.fetch_sub(d, mo);
  }
  T operator+=(std::ptrdiff_t d)
    requires kPointer
  {
    Schedule::point(PointKind::rmw);
    return a_ += d;
  }
  T operator-=(std::ptrdiff_t d)
    requires kPointer
  {
    Schedule::point(PointKind::rmw);
    return a_ -= d;
  }

  // Integral and pointer types.
  T operator++()
    requires kIntegral || kPointer
  {
    Schedule::point(PointKind::rmw);
    return ++a_;
  }
  T operator++(int)
    requires kIntegral || kPointer
  {
    Schedule::point(PointKind::rmw);
    return a_++;
  }
  T operator--()
    requires kIntegral || kPointer
  {
    Schedule::point(PointKind::rmw);
    return --a_;
  }
  T operator--(int)
    requires kIntegral || kPointer
  {
    Schedule::point(PointKind::rmw);
    return a_--;
  }

  // Integral types.
  T fetch_and(T v, Order mo = kSeqCst)
    requires kIntegral
  {
    Schedule::point(PointKind::rmw);
    return a_.fetch_and(v, mo);
  }
  T fetch_or(T v, Order mo = kSeqCst)
    requires kIntegral
  {
    Schedule::point(PointKind::rmw);
    return a_.fetch_or(v, mo);
  }
  T fetch_xor(T v, Order mo = kSeqCst)
    requires kIntegral
  {
    Schedule::point(PointKind::rmw);
    return a_.fetch_xor(v, mo);
  }
  T operator&=(T v)
    requires kIntegral
  {
    Schedule::point(PointKind::rmw);
    return a_ &= v;
  }
  T operator|=(T v)
    requires kIntegral
  {
    Schedule::point(PointKind::rmw);
    return a_ |= v;
  }
  T operator^=(T v)
    requires kIntegral
  {
    Schedule::point(PointKind::rmw);
    return a_ ^= v;
  }

  void wait(T old, Order mo = kSeqCst) const {
    if (!Schedule::on_schedule()) {
      a_.wait(old, mo);
      return;
    }
    for (;;) {
      Schedule::point(PointKind::load);
      if (!same_bytes(a_.load(mo), old)) return;
      // No point between the check and the registration: a notify cannot slip in between.
      const std::uint64_t ticket = Schedule::expect_notify(this);
      if (!Schedule::await_notify(this, ticket)) return;
    }
  }
  // Off-schedule they notify the std::atomic; on it they only wake scheduled waiters (the atomic's
  // own notify could be a happens-before edge TSan would see, hiding a race the schedule serialises).
  void notify_one() {
    if (!Schedule::on_schedule()) return a_.notify_one();
    Schedule::notify(this, /*all=*/false);
    Schedule::point(PointKind::unlock);
  }
  void notify_all() {
    if (!Schedule::on_schedule()) return a_.notify_all();
    Schedule::notify(this, /*all=*/true);
    Schedule::point(PointKind::unlock);
  }

 private:
  static bool same_bytes(const T& a, const T& b) noexcept { return std::memcmp(&a, &b, sizeof(T)) == 0; }

  std::atomic<T> a_;
};

template <class T>
using DetAtomic = Atomic<T>;

}  // namespace poolcheck::det
