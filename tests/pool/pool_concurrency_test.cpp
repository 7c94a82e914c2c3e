// A few threads hammer both flavours, each writing its own pattern into every array it rents and
// checking it before giving the array back (exclusivity), some handing arrays to a neighbour to be
// given back there. Clean under TSan and ASan.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "bufpool/array_pool.hpp"
#include "generators.hpp"
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

// What a stats() snapshot promises even while the pool is busy (pool_stats.hpp: each counter is
// exact, the counters are not mutually consistent): the shape of the buckets, the caps, the sums
// that stats() builds from the same reads, and counters that never go back between two snapshots
// read by one thread. `quiescent`: also the sums stats() builds from separate reads of one counter
// (per-bucket fresh and drops against the totals). Returns the broken promises, or "".
std::string broken_snapshot_promise(const PoolStats& s, const PoolStats& earlier, std::size_t bucket_cap,
                                    std::size_t max_caches, std::uint64_t trimmed_by_reader, bool quiescent) {
  std::ostringstream out;
  if (s.buckets.size() != SharedArrayPool<std::uint32_t>::bucket_count()) return "bucket count";
  std::uint64_t rents = 0;
  std::uint64_t fresh = 0;
  std::uint64_t drops = 0;
  for (std::size_t b = 0; b < s.buckets.size(); ++b) {
    const BucketStats& bs = s.buckets[b];
    if (bs.capacity != bucket_capacity(b)) out << "bucket " << b << " capacity " << bs.capacity << "; ";
    if (bs.cap != bucket_cap) out << "bucket " << b << " cap " << bs.cap << "; ";
    if (bs.resting > bs.cap) out << "bucket " << b << " rests " << bs.resting << " > cap; ";
    if (bs.high_water > bs.cap) out << "bucket " << b << " high water " << bs.high_water << " > cap; ";
    if (bs.resting_thread_local > max_caches) out << "bucket " << b << " slots " << bs.resting_thread_local << "; ";
    if (!earlier.buckets.empty()) {
      const BucketStats& eb = earlier.buckets[b];
      if (bs.rents < eb.rents || bs.fresh < eb.fresh || bs.drops < eb.drops || bs.high_water < eb.high_water) {
        out << "bucket " << b << " went back; ";
      }
    }
    rents += bs.rents;
    fresh += bs.fresh;
    drops += bs.drops;
  }
  if (rents + s.oversize_rents != s.rents) out << "bucket rents " << rents << " + oversize != rents " << s.rents << "; ";
  if (quiescent && fresh + s.oversize_rents != s.fresh_allocations) out << "bucket fresh + oversize != fresh_allocations; ";
  if (quiescent && drops != s.drops) out << "bucket drops " << drops << " != drops " << s.drops << "; ";
  if (s.thread_local_hits > s.hits) out << "thread_local_hits > hits; ";
  if (s.oversize_rents != 0) out << "oversize rents " << s.oversize_rents << " (none were made); ";
  if (s.trimmed < trimmed_by_reader) out << "trimmed " << s.trimmed << " < the reader's own trims " << trimmed_by_reader << "; ";
  if (s.rents < earlier.rents || s.hits < earlier.hits || s.thread_local_hits < earlier.thread_local_hits ||
      s.fresh_allocations < earlier.fresh_allocations || s.drops < earlier.drops || s.trimmed < earlier.trimmed) {
    out << "a pool counter went back; ";
  }
  return out.str();
}

