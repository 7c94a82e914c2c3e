// SharedArrayPool<T>: the analogue of .NET's ArrayPool<T>.Shared (TlsOverPerCoreLockedStacksArrayPool).
//
// Two levels per power-of-two bucket, 16 to 2^30 elements:
//   1. a thread-local slot holding one array (ThreadCache): rent takes it, give_back puts the new
//      array there and pushes the slot's previous array down to level 2;
//   2. per-core partitions (PerCoreStacks), each a locked stack of up to arrays_per_partition.
// rent falls through level 1, then level 2 starting at the current core's partition, then allocates
// a fresh array of the bucket's size. give_back frees the array when every partition is full.
// Arrays move between threads freely: rent on one thread, give back on another.
//
// The fast path (slot hit) is a thread-local lookup, a relaxed load of the pool's fast key, and relaxed
// loads/stores of the caller's own slot and counters: no lock, no read-modify-write.
//
// trim(): frees arrays resting in the partitions (all, or those older than trim_after), and under
// high pressure asks every thread to free its slots at its next call to this pool.
//
// Thread-safe: every member function may be called from any thread at once, except the destructor,
// which needs all other calls on every thread to have returned. Threads may exit at any time,
// before or after the pool is destroyed.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <span>
#include <type_traits>
#include <vector>

#include "bufpool/internal/array_storage.hpp"
#include "bufpool/internal/bucket_math.hpp"
#include "bufpool/internal/per_core_stacks.hpp"
#include "bufpool/internal/pool_front.hpp"
#include "bufpool/internal/thread_cache.hpp"
#include "bufpool/lease.hpp"
#include "bufpool/pool_options.hpp"
#include "bufpool/pool_policy.hpp"
#include "bufpool/testing/faults.hpp"
#include "bufpool/pool_stats.hpp"

namespace bufpool {

enum class TrimPressure {
  low,   // free arrays that rested in the partitions longer than trim_after
  high,  // free every resting array, thread-local slots included (at each thread's next call)
};

template <class T, class Policy = DefaultPoolPolicy>
class SharedArrayPool final : private internal::CacheOwner<T, Policy> {
  static_assert(std::is_trivially_copyable_v<T>, "pooled arrays hold trivially copyable elements");
  using Cache = internal::ThreadCache<T, Policy>;
  using Counters = internal::CacheCounters<Policy>;
  using Registry = internal::CacheRegistry<T, Policy>;
  using Stacks = internal::PerCoreStacks<T, Policy>;
  static constexpr std::size_t kBuckets = internal::kMaxBucketCount;

 public:
  using value_type = T;
  using policy_type = Policy;
  using allocator_type = typename Policy::allocator;

  // Throws std::invalid_argument when arrays_per_partition or trim_after is zero or a field is
  // absurdly large (see pool_options.cpp).
  explicit SharedArrayPool(SharedPoolOptions options = SharedPoolOptions::from_environment(),
                           allocator_type allocator = {})
      : options_((internal::validate(options), options.resolved())),
        stacks_(std::make_unique<Stacks[]>(kBuckets)),
        registry_(std::make_shared<Registry>(static_cast<internal::CacheOwner<T, Policy>*>(this))),
        storage_(std::move(allocator)) {
    for (std::size_t b = 0; b < kBuckets; ++b) stacks_[b].init(options_.partitions, options_.arrays_per_partition);
  }

  ~SharedArrayPool() {
    registry_->close([this](Cache& cache) { free_slots(cache, /*count_as_trimmed=*/false); });
    free_partitions(internal::SteadyTime::max());
  }

  SharedArrayPool(const SharedArrayPool&) = delete;
  SharedArrayPool& operator=(const SharedArrayPool&) = delete;

  // An array of at least minimum_length elements; size() is the bucket capacity (exactly
  // minimum_length above 2^30). Contents are whatever the last user left. rent(0) is empty. Throws
  // std::bad_alloc (std::bad_array_new_length for impossible sizes); the pool is unchanged then.
  std::span<T> rent(std::size_t minimum_length) { return rent_impl(minimum_length, false); }

