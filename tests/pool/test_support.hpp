// Test helpers for bufpool: an allocator that counts every array from outside the pool, and the
// policies that use it, and shared expectations.
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <new>
#include <span>
#include <stdexcept>
#include <string>

#include "bufpool/array_pool.hpp"
#include "bufpool/testing/faults.hpp"

namespace bufpool::testing {

// What a CountingAllocator saw. Thread-safe (one mutex: tests only).
struct AllocationLog {
  std::mutex mu;
  std::map<const void*, std::size_t> live;  // pointer -> bytes
  std::map<const void*, std::size_t> alignments;  // pointer -> alignment it was allocated with
  std::size_t allocations = 0;
  std::size_t frees = 0;
  std::size_t bad_frees = 0;  // freed something not live (double free, foreign)
  std::size_t fail_next = 0;  // the next this many allocations throw std::bad_alloc

  void fail_next_allocations(std::size_t n) {
    std::lock_guard l(mu);
    fail_next = n;
  }
  std::size_t allocation_count() {
    std::lock_guard l(mu);
    return allocations;
  }
  std::size_t free_count() {
    std::lock_guard l(mu);
    return frees;
  }
  // Frees what a mutant pool leaked (lose_array) or still held, so the test itself does not leak.
  void release_leftovers() {
    std::lock_guard l(mu);
    for (auto& [p, bytes] : live) ::operator delete(const_cast<void*>(p), std::align_val_t{alignments[p]});
    live.clear();
    alignments.clear();
  }
  bool is_live(const void* p) {
    std::lock_guard l(mu);
    return live.count(p) != 0;
  }
  std::size_t bad_free_count() {
    std::lock_guard l(mu);
    return bad_frees;
  }

  std::size_t live_count() {
    std::lock_guard l(mu);
    return live.size();
  }
  std::size_t live_of_bytes(std::size_t bytes) {
    std::lock_guard l(mu);
    std::size_t n = 0;
    for (auto& [p, b] : live) n += b == bytes;
    return n;
  }
};

class CountingAllocator {
 public:
  CountingAllocator() = default;
  explicit CountingAllocator(AllocationLog* log) : log_(log) {}
  void* allocate(std::size_t bytes, std::size_t alignment) {
    if (log_ != nullptr) {
      std::lock_guard l(log_->mu);
      if (log_->fail_next > 0) {
        --log_->fail_next;
        throw std::bad_alloc();
      }
    }
    void* p = ::operator new(bytes, std::align_val_t{alignment});
    if (log_ != nullptr) {
      std::lock_guard l(log_->mu);
      log_->live[p] = bytes;
      log_->alignments[p] = alignment;
      ++log_->allocations;
    }
    return p;
  }
  void deallocate(void* p, std::size_t, std::size_t alignment) noexcept {
    if (log_ != nullptr) {
      std::lock_guard l(log_->mu);
      log_->alignments.erase(p);
      if (log_->live.erase(p) == 0) {
        ++log_->bad_frees;
        return;  // do not corrupt the heap on a double free: the test reports it
      }
      ++log_->frees;
    }
    ::operator delete(p, std::align_val_t{alignment});
  }

