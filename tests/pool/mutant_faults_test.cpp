// The mutant faults of trim, misuse, leases, thread exit, the next-bucket fallback, statistics and
// the check-then-act cap race: each test shows the mutant pool really misbehaves and the correct
// pool does not. Races are forced, not hoped for: HookPolicy's mutex, atomic and race_window() run
// a test's hook at the one point of the pool's code where the race matters, so every test here is
// deterministic.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <future>
#include <mutex>
#include <span>
#include <stdexcept>
#include <thread>
#include <type_traits>
#include <vector>

#include "bufpool/array_pool.hpp"
#include "bufpool/sanitizer_build.hpp"
#include "pool/test_support.hpp"

namespace bufpool {
namespace {

using testing::AllocationLog;
using testing::CountingAllocator;
using testing::Fault;

// Hooks a test arms on its own thread; each runs once, at the point of the pool's code it names.
// thread_local: a hook armed on one thread never fires on another.
struct Hooks {
  static inline thread_local std::function<void()> at_lock;  // before acquiring a pool mutex...
  static inline thread_local int locks_to_skip = 0;          // ...after this many other acquisitions
  static inline thread_local std::function<void()> after_pointer_load;  // after loading an atomic T*
  static inline thread_local std::function<void()> at_race_window;      // at race_window()

