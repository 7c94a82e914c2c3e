#include "bufpool/locked_array_pool.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <limits>
#include <set>
#include <string>
#include <stdexcept>
#include <vector>

#include "pool/test_support.hpp"

namespace bufpool {
namespace {

using testing::AllocationLog;
using testing::CountedPolicy;
using testing::CountingAllocator;

using CountedPool = LockedArrayPool<std::byte, CountedPolicy>;

TEST(LockedArrayPool, ZeroFieldsInOptionsThrowInvalidArgument) {
  EXPECT_THROW(LockedArrayPool<int>(PoolOptions{0, 1}), std::invalid_argument);
  EXPECT_THROW(LockedArrayPool<int>(PoolOptions{16, 0}), std::invalid_argument);
  try {
    LockedArrayPool<int> pool(PoolOptions{16, 0});
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("max_arrays_per_bucket"), std::string::npos) << e.what();
  }
}

TEST(LockedArrayPool, RentReturnsTheSmallestBucketThatHoldsTheRequest) {
  LockedArrayPool<int> pool(PoolOptions{1 << 16, 4});
  for (std::size_t n : {1u, 15u, 16u, 17u, 31u, 32u, 33u, 1000u, 1024u, 1025u, 65536u}) {
    auto a = pool.rent(n);
    std::size_t expected = 16;
    while (expected < n) expected *= 2;
    EXPECT_EQ(a.size(), expected) << n;
    pool.give_back(a);
  }
}

TEST(LockedArrayPool, RentZeroIsEmptyAndGivingBackEmptyDoesNothing) {
  LockedArrayPool<int> pool;
  EXPECT_TRUE(pool.rent(0).empty());
  pool.give_back({});
  EXPECT_EQ(pool.stats().rents, 0u);
  EXPECT_EQ(pool.stats().give_backs, 0u);
}

TEST(LockedArrayPool, MaximumBelowSixteenGivesOneBucketOfSixteen) {
  LockedArrayPool<int> pool(PoolOptions{3, 2});
  EXPECT_EQ(pool.bucket_count(), 1u);
  EXPECT_EQ(pool.largest_bucket(), 16u);
  EXPECT_EQ(pool.lease(3).capacity(), 16u);
  EXPECT_EQ(pool.lease(17).capacity(), 17u) << "above the only bucket: exact size";
}

TEST(LockedArrayPool, MaximumRoundsUpToAPowerOfTwo) {
  LockedArrayPool<int> pool(PoolOptions{1000, 2});
  EXPECT_EQ(pool.largest_bucket(), 1024u);
  EXPECT_EQ(pool.lease(1000).capacity(), 1024u);
}

TEST(LockedArrayPool, RentAfterGiveBackReusesArray) {
  LockedArrayPool<int> pool;
  auto a = pool.rent(100);
  int* p = a.data();
  pool.give_back(a);
  auto b = pool.rent(100);
  EXPECT_EQ(b.data(), p);
  pool.give_back(b);
}

TEST(LockedArrayPool, RentNeverZeroesWhatTheLastUserLeft) {
  LockedArrayPool<int> pool;
  auto a = pool.rent(64);
  std::fill(a.begin(), a.end(), 0x5A5A5A5A);
  pool.give_back(a);
  auto b = pool.rent(64);
  ASSERT_EQ(b.data(), a.data());
  EXPECT_TRUE(std::all_of(b.begin(), b.end(), [](int v) { return v == 0x5A5A5A5A; }));
  pool.give_back(b);
}

TEST(LockedArrayPool, ClearArrayZeroesTheWholeArray) {
  LockedArrayPool<double> pool;
  auto a = pool.rent(20);
  std::fill(a.begin(), a.end(), 3.5);
  pool.give_back(a, /*clear_array=*/true);
  auto b = pool.rent(20);
  ASSERT_EQ(b.data(), a.data());
  EXPECT_EQ(b.size(), 32u);
  EXPECT_TRUE(std::all_of(b.begin(), b.end(), [](double v) { return v == 0.0; }));
  pool.give_back(b);
}

TEST(LockedArrayPool, ExhaustedBucketTriesTheNextLargerOnceThenAllocatesTheOriginalSize) {
  // .NET: max 64, 2 per bucket: rent(15) five times gives 16, 16, 32, 32, 16.
  LockedArrayPool<int> pool(PoolOptions{64, 2});
  std::vector<std::span<int>> rented;
  for (int i = 0; i < 5; ++i) rented.push_back(pool.rent(15));
  std::vector<std::size_t> sizes;
  for (auto a : rented) sizes.push_back(a.size());
  EXPECT_EQ(sizes, (std::vector<std::size_t>{16, 16, 32, 32, 16}));
  for (auto a : rented) pool.give_back(a);
}

TEST(LockedArrayPool, FullBucketFreesTheArrayAndNeverGrowsPastItsCap) {
  AllocationLog log;
  {
    CountedPool pool(PoolOptions{64, 2}, CountingAllocator(&log));
    std::vector<std::span<std::byte>> rented;
    for (int i = 0; i < 6; ++i) rented.push_back(pool.rent(16));  // 16,16,32,32,16,16
    for (auto a : rented) pool.give_back(a);
    const auto s = pool.stats();
    EXPECT_EQ(s.buckets[0].resting, 2u);
    EXPECT_EQ(s.buckets[1].resting, 2u);
    EXPECT_EQ(s.buckets[0].drops, 2u);
    EXPECT_EQ(s.drops, 2u);
    EXPECT_LE(s.buckets[0].high_water, s.buckets[0].cap);
    EXPECT_EQ(log.live_count(), 4u) << "two dropped arrays were freed";
  }
  EXPECT_EQ(log.live_count(), 0u) << "the destructor frees resting arrays";
  EXPECT_EQ(log.bad_frees, 0u);
}

TEST(LockedArrayPool, OversizeRequestGetsAnExactFreshArrayThatIsNeverKept) {
  AllocationLog log;
  CountedPool pool(PoolOptions{1024, 4}, CountingAllocator(&log));
  auto a = pool.rent(5000);
  EXPECT_EQ(a.size(), 5000u);
  EXPECT_EQ(log.live_count(), 1u);
  pool.give_back(a);
  EXPECT_EQ(log.live_count(), 0u);
  const auto s = pool.stats();
  EXPECT_EQ(s.oversize_rents, 1u);
  EXPECT_EQ(s.rents, s.hits + s.fresh_allocations);
}

TEST(LockedArrayPool, ImpossibleRequestThrowsBadAllocAndThePoolStillWorks) {
  LockedArrayPool<std::uint64_t> pool(PoolOptions{64, 2});
  EXPECT_THROW((void)pool.rent(std::numeric_limits<std::size_t>::max() / sizeof(std::uint64_t)), std::bad_alloc);
  EXPECT_THROW((void)pool.rent(std::size_t{1} << 62), std::bad_alloc);
  EXPECT_THROW((void)pool.rent((std::size_t{1} << 50) / sizeof(std::uint64_t)), std::bad_alloc) << "2^50 bytes";
  EXPECT_THROW((void)pool.lease((std::size_t{1} << 50) / sizeof(std::uint64_t)), std::bad_alloc);
  EXPECT_EQ(pool.stats().rents, 0u) << "a rent that threw is not counted";
  auto a = pool.rent(10);
  EXPECT_EQ(a.size(), 16u);
  pool.give_back(a);
  LockedArrayPool<char> chars(PoolOptions{64, 2});
  EXPECT_THROW((void)chars.rent(std::numeric_limits<std::size_t>::max()), std::bad_alloc);
  EXPECT_THROW((void)chars.rent(std::size_t{1} << 50), std::bad_alloc);
  EXPECT_EQ(chars.lease(64).capacity(), 64u);
}

TEST(LockedArrayPool, AllocatorFailureThrowsAndLeavesThePoolAndItsStatsUnchanged) {
  AllocationLog log;
  LockedArrayPool<int, CountedPolicy> pool(PoolOptions{32, 1}, CountingAllocator(&log));
  const auto expect_consistent = [&](std::uint64_t rents) {
    const auto s = pool.stats();
    EXPECT_EQ(s.rents, rents);
    EXPECT_EQ(s.hits + s.fresh_allocations, s.rents);
    EXPECT_EQ(s.fresh_allocations, log.allocation_count());
  };
  // Lazy allocation of the request's own bucket fails.
  log.fail_next_allocations(1);
  EXPECT_THROW((void)pool.rent(16), std::bad_alloc);
  expect_consistent(0);
  auto a = pool.rent(16);  // the quota slot was handed back: bucket 16 still serves
  EXPECT_EQ(a.size(), 16u);
  // The 16s are exhausted (cap 1): the fallback to the 32s fails to allocate.
  log.fail_next_allocations(1);
  EXPECT_THROW((void)pool.rent(16), std::bad_alloc);
  expect_consistent(1);
  auto b = pool.rent(16);
  EXPECT_EQ(b.size(), 32u) << "the 32 bucket's quota was not lost";
  // Both exhausted: the fresh array of the original size fails too.
  log.fail_next_allocations(1);
  EXPECT_THROW((void)pool.rent(16), std::bad_alloc);
  expect_consistent(2);
  // An over-size request whose allocation fails.
  log.fail_next_allocations(1);
  EXPECT_THROW((void)pool.rent(100), std::bad_alloc);
  expect_consistent(2);
  auto c = pool.rent(16);
  EXPECT_EQ(c.size(), 16u);
  expect_consistent(3);
  pool.give_back(a);
  pool.give_back(b);
  pool.give_back(c);
  EXPECT_EQ(log.live_count(), 2u) << "c was beyond the 16s' quota: dropped";
}

TEST(LockedArrayPool, GivingBackANonBucketSizeThrowsNamingTheSize) {
  LockedArrayPool<int> pool(PoolOptions{1024, 2});
  std::vector<int> foreign(17);
  try {
    pool.give_back(std::span<int>(foreign));
    FAIL() << "no exception";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("17"), std::string::npos) << e.what();
  }
  std::vector<int> small(8);
  EXPECT_THROW(pool.give_back(std::span<int>(small)), std::invalid_argument);
  EXPECT_EQ(pool.stats().give_backs, 0u);
}