  // Returns an array (rented from this pool on any thread). clear_array zeroes it before anyone else
  // can rent it. Empty spans do nothing; over-size arrays are freed; when every partition is full
  // the array is freed. Throws std::invalid_argument (naming the size) when array.size() is not a
  // bucket capacity; nothing changes then.
  void give_back(std::span<T> array, bool clear_array = false) {
    const auto b = internal::prepare_give_back(storage_, oversize_, array, clear_array, kBuckets, internal::kMaxBucketLength);
    if (b == internal::kNotPooled) return;
    Cache* cache = cache_for_this_thread();
    if (cache != nullptr) [[likely]] {
      // Counted by the slot's balance (see CacheCounters), not by a bump here.
      T* spill = cache->slots[b].load(std::memory_order_relaxed);
      cache->slots[b].store(array.data(), std::memory_order_relaxed);
      if (spill != nullptr) spill_from_slot(b, spill, *cache);
    } else {
      Counters::bump_shared(orphan_.give_backs);
      push_or_free(b, array.data(), nullptr);
    }
    internal::clear_after_publish<T, Policy>(array, clear_array);
  }

  // A lease of exactly `length` elements, given back (zeroed if clear_on_give_back) when it ends.
  Lease<T> lease(std::size_t length, bool clear_on_give_back = false) {
    return internal::make_lease<T>(*this, length, clear_on_give_back);
  }

  // Frees resting arrays (see TrimPressure). Returns how many the partitions freed now; slots of
  // other threads are freed at their next call and counted in stats().trimmed then.
  std::size_t trim(TrimPressure pressure = TrimPressure::high) {
    const auto older_than = pressure == TrimPressure::high
                                ? internal::SteadyTime::max()
                                : std::chrono::steady_clock::now() - options_.trim_after;
    const std::size_t freed = free_partitions(older_than);
    trimmed_.fetch_add(freed, std::memory_order_relaxed);
    if (pressure == TrimPressure::high) {
      if constexpr (testing::has_fault<Policy>(testing::Fault::trim_frees_other_slots)) {
        // The mutant: empties every thread's slots from here, under the registry lock, as the
        // destructor does; but their owners are running and use their slots without a lock.
        registry_->for_each([this](Cache& cache) { free_slots(cache, /*count_as_trimmed=*/true); });
        return freed;
      }
      // A fresh key makes every thread's fast entry miss once; each then frees its own slots in
      // cache_slow. Relaxed: owners see it eventually, and no data rides on it.
      fast_key_.store(internal::next_pool_id(), std::memory_order_relaxed);
      (void)cache_for_this_thread();                        // this thread honours it now
    }
    return freed;
  }

  // A snapshot: counters of every thread (live and exited), what rests in partitions and slots.
  PoolStats stats() const {
    PoolStats s;
    s.buckets.resize(kBuckets);
    for (std::size_t b = 0; b < kBuckets; ++b) {
      BucketStats& bs = s.buckets[b];
      bs.capacity = internal::bucket_capacity(b);
      bs.resting = stacks_[b].resting();
      bs.high_water = stacks_[b].high_water();
      bs.cap = stacks_[b].cap();
    }
    registry_->visit(
        [&s](const Cache& cache) {
          std::uint64_t in_slots = 0;
          for (std::size_t b = 0; b < kBuckets; ++b) {
            if (cache.slots[b].load(std::memory_order_relaxed) != nullptr) {
              ++s.buckets[b].resting_thread_local;
              ++in_slots;
            }
          }
          cache.counters.add_to(s, in_slots);
        },
        [&s](const Counters& retired) { retired.add_to(s); });
    orphan_.add_to(s);
    oversize_.add_to(s);
    s.trimmed += trimmed_.load(std::memory_order_relaxed);
    return s;
  }

  const SharedPoolOptions& options() const noexcept { return options_; }
  static constexpr std::size_t bucket_count() noexcept { return kBuckets; }
  static constexpr std::size_t largest_bucket() noexcept { return internal::kMaxBucketLength; }
  allocator_type& allocator() noexcept { return storage_.allocator(); }

