#include "bufpool/shared_array_pool.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "bufpool/locked_array_pool.hpp"
#include "pool/test_support.hpp"

namespace bufpool {
namespace {

using testing::AllocationLog;
using testing::CountedPolicy;
using testing::CountingAllocator;
using testing::resting_arrays;
using testing::small_shared;

using CountedShared = SharedArrayPool<std::byte, CountedPolicy>;

TEST(SharedArrayPool, BucketsSpanSixteenToTwoToTheThirty) {
  SharedArrayPool<char> pool(small_shared());
  EXPECT_EQ(pool.bucket_count(), 27u);
  EXPECT_EQ(pool.largest_bucket(), std::size_t{1} << 30);
  EXPECT_EQ(pool.lease(1).capacity(), 16u);
  EXPECT_EQ(pool.lease(1025).capacity(), 2048u);
}

TEST(SharedArrayPool, RentZeroIsEmptyAndGivingBackEmptyDoesNothing) {
  SharedArrayPool<int> pool(small_shared());
  EXPECT_TRUE(pool.rent(0).empty());
  pool.give_back({});
  EXPECT_EQ(pool.stats().rents, 0u);
}

TEST(SharedArrayPool, RentAfterGiveBackOnTheSameThreadHitsTheThreadLocalSlot) {
  SharedArrayPool<int> pool(small_shared());
  auto a = pool.rent(100);
  std::fill(a.begin(), a.end(), 7);
  pool.give_back(a);
  auto b = pool.rent(100);
  EXPECT_EQ(b.data(), a.data());
  EXPECT_TRUE(std::all_of(b.begin(), b.end(), [](int v) { return v == 7; })) << "never zeroed on rent";
  pool.give_back(b);
  const auto s = pool.stats();
  EXPECT_EQ(s.rents, 2u);
  EXPECT_EQ(s.thread_local_hits, 1u);
  EXPECT_EQ(s.hits, 1u);
  EXPECT_EQ(s.fresh_allocations, 1u);
  EXPECT_EQ(s.buckets[3].resting_thread_local, 1u);
}

TEST(SharedArrayPool, SecondArrayGoesDownToThePartitions) {
  SharedArrayPool<int> pool(small_shared());
  auto a = pool.rent(16);
  auto b = pool.rent(16);
  pool.give_back(a);
  pool.give_back(b);  // takes the slot; a goes to a partition
  const auto s = pool.stats();
  EXPECT_EQ(s.buckets[0].resting_thread_local, 1u);
  EXPECT_EQ(s.buckets[0].resting, 1u);
  auto first = pool.rent(16), second = pool.rent(16);
  EXPECT_EQ(first.data(), b.data()) << "slot first";
  EXPECT_EQ(second.data(), a.data()) << "then the partitions";
  pool.give_back(first);
  pool.give_back(second);
}

TEST(SharedArrayPool, FullPartitionsFreeTheArray) {
  AllocationLog log;
  {
    CountedShared pool(small_shared(2, 2), CountingAllocator(&log));
    std::vector<std::span<std::byte>> rented;
    for (int i = 0; i < 8; ++i) rented.push_back(pool.rent(32));
    for (auto a : rented) pool.give_back(a);
    const auto s = pool.stats();
    EXPECT_EQ(s.buckets[1].resting, 4u) << "2 partitions x 2";
    EXPECT_EQ(s.buckets[1].resting_thread_local, 1u);
    EXPECT_EQ(s.buckets[1].drops, 3u);
    EXPECT_EQ(s.buckets[1].cap, 4u);
    EXPECT_LE(s.buckets[1].high_water, s.buckets[1].cap);
    EXPECT_EQ(log.live_count(), 5u);
  }
  EXPECT_EQ(log.live_count(), 0u);
  EXPECT_EQ(log.bad_frees, 0u);
}

TEST(SharedArrayPool, OversizeRequestGetsAnExactFreshArrayThatIsNeverKept) {
  AllocationLog log;
  CountedShared pool(small_shared(), CountingAllocator(&log));
  const std::size_t n = (std::size_t{1} << 30) + 1;
  std::span<std::byte> a;
  try {
    a = pool.rent(n);
  } catch (const std::bad_alloc&) {
    GTEST_SKIP() << "1 GiB not available here";
  }
  EXPECT_EQ(a.size(), n);
  pool.give_back(a);
  EXPECT_EQ(log.live_count(), 0u);
  EXPECT_EQ(pool.stats().oversize_rents, 1u);
}

TEST(SharedArrayPool, ImpossibleRequestThrowsBadAllocAndThePoolStillWorks) {
  SharedArrayPool<double> pool(small_shared());
  EXPECT_THROW((void)pool.rent(std::numeric_limits<std::size_t>::max() / sizeof(double)), std::bad_alloc);
  EXPECT_THROW((void)pool.rent(std::size_t{1} << 60), std::bad_alloc);
  EXPECT_THROW((void)pool.rent((std::size_t{1} << 50) / sizeof(double)), std::bad_alloc) << "2^50 bytes";
  EXPECT_THROW((void)pool.lease((std::size_t{1} << 50) / sizeof(double)), std::bad_alloc);
  EXPECT_EQ(pool.stats().rents, 0u) << "a rent that threw is not counted";
  EXPECT_EQ(pool.lease(3).capacity(), 16u);
  SharedArrayPool<char> chars(small_shared());
  EXPECT_THROW((void)chars.rent(std::numeric_limits<std::size_t>::max()), std::bad_alloc);
  EXPECT_THROW((void)chars.rent(std::size_t{1} << 50), std::bad_alloc);
  EXPECT_EQ(chars.lease(17).capacity(), 32u);
}

TEST(SharedArrayPool, AllocatorFailureThrowsAndLeavesThePoolAndItsStatsUnchanged) {
  AllocationLog log;
  CountedShared pool(small_shared(1, 1), CountingAllocator(&log));
  log.fail_next_allocations(1);
  EXPECT_THROW((void)pool.rent(16), std::bad_alloc);
  auto s = pool.stats();
  EXPECT_EQ(s.rents, 0u);
  EXPECT_EQ(s.fresh_allocations, 0u);
  auto a = pool.rent(16);
  pool.give_back(a);
  log.fail_next_allocations(1);
  auto b = pool.rent(16);  // a slot hit needs no allocation
  EXPECT_EQ(b.data(), a.data());
  EXPECT_THROW((void)pool.rent(16), std::bad_alloc);
  log.fail_next_allocations(0);
  pool.give_back(b);
  s = pool.stats();
  EXPECT_EQ(s.rents, 2u);
  EXPECT_EQ(s.rents, s.hits + s.fresh_allocations);
  EXPECT_EQ(log.allocation_count(), 1u);
}

// See the locked flavour's test. Without the check the second give_back puts the array in the slot
// while the slot's previous copy of it goes down; with the partitions full that copy is freed, and
// the next rent hands out the freed array from the slot.
TEST(SharedArrayPool, DoubleGiveBackThrowsUnderAsanAndTheFreedArrayIsNeverHandedOut) {
  if (!BUFPOOL_ASAN) GTEST_SKIP() << "needs AddressSanitizer";
  AllocationLog log;
  {
    CountedShared pool(small_shared(1, 1), CountingAllocator(&log));
    auto a = pool.rent(16), b = pool.rent(16);
    pool.give_back(b);
    pool.give_back(a);  // a in the slot, b in the (now full) partition
    testing::expect_double_give_back_refused(pool, a);
    const auto s = pool.stats();
    EXPECT_EQ(s.drops, 0u);
    EXPECT_EQ(resting_arrays(s), 2u);
    EXPECT_EQ(log.free_count(), 0u) << "a resting array was freed";
    auto x = pool.rent(16);
    auto y = pool.rent(16);
    EXPECT_NE(y.data(), x.data()) << "one array handed out twice";
    EXPECT_TRUE(log.is_live(x.data())) << "the pool handed out memory it had freed";
    EXPECT_TRUE(log.is_live(y.data())) << "the pool handed out memory it had freed";
    pool.give_back(x);
    pool.give_back(y);
  }
  EXPECT_EQ(log.bad_free_count(), 0u);
  EXPECT_EQ(log.live_count(), 0u);
}

TEST(SharedArrayPool, TwoLiveRentalsNeverShareAnArray) {
  SharedArrayPool<int> pool(small_shared(2, 4));
  // Warm the slots and partitions first so rents below come from every level.
  for (std::size_t n : {16u, 16u, 16u, 100u, 100u, 3000u}) pool.give_back(pool.rent(n));
  std::vector<std::span<int>> first;
  for (int i = 0; i < 6; ++i) first.push_back(pool.rent(16));
  for (auto a : first) pool.give_back(a);
  std::vector<std::span<int>> live;
  for (int i = 0; i < 200; ++i) live.push_back(pool.rent(static_cast<std::size_t>(1 + (i * 37) % 3000)));
  std::vector<std::pair<const int*, const int*>> ranges;
  for (auto a : live) ranges.emplace_back(a.data(), a.data() + a.size());
  std::sort(ranges.begin(), ranges.end());
  for (std::size_t i = 1; i < ranges.size(); ++i) EXPECT_LE(ranges[i - 1].second, ranges[i].first);
  for (auto a : live) pool.give_back(a);
}

TEST(SharedArrayPool, RentReturnsTheSmallestBucketThatHoldsTheRequest) {
  SharedArrayPool<int> pool(small_shared());
  for (std::size_t n : {1u, 15u, 16u, 17u, 31u, 32u, 33u, 1000u, 1024u, 1025u, 65536u, 65537u}) {
    auto a = pool.rent(n);
    std::size_t expected = 16;
    while (expected < n) expected *= 2;
    EXPECT_EQ(a.size(), expected) << n;
    pool.give_back(a);
  }
}

TEST(SharedArrayPool, GivingBackANonBucketSizeThrowsNamingTheSize) {
  SharedArrayPool<int> pool(small_shared());
  std::vector<int> foreign(100);
  try {
    pool.give_back(std::span<int>(foreign));
    FAIL() << "no exception";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("100"), std::string::npos) << e.what();
  }
}

TEST(SharedArrayPool, ClearArrayZeroesTheWholeArray) {
  SharedArrayPool<float> pool(small_shared());
  auto a = pool.rent(50);
  std::fill(a.begin(), a.end(), 1.5f);
  pool.give_back(a, true);
  auto b = pool.rent(50);
  ASSERT_EQ(b.data(), a.data());
  EXPECT_TRUE(std::all_of(b.begin(), b.end(), [](float v) { return v == 0.0f; }));
  pool.give_back(b);
}

TEST(SharedArrayPool, ArraysMayBeGivenBackOnAnotherThread) {
  SharedArrayPool<int> pool(small_shared());
  std::vector<std::span<int>> rented;
  for (int i = 0; i < 4; ++i) rented.push_back(pool.rent(64));
  std::thread([&] {
    for (auto a : rented) pool.give_back(a);
  }).join();
  // The other thread kept one in its slot and returned it at exit: all four rest in partitions.
  const auto s = pool.stats();
  EXPECT_EQ(s.buckets[2].resting, 4u);
  EXPECT_EQ(s.give_backs, 4u);
  std::vector<std::span<int>> again;
  for (int i = 0; i < 4; ++i) again.push_back(pool.rent(64));
  for (auto a : rented) {
    EXPECT_NE(std::find_if(again.begin(), again.end(), [&](auto x) { return x.data() == a.data(); }), again.end());
  }
  for (auto a : again) pool.give_back(a);
}

TEST(SharedArrayPool, ThreadExitReturnsItsSlotsAndKeepsItsCounters) {
  AllocationLog log;
  CountedShared pool(small_shared(), CountingAllocator(&log));
  std::thread([&] {
    for (std::size_t n : {16u, 32u, 64u}) pool.give_back(pool.rent(n));
  }).join();
  const auto s = pool.stats();
  EXPECT_EQ(s.rents, 3u) << "an exited thread's counters still count";
  std::size_t resting = 0, in_slots = 0;
  for (const auto& b : s.buckets) {
    resting += b.resting;
    in_slots += b.resting_thread_local;
  }
  EXPECT_EQ(resting, 3u);
  EXPECT_EQ(in_slots, 0u);
  EXPECT_EQ(log.live_count(), 3u);
}

TEST(SharedArrayPool, PoolDestroyedBeforeTheThreadsThatUsedItExitDoesNotLeak) {
  AllocationLog log;
  std::atomic<int> phase{0};
  auto pool = std::make_unique<CountedShared>(small_shared(), CountingAllocator(&log));
  std::thread worker([&] {
    pool->give_back(pool->rent(128));  // leaves an array in this thread's slot
    phase.store(1);
    while (phase.load() != 2) std::this_thread::yield();
  });
  while (phase.load() != 1) std::this_thread::yield();
  pool.reset();  // the worker still lives, holding a cache of the dead pool
  EXPECT_EQ(log.live_count(), 0u) << "the destructor freed the worker's slot too";
  phase.store(2);
  worker.join();  // its exit must not touch the dead pool
  EXPECT_EQ(log.bad_frees, 0u);
}

// give_backs into a slot are not counted as they happen (that bump cost the fast path) but from
// the slot's balance; every way an array enters or leaves a slot must keep the total exact.
TEST(SharedArrayPool, GiveBacksStayExactThroughSpillsSparesTrimsAndThreadExits) {
  AllocationLog log;
  CountedShared pool(small_shared(1, 8), CountingAllocator(&log));
  auto a = pool.rent(16), b = pool.rent(16), c = pool.rent(16);
  pool.give_back(a);  // into the slot
  pool.give_back(b);  // spills a to the partition
  pool.give_back(c);  // spills b
  EXPECT_EQ(pool.stats().give_backs, 3u);
  auto d = pool.rent(16);  // c, from the slot
  auto e = pool.rent(16);  // b from the partition, and a as the slot's spare
  EXPECT_EQ(pool.stats().give_backs, 3u) << "a spare entering the slot is not a give_back";
  EXPECT_EQ(pool.stats().thread_local_hits, 1u);
  auto f = pool.rent(16);  // a, from the slot
  EXPECT_EQ(pool.stats().thread_local_hits, 2u);
  pool.give_back(d);
  pool.give_back(e);
  pool.give_back(f);
  EXPECT_EQ(pool.stats().give_backs, 6u);
  pool.trim(TrimPressure::high);  // frees the slot too
  EXPECT_EQ(pool.stats().give_backs, 6u);
  std::thread worker([&] {
    auto g = pool.rent(16), h = pool.rent(16);
    pool.give_back(g);
    pool.give_back(h);  // the worker exits with h in its slot, pushed down at exit
  });
  worker.join();
  const auto s = pool.stats();
  EXPECT_EQ(s.give_backs, 8u);
  EXPECT_EQ(s.rents, 8u);
  EXPECT_EQ(s.hits + s.fresh_allocations, s.rents);
}

TEST(SharedArrayPool, TrimUnderHighPressureFreesEverythingResting) {
  AllocationLog log;
  CountedShared pool(small_shared(2, 8), CountingAllocator(&log));
  std::vector<std::span<std::byte>> rented;
  for (int i = 0; i < 5; ++i) rented.push_back(pool.rent(256));
  for (auto a : rented) pool.give_back(a);
  EXPECT_EQ(log.live_count(), 5u);
  EXPECT_EQ(pool.trim(TrimPressure::high), 4u) << "four in partitions";
  EXPECT_EQ(log.live_count(), 0u) << "and this thread's slot at once";
  EXPECT_EQ(pool.stats().trimmed, 5u);
}

TEST(SharedArrayPool, TrimUnderLowPressureKeepsRecentArrays) {
  AllocationLog log;
  auto options = small_shared(2, 8);
  options.trim_after = std::chrono::hours(1);
  CountedShared pool(options, CountingAllocator(&log));
  auto a = pool.rent(256), b = pool.rent(256);
  pool.give_back(a);
  pool.give_back(b);
  EXPECT_EQ(pool.trim(TrimPressure::low), 0u);
  EXPECT_EQ(log.live_count(), 2u);
}

TEST(SharedArrayPool, TrimUnderLowPressureFreesArraysOlderThanTrimAfter) {
  AllocationLog log;
  auto options = small_shared(2, 8);
  options.trim_after = std::chrono::milliseconds(1);
  CountedShared pool(options, CountingAllocator(&log));
  std::vector<std::span<std::byte>> rented;
  for (int i = 0; i < 3; ++i) rented.push_back(pool.rent(256));
  for (auto a : rented) pool.give_back(a);  // one in this thread's slot, two in partitions
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_EQ(pool.trim(TrimPressure::low), 2u);
  EXPECT_EQ(log.live_count(), 1u) << "low pressure leaves the slots alone";
  const auto s = pool.stats();
  EXPECT_EQ(s.trimmed, 2u);
  EXPECT_EQ(s.buckets[4].resting, 0u);
  EXPECT_EQ(s.buckets[4].resting_thread_local, 1u);
}

TEST(SharedArrayPool, TrimReachesOtherThreadsSlotsAtTheirNextCall) {
  AllocationLog log;
  CountedShared pool(small_shared(), CountingAllocator(&log));
  std::atomic<int> phase{0};
  std::thread worker([&] {
    pool.give_back(pool.rent(512));
    phase.store(1);
    while (phase.load() != 2) std::this_thread::yield();
    pool.give_back(pool.rent(16));  // honours the trim: frees its slot first
    phase.store(3);
    while (phase.load() != 4) std::this_thread::yield();
  });
  while (phase.load() != 1) std::this_thread::yield();
  pool.trim(TrimPressure::high);
  EXPECT_EQ(log.live_of_bytes(512), 1u) << "still in the worker's slot";
  phase.store(2);
  while (phase.load() != 3) std::this_thread::yield();
  EXPECT_EQ(log.live_of_bytes(512 * sizeof(std::byte)), 0u);
  phase.store(4);
  worker.join();
}

TEST(SharedArrayPool, EnvironmentOverridesPartitionsAndArraysPerPartition) {
  ::setenv("BUFPOOL_SHARED_PARTITIONS", "3", 1);
  ::setenv("BUFPOOL_SHARED_ARRAYS_PER_PARTITION", "5", 1);
  const auto o = SharedPoolOptions::from_environment();
  EXPECT_EQ(o.partitions, 3u);
  EXPECT_EQ(o.arrays_per_partition, 5u);
  SharedArrayPool<int> pool(o);
  EXPECT_EQ(pool.stats().buckets[0].cap, 15u);
  for (const char* bad : {"lots", "0", "-3", " -3", "3x", "", "99999999999999999999999", "5000"}) {
    ::setenv("BUFPOOL_SHARED_PARTITIONS", bad, 1);
    ::setenv("BUFPOOL_SHARED_ARRAYS_PER_PARTITION", bad, 1);
    const auto ignored = SharedPoolOptions::from_environment();
    EXPECT_EQ(ignored.partitions, 0u) << "invalid value \"" << bad << "\" is ignored";
    EXPECT_EQ(ignored.arrays_per_partition, bad == std::string("5000") ? 5000u : 32u) << bad;
  }
  ::unsetenv("BUFPOOL_SHARED_PARTITIONS");
  ::unsetenv("BUFPOOL_SHARED_ARRAYS_PER_PARTITION");
  const auto defaults = SharedPoolOptions::from_environment();
  EXPECT_EQ(defaults.partitions, 0u);
  EXPECT_EQ(defaults.arrays_per_partition, 32u);
  SharedArrayPool<int> by_cores(defaults);
  EXPECT_GE(by_cores.options().partitions, 1u) << "0 resolves to the core count";
  const unsigned cores = std::thread::hardware_concurrency();
  EXPECT_EQ(defaults.resolved().partitions, cores == 0 ? 1u : std::min<std::size_t>(cores, 4096));
  EXPECT_EQ(by_cores.options().partitions, defaults.resolved().partitions) << "options() are the resolved ones";
  EXPECT_EQ(small_shared(3, 5).resolved().partitions, 3u) << "an explicit count is kept";
  EXPECT_EQ(small_shared(3, 5).resolved().arrays_per_partition, 5u);
  EXPECT_EQ(by_cores.stats().buckets[0].cap, by_cores.options().partitions * 32);
}

TEST(SharedArrayPool, InvalidOptionsThrowInvalidArgument) {
  auto o = small_shared();
  o.arrays_per_partition = 0;
  EXPECT_THROW(SharedArrayPool<int>{o}, std::invalid_argument);
  o = small_shared();
  o.partitions = 1'000'000;
  EXPECT_THROW(SharedArrayPool<int>{o}, std::invalid_argument);
}

TEST(SharedArrayPool, ProcessWidePoolIsOnePerElementTypeOnEveryThread) {
  SharedArrayPool<char>* const chars = &shared_pool<char>();
  SharedArrayPool<float>* const floats = &shared_pool<float>();
  SharedArrayPool<char>* chars_there = nullptr;
  SharedArrayPool<float>* floats_there = nullptr;
  std::thread([&] {
    chars_there = &shared_pool<char>();
    floats_there = &shared_pool<float>();
  }).join();
  EXPECT_EQ(chars_there, chars) << "one pool per element type for the whole process";
  EXPECT_EQ(floats_there, floats);
  EXPECT_NE(static_cast<const void*>(chars), static_cast<const void*>(floats)) << "one pool per element type";

  // Arrays may be given back on any thread: rent on one, give back and rent again on another,
  // which gets the array back from its own slot. Nothing else uses these pools meanwhile.
  const PoolStats chars_before = chars->stats();
  const PoolStats floats_before = floats->stats();
  std::span<char> rented;
  std::thread([&] { rented = shared_pool<char>().rent(100); }).join();
  ASSERT_EQ(rented.size(), 128u);
  std::span<char> again;
  std::thread([&] {
    shared_pool<char>().give_back(rented);
    again = shared_pool<char>().rent(100);
    shared_pool<char>().give_back(again);
  }).join();
  EXPECT_EQ(again.data(), rented.data()) << "the giving thread's next rent of that size gets the array";
  const PoolStats chars_after = chars->stats();
  EXPECT_EQ(chars_after.rents - chars_before.rents, 2u) << "exited threads' counters stay in the pool's stats";
  EXPECT_EQ(chars_after.give_backs - chars_before.give_backs, 2u);
  const PoolStats floats_after = floats->stats();
  EXPECT_EQ(floats_after.rents, floats_before.rents) << "the float pool saw none of the char traffic";
  EXPECT_EQ(floats_after.give_backs, floats_before.give_backs);
}

TEST(SharedArrayPool, PolicyWithWrappedAtomicAndMutexTypesWorks) {
  using testing::WrappedSnapshot;
  SharedArrayPool<double, testing::WrappedPolicy> pool(small_shared());

  // First call on this thread: registers its cache and misses the slot, so locks are taken.
  const WrappedSnapshot before_rent;
  auto a = pool.rent(40);
  const auto rent = before_rent.since();
  EXPECT_GT(rent.locks, 0u) << "the registry and the partitions lock through the policy's mutex";
  EXPECT_EQ(rent.unlocks, rent.locks);
  EXPECT_GT(rent.loads, 0u) << "the fast key and the slot are read through the policy's atomic";

  // The slot path: the policy's atomic only, no lock, no read-modify-write.
  const WrappedSnapshot before_give_back;
  pool.give_back(a);
  const auto give_back = before_give_back.since();
  EXPECT_GT(give_back.stores, 0u) << "the slot is written through the policy's atomic";
  EXPECT_EQ(give_back.locks, 0u);
  EXPECT_EQ(give_back.read_modify_writes, 0u);
  const WrappedSnapshot before_lease;
  EXPECT_EQ(pool.lease(40).data(), a.data());
  const auto lease = before_lease.since();
  EXPECT_GT(lease.loads, 0u);
  EXPECT_GT(lease.stores, 0u) << "the slot is emptied and refilled through the policy's atomic";
  EXPECT_EQ(lease.locks, 0u);

  auto b = pool.rent(40), c = pool.rent(40);
  pool.give_back(b);
  const WrappedSnapshot before_spill;
  pool.give_back(c);  // b goes down to a partition
  const auto spill = before_spill.since();
  EXPECT_GT(spill.locks, 0u) << "the partition push locks through the policy's mutex";
  EXPECT_EQ(spill.unlocks, spill.locks);

  const WrappedSnapshot before_stats;
  EXPECT_EQ(pool.stats().buckets[2].resting, 1u);
  const auto stats = before_stats.since();
  EXPECT_GT(stats.loads, 0u) << "stats() reads slots and counters through the policy's atomic";
  EXPECT_GT(stats.locks, 0u) << "stats() visits the caches under the registry's mutex";
  EXPECT_EQ(stats.unlocks, stats.locks);
}

TEST(SharedArrayPool, StatsAddUpAtQuiescence) {
  SharedArrayPool<int> pool(small_shared(2, 2));
  std::vector<std::span<int>> rented;
  for (int round = 0; round < 3; ++round) {
    for (std::size_t n : {5u, 16u, 17u, 300u, 300u, 300u, 300u, 300u, 300u}) rented.push_back(pool.rent(n));
    for (auto a : rented) pool.give_back(a);
    rented.clear();
  }
  const auto s = pool.stats();
  EXPECT_EQ(s.rents, 27u);
  EXPECT_EQ(s.rents, s.hits + s.fresh_allocations);
  EXPECT_LE(s.thread_local_hits, s.hits);
  EXPECT_EQ(s.give_backs, 27u);
  EXPECT_GT(s.drops, 0u) << "six 512s against one slot and 2 x 2 in partitions";
  for (const auto& b : s.buckets) {
    EXPECT_LE(b.resting, b.cap);
    EXPECT_LE(b.high_water, b.cap);
    EXPECT_EQ(b.cap, 4u);
  }
}

// --- both flavours, every element type -----------------------------------------------------------

template <class T>
class EveryElementType : public ::testing::Test {};
using ElementTypes = ::testing::Types<char, std::byte, std::uint8_t, std::int32_t, float, double>;
TYPED_TEST_SUITE(EveryElementType, ElementTypes);

template <class Pool>
void expect_aligned_and_sized(Pool& pool) {
  using T = typename Pool::value_type;
  for (std::size_t n : {1u, 16u, 17u, 100u, 4096u}) {
    auto a = pool.rent(n);
    EXPECT_GE(a.size(), n);
    const auto addr = reinterpret_cast<std::uintptr_t>(a.data());
    EXPECT_EQ(addr % alignof(std::max_align_t), 0u);
    if (a.size_bytes() >= 64) {
      EXPECT_EQ(addr % 64, 0u) << n * sizeof(T) << " bytes";
    }
    std::fill(a.begin(), a.end(), T{});
    pool.give_back(a);
  }
}

TYPED_TEST(EveryElementType, BothFlavoursHandOutAlignedArraysOfBucketSize) {
  LockedArrayPool<TypeParam> locked(PoolOptions{8192, 4});
  SharedArrayPool<TypeParam> shared(small_shared());
  expect_aligned_and_sized(locked);
  expect_aligned_and_sized(shared);
  auto oversize = locked.rent(10000);  // above the locked pool's 8192: exact, still aligned
  EXPECT_EQ(oversize.size(), 10000u);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(oversize.data()) % 64, 0u);
  locked.give_back(oversize);
}