// Under ASan a resting array is poisoned and a live one is not, so the pool sees a give_back of a
// resting array for what it is. Without that check the second give_back here finds the bucket full
// (nothing rented) and frees the array while it still rests; the next rent hands out freed memory,
// unpoisoned, and ASan says nothing until the pool's destructor frees it again.
TEST(LockedArrayPool, DoubleGiveBackThrowsUnderAsanAndTheFreedArrayIsNeverHandedOut) {
  if (!BUFPOOL_ASAN) GTEST_SKIP() << "needs AddressSanitizer";
  AllocationLog log;  // refuses double frees, so a pool without the check fails these checks, not the heap
  {
    CountedPool pool(PoolOptions{64, 2}, CountingAllocator(&log));
    auto a = pool.rent(16);
    pool.give_back(a);  // rests; nothing is rented now
    testing::expect_double_give_back_refused(pool, a);
    const auto s = pool.stats();
    EXPECT_EQ(s.give_backs, 1u);
    EXPECT_EQ(s.drops, 0u);
    EXPECT_EQ(s.buckets[0].resting, 1u);
    EXPECT_EQ(log.free_count(), 0u) << "the resting array was freed";
    auto x = pool.rent(16);
    auto y = pool.rent(16);
    EXPECT_EQ(x.data(), a.data());
    EXPECT_NE(y.data(), x.data()) << "one array handed out twice";
    EXPECT_TRUE(log.is_live(x.data())) << "the pool handed out memory it had freed";
    EXPECT_TRUE(log.is_live(y.data()));
    pool.give_back(x);
    pool.give_back(y);
  }
  EXPECT_EQ(log.bad_free_count(), 0u);
  EXPECT_EQ(log.live_count(), 0u);
}

