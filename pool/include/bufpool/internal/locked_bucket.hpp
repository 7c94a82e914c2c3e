// One bucket of LockedArrayPool: a mutex around a stack of resting arrays and a quota, exactly the
// Bucket of .NET's ConfigurableArrayPool.
//
// .NET keeps an array of `cap` slots and an index: rent takes slot[index++] (allocating lazily when
// the slot is empty), give_back stores into slot[--index] and drops the array when index is 0. The
// same behaviour, written as `outstanding_` (.NET's index: arrays of this bucket's quota handed out)
// and a LIFO stack of resting arrays; the slots above the stack are .NET's not-yet-allocated nulls.
// So a bucket hands out at most `cap` arrays of its own and never rests more than `cap`.
//
// Thread-safe: every member below mu_ is guarded by it; capacity_ and cap_ are set once, before the
// pool is shared. The high-water mark and counters are read by stats() under the same lock.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "bufpool/internal/annotated_mutex.hpp"
#include "bufpool/internal/race_window.hpp"
#include "bufpool/pool_policy.hpp"
#include "bufpool/testing/faults.hpp"
#include "bufpool/pool_stats.hpp"

namespace bufpool::internal {

template <class T, class Policy>
class LockedBucket {
 public:
  using RawMutex = typename Policy::mutex;
  using Lock = MutexLock<RawMutex, !testing::has_fault<Policy>(testing::Fault::no_lock)>;

  // Called once, before the pool is shared.
  void init(std::size_t capacity, std::size_t cap) BUFPOOL_NO_THREAD_SAFETY_ANALYSIS {
    capacity_ = capacity;
    cap_ = cap;
    resting_.reserve(cap);  // push never allocates under the lock
  }

  struct Taken {
    bool granted;  // false: the bucket's quota is exhausted
    T* array;      // null when granted: the caller allocates (lazily, outside the lock)
  };

  // Takes one array of this bucket's quota. `primary`: this bucket is the one the request maps to
  // (its rent is counted here); false when it is the one-larger fallback.
  Taken take(bool primary) {
    Lock lock(mu_);
    if (primary) ++rents_;
    if (outstanding_ == cap_) return {false, nullptr};
    ++outstanding_;
    if (resting_.empty()) {
      ++fresh_;
      return {true, nullptr};
    }
    T* array = resting_.back();
    race_window<Policy>();
    resting_.pop_back();
    ++hits_;
    return {true, array};
  }

  // Undoes a granted take whose lazy allocation failed.
  void cancel_take() {
    Lock lock(mu_);
    --outstanding_;
    --fresh_;
  }

  // Undoes the counting of a rent (primary take) that ended in an exception: it served nothing.
  void uncount_rent() {
    Lock lock(mu_);
    --rents_;
  }

  // A fresh array of this bucket's size, allocated because this bucket and the next were exhausted.
  void count_overflow_fresh() {
    Lock lock(mu_);
    ++fresh_;
  }

  // Offers `array` back. Returns false when the bucket is full: the caller frees the array.
  bool put(T* array) {
    if constexpr (testing::has_fault<Policy>(testing::Fault::cap_check_race)) {
      // The cap_check_race mutant: the quota is checked under one lock and the array pushed under
      // another, so two give_backs that both saw room both push.
      {
        Lock lock(mu_);
        ++give_backs_;
        if (outstanding_ == 0) {
          count_drop();
          return false;
        }
      }
      Lock lock(mu_);
      return push_locked(array);
    }
    Lock lock(mu_);
    ++give_backs_;
    if (outstanding_ == 0 && !testing::has_fault<Policy>(testing::Fault::ignore_cap)) {
      count_drop();
      return false;
    }
    return push_locked(array);
  }

  // Adds this bucket's figures to `pool` and returns its BucketStats.
  BucketStats stats(PoolStats& pool) const {
    Lock lock(mu_);
    pool.hits += hits_;
    pool.fresh_allocations += fresh_;
    pool.give_backs += give_backs_;
    pool.drops += drops_;
    pool.rents += rents_;
    BucketStats s;
    s.capacity = capacity_;
    s.rents = rents_;
    s.fresh = fresh_;
    s.drops = drops_;
    s.resting = resting_.size();
    s.high_water = high_water_;
    s.cap = cap_;
    return s;
  }

  // Hands every resting array to `free_array` and forgets them. For the pool's destructor.
  template <class FreeFn>
  void drain(FreeFn&& free_array) {
    Lock lock(mu_);
    for (T* array : resting_) free_array(array, capacity_);
    resting_.clear();
  }

  std::size_t capacity() const noexcept { return capacity_; }

 private:
  // put()'s second half: the bucket has room (or a fault ignores that it has none).
  bool push_locked(T* array) BUFPOOL_REQUIRES(mu_) {
    if (outstanding_ > 0) --outstanding_;
    race_window<Policy>();
    resting_.push_back(array);
    if constexpr (testing::has_fault<Policy>(testing::Fault::double_push)) {
      if (outstanding_ > 0) {
        --outstanding_;
        resting_.push_back(array);
      }
    }
    if (resting_.size() > high_water_) high_water_ = resting_.size();
    return true;
  }

  // The drops_uncounted mutant frees the array without counting it.
  void count_drop() BUFPOOL_REQUIRES(mu_) {
    if constexpr (!testing::has_fault<Policy>(testing::Fault::drops_uncounted)) ++drops_;
  }

  mutable AnnotatedMutex<RawMutex> mu_;
  std::vector<T*> resting_ BUFPOOL_GUARDED_BY(mu_);
  std::size_t outstanding_ BUFPOOL_GUARDED_BY(mu_) = 0;
  std::size_t high_water_ BUFPOOL_GUARDED_BY(mu_) = 0;
  std::uint64_t rents_ BUFPOOL_GUARDED_BY(mu_) = 0;
  std::uint64_t hits_ BUFPOOL_GUARDED_BY(mu_) = 0;
  std::uint64_t fresh_ BUFPOOL_GUARDED_BY(mu_) = 0;
  std::uint64_t give_backs_ BUFPOOL_GUARDED_BY(mu_) = 0;
  std::uint64_t drops_ BUFPOOL_GUARDED_BY(mu_) = 0;
  std::size_t capacity_ = 0;  // elements per array; immutable after init
  std::size_t cap_ = 0;       // max_arrays_per_bucket; immutable after init
};

}  // namespace bufpool::internal
