// DetAtomic<T>: a drop-in std::atomic<T> whose every operation is a scheduling point of the
// deterministic schedule (folly's DeterministicAtomic). Off-schedule it is a plain std::atomic.
// compare_exchange_weak is strong here: a spurious failure would make a schedule unrepeatable.
// Thread-safe, as std::atomic.
#pragma once

#include <atomic>
#include <type_traits>

#include "poolcheck/deterministic/schedule.hpp"

namespace poolcheck::det {

template <class T>
class DetAtomic {
 public:
  DetAtomic() noexcept : a_(T{}) {}
  constexpr DetAtomic(T v) noexcept : a_(v) {}  // NOLINT: implicit, as std::atomic
  DetAtomic(const DetAtomic&) = delete;
  DetAtomic& operator=(const DetAtomic&) = delete;

  T load(std::memory_order mo = std::memory_order_seq_cst) const {
    Schedule::point(PointKind::load);
    return a_.load(mo);
  }
  void store(T v, std::memory_order mo = std::memory_order_seq_cst) {
    Schedule::point(PointKind::store);
    a_.store(v, mo);
  }
  T exchange(T v, std::memory_order mo = std::memory_order_seq_cst) {
    Schedule::point(PointKind::rmw);
    return a_.exchange(v, mo);
  }
  bool compare_exchange_strong(T& expected, T desired, std::memory_order s, std::memory_order f) {
    Schedule::point(PointKind::rmw);
    return a_.compare_exchange_strong(expected, desired, s, f);
  }
  bool compare_exchange_strong(T& expected, T desired, std::memory_order mo = std::memory_order_seq_cst) {
    Schedule::point(PointKind::rmw);
    return a_.compare_exchange_strong(expected, desired, mo);
  }
  bool compare_exchange_weak(T& expected, T desired, std::memory_order s, std::memory_order f) {
    return compare_exchange_strong(expected, desired, s, f);
  }
  bool compare_exchange_weak(T& expected, T desired, std::memory_order mo = std::memory_order_seq_cst) {
    return compare_exchange_strong(expected, desired, mo);
  }
  T fetch_add(T v, std::memory_order mo = std::memory_order_seq_cst)
    requires std::is_integral_v<T>
  {
    Schedule::point(PointKind::rmw);
    return a_.fetch_add(v, mo);
  }
  T fetch_sub(T v, std::memory_order mo = std::memory_order_seq_cst)
    requires std::is_integral_v<T>
  {
    Schedule::point(PointKind::rmw);
    return a_.fetch_sub(v, mo);
  }

 private:
  std::atomic<T> a_;
};

}  // namespace poolcheck::det