template <class Pool>
void expect_content_kept_then_cleared(Pool& pool) {
  using T = typename Pool::value_type;
  const T marker = static_cast<T>(0x5A);
  auto a = pool.rent(40);
  std::fill(a.begin(), a.end(), marker);
  pool.give_back(a);
  auto b = pool.rent(40);
  ASSERT_EQ(b.data(), a.data());
  EXPECT_TRUE(std::all_of(b.begin(), b.end(), [&](T v) { return v == marker; })) << "rent never zeroes";
  pool.give_back(b, /*clear_array=*/true);
  auto c = pool.rent(40);
  ASSERT_EQ(c.data(), a.data());
  EXPECT_TRUE(std::all_of(c.begin(), c.end(), [](T v) { return v == T{}; })) << "clear zeroes all 64";
  pool.give_back(c);
}

TYPED_TEST(EveryElementType, BothFlavoursKeepContentUntilAClearingGiveBack) {
  LockedArrayPool<TypeParam> locked(PoolOptions{1024, 2});
  SharedArrayPool<TypeParam> shared(small_shared());
  expect_content_kept_then_cleared(locked);
  expect_content_kept_then_cleared(shared);
}

// --- fault switches: each mutant hook is live in the shared flavour too -------------------------

using testing::Fault;

template <Fault F>
using SharedMutant = SharedArrayPool<int, testing::CountedMutant<F>>;