TEST(LockedArrayPool, TwoLiveRentalsNeverShareAnArray) {
  LockedArrayPool<int> pool(PoolOptions{4096, 8});
  std::vector<std::span<int>> live;
  for (int i = 0; i < 200; ++i) live.push_back(pool.rent(static_cast<std::size_t>(1 + (i * 37) % 3000)));
  std::vector<std::pair<const int*, const int*>> ranges;
  for (auto a : live) ranges.emplace_back(a.data(), a.data() + a.size());
  std::sort(ranges.begin(), ranges.end());
  for (std::size_t i = 1; i < ranges.size(); ++i) EXPECT_LE(ranges[i - 1].second, ranges[i].first);
  for (auto a : live) pool.give_back(a);
}

TEST(LockedArrayPool, StatsCountRentsHitsAndFreshAllocations) {
  LockedArrayPool<int> pool(PoolOptions{1024, 4});
  auto a = pool.rent(100);
  pool.give_back(a);
  auto b = pool.rent(100);
  pool.give_back(b);
  const auto s = pool.stats();
  EXPECT_EQ(s.rents, 2u);
  EXPECT_EQ(s.hits, 1u);
  EXPECT_EQ(s.fresh_allocations, 1u);
  EXPECT_EQ(s.thread_local_hits, 0u);
  EXPECT_EQ(s.give_backs, 2u);
  EXPECT_EQ(s.buckets[3].rents, 2u);
  EXPECT_EQ(s.buckets[3].resting, 1u);
  EXPECT_EQ(s.buckets[3].cap, 4u);
}

