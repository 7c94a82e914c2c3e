// SharedArrayPool's first level: one array slot per bucket for each (thread, pool), and the
// registry through which a pool finds the slots of every thread that used it.
//
// The fast path touches only the calling thread's own ThreadCache, with relaxed loads and stores
// and no read-modify-write: only the owner thread ever writes a slot or a counter while the pool is
// in use. Other threads only read them (stats()). Two events hand a cache to another thread: the
// owner's exit (its thread_local list retires each cache into its pool under the registry lock) and
// the pool's destruction (it frees every registered cache's slots under the same lock, when by
// contract no thread uses the pool any more). A trim() cannot reach into other threads' slots
// safely, so it changes the pool's fast key and each owner frees its own slots at its next call.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "bufpool/internal/annotated_mutex.hpp"
#include "bufpool/internal/bucket_math.hpp"
#include "bufpool/pool_stats.hpp"
#include "bufpool/testing/faults.hpp"

namespace bufpool::internal {

// Counters of one owner. bump() is a relaxed load + store (the owner is the only writer, so no
// update is lost and no lock-prefixed instruction is paid); bump_shared() is for counters that
// several threads write (threads with no cache, the pool-wide fallbacks).
//
// The fast path pays for at most one counter per call: a slot hit bumps slot_rents[b] only, and a
// give_back into an empty slot bumps nothing. The totals PoolStats reports are sums taken in
// add_to(): rents, hits and thread_local_hits from slot_rents; give_backs from the slot's own
// balance. Every array that enters a slot leaves it once (a slot rent, or slot_leaves: a spill,
// trim, thread exit) or is still there, and it entered either by a give_back or as a spare from
// the partitions (slot_spares), so
//     give_backs into slots = slot rents + slot_leaves + arrays in slots now - slot_spares.
// Each bump is a load-add-store chain through memory that the next call waits on, a large share
// of a rent/give_back pair that hits the slot: hence at most one counter per call.
template <class Policy>
struct CacheCounters {
  using Counter = typename Policy::template atomic<std::uint64_t>;

  Counter slot_rents[kMaxBucketCount]{};  // rents served by the caller's own slot
  Counter rents[kMaxBucketCount]{};       // every other rent of the bucket (partitions or fresh)
  Counter fresh[kMaxBucketCount]{};
  Counter drops[kMaxBucketCount]{};
  Counter hits{0};  // rents served by a partition (slot hits are slot_rents)
  Counter give_backs{0};   // give_backs that bypassed the slots (threads with no cache)
  Counter slot_leaves{0};  // arrays that left a slot other than by a slot rent
  Counter slot_spares{0};  // arrays that entered a slot from the partitions (not by a give_back)
  Counter trimmed{0};

