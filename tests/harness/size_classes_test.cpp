// SizeClasses (the pool's layout, as the harness sees it), the ledger's rows over it, and the typed
// CountingAllocator<T> under std::allocator_traits.
#include "poolcheck/size_classes.hpp"

#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "bufpool/buckets.hpp"
#include "poolcheck/counting_allocator.hpp"

namespace poolcheck {
namespace {

// A request's class under a plain linear scan: the definition class_of must agree with.
std::size_t linear_class_of(const SizeClasses& classes, std::size_t n) {
  for (std::size_t c = 0; c < classes.count(); ++c) {
    if (classes.capacity(c) >= n) return c;
  }
  return classes.count();
}

template <class Fn>
std::string invalid_argument_text(Fn&& fn) {
  try {
    fn();
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "(nothing thrown)";
}

TEST(SizeClasses, BufpoolLayoutIsBufpoolsBucketMathForEveryLengthUpTo2To16) {
  const SizeClasses classes = SizeClasses::bufpool(bufpool::kMaxBucketLength);
  ASSERT_EQ(classes.count(), bufpool::kMaxBucketCount);
  for (std::size_t c = 0; c < classes.count(); ++c) EXPECT_EQ(classes.capacity(c), bufpool::bucket_capacity(c));
  EXPECT_EQ(classes.class_of(0), 0u) << "rent(0) maps to class 0, as bucket_index(1) does";
  for (std::size_t n = 1; n <= (std::size_t{1} << 16); ++n) {
    ASSERT_EQ(classes.class_of(n), bufpool::bucket_index(n)) << n;
    ASSERT_EQ(classes.is_capacity(n), n >= 16 && (n & (n - 1)) == 0) << n;
  }
}

TEST(SizeClasses, BufpoolLayoutAtItsEdges) {
  const SizeClasses all = SizeClasses::bufpool(bufpool::kMaxBucketLength);
  for (std::size_t k = 4; k <= 30; ++k) {
    const std::size_t p = std::size_t{1} << k;
    for (const std::size_t n : {p - 1, p, p + 1}) {
      if (n > bufpool::kMaxBucketLength) {
        EXPECT_EQ(all.class_of(n), all.count()) << n << " is over-size";
      } else {
        EXPECT_EQ(all.class_of(n), bufpool::bucket_index(n)) << n;
      }
    }
  }
  EXPECT_EQ(all.class_of(SIZE_MAX), all.count());
  EXPECT_EQ(all.largest(), bufpool::kMaxBucketLength);

  const SizeClasses small = SizeClasses::bufpool(1024);  // a locked pool's max_array_length of 1024
  EXPECT_EQ(small.count(), 7u);
  EXPECT_EQ(small.class_of(1024), 6u);
  EXPECT_EQ(small.class_of(1025), small.count()) << "over-size above the largest bucket";
  EXPECT_FALSE(small.is_capacity(2048));
  EXPECT_TRUE(all.extends(small));
  EXPECT_FALSE(small.extends(all));
  EXPECT_TRUE(SizeClasses::bufpool(16) == SizeClasses({16}));
}

TEST(SizeClasses, GeometricEightTimesPowersOfTwo) {
  const SizeClasses classes = SizeClasses::geometric(8, 8 << 12);
  ASSERT_EQ(classes.count(), 13u);
  for (std::size_t n = 0; n <= (8u << 12) + 3; ++n) {
    ASSERT_EQ(classes.class_of(n), linear_class_of(classes, n)) << n;
  }
  EXPECT_EQ(classes.class_of(8), 0u);
  EXPECT_EQ(classes.class_of(9), 1u);
  EXPECT_EQ(classes.class_of(16), 1u);
  EXPECT_TRUE(classes.is_capacity(8));
  EXPECT_FALSE(classes.is_capacity(12));
  EXPECT_FALSE(SizeClasses::bufpool(1 << 15).extends(classes));
}

TEST(SizeClasses, GeometricOtherFactorsAndNonPowerOfTwoStarts) {
  const SizeClasses threes = SizeClasses::geometric(24, 24 << 10);  // 24, 48, 96, ..., 24576
  ASSERT_EQ(threes.count(), 11u);
  EXPECT_EQ(threes.capacity(1), 48u);
  const SizeClasses tens = SizeClasses::geometric(100, 100000, 10);
  ASSERT_EQ(tens.count(), 4u);
  for (const SizeClasses* classes : {&threes, &tens}) {
    for (std::size_t n = 0; n <= classes->largest() + 2; ++n) {
      ASSERT_EQ(classes->class_of(n), linear_class_of(*classes, n)) << n;
    }
  }
  EXPECT_EQ(tens.class_of(101), 1u);
  EXPECT_EQ(tens.class_of(100001), tens.count());
}

TEST(SizeClasses, AnExplicitListOfAnyCapacities) {
  const SizeClasses classes{3, 24, 100, 1000, 1001, 65537};
  for (std::size_t n = 0; n <= 70000; ++n) ASSERT_EQ(classes.class_of(n), linear_class_of(classes, n)) << n;
  EXPECT_EQ(classes.class_of(0), 0u);
  EXPECT_EQ(classes.class_of(1001), 4u);
  EXPECT_TRUE(classes.is_capacity(1001));
  EXPECT_FALSE(classes.is_capacity(1002));
  EXPECT_FALSE(classes.is_capacity(0));
  EXPECT_EQ(classes.largest(), 65537u);
  EXPECT_EQ(classes.smallest(), 3u);

  std::vector<std::size_t> many;
  for (std::size_t c = 1; c <= kMaxSizeClasses; ++c) many.push_back(c * 7);
  const SizeClasses most(many);
  EXPECT_EQ(most.count(), kMaxSizeClasses);
  for (std::size_t n = 0; n <= 7 * kMaxSizeClasses + 1; ++n) ASSERT_EQ(most.class_of(n), linear_class_of(most, n)) << n;
}

TEST(SizeClasses, InvalidLayoutsThrowNamingWhatIsWrong) {
  EXPECT_NE(invalid_argument_text([] { (void)SizeClasses(std::vector<std::size_t>{}); }).find("no classes"), std::string::npos);
  EXPECT_NE(invalid_argument_text([] { (void)SizeClasses({16, 0, 64}); }).find("class 1 has capacity 0"), std::string::npos);
  EXPECT_NE(invalid_argument_text([] { (void)SizeClasses({16, 48, 32}); }).find("class 2 (32) is not above class 1 (48)"),
            std::string::npos);
  EXPECT_NE(invalid_argument_text([] { (void)SizeClasses({16, 16}); }).find("must ascend"), std::string::npos);
  std::vector<std::size_t> too_many;
  for (std::size_t c = 1; c <= kMaxSizeClasses + 1; ++c) too_many.push_back(c);
  EXPECT_NE(invalid_argument_text([&] { (void)SizeClasses(too_many); }).find("65 classes"), std::string::npos);
  EXPECT_NE(invalid_argument_text([] { SizeClasses::geometric(0, 64); }).find("smallest capacity is 0"),
            std::string::npos);
  EXPECT_NE(invalid_argument_text([] { SizeClasses::geometric(8, 64, 1); }).find("factor 1"), std::string::npos);
  EXPECT_NE(invalid_argument_text([] { SizeClasses::geometric(8, 100); }).find("100 is not 8 times a power of 2"),
            std::string::npos);
  EXPECT_NE(invalid_argument_text([] { SizeClasses::geometric(64, 8); }).find("below smallest"), std::string::npos);
  EXPECT_NE(invalid_argument_text([] { SizeClasses::geometric(1, SIZE_MAX); }).find("more than 64 classes"),
            std::string::npos);
  EXPECT_NE(invalid_argument_text([] { SizeClasses::bufpool(1000); }).find("no bufpool bucket capacity"),
            std::string::npos);
  EXPECT_NE(invalid_argument_text([] { SizeClasses::bufpool(8); }).find("no bufpool bucket capacity"),
            std::string::npos);
  EXPECT_NE(invalid_argument_text([] { SizeClasses::bufpool(bufpool::kMaxBucketLength * 2); })
                .find("no bufpool bucket capacity"),
            std::string::npos);
}

TEST(AllocationLedger, RowsAreTheLayoutsClassesAndEveryOtherLengthIsOverSize) {
  const AllocationLedger ledger(4, SizeClasses{24, 48, 96});
  EXPECT_EQ(ledger.row_of(24 * 4), 0u);
  EXPECT_EQ(ledger.row_of(96 * 4), 2u);
  EXPECT_EQ(ledger.row_of(32 * 4), kOverSizeRow) << "a length that is no class capacity";
  EXPECT_EQ(ledger.row_of(24 * 4 + 1), kOverSizeRow) << "not a whole number of elements";
  EXPECT_EQ(ledger.row_of(200 * 4), kOverSizeRow);
  EXPECT_EQ(ledger.row_of_request(0), 0u);
  EXPECT_EQ(ledger.row_of_request(25), 1u);
  EXPECT_EQ(ledger.row_of_request(97), kOverSizeRow);
}

// ---- CountingAllocator<T> ----

static_assert(std::is_same_v<std::allocator_traits<CountingAllocator<int>>::value_type, int>);
static_assert(std::is_same_v<std::allocator_traits<CountingAllocator<int>>::rebind_alloc<long>, CountingAllocator<long>>);
static_assert(std::allocator_traits<CountingAllocator<int>>::propagate_on_container_swap::value);
static_assert(!std::allocator_traits<CountingAllocator<int>>::is_always_equal::value);

TEST(CountingAllocator, AVectorOverItIsCountedAndFreesEverything) {
  AllocationLedger ledger(sizeof(int), SizeClasses::geometric(8, 1024));
  {
    std::vector<int, CountingAllocator<int>> v{CountingAllocator<int>(&ledger)};
    v.reserve(8);  // one array of exactly a class capacity
    EXPECT_EQ(ledger.allocations.load(), 1u);
    EXPECT_EQ(ledger.live[0].load(), 1);
    EXPECT_NE(CountingArrayAllocator::header_of(v.data()), nullptr) << "the same header as the array allocator's";
    EXPECT_EQ(CountingArrayAllocator::header_of(v.data())->bytes.load(), 8 * sizeof(int));
    for (int i = 0; i < 1000; ++i) v.push_back(i);
    for (int i = 0; i < 1000; ++i) ASSERT_EQ(v[static_cast<std::size_t>(i)], i);
    EXPECT_GT(ledger.allocations.load(), 1u);
    EXPECT_EQ(ledger.live_total(), 1) << "each reallocation freed the array before";
    std::vector<int, CountingAllocator<int>> copy = v;
    EXPECT_EQ(copy.get_allocator(), v.get_allocator());
    EXPECT_EQ(ledger.live_total(), 2);
  }
  EXPECT_EQ(ledger.allocations.load(), ledger.frees.load());
  EXPECT_EQ(ledger.live_total(), 0);
  EXPECT_EQ(ledger.foreign_frees.load(), 0u);
}

TEST(CountingAllocator, RebindsComparesByLedgerAndRefusesAnotherElementSize) {
  AllocationLedger ledger(sizeof(int), SizeClasses{16});
  AllocationLedger other(sizeof(int), SizeClasses{16});
  const CountingAllocator<int> a(&ledger);
  const CountingAllocator<unsigned> same_size(a);  // rebound: same ledger
  EXPECT_TRUE(a == same_size);
  EXPECT_TRUE(a != CountingAllocator<int>(&other));
  std::allocator_traits<CountingAllocator<unsigned>>::rebind_alloc<unsigned> copy(same_size);
  unsigned* p = std::allocator_traits<decltype(copy)>::allocate(copy, 16);
  EXPECT_EQ(ledger.live[0].load(), 1);
  std::allocator_traits<decltype(copy)>::deallocate(copy, p, 16);
  EXPECT_EQ(ledger.live[0].load(), 0);
  CountingAllocator<std::uint64_t> wide(a);
  EXPECT_NE(invalid_argument_text([&] { (void)wide.allocate(2); }).find("ledger counts elements of 4"),
            std::string::npos);
  EXPECT_EQ(ledger.allocations.load(), 1u) << "the refused allocation was not counted";
}

}  // namespace
}  // namespace poolcheck
