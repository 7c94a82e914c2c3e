// The second level of SharedArrayPool, for one bucket: one locked stack per partition (per core by
// default), like .NET's SharedArrayPoolPartitions. A push starts at the partition of the core the
// thread runs on, a pop where the caller says (SharedArrayPool: where this thread last found an
// array), and each tries every other partition once, so threads on different cores rarely share
// a lock.
// Each entry remembers when it was pushed, for trim by age.
//
// Thread-safety: each partition's members are guarded by its own mutex; a call never holds two
// partition locks at once. Each partition's resting/high_water are relaxed atomics mirrored from
// under its lock (read by stats() without locking). partitions_/cap_ are immutable after
// construction.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>

#include <time.h>

#include "bufpool/internal/annotated_mutex.hpp"
#include "bufpool/internal/race_window.hpp"
#include "bufpool/pool_policy.hpp"
#include "bufpool/testing/faults.hpp"

namespace bufpool::internal {

using SteadyTime = std::chrono::steady_clock::time_point;

// The push stamp for trim by age. CLOCK_MONOTONIC_COARSE is the clock steady_clock reads
// (libstdc++'s steady_clock is CLOCK_MONOTONIC) at the resolution of a scheduler tick (1 to 4 ms),
// read from the vDSO without touching the clock source, so every partition push pays a fraction of
// what a precise clock read costs. Trim compares against trim_after (a minute by default); the coarse stamp can
// only lag, so an array looks at most one tick older than it is.
inline SteadyTime coarse_now() noexcept {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
  return SteadyTime(std::chrono::duration_cast<SteadyTime::duration>(std::chrono::seconds(ts.tv_sec) +
                                                                      std::chrono::nanoseconds(ts.tv_nsec)));
}

template <class T, class Policy>
class PerCoreStacks {
  template <class U>
  using Atom = typename Policy::template atomic<U>;
  using RawMutex = typename Policy::mutex;
  using Lock = MutexLock<RawMutex, !testing::has_fault<Policy>(testing::Fault::no_lock)>;

 public:
  // Called once, before the pool is shared.
  void init(std::size_t partitions, std::size_t cap_per_partition) {
    partition_count_ = partitions;
    cap_ = cap_per_partition;
    partitions_ = std::make_unique<Partition[]>(partitions);
  }

  // Pops a resting array, starting at partition `start`; null when all are empty. With `spare`,
  // also pops a second array of the same partition into *spare (null when there is none): a
  // thread whose slot is empty refills it under the same lock, so a thread that rents what other
  // threads give back takes a partition lock every other rent, not every rent. *found (if given)
  // is the partition the array came from.
  //
  // No lock-free peek at a partition's count first: a partition another core just pushed to is in
  // that core's cache, and reading it before locking it moves the line twice, which costs far more
  // than locking an empty partition when arrays cross threads.
  T* try_pop(std::size_t start, T** spare = nullptr, std::size_t* found = nullptr) {
    if (spare != nullptr) *spare = nullptr;
    for (std::size_t i = 0; i < partition_count_; ++i) {
      const std::size_t at = (start + i) % partition_count_;
      Partition& p = partitions_[at];
      Lock lock(p.mu);
      if (p.count == 0) continue;
      std::size_t top = p.count - 1;
      T* array = p.entries[top].array;
      if (spare != nullptr && top > 0) *spare = p.entries[--top].array;
      race_window<Policy>();
      p.set_count(top);
      if (found != nullptr) *found = at;
      return array;
    }
    return nullptr;
  }

  // Pushes `array`, starting at partition `start`. Returns false when every partition is full
  // (the caller frees the array) or an entry table could not be allocated.
  bool try_push(std::size_t start, T* array, SteadyTime now) {
    for (std::size_t i = 0; i < partition_count_; ++i) {
      Partition& p = partitions_[(start + i) % partition_count_];
      // The cap_check_race mutant skips a full partition by its count mirror, read before locking
      // (to save the lock of a full partition), and does not look again under the lock: two pushes
      // that both saw room both push.
      constexpr bool kRacyCheck = testing::has_fault<Policy>(testing::Fault::cap_check_race);
      constexpr bool kCapped = !testing::has_fault<Policy>(testing::Fault::ignore_cap) && !kRacyCheck;
      if (kRacyCheck && p.resting.load(std::memory_order_relaxed) >= cap_) continue;
      Lock lock(p.mu);
      if (kCapped && p.count >= cap_) continue;
      if (!p.reserve(cap_)) return false;
      const std::size_t at = p.count;
      race_window<Policy>();
      p.entries[at] = Entry{array, now};
      p.set_count(at + 1);
      if constexpr (testing::has_fault<Policy>(testing::Fault::double_push)) {
        if (p.reserve(cap_)) {
          p.entries[p.count] = Entry{array, now};
          p.set_count(p.count + 1);
        }
      }
      return true;
    }
    return false;
  }