  static void bump(Counter& c, std::uint64_t n = 1) noexcept {
    c.store(c.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  static void bump_shared(Counter& c, std::uint64_t n = 1) noexcept {
    c.fetch_add(n, std::memory_order_relaxed);
  }
  static std::uint64_t read(const Counter& c) noexcept { return c.load(std::memory_order_relaxed); }

  // Adds `other` into this (single writer of this: the caller holds what guards it).
  void absorb(const CacheCounters& other) noexcept {
    for (std::size_t b = 0; b < kMaxBucketCount; ++b) {
      bump(slot_rents[b], read(other.slot_rents[b]));
      bump(rents[b], read(other.rents[b]));
      bump(fresh[b], read(other.fresh[b]));
      bump(drops[b], read(other.drops[b]));
    }
    bump(hits, read(other.hits));
    bump(give_backs, read(other.give_backs));
    bump(slot_leaves, read(other.slot_leaves));
    bump(slot_spares, read(other.slot_spares));
    bump(trimmed, read(other.trimmed));
  }

  // Adds these counters to a snapshot whose buckets are already sized. `in_slots`: arrays the
  // owner's slots hold now (0 for counters whose slots are gone: retired or orphan).
  void add_to(PoolStats& s, std::uint64_t in_slots = 0) const noexcept {
    std::uint64_t slot_total = 0;
    for (std::size_t b = 0; b < kMaxBucketCount; ++b) {
      const std::uint64_t slot = read(slot_rents[b]);
      const std::uint64_t rented = slot + read(rents[b]);
      s.buckets[b].rents += rented;
      s.buckets[b].fresh += read(fresh[b]);
      s.buckets[b].drops += read(drops[b]);
      s.rents += rented;
      s.hits += slot;
      s.thread_local_hits += slot;
      slot_total += slot;
      s.fresh_allocations += read(fresh[b]);
      s.drops += read(drops[b]);
    }
    s.hits += read(hits);
    // A snapshot of a running owner may catch a spare in its slot before slot_spares counts it.
    const std::uint64_t into_slots = slot_total + read(slot_leaves) + in_slots;
    const std::uint64_t spares = read(slot_spares);
    s.give_backs += read(give_backs) + (into_slots > spares ? into_slots - spares : 0);
    s.trimmed += read(trimmed);
  }
};

// One thread's slots and counters for one pool. Cache-line aligned: the owner writes its slots and
// counters on every call, so two threads' caches must not share a line.
template <class T, class Policy>
struct alignas(64) ThreadCache {
  // Written only by the owner thread (relaxed load/store); read by stats().
  typename Policy::template atomic<T*> slots[kMaxBucketCount]{};
  CacheCounters<Policy> counters;
  // Owner thread only: the pool's fast key (see SharedArrayPool::fast_key_) when this cache last
  // honoured a trim.
  std::uint64_t seen_key = 0;
  // Owner thread only: per bucket, 1 + the partition this thread's last pop found an array in (0:
  // none yet, or the last pop found none). A thread that rents what others give back goes straight
  // to the partition they fill instead of locking its own empty one first.
  std::uint32_t pop_start[kMaxBucketCount]{};
};

// What a pool does with caches its registry hands it. Implemented by SharedArrayPool.
template <class T, class Policy>
class CacheOwner {
 public:
  // A thread exits: take its resting arrays back into the shared stacks (or free them).
  virtual void absorb_exiting(ThreadCache<T, Policy>& cache) noexcept = 0;

 protected:
  ~CacheOwner() = default;
};

// The set of caches of one pool. Shared-owned by the pool and by every thread's cache list, so a
// thread that outlives the pool still finds it (closed) at exit.
//
// Thread-safe: all members are guarded by mu_. Lock order: registry before any partition lock.
template <class T, class Policy>
class CacheRegistry {
 public:
  using Cache = ThreadCache<T, Policy>;
  using RawMutex = typename Policy::mutex;

  explicit CacheRegistry(CacheOwner<T, Policy>* owner) : owner_(owner) {}

  // Registers a new cache. Throws std::bad_alloc.
  void add(Cache* cache) {
    MutexLock<RawMutex> lock(mu_);
    caches_.push_back(cache);
  }

  // The owner thread exits: its arrays go back to the pool if it still exists; its counters are
  // kept so stats() stays complete.
  void retire(Cache* cache) noexcept {
    MutexLock<RawMutex> lock(mu_);
    // The exit_counters_early mutant keeps the counters first, so what the absorption counts (the
    // arrays leaving the slots, drops) is lost.
    if constexpr (testing::has_fault<Policy>(testing::Fault::exit_counters_early)) retired_.absorb(cache->counters);
    if (owner_ != nullptr) owner_->absorb_exiting(*cache);
    if constexpr (!testing::has_fault<Policy>(testing::Fault::exit_counters_early)) retired_.absorb(cache->counters);
    caches_.erase(std::remove(caches_.begin(), caches_.end(), cache), caches_.end());
  }

  // The pool is being destroyed: `free_slots` empties every cache; later retires only unregister.
  template <class FreeSlots>
  void close(FreeSlots&& free_slots) noexcept {
    MutexLock<RawMutex> lock(mu_);
    for (Cache* cache : caches_) free_slots(*cache);
    owner_ = nullptr;
  }

  // Calls fn(Cache&) for every live cache, under the lock. Only the trim_frees_other_slots mutant
  // uses it: while the pool is in use, a cache's slots belong to its owner thread.
  template <class Fn>
  void for_each(Fn&& fn) noexcept {
    MutexLock<RawMutex> lock(mu_);
    for (Cache* cache : caches_) fn(*cache);
  }

  bool closed() const noexcept {
    MutexLock<RawMutex> lock(mu_);
    return owner_ == nullptr;
  }

  // Calls visit(const Cache&) for every live cache, then visit_retired(const CacheCounters&).
  template <class Visit, class VisitRetired>
  void visit(Visit&& visit, VisitRetired&& visit_retired) const {
    MutexLock<RawMutex> lock(mu_);
    for (const Cache* cache : caches_) visit(*cache);
    visit_retired(retired_);
  }

 private:
  mutable AnnotatedMutex<RawMutex> mu_;
  CacheOwner<T, Policy>* owner_ BUFPOOL_GUARDED_BY(mu_);  // null once the pool is destroyed
  std::vector<Cache*> caches_ BUFPOOL_GUARDED_BY(mu_);
  CacheCounters<Policy> retired_ BUFPOOL_GUARDED_BY(mu_);
};

// A process-unique pool id, never reused, so a thread's stale fast-path entry never matches a pool
// created later at the same address.
std::uint64_t next_pool_id() noexcept;

}  // namespace bufpool::internal
