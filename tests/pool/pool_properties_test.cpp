// Properties: for any sequence of rents and give_backs on one thread, sizes and statistics match a
// simple model, and the allocator (counted from outside) agrees with the pool.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <map>
#include <set>
#include <vector>

#include "bufpool/array_pool.hpp"
#include "pool/test_support.hpp"

namespace bufpool {
namespace {

using testing::AllocationLog;
using testing::CountedPolicy;
using testing::CountingAllocator;

// A request size skewed to bucket edges: 0, 2^k - 1, 2^k, 2^k + 1, and a few above the maximum.
rc::Gen<std::size_t> edge_size(std::size_t max_length) {
  return rc::gen::oneOf(rc::gen::just<std::size_t>(0),
                        rc::gen::map(rc::gen::inRange<unsigned>(1, 13), [](unsigned k) { return (std::size_t{1} << k) - 1; }),
                        rc::gen::map(rc::gen::inRange<unsigned>(4, 13), [](unsigned k) { return std::size_t{1} << k; }),
                        rc::gen::map(rc::gen::inRange<unsigned>(4, 13), [](unsigned k) { return (std::size_t{1} << k) + 1; }),
                        rc::gen::inRange<std::size_t>(max_length + 1, max_length * 2));
}

struct Step {
  bool rent;          // else give back
  std::size_t size;   // rent
  std::size_t which;  // give back: index into the live rentals
  bool clear;
};

rc::Gen<std::vector<Step>> programs(std::size_t max_length) {
  return rc::gen::container<std::vector<Step>>(rc::gen::build<Step>(
      rc::gen::set(&Step::rent, rc::gen::weightedElement<bool>({{3, true}, {2, false}})),
      rc::gen::set(&Step::size, edge_size(max_length)), rc::gen::set(&Step::which, rc::gen::inRange<std::size_t>(0, 64)),
      rc::gen::set(&Step::clear, rc::gen::arbitrary<bool>())));
}

std::size_t bucket_of(std::size_t n) {
  std::size_t c = 16;
  while (c < n) c *= 2;
  return c;
}

template <class Pool>
void check_model(Pool& pool, AllocationLog& log, const std::vector<Step>& steps, std::size_t largest,
                 std::size_t cap_per_bucket, bool may_serve_next) {
  std::vector<std::span<typename Pool::value_type>> live;
  std::uint64_t rents = 0;
  for (const Step& s : steps) {
    if (s.rent) {
      auto a = pool.rent(s.size);
      if (s.size == 0) {
        RC_ASSERT(a.empty());
        continue;
      }
      ++rents;
      RC_ASSERT(a.size() >= s.size);
      if (s.size > largest) {
        RC_ASSERT(a.size() == s.size);
      } else {
        RC_ASSERT(a.size() == bucket_of(s.size) || (may_serve_next && a.size() == 2 * bucket_of(s.size)));
      }
      for (auto other : live) RC_ASSERT(other.data() != a.data());
      live.push_back(a);
    } else if (!live.empty()) {
      const std::size_t i = s.which % live.size();
      pool.give_back(live[i], s.clear);
      live.erase(live.begin() + static_cast<std::ptrdiff_t>(i));
    }
    const PoolStats st = pool.stats();
    for (const auto& b : st.buckets) {
      RC_ASSERT(b.resting <= b.cap);
      RC_ASSERT(b.high_water <= b.cap);
      RC_ASSERT(b.cap == cap_per_bucket);
    }
  }
  const PoolStats st = pool.stats();
  RC_ASSERT(st.rents == rents);
  RC_ASSERT(st.hits + st.fresh_allocations == st.rents);
  RC_ASSERT(st.fresh_allocations == log.allocations);
  // Every array allocated is leased, resting (shared stacks or this thread's slots) or freed.
  std::size_t resting = 0;
  for (const auto& b : st.buckets) resting += b.resting + b.resting_thread_local;
  RC_ASSERT(log.allocations == log.frees + resting + live.size());
  for (auto a : live) pool.give_back(a);
}

RC_GTEST_PROP(LockedPool, SizesAndStatsFollowTheModelAndNeverExceedTheCap, ()) {
  const auto steps = *programs(1024);
  AllocationLog log;
  {
    LockedArrayPool<std::byte, CountedPolicy> pool(PoolOptions{1024, 3}, CountingAllocator(&log));
    check_model(pool, log, steps, 1024, 3, /*may_serve_next=*/true);
  }
  RC_ASSERT(log.live_count() == 0u);
  RC_ASSERT(log.bad_frees == 0u);
}

RC_GTEST_PROP(SharedPool, SizesAndStatsFollowTheModelAndNeverExceedTheCap, ()) {
  const auto steps = *programs(std::size_t{1} << 12);
  AllocationLog log;
  {
    SharedArrayPool<std::byte, CountedPolicy> pool(testing::small_shared(2, 2), CountingAllocator(&log));
    check_model(pool, log, steps, std::size_t{1} << 30, 4, /*may_serve_next=*/false);
  }
  RC_ASSERT(log.live_count() == 0u);
  RC_ASSERT(log.bad_frees == 0u);
}

RC_GTEST_PROP(Lease, SpanIsAlwaysExactlyTheRequestedLength, ()) {
  const auto sizes = *rc::gen::container<std::vector<std::size_t>>(edge_size(2048));
  LockedArrayPool<float> locked(PoolOptions{2048, 2});
  SharedArrayPool<float> shared(testing::small_shared());
  for (std::size_t n : sizes) {
    auto a = locked.lease(n);
    auto b = shared.lease(n);
    RC_ASSERT(a.span().size() == n);
    RC_ASSERT(b.span().size() == n);
    RC_ASSERT(a.capacity() >= n);
    RC_ASSERT(b.capacity() >= n);
  }
}

// Frees what a mutant left allocated (arrays of 16 ints: 64-byte aligned).
void free_leftovers(AllocationLog& log) {
  std::lock_guard l(log.mu);
  for (auto& [p, bytes] : log.live) ::operator delete(const_cast<void*>(p), std::align_val_t{64});
  log.live.clear();
}

// The mutant hooks are live: each fault changes what a single thread can observe.
TEST(Faults, EachFaultSwitchChangesObservableBehaviour) {
  {
    AllocationLog log;
    LockedArrayPool<int, testing::CountedMutant<Fault::ignore_cap>> pool(PoolOptions{64, 1}, CountingAllocator(&log));
    auto a = pool.rent(16), b = pool.rent(16), c = pool.rent(16);
    pool.give_back(a), pool.give_back(b), pool.give_back(c);
    EXPECT_GT(pool.stats().buckets[0].resting, 1u) << "ignore_cap keeps more than the cap";
  }
  {
    LockedArrayPool<int, WithFaults<DefaultPoolPolicy, static_cast<std::uint32_t>(Fault::ignore_clear)>> pool;
    auto a = pool.rent(16);
    std::fill(a.begin(), a.end(), 5);
    pool.give_back(a, true);
    auto b = pool.rent(16);
    EXPECT_EQ(b[0], 5) << "ignore_clear does not zero";
    pool.give_back(b);
  }
  {
    // The counting allocator refuses double frees, so the corrupt pool cannot corrupt the heap.
    AllocationLog log;
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
    EXPECT_GT(log.bad_frees, 0u) << "the pool freed an array twice";
    free_leftovers(log);
  }
  {
    LockedArrayPool<int, WithFaults<DefaultPoolPolicy, static_cast<std::uint32_t>(Fault::off_by_one_bucket)>> pool;
    auto c = pool.rent(32);  // the 32-bucket has quota out, so it accepts what comes back
    auto a = pool.rent(16);
    pool.give_back(a);       // filed with the 32s
    auto b = pool.rent(32);
    EXPECT_EQ(b.data(), a.data()) << "a 16-element array now answers a rent of 32";
    pool.give_back(b);
    pool.give_back(c);
  }
  {
    SharedArrayPool<int, WithFaults<DefaultPoolPolicy, static_cast<std::uint32_t>(Fault::tls_slot_kept)>> pool(
        testing::small_shared());
    pool.give_back(pool.rent(16));
    auto x = pool.rent(16);
    auto y = pool.rent(16);
    EXPECT_EQ(x.data(), y.data()) << "tls_slot_kept hands the slot's array out twice";
  }
  {
    AllocationLog log;
    {
      LockedArrayPool<int, testing::CountedMutant<Fault::lose_array>> pool(PoolOptions{64, 1}, CountingAllocator(&log));
      auto a = pool.rent(16), b = pool.rent(16);
      pool.give_back(a);
      pool.give_back(b);  // full: dropped, and lost instead of freed
    }
    EXPECT_EQ(log.frees, 0u) << "lose_array never frees";
    EXPECT_EQ(log.live_count(), 2u);
    free_leftovers(log);
  }
}

}  // namespace
}  // namespace bufpool