TEST(LockedArrayPool, ExhaustionServesFromTheNextBucketAndCountsEveryRentInTheRequestedBucket) {
  AllocationLog log;
  LockedArrayPool<int, CountedPolicy> pool(PoolOptions{64, 2}, CountingAllocator(&log));
  std::vector<std::span<int>> rented;
  for (int i = 0; i < 5; ++i) rented.push_back(pool.rent(15));
  auto s = pool.stats();
  EXPECT_EQ(s.rents, 5u);
  EXPECT_EQ(s.fresh_allocations, 5u);
  EXPECT_EQ(s.buckets[0].rents, 5u);
  EXPECT_EQ(s.buckets[0].fresh, 3u) << "two of its own, one overflow";
  EXPECT_EQ(s.buckets[1].fresh, 2u);
  for (auto a : rented) pool.give_back(a);  // 16, 16 rest; the overflow 16 is dropped; 32, 32 rest
  s = pool.stats();
  EXPECT_EQ(s.buckets[0].resting, 2u);
  EXPECT_EQ(s.buckets[1].resting, 2u);
  EXPECT_EQ(s.drops, 1u);
  EXPECT_EQ(log.free_count(), 1u);
  EXPECT_EQ(s.rents, s.hits + s.fresh_allocations);
  for (const auto& b : s.buckets) EXPECT_LE(b.high_water, b.cap);
}

TEST(LockedArrayPool, OversizeArrayGivenBackWithClearIsFreedNotKept) {
  AllocationLog log;
  CountedPool pool(PoolOptions{16, 1}, CountingAllocator(&log));
  auto a = pool.rent(17);
  EXPECT_EQ(a.size(), 17u);
  pool.give_back(a, /*clear_array=*/true);
  EXPECT_EQ(log.live_count(), 0u);
  auto b = pool.rent(17);
  EXPECT_EQ(pool.stats().hits, 0u) << "over-size arrays are never served again";
  pool.give_back(b);
}

TEST(LockedArrayPool, DestructorFreesEveryRestingArray) {
  AllocationLog log;
  {
    CountedPool pool(PoolOptions{1024, 4}, CountingAllocator(&log));
    std::vector<std::span<std::byte>> rented;
    for (std::size_t n : {16u, 16u, 100u, 1000u}) rented.push_back(pool.rent(n));
    for (auto a : rented) pool.give_back(a);
    EXPECT_EQ(log.live_count(), 4u);
  }
  EXPECT_EQ(log.live_count(), 0u);
  EXPECT_EQ(log.free_count(), 4u);
}

