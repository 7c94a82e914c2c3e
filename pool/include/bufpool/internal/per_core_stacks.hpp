// The second level of SharedArrayPool, for one bucket: one locked stack per partition (per core by
// default), like .NET's SharedArrayPoolPartitions. A thread starts at the partition of the core it
// runs on and tries each other partition once, so threads on different cores rarely share a lock.
// Each entry remembers when it was pushed, for trim by age.
//
// Thread-safety: each partition's members are guarded by its own mutex; a call never holds two
// partition locks at once. resting_/high_water_ are relaxed atomics mirrored from under the locks
// (read by stats() without locking). partitions_/cap_ are immutable after construction.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>

#include <time.h>

#include "bufpool/internal/annotated_mutex.hpp"
#include "bufpool/pool_policy.hpp"

namespace bufpool::internal {

using SteadyTime = std::chrono::steady_clock::time_point;

// The push stamp for trim by age. CLOCK_MONOTONIC_COARSE is the clock steady_clock reads
// (libstdc++'s steady_clock is CLOCK_MONOTONIC) at the resolution of a scheduler tick (1 to 4 ms),
// read from the vDSO without touching the clock source, so a few ns instead of about 20 on every
// partition push. Trim compares against trim_after (a minute by default); the coarse stamp can
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
  using Lock = MutexLock<RawMutex, !has_fault<Policy>(Fault::no_lock)>;

 public:
  // Called once, before the pool is shared.
  void init(std::size_t partitions, std::size_t cap_per_partition) {
    partition_count_ = partitions;
    cap_ = cap_per_partition;
    partitions_ = std::make_unique<Partition[]>(partitions);
  }

  // Pops a resting array, starting at partition `start`; null when all are empty.
  T* try_pop(std::size_t start) {
    for (std::size_t i = 0; i < partition_count_; ++i) {
      Partition& p = partitions_[(start + i) % partition_count_];
      Lock lock(p.mu);
      if (p.count == 0) continue;
      const std::size_t top = p.count - 1;
      T* array = p.entries[top].array;
      race_window<Policy>();
      p.count = top;
      resting_.fetch_sub(1, std::memory_order_relaxed);
      return array;
    }
    return nullptr;
  }

  // Pushes `array`, starting at partition `start`. Returns false when every partition is full
  // (the caller frees the array) or an entry table could not be allocated.
  bool try_push(std::size_t start, T* array, SteadyTime now) {
    for (std::size_t i = 0; i < partition_count_; ++i) {
      Partition& p = partitions_[(start + i) % partition_count_];
      Lock lock(p.mu);
      if (p.count == cap_ && !has_fault<Policy>(Fault::ignore_cap)) continue;
      if (!p.reserve(cap_)) return false;
      const std::size_t at = p.count;
      race_window<Policy>();
      p.entries[at] = Entry{array, now};
      p.count = at + 1;
      note_pushed(1);
      if constexpr (has_fault<Policy>(Fault::double_push)) {
        if (p.reserve(cap_)) {
          p.entries[p.count++] = Entry{array, now};
          note_pushed(1);
        }
      }
      return true;
    }
    return false;
  }

  // Frees resting arrays pushed before `older_than` (all of them with SteadyTime::max()).
  // Returns how many were freed. Never frees while another partition's lock is held.
  template <class FreeFn>
  std::size_t trim(SteadyTime older_than, FreeFn&& free_array) {
    std::size_t freed = 0;
    for (std::size_t i = 0; i < partition_count_; ++i) {
      Partition& p = partitions_[i];
      Lock lock(p.mu);
      std::size_t kept = 0;
      for (std::size_t e = 0; e < p.count; ++e) {
        if (p.entries[e].pushed < older_than) {
          free_array(p.entries[e].array);
          ++freed;
        } else {
          p.entries[kept++] = p.entries[e];
        }
      }
      p.count = kept;
    }
    resting_.fetch_sub(freed, std::memory_order_relaxed);
    return freed;
  }

  std::size_t resting() const noexcept { return resting_.load(std::memory_order_relaxed); }
  std::size_t high_water() const noexcept { return high_water_.load(std::memory_order_relaxed); }
  std::size_t cap() const noexcept { return partition_count_ * cap_; }
  std::size_t partition_count() const noexcept { return partition_count_; }

 private:
  struct Entry {
    T* array;
    SteadyTime pushed;
  };

  // One cache line apart so two cores' locks never share a line.
  struct alignas(64) Partition {
    AnnotatedMutex<RawMutex> mu;
    // Allocated on first push, so unused buckets cost a mutex and a pointer per partition.
    std::unique_ptr<Entry[]> entries BUFPOOL_GUARDED_BY(mu);
    std::size_t count BUFPOOL_GUARDED_BY(mu) = 0;
    std::size_t allocated BUFPOOL_GUARDED_BY(mu) = 0;

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

  void note_pushed(std::size_t n) noexcept {
    const std::size_t now = resting_.fetch_add(n, std::memory_order_relaxed) + n;
    std::size_t seen = high_water_.load(std::memory_order_relaxed);
    while (now > seen && !high_water_.compare_exchange_weak(seen, now, std::memory_order_relaxed)) {
    }
  }

  // Immutable after init().
  std::size_t partition_count_ = 0;
  std::size_t cap_ = 0;
  std::unique_ptr<Partition[]> partitions_;
  Atom<std::size_t> resting_{0};     // sum of the partitions' counts
  Atom<std::size_t> high_water_{0};  // most ever resting at once (across partitions)
};

}  // namespace bufpool::internal