  // Frees resting arrays pushed before `older_than` (all of them with SteadyTime::max()).
  // Returns how many were freed. Never frees while another partition's lock is held.
  // The trim_unlocked mutant takes no partition lock here (trim as a maintenance call, assumed to
  // run while the pool is idle); race_window() is where a schedule interleaves it.
  template <class FreeFn>
  std::size_t trim(SteadyTime older_than, FreeFn&& free_array) {
    using TrimLock = MutexLock<RawMutex, !testing::has_fault<Policy>(testing::Fault::no_lock) &&
                                             !testing::has_fault<Policy>(testing::Fault::trim_unlocked)>;
    std::size_t freed = 0;
    for (std::size_t i = 0; i < partition_count_; ++i) {
      Partition& p = partitions_[i];
      TrimLock lock(p.mu);
      std::size_t kept = 0;
      for (std::size_t e = 0; e < p.count; ++e) {
        if (p.entries[e].pushed < older_than) {
          free_array(p.entries[e].array);
          ++freed;
        } else {
          p.entries[kept++] = p.entries[e];
        }
      }
      race_window<Policy>();
      p.set_count(kept);
    }
    return freed;
  }

  // Arrays resting in all partitions now (each partition's count read without its lock: exact at
  // quiescence, a snapshot otherwise).
  std::size_t resting() const noexcept {
    std::size_t sum = 0;
    for (std::size_t i = 0; i < partition_count_; ++i) sum += partitions_[i].resting.load(std::memory_order_relaxed);
    return sum;
  }
  // The sum of each partition's most-ever-resting: at least the most that ever rested in the
  // bucket at once, and at most cap() while every partition keeps its own cap.
  std::size_t high_water() const noexcept {
    std::size_t sum = 0;
    for (std::size_t i = 0; i < partition_count_; ++i) sum += partitions_[i].high_water.load(std::memory_order_relaxed);
    return sum;
  }
  std::size_t cap() const noexcept { return partition_count_ * cap_; }
  std::size_t partition_count() const noexcept { return partition_count_; }

 private:
  struct Entry {
    T* array;
    SteadyTime pushed;
  };

  // Partitions are cache-line aligned so two cores' locks never share a line. Everything one push
  // or pop touches, but the entry itself, is in the partition: a shared, bucket-wide counter beside
  // it would be one more line moving between cores on every push and pop.
  struct alignas(64) Partition {
    AnnotatedMutex<RawMutex> mu;
    // Allocated on first push, so unused buckets cost a mutex and a pointer per partition.
    std::unique_ptr<Entry[]> entries BUFPOOL_GUARDED_BY(mu);
    std::size_t count BUFPOOL_GUARDED_BY(mu) = 0;
    // Mirror of count: written only under mu (a relaxed store: the lock holder is the only
    // writer), read by stats() without the lock. On the lock's cache line, which a push or pop
    // owns anyway.
    Atom<std::size_t> resting{0};
    // Second cache line: written rarely. high_water mirrors count's maximum like `resting`.
    std::size_t allocated BUFPOOL_GUARDED_BY(mu) = 0;
    Atom<std::size_t> high_water{0};

    void set_count(std::size_t n) BUFPOOL_REQUIRES(mu) {
      count = n;
      resting.store(n, std::memory_order_relaxed);
      if (n > high_water.load(std::memory_order_relaxed)) high_water.store(n, std::memory_order_relaxed);
    }

    // Makes room for one more entry. Only the ignore_cap mutant grows past `cap`.
    bool reserve(std::size_t cap) BUFPOOL_REQUIRES(mu) {
      if (count < allocated) return true;
      const std::size_t want = std::max(cap, allocated * 2);
      std::unique_ptr<Entry[]> grown(new (std::nothrow) Entry[want]);
      if (!grown) return false;
      std::copy_n(entries.get(), count, grown.get());
      entries = std::move(grown);
      allocated = want;
      return true;
    }
  };

  // Immutable after init().
  std::size_t partition_count_ = 0;
  std::size_t cap_ = 0;
  std::unique_ptr<Partition[]> partitions_;
};

}  // namespace bufpool::internal