TEST(LockedArrayPool, PolicyWithWrappedAtomicAndMutexTypesWorks) {
  using testing::WrappedSnapshot;
  LockedArrayPool<float, testing::WrappedPolicy> pool(PoolOptions{256, 2});

  const WrappedSnapshot before_rent;
  auto a = pool.rent(40);
  const auto rent = before_rent.since();
  EXPECT_GT(rent.locks, 0u) << "rent locked its bucket through the policy's mutex";
  EXPECT_EQ(rent.unlocks, rent.locks);

  const WrappedSnapshot before_give_back;
  pool.give_back(a);
  const auto give_back = before_give_back.since();
  EXPECT_GT(give_back.locks, 0u) << "give_back locked its bucket through the policy's mutex";
  EXPECT_EQ(give_back.unlocks, give_back.locks);
  EXPECT_EQ(pool.lease(40).data(), a.data());

  // The locked flavour's atomics count the over-size traffic: one rent, one give_back.
  const WrappedSnapshot before_oversize;
  pool.give_back(pool.rent(1000));
  EXPECT_GE(before_oversize.since().read_modify_writes, 2u) << "over-size counters go through the policy's atomic";

  const WrappedSnapshot before_stats;
  const auto s = pool.stats();
  const auto stats = before_stats.since();
  EXPECT_GT(stats.loads, 0u) << "stats() reads the counters through the policy's atomic";
  EXPECT_GT(stats.locks, 0u);
  EXPECT_EQ(stats.unlocks, stats.locks);
  EXPECT_EQ(s.oversize_rents, 1u);
  EXPECT_EQ(s.give_backs, 3u);
}

// --- fault switches: each mutant hook is live (the harness's mutants depend on it) ---------------

using testing::Fault;
using testing::has_fault;
using testing::WithFaults;

static_assert(testing::faults_of<DefaultPoolPolicy>() == 0 && testing::faults_of<CheckedPoolPolicy>() == 0,
              "production policies have no faults");
static_assert(!has_fault<DefaultPoolPolicy>(Fault::ignore_cap));
static_assert(has_fault<testing::CountedMutant<Fault::ignore_cap>>(Fault::ignore_cap));

TEST(LockedArrayPoolFaults, DefaultPolicyDropsAtTheCapWhereIgnoreCapKeepsMore) {
  const auto resting_after_three = [](auto& pool) {
    auto a = pool.rent(16), b = pool.rent(16), c = pool.rent(16);  // 16, 32, fresh 16
    pool.give_back(a), pool.give_back(b), pool.give_back(c);
    return pool.stats().buckets[0].resting;
  };
  LockedArrayPool<int> correct(PoolOptions{32, 1});
  EXPECT_EQ(resting_after_three(correct), 1u);
  AllocationLog log;
  LockedArrayPool<int, testing::CountedMutant<Fault::ignore_cap>> mutant(PoolOptions{32, 1}, CountingAllocator(&log));
  EXPECT_GT(resting_after_three(mutant), 1u) << "ignore_cap rests more than the cap";
}

TEST(LockedArrayPoolFaults, IgnoreClearLeavesTheOldBytes) {
  LockedArrayPool<int, WithFaults<DefaultPoolPolicy, static_cast<std::uint32_t>(Fault::ignore_clear)>> pool;
  auto a = pool.rent(16);
  std::fill(a.begin(), a.end(), 5);
  pool.give_back(a, true);
  auto b = pool.rent(16);
  ASSERT_EQ(b.data(), a.data());
  EXPECT_EQ(b[0], 5) << "ignore_clear does not zero";
  pool.give_back(b);
}

TEST(LockedArrayPoolFaults, PartialClearZeroesOnlyTheFirstHalf) {
  LockedArrayPool<int, WithFaults<DefaultPoolPolicy, static_cast<std::uint32_t>(Fault::partial_clear)>> pool;
  auto a = pool.rent(16);
  std::fill(a.begin(), a.end(), 5);
  pool.give_back(a, true);
  auto b = pool.rent(16);
  ASSERT_EQ(b.data(), a.data());
  EXPECT_EQ(b[0], 0) << "the first half is zeroed";
  EXPECT_EQ(b[15], 5) << "partial_clear leaves the top half";
  pool.give_back(b);
}

