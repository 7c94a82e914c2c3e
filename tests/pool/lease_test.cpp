#include "bufpool/lease.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <stdexcept>
#include <thread>
#include <utility>

#include "bufpool/array_pool.hpp"
#include "pool/test_support.hpp"

namespace bufpool {
namespace {

using testing::AllocationLog;
using testing::CountedPolicy;
using testing::CountingAllocator;

template <class Pool>
class LeaseOfEveryFlavour : public ::testing::Test {
 protected:
  static Pool make(AllocationLog* log) {
    if constexpr (std::is_same_v<Pool, SharedArrayPool<int, CountedPolicy>>) {
      return Pool(testing::small_shared(), CountingAllocator(log));
    } else {
      return Pool(PoolOptions{4096, 4}, CountingAllocator(log));
    }
  }
};
using Flavours = ::testing::Types<LockedArrayPool<int, CountedPolicy>, SharedArrayPool<int, CountedPolicy>>;
TYPED_TEST_SUITE(LeaseOfEveryFlavour, Flavours);

TYPED_TEST(LeaseOfEveryFlavour, SpanIsExactlyTheRequestedLengthNotTheCapacity) {
  AllocationLog log;
  auto pool = TestFixture::make(&log);
  auto lease = pool.lease(100);
  EXPECT_EQ(lease.span().size(), 100u);
  EXPECT_EQ(lease.size(), 100u);
  EXPECT_EQ(lease.end() - lease.begin(), 100);
  EXPECT_EQ(lease.capacity(), 128u);
}

TYPED_TEST(LeaseOfEveryFlavour, GivesBackOnDestruction) {
  AllocationLog log;
  auto pool = TestFixture::make(&log);
  int* first = nullptr;
  {
    auto lease = pool.lease(50);
    first = lease.data();
  }
  EXPECT_EQ(pool.stats().give_backs, 1u);
  auto again = pool.lease(50);
  EXPECT_EQ(again.data(), first);
}

TYPED_TEST(LeaseOfEveryFlavour, GivesBackDuringStackUnwinding) {
  AllocationLog log;
  auto pool = TestFixture::make(&log);
  EXPECT_THROW(
      {
        auto lease = pool.lease(64);
        lease[0] = 1;
        throw std::runtime_error("request failed midway");
      },
      std::runtime_error);
  EXPECT_EQ(pool.stats().give_backs, 1u);
}

TYPED_TEST(LeaseOfEveryFlavour, MovedFromLeaseDoesNotGiveBackTwice) {
  AllocationLog log;
  auto pool = TestFixture::make(&log);
  {
    auto a = pool.lease(32);
    Lease<int> b = std::move(a);
    EXPECT_TRUE(a.empty());
    EXPECT_EQ(b.size(), 32u);
    Lease<int> c;
    c = std::move(b);
    EXPECT_EQ(c.size(), 32u);
  }
  EXPECT_EQ(pool.stats().give_backs, 1u);
  EXPECT_EQ(log.bad_frees, 0u);
}

TYPED_TEST(LeaseOfEveryFlavour, MoveAssignmentGivesBackTheOverwrittenLease) {
  AllocationLog log;
  auto pool = TestFixture::make(&log);
  auto a = pool.lease(16);
  auto b = pool.lease(16);
  a = std::move(b);
  EXPECT_EQ(pool.stats().give_backs, 1u);
}

TYPED_TEST(LeaseOfEveryFlavour, ClearOnGiveBackZeroesTheWholeArray) {
  AllocationLog log;
  auto pool = TestFixture::make(&log);
  int* data = nullptr;
  {
    auto lease = pool.lease(20, /*clear_on_give_back=*/true);
    data = lease.data();
    std::fill(lease.begin(), lease.end(), 9);
  }
  auto again = pool.rent(20);
  EXPECT_EQ(again.data(), data);
  EXPECT_TRUE(std::all_of(again.begin(), again.end(), [](int v) { return v == 0; }));
  pool.give_back(again);
}

TYPED_TEST(LeaseOfEveryFlavour, LeaseOfZeroIsEmptyAndGivesNothingBack) {
  AllocationLog log;
  auto pool = TestFixture::make(&log);
  {
    auto lease = pool.lease(0);
    EXPECT_TRUE(lease.empty());
    EXPECT_EQ(lease.capacity(), 0u);
  }
  EXPECT_EQ(pool.stats().give_backs, 0u);
  EXPECT_EQ(log.allocations, 0u);
}

TYPED_TEST(LeaseOfEveryFlavour, ResetGivesBackNowAndIsSafeTwice) {
  AllocationLog log;
  auto pool = TestFixture::make(&log);
  auto lease = pool.lease(40);
  lease.reset();
  lease.reset();
  EXPECT_TRUE(lease.empty());
  EXPECT_EQ(pool.stats().give_backs, 1u);
}

TYPED_TEST(LeaseOfEveryFlavour, CapacityIsTheBucketAndNeverBelowTheLength) {
  AllocationLog log;
  auto pool = TestFixture::make(&log);
  for (std::size_t n : {1u, 15u, 16u, 17u, 63u, 64u, 65u, 4095u, 4096u}) {
    auto lease = pool.lease(n);
    EXPECT_EQ(lease.span().size(), n);
    EXPECT_GE(lease.capacity(), n);
    std::size_t bucket = 16;
    while (bucket < n) bucket *= 2;
    EXPECT_EQ(lease.capacity(), bucket) << n;
    EXPECT_FALSE(lease.clears_on_give_back());
  }
}

TYPED_TEST(LeaseOfEveryFlavour, LeaseMovedToAnotherThreadIsGivenBackThere) {
  AllocationLog log;
  auto pool = TestFixture::make(&log);
  auto lease = pool.lease(100);
  std::fill(lease.begin(), lease.end(), 3);
  std::thread([l = std::move(lease)]() mutable {
    EXPECT_EQ(l[99], 3);
    l.reset();
  }).join();
  EXPECT_TRUE(lease.empty());
  const auto s = pool.stats();
  EXPECT_EQ(s.give_backs, 1u);
  EXPECT_EQ(s.rents, s.hits + s.fresh_allocations);
  EXPECT_EQ(log.bad_free_count(), 0u);
}

TYPED_TEST(LeaseOfEveryFlavour, ClearOnGiveBackCanBeSetAfterTheLeaseIsTaken) {
  AllocationLog log;
  auto pool = TestFixture::make(&log);
  int* data = nullptr;
  {
    auto lease = pool.lease(30);
    data = lease.data();
    std::fill(lease.begin(), lease.end(), 4);
    lease.clear_on_give_back(true);
    EXPECT_TRUE(lease.clears_on_give_back());
  }
  auto again = pool.rent(30);
  ASSERT_EQ(again.data(), data);
  EXPECT_TRUE(std::all_of(again.begin(), again.end(), [](int v) { return v == 0; })) << "all 32, slack too";
  pool.give_back(again);
}

TYPED_TEST(LeaseOfEveryFlavour, OversizeLeaseIsFreedWhenItEnds) {
  AllocationLog log;
  auto pool = TestFixture::make(&log);
  {
    auto lease = pool.lease(std::size_t{1} << 31 >> 8);  // above the locked pool's 4096
    if constexpr (std::is_same_v<TypeParam, LockedArrayPool<int, CountedPolicy>>) {
      EXPECT_EQ(lease.capacity(), lease.size()) << "over-size: exact";
    }
  }
  if constexpr (std::is_same_v<TypeParam, LockedArrayPool<int, CountedPolicy>>) {
    EXPECT_EQ(log.live_count(), 0u);
  }
}

}  // namespace
}  // namespace bufpool