 private:
  template <class U, class Pool>
  friend Lease<U> internal::make_lease(Pool& pool, std::size_t length, bool clear_on_give_back);

  // Like rent, but under ASan only [0, length) is addressable: the slack traps. For lease() only:
  // a caller of rent() may use the whole capacity, so its slack must stay open.
  std::span<T> rent_exact(std::size_t length) { return rent_impl(length, true); }

  std::span<T> rent_impl(std::size_t length, bool exact) {
    // One unsigned compare sends both rent(0) and over-size requests to the rare path.
    if (length - 1 >= internal::kMaxBucketLength) [[unlikely]] return rent_unusual(length);
    if constexpr (testing::has_fault<Policy>(testing::Fault::racy_stats)) ++racy_rents_;  // mutant: a plain shared counter
    const std::size_t b = internal::bucket_index(length);
    Cache* cache = cache_for_this_thread();
    if (cache != nullptr) [[likely]] {
      T* array = cache->slots[b].load(std::memory_order_relaxed);
      if (array != nullptr) [[likely]] {
        if constexpr (!testing::has_fault<Policy>(testing::Fault::tls_slot_kept)) cache->slots[b].store(nullptr, std::memory_order_relaxed);
        Counters::bump(cache->counters.slot_rents[b]);
        return hand_out(b, array, length, exact, cache);
      }
    }
    return rent_slow(b, length, exact, cache);
  }

  // rent(0) is empty; above the largest bucket, a fresh exact-size array the pool never keeps.
  [[gnu::noinline]] std::span<T> rent_unusual(std::size_t length) {
    if (length == 0) return {};
    return internal::rent_oversize(storage_, oversize_, length);
  }

  // Slot miss: the partitions, then a fresh array. Kept out of line so rent's fast path stays short.
  // The slot is empty here (only its owner fills it), so a partition with two arrays gives both:
  // one for this call, one for the slot. A thread that only rents (its arrays given back elsewhere)
  // then takes a partition lock every other rent, and the slot still holds at most one array.
  [[gnu::noinline]] std::span<T> rent_slow(std::size_t b, std::size_t length, bool exact, Cache* cache) {
    Counters& counters = cache != nullptr ? cache->counters : orphan_;
    const bool owned = cache != nullptr;
    T* array = nullptr;
    if (owned) {
      const std::uint32_t last = cache->pop_start[b];
      T* spare = nullptr;
      std::size_t found = 0;
      array = stacks_[b].try_pop(last != 0 ? last - 1 : start_partition(), &spare, &found);
      cache->pop_start[b] = array != nullptr ? static_cast<std::uint32_t>(found + 1) : 0;
      if (spare != nullptr) {
        cache->slots[b].store(spare, std::memory_order_relaxed);  // stays poisoned: it rests
        Counters::bump(cache->counters.slot_spares);
      }
    } else {
      array = stacks_[b].try_pop(start_partition());
    }
    if (array != nullptr) {
      count(counters.hits, owned);
    } else {
      array = storage_.allocate(internal::bucket_capacity(b));
      count(counters.fresh[b], owned);
    }
    count(counters.rents[b], owned);
    return hand_out(b, array, length, exact, cache);
  }

  std::span<T> hand_out(std::size_t b, T* array, std::size_t length, bool exact, Cache* cache) {
    const std::size_t capacity = internal::bucket_capacity(b);
    try {
      storage_.hand_out(array, capacity, exact ? length : capacity);
    } catch (...) {  // checked mode's registry could not grow: the array goes back untouched
      storage_.poison_resting(array, capacity);
      push_or_free(b, array, cache);
      throw;
    }
    return {array, capacity};
  }

  // The slot held an array when give_back put another there: the older one goes down.
  [[gnu::noinline]] void spill_from_slot(std::size_t b, T* spill, Cache& cache) noexcept {
    Counters::bump(cache.counters.slot_leaves);
    push_or_free(b, spill, &cache);
  }