TEST(LockedArrayPoolFaults, LeaseDropsClearGivesBackUncleared) {
  LockedArrayPool<int, WithFaults<DefaultPoolPolicy, static_cast<std::uint32_t>(Fault::lease_drops_clear)>> pool;
  int* data = nullptr;
  {
    auto lease = pool.lease(16, /*clear_on_give_back=*/true);
    data = lease.data();
    std::fill(lease.data(), lease.data() + 16, 5);
  }
  auto b = pool.rent(16);
  ASSERT_EQ(b.data(), data);
  EXPECT_EQ(b[0], 5) << "the lease's clear flag was dropped";
  pool.give_back(b);
  LockedArrayPool<int> correct;
  {
    auto lease = correct.lease(16, true);
    std::fill(lease.data(), lease.data() + 16, 5);
  }
  auto c = correct.rent(16);
  EXPECT_EQ(c[0], 0) << "the correct pool's lease clears";
  correct.give_back(c);
}

TEST(LockedArrayPoolFaults, DoublePushHandsOneArrayOutTwice) {
  AllocationLog log;  // refuses double frees, so the corrupt pool cannot corrupt the heap
  {
    LockedArrayPool<int, testing::CountedMutant<Fault::double_push>> pool(PoolOptions{64, 4}, CountingAllocator(&log));
    auto a = pool.rent(16), b = pool.rent(16);
    pool.give_back(a);  // two of the bucket's quota out: the fault pushes it twice
    auto x = pool.rent(16);
    auto y = pool.rent(16);
    EXPECT_EQ(x.data(), y.data()) << "double_push hands one array out twice";
    pool.give_back(x);
    pool.give_back(b);
  }
  EXPECT_GT(log.bad_free_count(), 0u) << "the pool freed an array twice";
  log.release_leftovers();
}

TEST(LockedArrayPoolFaults, OffByOneBucketFilesTheArrayOneBucketTooHigh) {
  LockedArrayPool<int, WithFaults<DefaultPoolPolicy, static_cast<std::uint32_t>(Fault::off_by_one_bucket)>> pool;
  auto c = pool.rent(32);  // the 32-bucket has quota out, so it accepts what comes back
  auto a = pool.rent(16);
  pool.give_back(a);       // filed with the 32s
  EXPECT_EQ(pool.stats().buckets[1].resting, 1u);
  EXPECT_EQ(pool.stats().buckets[0].resting, 0u);
  auto b = pool.rent(32);
  EXPECT_EQ(b.data(), a.data()) << "a 16-element array now answers a rent of 32";
  pool.give_back(b);
  pool.give_back(c);
}

TEST(LockedArrayPoolFaults, LoseArrayNeverFreesADroppedArray) {
  AllocationLog log;
  {
    LockedArrayPool<int, testing::CountedMutant<Fault::lose_array>> pool(PoolOptions{16, 1}, CountingAllocator(&log));
    auto a = pool.rent(16), b = pool.rent(16);
    pool.give_back(a);
    pool.give_back(b);  // full: dropped, and lost instead of freed
    EXPECT_EQ(pool.stats().drops, 1u);
    EXPECT_EQ(log.free_count(), 0u) << "lose_array never frees";
  }
  EXPECT_EQ(log.free_count(), 0u);
  EXPECT_EQ(log.live_count(), 2u);
  log.release_leftovers();
}

TEST(LockedArrayPoolFaults, CorrectPoolFreesEveryDroppedArray) {
  AllocationLog log;
  {
    LockedArrayPool<int, CountedPolicy> pool(PoolOptions{16, 1}, CountingAllocator(&log));
    auto a = pool.rent(16), b = pool.rent(16);
    pool.give_back(a);
    pool.give_back(b);
    EXPECT_EQ(log.free_count(), 1u);
  }
  EXPECT_EQ(log.live_count(), 0u);
  EXPECT_EQ(log.bad_free_count(), 0u);
}

}  // namespace
}  // namespace bufpool