TEST(SharedArrayPoolFaults, IgnoreCapRestsMoreThanThePartitionsHold) {
  const auto resting_after_four = [](auto& pool) {
    std::vector<std::span<int>> rented;
    for (int i = 0; i < 4; ++i) rented.push_back(pool.rent(16));
    for (auto a : rented) pool.give_back(a);
    return pool.stats().buckets[0].resting;
  };
  SharedArrayPool<int> correct(small_shared(1, 1));
  EXPECT_EQ(resting_after_four(correct), 1u);
  AllocationLog log;
  SharedMutant<Fault::ignore_cap> mutant(small_shared(1, 1), CountingAllocator(&log));
  EXPECT_EQ(resting_after_four(mutant), 3u) << "ignore_cap grows past the cap of 1";
}

TEST(SharedArrayPoolFaults, IgnoreClearLeavesTheOldBytes) {
  AllocationLog log;
  SharedMutant<Fault::ignore_clear> pool(small_shared(), CountingAllocator(&log));
  auto a = pool.rent(16);
  std::fill(a.begin(), a.end(), 5);
  pool.give_back(a, true);
  auto b = pool.rent(16);
  ASSERT_EQ(b.data(), a.data());
  EXPECT_EQ(b[0], 5);
  pool.give_back(b);
}