TEST(PoolConcurrency, TrimAndStatsRunSafelyWhileThreadsRentAndGiveBack) {
  AllocationLog log;
  std::atomic<int> corrupt{0};
  {
    const auto options = testing::small_shared(2, 4);
    SharedArrayPool<std::uint32_t, CountedPolicy> pool(options, CountingAllocator(&log));
    const std::size_t bucket_cap = options.partitions * options.arrays_per_partition;
    const std::size_t max_caches = kThreads + 2;  // the hammer's threads, the janitor, this thread
    std::atomic<bool> stop{false};
    std::string broken;
    std::size_t snapshots = 0;
    std::uint64_t trimmed_by_janitor = 0;
    std::thread janitor([&] {
      PoolStats earlier;
      while (!stop.load()) {
        trimmed_by_janitor += pool.trim(TrimPressure::high);
        PoolStats s = pool.stats();
        ++snapshots;
        if (broken.empty()) broken = broken_snapshot_promise(s, earlier, bucket_cap, max_caches, trimmed_by_janitor, false);
        earlier = std::move(s);
        std::this_thread::yield();
      }
    });
    hammer(pool, corrupt);
    stop.store(true);
    janitor.join();
    EXPECT_GT(snapshots, 0u);
    EXPECT_EQ(broken, "") << "a snapshot read while busy";

    // Quiescent: every figure is exact.
    const PoolStats s = pool.stats();
    EXPECT_EQ(broken_snapshot_promise(s, PoolStats{}, bucket_cap, max_caches, trimmed_by_janitor, true), "");
    const auto total = static_cast<std::uint64_t>(kThreads * kRounds);
    EXPECT_EQ(s.rents, total);
    EXPECT_EQ(s.hits + s.fresh_allocations, s.rents);
    EXPECT_EQ(s.give_backs, total) << "every rental was given back once";
    EXPECT_GE(s.trimmed, trimmed_by_janitor);
    std::size_t resting = 0;
    for (const auto& b : s.buckets) {
      EXPECT_LE(b.resting, b.high_water);
      resting += b.resting + b.resting_thread_local;
    }
    // Every array the pool allocated rests in it, or was dropped or trimmed.
    EXPECT_EQ(s.fresh_allocations, resting + s.drops + s.trimmed);
    EXPECT_EQ(log.live_count(), resting) << "the allocator agrees on what the pool still holds";
    EXPECT_EQ(log.allocation_count(), s.fresh_allocations);
  }
  EXPECT_EQ(corrupt.load(), 0);
  EXPECT_EQ(log.live_count(), 0u);
  EXPECT_EQ(log.bad_free_count(), 0u);
}

TEST(PoolConcurrency, CheckedPoolsReportNothingForCorrectCrossThreadUse) {
  // Checked mode's registry and ASan poisoning follow each array across threads: a correct program
  // with hand-offs must produce no violation (the default handler would abort).
  std::atomic<int> corrupt{0};
  LockedArrayPool<std::uint32_t, CheckedPoolPolicy> locked(PoolOptions{4096, 4});
  hammer(locked, corrupt);
  SharedArrayPool<std::uint32_t, CheckedPoolPolicy> shared(testing::small_shared(2, 4));
  hammer(shared, corrupt);
  EXPECT_EQ(corrupt.load(), 0);
  const auto s = shared.stats();
  EXPECT_EQ(s.rents, s.hits + s.fresh_allocations);
}

TEST(PoolConcurrency, ShortLivedThreadsReturnTheirSlotsAndLoseNoArray) {
  AllocationLog log;
  {
    SharedArrayPool<std::uint32_t, CountedPolicy> pool(testing::small_shared(2, 8), CountingAllocator(&log));
    for (int wave = 0; wave < 4; ++wave) {
      std::vector<std::thread> threads;
      for (int t = 0; t < 8; ++t) {
        threads.emplace_back([&pool, t] {
          for (std::size_t n : {16u, 64u, 64u, 500u}) {
            auto a = pool.rent(n + static_cast<std::size_t>(t));
            a[0] = static_cast<std::uint32_t>(t);
            pool.give_back(a);
          }
        });
      }
      for (auto& th : threads) th.join();
      // Every thread has exited: nothing rests in a slot, and the books balance.
      const auto s = pool.stats();
      std::size_t in_slots = 0, resting = 0;
      for (const auto& b : s.buckets) {
        in_slots += b.resting_thread_local;
        resting += b.resting;
        EXPECT_LE(b.resting, b.cap);
      }
      EXPECT_EQ(in_slots, 0u);
      EXPECT_EQ(log.live_count(), resting) << "wave " << wave;
      EXPECT_EQ(log.allocation_count(), log.free_count() + resting);
      EXPECT_EQ(s.rents, static_cast<std::uint64_t>((wave + 1) * 8 * 4));
      EXPECT_EQ(s.rents, s.hits + s.fresh_allocations);
    }
  }
  EXPECT_EQ(log.live_count(), 0u);
  EXPECT_EQ(log.bad_free_count(), 0u);
}

