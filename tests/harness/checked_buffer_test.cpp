// CheckedBuffer and WorkerContext: every consumer check fires on a hand-made misuse and stays silent
// on correct use, on both flavours; a mutant pool's shared array shows up as changed bytes.
#include "poolcheck/workload/checked_buffer.hpp"

#include <gtest/gtest.h>

#include <string_view>

#include "bufpool/array_pool.hpp"
#include "bufpool/testing/faults.hpp"
#include "deliberate_leak.hpp"
#include "poolcheck/workload/counted_pool.hpp"

namespace poolcheck {
namespace {

using LockedPool = bufpool::LockedArrayPool<char, HarnessPolicy>;
using SharedPool = bufpool::SharedArrayPool<char, HarnessPolicy>;

// One worker's context on the test's own thread.
struct Worker {
  RunState state{1, 0};
  WorkloadLimits limits;
  WorkerLog log;
  WorkerContext ctx{0, 1, 42, state, limits, log};

  Worker() { limits.hold_limit = std::chrono::milliseconds(20); }

  std::vector<OracleKind> found() const {
    std::vector<OracleKind> kinds;
    for (const auto& v : log.violations) kinds.push_back(v.oracle);
    return kinds;
  }
};

std::span<const char> text(std::string_view s) { return {s.data(), s.size()}; }

PoolSettings small_pools() {
  PoolSettings s;
  s.max_array_length = 4096;
  s.max_per_bucket = 4;
  s.partitions = 2;
  s.arrays_per_partition = 4;
  return s;
}

template <class Pool>
class CheckedBufferTest : public ::testing::Test {};
using Flavours = ::testing::Types<LockedPool, SharedPool>;
TYPED_TEST_SUITE(CheckedBufferTest, Flavours);

TYPED_TEST(CheckedBufferTest, CorrectUseIsCleanAndTheRunFinishesClean) {
  CountedPool<TypeParam> pool(small_pools());
  Worker w;
  {
    auto b = CheckedBuffer<TypeParam>::rent(w.ctx, pool.ref(), 100);
    ASSERT_TRUE(b.live());
    EXPECT_EQ(b.size(), 100u);
    EXPECT_EQ(b.capacity(), 128u);
    EXPECT_TRUE(b.fresh());
    ASSERT_TRUE(b.write(0, text("hello")));
    const auto got = b.read(0, 5);
    EXPECT_EQ(std::string_view(got.data(), got.size()), "hello");
    EXPECT_TRUE(b.verify());
    b.give_back();
    EXPECT_FALSE(b.live());
    auto again = CheckedBuffer<TypeParam>::rent(w.ctx, pool.ref(), 100);
    EXPECT_FALSE(again.fresh()) << "the array given back must be served again";
  }  // `again` is managed: dropping it gives it back
  EXPECT_TRUE(w.log.violations.empty());
  EXPECT_EQ(w.ctx.live_leases(), 0u);
  RunOutcome out;
  out.rents = w.log.rents;
  pool.finish(out, HarnessCounts{w.log.rents, w.log.give_backs, w.log.rents_by_bucket});
  EXPECT_TRUE(out.violations.empty()) << to_string(out.violations.front());
}

TYPED_TEST(CheckedBufferTest, WritingPastTheRequestedLengthIsOverflow) {
  CountedPool<TypeParam> pool(small_pools());
  Worker w;
  auto b = CheckedBuffer<TypeParam>::rent(w.ctx, pool.ref(), 100);
  EXPECT_FALSE(b.write(98, text("abcde")));
  ASSERT_EQ(w.found(), std::vector{OracleKind::overflow});
  EXPECT_EQ(w.log.violations[0].offset, 100u);
  EXPECT_NE(w.log.violations[0].what.find("slack"), std::string::npos);
}

TYPED_TEST(CheckedBufferTest, ReadingWhatWasNeverWrittenIsADirtyRead) {
  CountedPool<TypeParam> pool(small_pools());
  Worker w;
  auto b = CheckedBuffer<TypeParam>::rent(w.ctx, pool.ref(), 100);
  ASSERT_TRUE(b.write(0, text("0123456789")));
  EXPECT_TRUE(b.read(0, 11).empty());
  ASSERT_EQ(w.found(), std::vector{OracleKind::dirty_read});
  EXPECT_EQ(w.log.violations[0].offset, 10u);
}

TYPED_TEST(CheckedBufferTest, ReadingTheWholeCapacityIsADirtyRead) {
  CountedPool<TypeParam> pool(small_pools());
  Worker w;
  auto b = CheckedBuffer<TypeParam>::rent(w.ctx, pool.ref(), 100);
  std::string full(100, 'x');
  ASSERT_TRUE(b.write(0, text(full)));
  EXPECT_TRUE(b.read(0, b.capacity()).empty());
  ASSERT_EQ(w.found(), std::vector{OracleKind::dirty_read});
  EXPECT_NE(w.log.violations[0].what.find("past its requested length"), std::string::npos);
}

TYPED_TEST(CheckedBufferTest, EveryAccessAfterGiveBackIsReported) {
  CountedPool<TypeParam> pool(small_pools());
  Worker w;
  auto b = CheckedBuffer<TypeParam>::rent(w.ctx, pool.ref(), 64);
  ASSERT_TRUE(b.write(0, text("abc")));
  b.give_back();
  EXPECT_FALSE(b.write(0, text("x")));
  EXPECT_TRUE(b.read(0, 1).empty());
  b.give_back();
  EXPECT_EQ(w.found(), (std::vector{OracleKind::use_after_give_back, OracleKind::use_after_give_back,
                                    OracleKind::use_after_give_back}));
}

TYPED_TEST(CheckedBufferTest, ThePoolsOwnLeaseGivesBackOnDrop) {
  CountedPool<TypeParam> pool(small_pools());
  Worker w;
  {
    auto b = CheckedBuffer<TypeParam>::rent(w.ctx, pool.ref(), 300, Ownership::lease);
    ASSERT_TRUE(b.live());
    EXPECT_EQ(w.ctx.live_leases(), 1u);
    ASSERT_TRUE(b.write(0, text("leased")));
  }
  EXPECT_EQ(w.ctx.live_leases(), 0u);
  EXPECT_TRUE(w.log.violations.empty());
  RunOutcome out;
  pool.finish(out, HarnessCounts{w.log.rents, w.log.give_backs, w.log.rents_by_bucket});
  EXPECT_TRUE(out.violations.empty()) << to_string(out.violations.front());
}

TYPED_TEST(CheckedBufferTest, DroppingAManualLeaseLosesTheArrayAndIsReported) {
  testing::DeliberateLeak lost;  // the dropped array and the pool kept after the finding
  CountedPool<TypeParam> pool(small_pools());
  Worker w;
  { auto b = CheckedBuffer<TypeParam>::rent(w.ctx, pool.ref(), 64, Ownership::manual); }
  ASSERT_EQ(w.found(), std::vector{OracleKind::accounting});
  EXPECT_NE(w.log.violations[0].what.find("without giving it back"), std::string::npos);
  RunOutcome out;
  out.violations = w.log.violations;
  pool.finish(out);
  EXPECT_EQ(out.end, RunEnd::violation);
}

TYPED_TEST(CheckedBufferTest, HoldingAnArrayAcrossALongWaitIsStarvation) {
  CountedPool<TypeParam> pool(small_pools());
  Worker w;
  w.ctx.wait(std::chrono::milliseconds(40), "nothing held");
  auto b = CheckedBuffer<TypeParam>::rent(w.ctx, pool.ref(), 64);
  w.ctx.wait(std::chrono::milliseconds(1), "a short wait");
  EXPECT_TRUE(w.log.violations.empty());
  w.ctx.wait(std::chrono::milliseconds(40), "a slow client");
  ASSERT_EQ(w.found(), std::vector{OracleKind::starvation});
  EXPECT_NE(w.log.violations[0].what.find("a slow client"), std::string::npos);
}

TEST(CheckedBufferMutant, AnArrayPushedTwiceShowsAsAliasingThenChangedBytes) {
  testing::DeliberateLeak kept;  // the double-pushed pool is kept, not destroyed (see finish)
  using Pool = bufpool::LockedArrayPool<char, bufpool::testing::WithFaults<HarnessPolicy, static_cast<std::uint32_t>(bufpool::testing::Fault::double_push)>>;
  CountedPool<Pool> pool(small_pools());
  Worker w;
  w.limits.stop_on_first_violation = false;
  auto first = CheckedBuffer<Pool>::rent(w.ctx, pool.ref(), 64);
  auto second = CheckedBuffer<Pool>::rent(w.ctx, pool.ref(), 64);
  first.give_back();  // two arrays out, so the mutant pushes this one twice: the next two renters share it
  auto a = CheckedBuffer<Pool>::rent(w.ctx, pool.ref(), 64);
  auto b = CheckedBuffer<Pool>::rent(w.ctx, pool.ref(), 64);
  ASSERT_EQ(w.found(), std::vector{OracleKind::aliasing});
  ASSERT_TRUE(a.write(0, text("mine")));
  ASSERT_TRUE(b.write(0, text("ours")));
  EXPECT_FALSE(a.verify());
  ASSERT_EQ(w.found(), (std::vector{OracleKind::aliasing, OracleKind::exclusivity}));
  EXPECT_EQ(w.log.violations[1].offset, 0u);
  RunOutcome out;
  out.violations = w.log.violations;
  pool.finish(out);  // leaks: a double-pushed pool would free the array twice
  // Neither lease may go back to the pool now; the test's own pool is leaked with them.
  new CheckedBuffer<Pool>(std::move(a));
  new CheckedBuffer<Pool>(std::move(b));
  new CheckedBuffer<Pool>(std::move(second));
}

TEST(CheckedBufferStats, CheckPoolStatsComparesRentsGiveBacksAndAllocations) {
  AllocationLedger ledger(1, SizeClasses::bufpool(1024));
  bufpool::PoolStats s;
  s.rents = 3;
  s.hits = 1;
  s.fresh_allocations = 2;
  s.give_backs = 2;
  ledger.allocations.store(2);
  EXPECT_FALSE(check_pool_stats(s, HarnessCounts{3, 2, std::nullopt}, ledger));
  EXPECT_FALSE(check_pool_stats(s, std::nullopt, ledger));
  EXPECT_TRUE(check_pool_stats(s, HarnessCounts{4, 2, std::nullopt}, ledger));
  const auto miscounted = check_pool_stats(s, HarnessCounts{3, 3, std::nullopt}, ledger);
  ASSERT_TRUE(miscounted);
  EXPECT_NE(miscounted->what.find("2 give_backs; the harness made 3"), std::string::npos) << miscounted->what;
  ledger.allocations.store(5);
  EXPECT_TRUE(check_pool_stats(s, std::nullopt, ledger));
}

TEST(CheckedBufferStats, AnOverSizeArrayRestingAtQuiescenceIsReported) {
  AllocationLedger ledger(1, SizeClasses::bufpool(1024));
  PoolFacts facts{SizeClasses::bufpool(1024), 4, 0, true, true};
  RunOutcome out;
  check_quiescent_ledger(ledger, facts, out);
  EXPECT_TRUE(out.violations.empty());
  ledger.exact[kLedgerRows - 1].at_rest.store(1);
  check_quiescent_ledger(ledger, facts, out);
  ASSERT_EQ(out.violations.size(), 1u);
  EXPECT_EQ(out.violations[0].oracle, OracleKind::size_contract);
}

}  // namespace
}  // namespace poolcheck