TEST(SharedArrayPoolFaults, DoublePushHandsOneArrayOutTwice) {
  AllocationLog log;
  {
    SharedMutant<Fault::double_push> pool(small_shared(1, 4), CountingAllocator(&log));
    auto a = pool.rent(16), b = pool.rent(16);
    pool.give_back(a);  // slot
    pool.give_back(b);  // slot; a goes down, twice
    auto from_slot = pool.rent(16);
    auto x = pool.rent(16), y = pool.rent(16);
    EXPECT_EQ(from_slot.data(), b.data());
    EXPECT_EQ(x.data(), a.data());
    EXPECT_EQ(y.data(), a.data()) << "double_push hands one array out twice";
  }
  log.release_leftovers();
}

TEST(SharedArrayPoolFaults, OffByOneBucketFilesTheArrayOneBucketTooHigh) {
  AllocationLog log;
  SharedMutant<Fault::off_by_one_bucket> pool(small_shared(), CountingAllocator(&log));
  auto a = pool.rent(16);
  pool.give_back(a);
  const auto s = pool.stats();
  EXPECT_EQ(s.buckets[0].resting_thread_local, 0u);
  EXPECT_EQ(s.buckets[1].resting_thread_local, 1u) << "a 16 sits in the 32s' slot";
  auto b = pool.rent(32);
  EXPECT_EQ(b.data(), a.data());
  EXPECT_EQ(b.size(), 32u) << "and is handed out as 32 long";
  // b is really 16 long: never touch it; give the array back under its true size.
  pool.give_back(a);
}