TEST(PoolConcurrency, PoolDestroyedWhileItsThreadsLiveOnLeaksNothingAndTheyExitCleanly) {
  AllocationLog log;
  constexpr int kWorkers = 6;
  std::atomic<int> used{0};
  std::atomic<bool> destroyed{false};
  std::atomic<int> corrupt{0};
  auto pool = std::make_unique<SharedArrayPool<std::uint32_t, CountedPolicy>>(testing::small_shared(2, 2),
                                                                              CountingAllocator(&log));
  std::vector<std::thread> workers;
  for (int t = 0; t < kWorkers; ++t) {
    workers.emplace_back([&, t] {
      for (std::size_t n : {16u, 32u, 200u}) pool->give_back(pool->rent(n));  // slots filled
      used.fetch_add(1);
      while (!destroyed.load()) std::this_thread::yield();
      // A new pool of the same type on a thread whose cache list still names the dead one.
      AllocationLog mine;
      {
        SharedArrayPool<std::uint32_t, CountedPolicy> next(testing::small_shared(1, 1), CountingAllocator(&mine));
        auto a = next.rent(16);
        a[0] = static_cast<std::uint32_t>(t);
        next.give_back(a);
        auto b = next.rent(16);
        if (b.data() != a.data() || b[0] != static_cast<std::uint32_t>(t)) corrupt.fetch_add(1);
        next.give_back(b);
      }
      if (mine.live_count() != 0 || mine.bad_free_count() != 0) corrupt.fetch_add(1);
    });
  }
  while (used.load() != kWorkers) std::this_thread::yield();
  pool.reset();
  EXPECT_EQ(log.live_count(), 0u) << "the destructor freed every thread's slots and the partitions";
  destroyed.store(true);
  for (auto& w : workers) w.join();
  EXPECT_EQ(corrupt.load(), 0);
  EXPECT_EQ(log.bad_free_count(), 0u);
}

// RapidCheck is not thread-safe: the per-thread size lists are generated here, the workers get plain
// vectors, and every RC_ASSERT runs on this thread after join.
RC_GTEST_PROP(PoolConcurrency, GeneratedWorkloadsNeverShareAnArrayAcrossThreads, ()) {
  const std::size_t threads = *rc::gen::inRange<std::size_t>(4, 9);
  std::vector<std::vector<std::size_t>> sizes(threads);
  for (auto& list : sizes) {
    list = *rc::gen::container<std::vector<std::size_t>>(20, poolcheck::gen::bucket_edge_size(1024, 10));
  }
  const bool shared_flavour = *rc::gen::arbitrary<bool>();
  AllocationLog log;
  std::vector<int> corrupt(threads, 0);
  const auto run = [&](auto& pool) {
    std::vector<std::thread> workers;
    for (std::size_t t = 0; t < threads; ++t) {
      workers.emplace_back([&, t] {
        // Each array holds `mark` over its requested length until it is given back.
        std::vector<std::pair<std::span<std::uint32_t>, std::size_t>> held;  // (array, requested)
        const auto mark = static_cast<std::uint32_t>(0xC0000000u | t);
        const auto give_back_all = [&] {
          for (auto [a, n] : held) {
            const auto mine = a.first(n);
            if (!std::all_of(mine.begin(), mine.end(), [mark](std::uint32_t v) { return v == mark; })) ++corrupt[t];
            pool.give_back(a);
          }
          held.clear();
        };
        for (std::size_t n : sizes[t]) {
          auto a = pool.rent(n);
          if (a.size() < n) ++corrupt[t];
          std::fill(a.begin(), a.begin() + static_cast<std::ptrdiff_t>(n), mark);
          held.emplace_back(a, n);
          if (held.size() == 3) give_back_all();  // hold a few at once
        }
        give_back_all();
      });
    }
    for (auto& w : workers) w.join();
  };
  std::size_t rents = 0;
  for (const auto& list : sizes) rents += list.size();
  PoolStats s;
  if (shared_flavour) {
    SharedArrayPool<std::uint32_t, CountedPolicy> pool(testing::small_shared(2, 2), CountingAllocator(&log));
    run(pool);
    s = pool.stats();
  } else {
    LockedArrayPool<std::uint32_t, CountedPolicy> pool(PoolOptions{1024, 2}, CountingAllocator(&log));
    run(pool);
    s = pool.stats();
  }
  for (int c : corrupt) RC_ASSERT(c == 0);
  RC_ASSERT(s.rents == rents);
  RC_ASSERT(s.hits + s.fresh_allocations == s.rents);
  for (const auto& b : s.buckets) RC_ASSERT(b.high_water <= b.cap);
  RC_ASSERT(log.live_count() == 0u);
  RC_ASSERT(log.bad_free_count() == 0u);
}

}  // namespace
}  // namespace bufpool