 private:
  AllocationLog* log_ = nullptr;
};

struct CountedPolicy : DefaultPoolPolicy {
  using allocator = CountingAllocator;
};
struct CheckedCountedPolicy : CountedPolicy {
  static constexpr bool checked = true;
};
template <Fault F>
using CountedMutant = WithFaults<CountedPolicy, static_cast<std::uint32_t>(F)>;
// Every thread starts at partition 0, so a single-thread model of the shared pool's partitions is
// exact (pushes fill partition 0, then 1, ...; pops take from partition 0 first).
struct PinnedCorePolicy : CountedPolicy {
  static unsigned current_core() noexcept { return 0; }
};

// Total arrays resting in a pool (shared stacks and, for the shared flavour, threads' slots).
inline std::size_t resting_arrays(const PoolStats& s) {
  std::size_t n = 0;
  for (const auto& b : s.buckets) n += b.resting + b.resting_thread_local;
  return n;
}

// A policy whose atomic and mutex are thin wrappers that count every operation, process-wide:
// proves the Atom idiom plugs in, i.e. that the pool reaches its shared state only through them.
// Tests compare counts before and after a call; other threads must leave wrapped pools alone then.
struct WrappedCounts {
  static inline std::atomic<std::uint64_t> loads{0};
  static inline std::atomic<std::uint64_t> stores{0};
  static inline std::atomic<std::uint64_t> read_modify_writes{0};
  static inline std::atomic<std::uint64_t> locks{0};
  static inline std::atomic<std::uint64_t> unlocks{0};
  static void bump(std::atomic<std::uint64_t>& c) noexcept { c.fetch_add(1, std::memory_order_relaxed); }
};
template <class T>
struct WrappedAtomic : std::atomic<T> {
  using Base = std::atomic<T>;
  using Base::Base;
  WrappedAtomic() noexcept : Base(T{}) {}
  T load(std::memory_order order = std::memory_order_seq_cst) const noexcept {
    WrappedCounts::bump(WrappedCounts::loads);
    return Base::load(order);
  }
  void store(T value, std::memory_order order = std::memory_order_seq_cst) noexcept {
    WrappedCounts::bump(WrappedCounts::stores);
    Base::store(value, order);
  }
  template <class D>
  T fetch_add(D delta, std::memory_order order = std::memory_order_seq_cst) noexcept {
    WrappedCounts::bump(WrappedCounts::read_modify_writes);
    return Base::fetch_add(delta, order);
  }
  template <class D>
  T fetch_sub(D delta, std::memory_order order = std::memory_order_seq_cst) noexcept {
    WrappedCounts::bump(WrappedCounts::read_modify_writes);
    return Base::fetch_sub(delta, order);
  }
  T exchange(T value, std::memory_order order = std::memory_order_seq_cst) noexcept {
    WrappedCounts::bump(WrappedCounts::read_modify_writes);
    return Base::exchange(value, order);
  }
};
struct WrappedMutex {
  std::mutex m;
  void lock() {
    WrappedCounts::bump(WrappedCounts::locks);
    m.lock();
  }
  void unlock() {
    WrappedCounts::bump(WrappedCounts::unlocks);
    m.unlock();
  }
};
// What the wrapped types counted since it was taken.
struct WrappedSnapshot {
  std::uint64_t loads = WrappedCounts::loads.load();
  std::uint64_t stores = WrappedCounts::stores.load();
  std::uint64_t read_modify_writes = WrappedCounts::read_modify_writes.load();
  std::uint64_t locks = WrappedCounts::locks.load();
  std::uint64_t unlocks = WrappedCounts::unlocks.load();

  WrappedSnapshot since() const {
    WrappedSnapshot now;
    return {now.loads - loads, now.stores - stores, now.read_modify_writes - read_modify_writes,
            now.locks - locks, now.unlocks - unlocks};
  }
};
struct WrappedPolicy : DefaultPoolPolicy {
  template <class U>
  using atomic = WrappedAtomic<U>;
  using mutex = WrappedMutex;
};

inline SharedPoolOptions small_shared(std::size_t partitions = 2, std::size_t per_partition = 4) {
  SharedPoolOptions o;
  o.partitions = partitions;
  o.arrays_per_partition = per_partition;
  return o;
}

// A second give_back of `array`, which rests in `pool`, must throw std::invalid_argument naming a
// double give_back (ASan builds, where a resting array is poisoned).
template <class Pool, class T>
void expect_double_give_back_refused(Pool& pool, std::span<T> array) {
  try {
    pool.give_back(array);
    ADD_FAILURE() << "a double give_back was accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("double give_back"), std::string::npos) << e.what();
  }
}

}  // namespace bufpool::testing
