// A few threads hammer both flavours, each writing its own pattern into every array it rents and
// checking it before giving the array back (exclusivity), some handing arrays to a neighbour to be
// given back there. Clean under TSan and ASan.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

#include "bufpool/array_pool.hpp"
#include "pool/test_support.hpp"

namespace bufpool {
namespace {

using testing::AllocationLog;
using testing::CountedPolicy;
using testing::CountingAllocator;

constexpr int kThreads = 8;
constexpr int kRounds = 400;

// One mailbox per thread; the mutex is the programs' own hand-off, as real code would have.
struct Mailbox {
  std::mutex mu;
  std::vector<std::span<std::uint32_t>> arrays;
};

template <class Pool>
void hammer(Pool& pool, std::atomic<int>& corrupt) {
  std::vector<Mailbox> boxes(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      const std::uint32_t mark = 0xA0000000u | static_cast<std::uint32_t>(t);
      for (int r = 0; r < kRounds; ++r) {
        const std::size_t n = 1 + static_cast<std::size_t>((r * 131 + t * 17) % 3000);
        auto a = pool.rent(n);
        for (std::size_t i = 0; i < n; ++i) a[i] = mark ^ static_cast<std::uint32_t>(i);
        if (r % 5 == 0) std::this_thread::yield();
        for (std::size_t i = 0; i < n; ++i) {
          if (a[i] != (mark ^ static_cast<std::uint32_t>(i))) corrupt.fetch_add(1);
        }
        if (r % 7 == 0) {
          Mailbox& next = boxes[static_cast<std::size_t>((t + 1) % kThreads)];
          std::lock_guard l(next.mu);
          next.arrays.push_back(a);
        } else {
          pool.give_back(a, r % 3 == 0);
        }
        std::vector<std::span<std::uint32_t>> mine;
        {
          std::lock_guard l(boxes[static_cast<std::size_t>(t)].mu);
          mine.swap(boxes[static_cast<std::size_t>(t)].arrays);
        }
        for (auto m : mine) pool.give_back(m);
      }
    });
  }
  for (auto& th : threads) th.join();
  for (auto& box : boxes) {
    for (auto m : box.arrays) pool.give_back(m);
  }
}

TEST(PoolConcurrency, LockedPoolKeepsEveryRentalExclusiveAcrossThreads) {
  AllocationLog log;
  std::atomic<int> corrupt{0};
  {
    LockedArrayPool<std::uint32_t, CountedPolicy> pool(PoolOptions{4096, 4}, CountingAllocator(&log));
    hammer(pool, corrupt);
    const auto s = pool.stats();
    EXPECT_EQ(s.rents, static_cast<std::uint64_t>(kThreads * kRounds));
    EXPECT_EQ(s.hits + s.fresh_allocations, s.rents);
    for (const auto& b : s.buckets) EXPECT_LE(b.high_water, b.cap);
  }
  EXPECT_EQ(corrupt.load(), 0);
  EXPECT_EQ(log.live_count(), 0u);
  EXPECT_EQ(log.bad_frees, 0u);
}

TEST(PoolConcurrency, SharedPoolKeepsEveryRentalExclusiveAcrossThreads) {
  AllocationLog log;
  std::atomic<int> corrupt{0};
  {
    SharedArrayPool<std::uint32_t, CountedPolicy> pool(testing::small_shared(2, 4), CountingAllocator(&log));
    hammer(pool, corrupt);
    const auto s = pool.stats();
    EXPECT_EQ(s.rents, static_cast<std::uint64_t>(kThreads * kRounds));
    EXPECT_EQ(s.hits + s.fresh_allocations, s.rents);
    EXPECT_GT(s.thread_local_hits, 0u);
    for (const auto& b : s.buckets) EXPECT_LE(b.high_water, b.cap);
  }
  EXPECT_EQ(corrupt.load(), 0);
  EXPECT_EQ(log.live_count(), 0u);
  EXPECT_EQ(log.bad_frees, 0u);
}

TEST(PoolConcurrency, TrimAndStatsRunSafelyWhileThreadsRentAndGiveBack) {
  SharedArrayPool<std::uint32_t> pool(testing::small_shared(2, 4));
  std::atomic<bool> stop{false};
  std::atomic<int> corrupt{0};
  std::thread janitor([&] {
    while (!stop.load()) {
      pool.trim(TrimPressure::high);
      (void)pool.stats();
      std::this_thread::yield();
    }
  });
  hammer(pool, corrupt);
  stop.store(true);
  janitor.join();
  EXPECT_EQ(corrupt.load(), 0);
}

}  // namespace
}  // namespace bufpool