  // Pushes a resting array into the partitions, or frees it when all are full. Out of line, like
  // rent_slow: inlined, it makes give_back too large for gcc to inline into callers' loops.
  [[gnu::noinline]] void push_or_free(std::size_t b, T* array, Cache* cache) noexcept {
    if (stacks_[b].try_push(start_partition(), array, internal::coarse_now())) return;
    storage_.free(array, internal::bucket_capacity(b));
    if constexpr (testing::has_fault<Policy>(testing::Fault::drops_uncounted)) return;  // mutant: the drop goes uncounted
    count(cache != nullptr ? cache->counters.drops[b] : orphan_.drops[b], cache != nullptr);
  }

  static void count(typename Counters::Counter& c, bool owned) noexcept {
    if (owned) {
      Counters::bump(c);
    } else {
      Counters::bump_shared(c);
    }
  }

  std::size_t start_partition() const noexcept { return Policy::current_core() % options_.partitions; }

  std::size_t free_partitions(internal::SteadyTime older_than) {
    std::size_t freed = 0;
    for (std::size_t b = 0; b < kBuckets; ++b) {
      const std::size_t capacity = internal::bucket_capacity(b);
      freed += stacks_[b].trim(older_than, [this, capacity](T* a) { storage_.free(a, capacity); });
    }
    return freed;
  }

  // Frees every array in `cache`'s slots. Caller: the owner thread, or anyone when the owner can no
  // longer touch the cache (under the registry lock, at the pool's destruction).
  void free_slots(Cache& cache, bool count_as_trimmed) noexcept {
    for (std::size_t b = 0; b < kBuckets; ++b) {
      T* array = cache.slots[b].load(std::memory_order_relaxed);
      if (array == nullptr) continue;
      cache.slots[b].store(nullptr, std::memory_order_relaxed);
      Counters::bump(cache.counters.slot_leaves);
      storage_.free(array, internal::bucket_capacity(b));
      if (count_as_trimmed) Counters::bump(cache.counters.trimmed);
    }
  }

  // CacheOwner: called under the registry lock by a thread at exit, for its own cache.
  void absorb_exiting(Cache& cache) noexcept override {
    for (std::size_t b = 0; b < kBuckets; ++b) {
      T* array = cache.slots[b].load(std::memory_order_relaxed);
      if (array == nullptr) continue;
      cache.slots[b].store(nullptr, std::memory_order_relaxed);
      Counters::bump(cache.counters.slot_leaves);
      if constexpr (testing::has_fault<Policy>(testing::Fault::exit_leaks_when_full)) {
        // The mutant: pushes the array down and forgets the case where every partition is full.
        (void)stacks_[b].try_push(start_partition(), array, internal::coarse_now());
        continue;
      }
      push_or_free(b, array, &cache);
    }
  }

  // --- thread-local plumbing -------------------------------------------------------------------

  // The calling thread's cache for this pool, or null when none can exist (allocation failed, or the
  // thread is past destroying its thread-locals). Fast when this pool was the thread's last.
  // One compare: the entry's key against fast_key_, which names this pool and its last trim.
  Cache* cache_for_this_thread() noexcept {
    const FastEntry& fast = fast_entry_;
    if (fast.key == fast_key_.load(std::memory_order_relaxed)) [[likely]] {
      // An entry with a live key always has its cache (cache_slow sets both; a key is never 0):
      // telling the compiler drops the callers' null check from the fast path.
      if (fast.cache == nullptr) __builtin_unreachable();
      return fast.cache;
    }
    return cache_slow();
  }

  [[gnu::noinline]] Cache* cache_slow() noexcept {
    if (thread_caches_gone_) return nullptr;
    ThreadCacheList& thread_caches = this_thread_caches();
    Cache* cache = thread_caches.find(id_);
    const std::uint64_t key = fast_key_.load(std::memory_order_relaxed);
    if (cache == nullptr) {
      cache = thread_caches.add(id_, registry_);
      if (cache == nullptr) return nullptr;
      cache->seen_key = key;
    }
    if (cache->seen_key != key) {  // a trim(high) since this thread last looked
      free_slots(*cache, /*count_as_trimmed=*/true);
      cache->seen_key = key;
    }
    fast_entry_ = FastEntry{key, cache};
    return cache;
  }