TEST(SharedArrayPoolFaults, TlsSlotKeptHandsTheSlotsArrayOutTwice) {
  AllocationLog log;
  SharedMutant<Fault::tls_slot_kept> pool(small_shared(), CountingAllocator(&log));
  pool.give_back(pool.rent(16));
  auto x = pool.rent(16);
  auto y = pool.rent(16);
  EXPECT_EQ(x.data(), y.data()) << "tls_slot_kept hands the slot's array out twice";
  SharedArrayPool<int> correct(small_shared());
  correct.give_back(correct.rent(16));
  auto p = correct.rent(16), q = correct.rent(16);
  EXPECT_NE(p.data(), q.data());
  correct.give_back(p);
  correct.give_back(q);
}

TEST(SharedArrayPoolFaults, LoseArrayNeverFreesADroppedArray) {
  AllocationLog log;
  {
    SharedMutant<Fault::lose_array> pool(small_shared(1, 1), CountingAllocator(&log));
    std::vector<std::span<int>> rented;
    for (int i = 0; i < 3; ++i) rented.push_back(pool.rent(16));
    for (auto a : rented) pool.give_back(a);  // slot, partition, dropped and lost
    EXPECT_EQ(pool.stats().drops, 1u);
    EXPECT_EQ(log.free_count(), 0u);
  }
  EXPECT_EQ(log.free_count(), 0u) << "lose_array never frees";
  EXPECT_EQ(log.live_count(), 3u);
  log.release_leftovers();
}

}  // namespace
}  // namespace bufpool