  static void fire(std::function<void()>& hook) {
    if (!hook) return;
    auto f = std::move(hook);
    hook = nullptr;
    f();
  }
};

struct HookMutex {
  std::mutex m;
  void lock() {
    if (Hooks::at_lock) {
      if (Hooks::locks_to_skip > 0) {
        --Hooks::locks_to_skip;
      } else {
        Hooks::fire(Hooks::at_lock);
      }
    }
    m.lock();
  }
  void unlock() { m.unlock(); }
};

template <class U>
struct HookAtomic : std::atomic<U> {
  using Base = std::atomic<U>;
  using Base::Base;
  HookAtomic() noexcept : Base(U{}) {}
  U load(std::memory_order order = std::memory_order_seq_cst) const noexcept {
    const U v = Base::load(order);
    if constexpr (std::is_pointer_v<U>) Hooks::fire(Hooks::after_pointer_load);
    return v;
  }
};

// Counted allocator, every thread at partition 0, and the hooks.
struct HookPolicy : testing::PinnedCorePolicy {
  template <class U>
  using atomic = HookAtomic<U>;
  using mutex = HookMutex;
  static void race_window() { Hooks::fire(Hooks::at_race_window); }
};

template <Fault F>
using Mutant = testing::CountedMutant<F>;
template <Fault F>
using HookMutant = testing::WithFaults<HookPolicy, static_cast<std::uint32_t>(F)>;

SharedPoolOptions one_partition(std::size_t cap) { return testing::small_shared(1, cap); }

// --- the check-then-act cap race ----------------------------------------------------------------

// Locked bucket of one array (one bucket: no fallback). `a` holds the quota, `b` is an overflow
// array; a second give_back runs between the first one's check and its push (the second lock
// the first give_back takes). Returns the arrays resting afterwards.
template <class Policy>
std::size_t locked_resting_after_interleaved_give_backs(AllocationLog& log) {
  std::size_t resting = 0;
  {
    LockedArrayPool<int, Policy> pool(PoolOptions{16, 1}, CountingAllocator(&log));
    auto a = pool.rent(16);
    auto b = pool.rent(16);  // quota exhausted and no next bucket: a fresh overflow array
    bool nested = false;
    Hooks::locks_to_skip = 1;
    Hooks::at_lock = [&] {
      nested = true;
      pool.give_back(b);
    };
    pool.give_back(a);
    Hooks::at_lock = nullptr;
    if (!nested) pool.give_back(b);  // the correct put locks once: b comes back after a
    Hooks::locks_to_skip = 0;
    resting = pool.stats().buckets[0].resting;
  }
  return resting;
}

TEST(CapCheckRaceFault, LockedBucketPushesPastItsCapWhenTheCheckAndPushAreTwoLocks) {
  AllocationLog log;
  EXPECT_EQ(locked_resting_after_interleaved_give_backs<HookPolicy>(log), 1u) << "the correct bucket keeps its cap";
  AllocationLog mutant_log;
  EXPECT_EQ(locked_resting_after_interleaved_give_backs<HookMutant<Fault::cap_check_race>>(mutant_log), 2u)
      << "both give_backs saw room: two arrays rest in a bucket of one";
  EXPECT_EQ(log.live_count(), 0u);
  EXPECT_EQ(mutant_log.live_count(), 0u);
}

// Shared pool, one partition of one array. The thread's slot spills `a` into the partition; just
// before that push takes the partition lock, another spill (of `b`) fills the partition.
template <class Policy>
std::size_t shared_resting_after_interleaved_pushes(AllocationLog& log) {
  std::size_t resting = 0;
  {
    SharedArrayPool<int, Policy> pool(one_partition(1), CountingAllocator(&log));
    auto a = pool.rent(16), b = pool.rent(16), c = pool.rent(16), d = pool.rent(16);
    pool.give_back(a);  // into the slot
    Hooks::at_lock = [&] {
      pool.give_back(c);  // the slot now holds c; b (the slot's array, see below) goes down first
    };
    // The slot holds a; b replaces it and a is pushed: the hook runs at that push's lock, where
    // c replaces b in the slot and b is pushed into the (still empty) partition.
    pool.give_back(b);
    Hooks::at_lock = nullptr;
    const auto s = pool.stats();
    resting = s.buckets[0].resting;
    EXPECT_EQ(s.buckets[0].cap, 1u);
    pool.give_back(d);
  }
  return resting;
}

TEST(CapCheckRaceFault, SharedPartitionPushesPastItsCapWhenTheCountIsReadBeforeLocking) {
  AllocationLog log;
  EXPECT_EQ(shared_resting_after_interleaved_pushes<HookPolicy>(log), 1u) << "the correct partition keeps its cap";
  AllocationLog mutant_log;
  EXPECT_EQ(shared_resting_after_interleaved_pushes<HookMutant<Fault::cap_check_race>>(mutant_log), 2u)
      << "both pushes read a count below the cap before locking: two arrays rest in a partition of one";
  EXPECT_EQ(log.live_count(), 0u);
  EXPECT_EQ(mutant_log.live_count(), 0u);
}

// --- trim ---------------------------------------------------------------------------------------

// trim(high) empties the partition; at its race window (after it read the partition, before it
// writes the new count), another thread spills an array into the partition. Returns the arrays
// the allocator still holds once the pool is gone (0: every array freed).
template <class Policy>
std::size_t live_after_trim_meets_a_push() {
  AllocationLog log;
  {
    SharedArrayPool<int, Policy> pool(one_partition(4), CountingAllocator(&log));
    std::promise<void> rented, go, trimmed;
    std::atomic<bool> pushed{false};
    std::thread other([&] {
      auto c = pool.rent(16), d = pool.rent(16);
      rented.set_value();
      go.get_future().wait();
      pool.give_back(c);
      pool.give_back(d);  // c goes down into the partition (waits while trim holds its lock)
      pushed.store(true);
      trimmed.get_future().wait();  // its exit (which pushes d down) comes after trim
    });
    rented.get_future().wait();
    auto a = pool.rent(16), b = pool.rent(16);
    pool.give_back(a);
    pool.give_back(b);  // a rests in the partition
    Hooks::at_race_window = [&] {
      go.set_value();
      // Unlocked, the push lands now; locked, it waits for trim, so stop waiting after a while.
      for (int i = 0; i < 200 && !pushed.load(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    };
    pool.trim(TrimPressure::high);
    Hooks::at_race_window = nullptr;
    trimmed.set_value();
    other.join();
  }
  const std::size_t live = log.live_count();
  log.release_leftovers();
  return live;
}

TEST(TrimUnlockedFault, APushDuringAnUnlockedTrimIsLost) {
  EXPECT_EQ(live_after_trim_meets_a_push<HookPolicy>(), 0u) << "the correct trim holds the lock: the push waits";
  EXPECT_EQ(live_after_trim_meets_a_push<HookMutant<Fault::trim_unlocked>>(), 1u)
      << "trim overwrote the partition's count after the push: the pushed array is neither resting nor freed";
}

// Another thread rents from its slot; between its load of the slot and its store of null, this
// thread calls trim(high). Returns whether the array the other thread got was still allocated.
template <class Policy>
bool slot_rent_survives_a_concurrent_trim() {
  AllocationLog log;
  bool live = false;
  {
    SharedArrayPool<int, Policy> pool(one_partition(4), CountingAllocator(&log));
    std::promise<void> loaded, trimmed;
    std::thread owner([&] {
      pool.give_back(pool.rent(16));  // the slot holds an array
      Hooks::after_pointer_load = [&] {
        loaded.set_value();
        trimmed.get_future().wait();
      };
      auto x = pool.rent(16);  // slot hit: the hook runs after the slot's load
      Hooks::after_pointer_load = nullptr;
      live = log.is_live(x.data());
      if (live) pool.give_back(x);  // a freed array must not come back
    });
    loaded.get_future().wait();
    pool.trim(TrimPressure::high);
    trimmed.set_value();
    owner.join();
  }
  log.release_leftovers();
  return live;
}

TEST(TrimFreesOtherSlotsFault, ARentFromTheSlotGetsAnArrayTrimFreed) {
  EXPECT_TRUE(slot_rent_survives_a_concurrent_trim<HookPolicy>())
      << "the correct trim(high) leaves other threads' slots to their owners";
  if (kAsanBuild) GTEST_SKIP() << "the mutant's rent unpoisons the freed array: ASan would report the pool itself";
  EXPECT_FALSE(slot_rent_survives_a_concurrent_trim<HookMutant<Fault::trim_frees_other_slots>>())
      << "trim freed the array the owner was renting from its slot: the owner now holds freed memory";
}

// --- misuse -------------------------------------------------------------------------------------

template <class Pool>
void expect_foreign_size_refused(Pool& pool) {
  auto a = pool.rent(32);
  EXPECT_THROW(pool.give_back(a.first(20)), std::invalid_argument);
  auto b = pool.rent(32);
  EXPECT_NE(b.data(), a.data()) << "the refused array is still the caller's";
  pool.give_back(a);
  pool.give_back(b);
}

template <class Pool>
void expect_foreign_size_filed(Pool& pool) {
  auto a = pool.rent(32);
  EXPECT_NO_THROW(pool.give_back(a.first(20))) << "a 20-element span is no bucket's capacity";
  auto b = pool.rent(32);
  EXPECT_EQ(b.data(), a.data()) << "the caller still holds the array the pool handed out again";
  pool.give_back(b);  // the array comes back once, under its real size
}

TEST(ForeignSizeAcceptedFault, AGiveBackOfANonCapacitySpanIsFiledInsteadOfRefused) {
  LockedArrayPool<int> locked;
  expect_foreign_size_refused(locked);
  SharedArrayPool<int> shared(testing::small_shared());
  expect_foreign_size_refused(shared);
  AllocationLog log;
  {
    LockedArrayPool<int, Mutant<Fault::foreign_size_accepted>> locked_mutant(PoolOptions{}, CountingAllocator(&log));
    expect_foreign_size_filed(locked_mutant);
    SharedArrayPool<int, Mutant<Fault::foreign_size_accepted>> shared_mutant(testing::small_shared(),
                                                                             CountingAllocator(&log));
    expect_foreign_size_filed(shared_mutant);
  }
  EXPECT_EQ(log.live_count(), 0u);
}

TEST(EmptySpanThrowsFault, AGiveBackOfAnEmptySpanThrows) {
  LockedArrayPool<int> locked;
  SharedArrayPool<int> shared(testing::small_shared());
  EXPECT_NO_THROW(locked.give_back({}));
  EXPECT_NO_THROW(shared.give_back(shared.rent(0)));
  LockedArrayPool<int, Mutant<Fault::empty_span_throws>> locked_mutant;
  SharedArrayPool<int, Mutant<Fault::empty_span_throws>> shared_mutant(testing::small_shared());
  EXPECT_THROW(locked_mutant.give_back({}), std::invalid_argument);
  EXPECT_THROW(shared_mutant.give_back(shared_mutant.rent(0)), std::invalid_argument);
  EXPECT_EQ(locked_mutant.stats().give_backs, 0u);
}

// The largest bucket (64) has quota out, so it would accept an array; an over-size one comes back.
template <class Policy>
void give_back_oversize_beside_a_largest(AllocationLog& log, bool expect_kept) {
  LockedArrayPool<int, Policy> pool(PoolOptions{64, 2}, CountingAllocator(&log));
  auto largest = pool.rent(64);
  auto over = pool.rent(100);
  ASSERT_EQ(over.size(), 100u);
  const std::size_t frees = log.free_count();
  pool.give_back(over);
  EXPECT_EQ(pool.stats().buckets.back().resting, expect_kept ? 1u : 0u);
  EXPECT_EQ(log.free_count() - frees, expect_kept ? 0u : 1u);
  auto again = pool.rent(64);
  EXPECT_EQ(again.data() == over.data(), expect_kept) << "a rent of the largest bucket gets the over-size array";
  pool.give_back(again);
  pool.give_back(largest);
}

TEST(OversizeKeptFault, AnOverSizeArrayIsFiledInTheLargestBucket) {
  AllocationLog log;
  give_back_oversize_beside_a_largest<testing::CountedPolicy>(log, false);
  AllocationLog mutant_log;
  give_back_oversize_beside_a_largest<Mutant<Fault::oversize_kept>>(mutant_log, true);
  EXPECT_EQ(log.live_count(), 0u);
  mutant_log.release_leftovers();
}

// --- leases -------------------------------------------------------------------------------------

TEST(LeaseWholeCapacityFault, ALeaseSpansTheWholeCapacity) {
  LockedArrayPool<int> locked;
  SharedArrayPool<int> shared(testing::small_shared());
  EXPECT_EQ(locked.lease(20).span().size(), 20u);
  EXPECT_EQ(shared.lease(20).span().size(), 20u);
  LockedArrayPool<int, Mutant<Fault::lease_whole_capacity>> locked_mutant;
  SharedArrayPool<int, Mutant<Fault::lease_whole_capacity>> shared_mutant(testing::small_shared());
  {
    auto l = locked_mutant.lease(20);
    EXPECT_EQ(l.span().size(), 32u) << "the slack a previous renter left is inside the span";
    EXPECT_EQ(l.size(), 32u);
  }
  EXPECT_EQ(shared_mutant.lease(20).span().size(), 32u);
}

// --- thread exit --------------------------------------------------------------------------------

// A thread fills the one-array partition and exits with another array in its slot, which no
// partition can take. Returns the arrays still allocated after the thread's exit and after the
// pool's destruction.
template <class Policy>
std::pair<std::size_t, std::size_t> live_after_exit_with_a_full_partition() {
  AllocationLog log;
  std::size_t after_exit = 0;
  {
    SharedArrayPool<int, Policy> pool(one_partition(1), CountingAllocator(&log));
    std::thread([&] {
      auto a = pool.rent(16), b = pool.rent(16);
      pool.give_back(a);
      pool.give_back(b);  // a goes down and fills the partition; b stays in the slot
    }).join();
    after_exit = log.live_count();
    EXPECT_EQ(pool.stats().buckets[0].resting, 1u);
  }
  const std::size_t after_destroy = log.live_count();
  log.release_leftovers();
  return {after_exit, after_destroy};
}

TEST(ExitLeaksWhenFullFault, AnExitingThreadsArrayNoPartitionTakesIsLost) {
  EXPECT_EQ(live_after_exit_with_a_full_partition<testing::PinnedCorePolicy>(), (std::pair<std::size_t, std::size_t>{1, 0}))
      << "the correct pool frees the slot's array at exit";
  const auto mutant = live_after_exit_with_a_full_partition<Mutant<Fault::exit_leaks_when_full>>();
  EXPECT_EQ(mutant.first, 2u) << "the array is neither resting nor freed";
  EXPECT_EQ(mutant.second, 1u) << "and the pool's destruction cannot find it";
}

template <class Policy>
std::uint64_t give_backs_after_exit_with_a_slot() {
  AllocationLog log;
  SharedArrayPool<int, Policy> pool(testing::small_shared(), CountingAllocator(&log));
  std::thread([&] { pool.give_back(pool.rent(16)); }).join();  // the array waits in the slot
  const auto s = pool.stats();
  EXPECT_EQ(testing::resting_arrays(s), 1u) << "the exit moved the slot's array into a partition";
  return s.give_backs;
}

TEST(ExitCountersEarlyFault, GiveBacksAbsorbedAtExitGoUncounted) {
  EXPECT_EQ(give_backs_after_exit_with_a_slot<testing::CountedPolicy>(), 1u);
  EXPECT_EQ(give_backs_after_exit_with_a_slot<Mutant<Fault::exit_counters_early>>(), 0u)
      << "the counters were kept before the slot was emptied: its array's give_back is lost";
}

// --- the next-bucket fallback -------------------------------------------------------------------

TEST(RoundUpExactFault, AnExactCapacityIsServedByTheNextBucket) {
  LockedArrayPool<int> correct(PoolOptions{1024, 4});
  LockedArrayPool<int, Mutant<Fault::round_up_exact>> mutant(PoolOptions{1024, 4});
  auto c = correct.rent(32), m = mutant.rent(32);
  EXPECT_EQ(c.size(), 32u);
  EXPECT_EQ(m.size(), 64u) << "bucket 32 has its whole quota, yet the rent was rounded up";
  EXPECT_EQ(correct.stats().buckets[1].rents, 1u);
  EXPECT_EQ(mutant.stats().buckets[1].rents, 0u);
  EXPECT_EQ(mutant.stats().buckets[2].rents, 1u);
  auto m2 = mutant.rent(33);
  EXPECT_EQ(m2.size(), 64u) << "sizes between capacities still land right";
  correct.give_back(c);
  mutant.give_back(m);
  mutant.give_back(m2);
}

// --- statistics ---------------------------------------------------------------------------------

// Buckets 16 and 32 with one array each: the third rent of 16 finds both exhausted.
template <class Policy>
std::pair<std::uint64_t, std::uint64_t> fresh_per_bucket_after_overflow() {
  LockedArrayPool<int, Policy> pool(PoolOptions{32, 1});
  auto a = pool.rent(16), b = pool.rent(16), c = pool.rent(16);
  EXPECT_EQ(b.size(), 32u);
  EXPECT_EQ(c.size(), 16u);
  const auto s = pool.stats();
  EXPECT_EQ(s.fresh_allocations, 3u);
  pool.give_back(a), pool.give_back(b), pool.give_back(c);
  return {s.buckets[0].fresh, s.buckets[1].fresh};
}

TEST(FreshWrongBucketFault, AnOverflowAllocationIsCountedInTheLargerBucket) {
  EXPECT_EQ(fresh_per_bucket_after_overflow<DefaultPoolPolicy>(), (std::pair<std::uint64_t, std::uint64_t>{2, 1}));
  EXPECT_EQ(fresh_per_bucket_after_overflow<Mutant<Fault::fresh_wrong_bucket>>(),
            (std::pair<std::uint64_t, std::uint64_t>{1, 2}))
      << "the 16-element array allocated for bucket 16 is counted in bucket 32; the total is unchanged";
}

template <class Policy>
PoolStats stats_after_an_oversize_rent() {
  LockedArrayPool<int, Policy> pool(PoolOptions{64, 2});
  pool.give_back(pool.rent(100));
  return pool.stats();
}

TEST(OversizeUncountedFault, OverSizeRentsAreMissingFromTheStatistics) {
  const auto c = stats_after_an_oversize_rent<DefaultPoolPolicy>();
  EXPECT_EQ(c.rents, 1u);
  EXPECT_EQ(c.oversize_rents, 1u);
  EXPECT_EQ(c.fresh_allocations, 1u);
  const auto m = stats_after_an_oversize_rent<Mutant<Fault::oversize_uncounted>>();
  EXPECT_EQ(m.rents, 0u);
  EXPECT_EQ(m.oversize_rents, 0u);
  EXPECT_EQ(m.fresh_allocations, 0u) << "an array was allocated, and the pool says none was";
  EXPECT_EQ(m.give_backs, 1u);
}

template <class Policy>
std::pair<std::uint64_t, std::size_t> drops_and_frees_at_a_full_bucket() {
  AllocationLog log;
  std::uint64_t locked_drops = 0, shared_drops = 0;
  {
    LockedArrayPool<int, Policy> locked(PoolOptions{16, 1}, CountingAllocator(&log));
    auto a = locked.rent(16), b = locked.rent(16);
    locked.give_back(a);
    locked.give_back(b);  // the bucket is full: b is freed
    locked_drops = locked.stats().buckets[0].drops + locked.stats().drops;
    SharedArrayPool<int, Policy> shared(one_partition(1), CountingAllocator(&log));
    auto x = shared.rent(16), y = shared.rent(16), z = shared.rent(16);
    shared.give_back(x);  // slot
    shared.give_back(y);  // slot; x into the partition
    shared.give_back(z);  // slot; y finds the partition full and is freed
    shared_drops = shared.stats().buckets[0].drops + shared.stats().drops;
  }
  return {locked_drops + shared_drops, log.free_count()};
}

TEST(DropsUncountedFault, ArraysFreedAtAFullBucketAreNotCounted) {
  const auto correct = drops_and_frees_at_a_full_bucket<testing::PinnedCorePolicy>();
  EXPECT_EQ(correct.first, 4u) << "one drop per pool, in the bucket and in the total";
  const auto mutant = drops_and_frees_at_a_full_bucket<Mutant<Fault::drops_uncounted>>();
  EXPECT_EQ(mutant.first, 0u) << "the arrays were freed and no drop was counted";
  EXPECT_EQ(mutant.second, correct.second) << "the same arrays were freed";
}

}  // namespace
}  // namespace bufpool