  // This thread's caches of all pools of this type. Its destructor (thread exit) retires each into
  // its pool's registry.
  class ThreadCacheList {
   public:
    ThreadCacheList() = default;
    ThreadCacheList(const ThreadCacheList&) = delete;
    ThreadCacheList& operator=(const ThreadCacheList&) = delete;
    ~ThreadCacheList() {
      fast_entry_ = FastEntry{};
      thread_caches_gone_ = true;
      for (Entry& e : entries_) e.registry->retire(e.cache.get());
    }

    Cache* find(std::uint64_t pool_id) const noexcept {
      for (const Entry& e : entries_) {
        if (e.pool_id == pool_id) return e.cache.get();
      }
      return nullptr;
    }

    // A new registered cache, or null when memory ran out. Forgets caches of destroyed pools.
    Cache* add(std::uint64_t pool_id, const std::shared_ptr<Registry>& registry) noexcept {
      std::erase_if(entries_, [](const Entry& e) { return e.registry->closed(); });
      fast_entry_ = FastEntry{};  // it may have pointed at an erased cache
      try {
        entries_.reserve(entries_.size() + 1);
        auto cache = std::make_unique<Cache>();
        registry->add(cache.get());
        entries_.push_back(Entry{pool_id, registry, std::move(cache)});
        return entries_.back().cache.get();
      } catch (const std::bad_alloc&) {
        return nullptr;
      }
    }

   private:
    struct Entry {
      std::uint64_t pool_id;
      std::shared_ptr<Registry> registry;
      std::unique_ptr<Cache> cache;
    };
    std::vector<Entry> entries_;
  };

  struct FastEntry {
    std::uint64_t key = 0;  // a pool's fast_key_ when cache was looked up; 0 matches no pool
    Cache* cache = nullptr;
  };

  // The calling thread's last-used (pool, cache): trivially destructible and constant-initialised,
  // so reading it costs no TLS init guard.
  static inline thread_local constinit FastEntry fast_entry_{};
  // Set once this thread's ThreadCacheList is destroyed: later calls bypass the slots.
  static inline thread_local constinit bool thread_caches_gone_ = false;
  // Function-local rather than a static data member: gcc 12 emits one `__tls_guard` per TU for
  // every instantiation's dynamic thread_local member and then rejects the redefinition.
  static ThreadCacheList& this_thread_caches() {
    thread_local ThreadCacheList list;
    return list;
  }

  const SharedPoolOptions options_;
  const std::uint64_t id_ = internal::next_pool_id();
  // Each bucket's stacks are thread-safe on their own (see PerCoreStacks).
  const std::unique_ptr<Stacks[]> stacks_;
  // Thread-safe (see CacheRegistry). Shared with the thread-local lists of every thread that used
  // this pool.
  const std::shared_ptr<Registry> registry_;
  // Thread-safe (allocator contract; checked mode's registry locks itself).
  internal::ArrayStorage<T, Policy> storage_;
  // What a thread's FastEntry must hold to skip the lookup: a process-unique id (next_pool_id),
  // replaced by a fresh one at every trim(TrimPressure::high) so that each owner's next call misses,
  // takes cache_slow and empties its own slots. Ids are never reused, so an entry left over from a
  // destroyed pool or an earlier trim never matches. Relaxed: no data rides on it.
  typename Policy::template atomic<std::uint64_t> fast_key_{id_};
  // Counters of calls made with no thread cache; written by many threads (fetch_add).
  Counters orphan_;
  internal::OversizeCounters<Policy> oversize_;
  typename Policy::template atomic<std::uint64_t> trimmed_{0};
  // racy_stats mutant only: deliberately unsynchronised, for TSan to find.
  std::uint64_t racy_rents_ = 0;
};

// The process-wide pool for T (ArrayPool<T>.Shared), configured from the environment on first use.
// Never destroyed, so threads that outlive main() may still use it.
template <class T>
SharedArrayPool<T>& shared_pool() {
  static SharedArrayPool<T>* const pool = new SharedArrayPool<T>(SharedPoolOptions::from_environment());
  return *pool;
}

}  // namespace bufpool
