// The oracles that count from outside the pool: bucket cap and accounting.
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <string>
#include <vector>

#include "poolcheck/counting_allocator.hpp"
#include "poolcheck/oracles/accounting_oracle.hpp"
#include "poolcheck/oracles/bucket_cap_oracle.hpp"
#include "poolcheck/run_state.hpp"
#include "poolcheck/workload/counted_pool.hpp"

namespace poolcheck {
namespace {

struct Ledgered {
  AllocationLedger ledger{1, SizeClasses::bufpool(64)};  // 16, 32, 64
  CountingArrayAllocator allocator{&ledger};
  std::vector<void*> arrays;
  void* allocate(std::size_t bytes) {
    arrays.push_back(allocator.allocate(bytes, 64));
    return arrays.back();
  }
  void free(void* p, std::size_t bytes) {
    allocator.deallocate(p, bytes, 64);
    arrays.erase(std::find(arrays.begin(), arrays.end(), p));
  }
  ~Ledgered() {
    for (void* p : arrays) allocator.deallocate(p, CountingArrayAllocator::header_of(p)->bytes, 64);
  }
};

TEST(BucketCapOracle, FiresExactlyAboveTheCap) {
  Ledgered l;
  for (int i = 0; i < 6; ++i) l.allocate(16);  // six arrays of bucket 0, none leased: resting
  EXPECT_FALSE(BucketCapOracle::check(l.ledger, 6, "at quiescence"));
  const auto v = BucketCapOracle::check(l.ledger, 5, "at quiescence");
  ASSERT_TRUE(v);
  EXPECT_EQ(v->oracle, OracleKind::bucket_cap);
  EXPECT_EQ(v->capacity, 16u);
  EXPECT_NE(v->what.find("at least 6 arrays of 16 elements (bucket 0) at quiescence"), std::string::npos) << v->what;
}

TEST(BucketCapOracle, LeasedArraysDoNotCountAsRestingUntilTheirGiveBackReturned) {
  Ledgered l;
  for (int i = 0; i < 6; ++i) l.allocate(32);
  for (int i = 0; i < 3; ++i) l.ledger.on_leased(32);
  EXPECT_FALSE(BucketCapOracle::check(l.ledger, 3, "at quiescence"));
  // mid-give_back: the pool may already rest it, but until the call returns it counts as held
  EXPECT_FALSE(BucketCapOracle::check(l.ledger, 3, "while running"));
  l.ledger.on_returned(32);
  EXPECT_TRUE(BucketCapOracle::check(l.ledger, 3, "at quiescence"));
}

// A rent in flight may have popped an array (or be allocating one) that no lease holds yet: it is
// never counted as resting, so a pool at its cap with a rent mid-way is not reported.
TEST(BucketCapOracle, AnArrayARentIsMovingIsNotResting) {
  Ledgered l;
  for (int i = 0; i < 3; ++i) l.allocate(16);      // three resting: the cap
  l.ledger.begin_rent(0, /*next_too=*/false);      // a rent pops one...
  l.allocate(16);                                  // ...and a give_back pushes a fourth meanwhile
  EXPECT_FALSE(BucketCapOracle::check(l.ledger, 3, "while running"));
  l.ledger.on_leased(16);
  l.ledger.end_rent(0, false);
  EXPECT_FALSE(BucketCapOracle::check(l.ledger, 3, "at quiescence"));
  l.allocate(16);                                  // a fourth resting with nothing in flight: above the cap
  EXPECT_TRUE(BucketCapOracle::check(l.ledger, 3, "at quiescence"));
}

// The `out` word: held + renting, and a count of every increase, so a reader that looked before
// and after a call bounds the most that were out in between.
TEST(AllocationLedger, OutCountsHeldAndRentingAndEveryIncrease) {
  AllocationLedger l(1, SizeClasses::bufpool(64));
  const std::uint64_t before = l.begin_rent(0, /*next_too=*/true);
  EXPECT_EQ(AllocationLedger::out_count(before), 1);
  EXPECT_EQ(AllocationLedger::out_count(l.exact[1].out.load()), 1) << "a rent that may fall back counts in the next row";
  l.on_leased(16);
  l.end_rent(0, true);
  EXPECT_EQ(AllocationLedger::out_count(l.exact[0].out.load()), 1) << "held";
  EXPECT_EQ(AllocationLedger::out_count(l.exact[1].out.load()), 0);
  l.on_returned(16);
  const std::uint64_t after = l.exact[0].out.load();
  EXPECT_EQ(AllocationLedger::out_count(after), 0);
  EXPECT_EQ(AllocationLedger::out_increases(after) - AllocationLedger::out_increases(before), 1u);
}

// A rent that takes an array of its own row moves renting to held in one step: the words end as
// the two steps (on_leased, then end_rent) leave them.
TEST(AllocationLedger, ARentBecomingALeaseInOneStepEndsAsTheTwoSteps) {
  Ledgered one, two;
  for (Ledgered* l : {&one, &two}) {
    l->allocate(16);  // one resting array of row 0
    l->ledger.begin_rent(0, /*next_too=*/false);
  }
  one.ledger.on_rent_became_lease(0);
  one.ledger.end_rent(0, false, /*row_still_renting=*/false);
  two.ledger.on_leased(16);
  two.ledger.end_rent(0, false);
  EXPECT_EQ(one.ledger.exact[0].at_rest.load(), 0);
  EXPECT_EQ(one.ledger.exact[0].at_rest.load(), two.ledger.exact[0].at_rest.load());
  EXPECT_EQ(one.ledger.exact[0].out.load(), two.ledger.exact[0].out.load());
}

TEST(AccountingOracle, AllFreedIsCleanAndALostArrayIsReportedByBucket) {
  Ledgered clean;
  clean.free(clean.allocate(64), 64);
  EXPECT_FALSE(AccountingOracle::check_after_destroy(clean.ledger));

  Ledgered lost;
  lost.allocate(64);
  const auto v = AccountingOracle::check_after_destroy(lost.ledger);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->oracle, OracleKind::accounting);
  EXPECT_NE(v->what.find("1 of 64 elements"), std::string::npos) << v->what;
}

TEST(AccountingOracle, FreeingForeignMemoryIsReported) {
  Ledgered l;
  alignas(64) static std::byte foreign[128];
  l.allocator.deallocate(foreign + 64, 64, 64);
  const auto v = AccountingOracle::check_after_destroy(l.ledger);
  ASSERT_TRUE(v);
  EXPECT_NE(v->what.find("never allocated"), std::string::npos);
}

// The statistics oracle per bucket: a real pool run through the checked path (every bucket figure
// exercised: hits, fresh arrays, a fallback, drops, over-size, a slot), then its stats compared at
// quiescence; a pool that misreports any one per-bucket figure while keeping every total right
// (the "wrapper" is the edit of its stats below) is caught.
template <class Pool>
struct StatsRig {
  CountedPool<Pool> pool{[] {
    PoolSettings s;
    s.max_array_length = 1024;
    s.max_per_bucket = 2;
    s.partitions = 1;
    s.arrays_per_partition = 2;
    return s;
  }()};
  RunState state{1, 0};
  WorkloadLimits limits;
  WorkerLog log;
  WorkerContext ctx{0, 1, 42, state, limits, log};

  StatsRig() {
    std::vector<CheckedLease<std::byte>> held;
    std::uint32_t op = 0;
    auto rent = [&](std::size_t n) {
      if (auto l = rent_checked(ctx, pool.ref(), n, Tag{0, op++}, RentVia::rent)) held.push_back(std::move(*l));
    };
    auto give_back_all = [&] {
      for (auto& l : held) give_back_checked(ctx, pool.ref(), std::move(l), false);
      held.clear();
    };
    // Bucket 32 (cap 2): two fresh; the locked pool then falls back to 64 twice and allocates two
    // more of 32 when both are exhausted, the shared one allocates four more.
    for (int i = 0; i < 6; ++i) rent(20);
    if (pool.facts().largest_bucket() < 4096) rent(4096);  // over-size (the shared pool's buckets reach 2^30)
    rent(16);
    give_back_all();                       // a full bucket drops
    rent(20);                              // a hit
    rent(16);
    give_back_all();
  }
  HarnessCounts counts() const { return HarnessCounts{log.rents, log.give_backs, log.rents_by_bucket}; }
};

template <class Pool>
class StatsOracleTest : public ::testing::Test {};
using StatsPools = ::testing::Types<bufpool::LockedArrayPool<std::byte, HarnessPolicy>,
                                    bufpool::SharedArrayPool<std::byte, HarnessPolicy>>;
TYPED_TEST_SUITE(StatsOracleTest, StatsPools);

TYPED_TEST(StatsOracleTest, TheRealPoolsPerBucketFiguresMatchTheHarnesssCounts) {
  StatsRig<TypeParam> rig;
  ASSERT_TRUE(rig.log.violations.empty()) << to_string(rig.log.violations.front());
  const bufpool::PoolStats s = rig.pool.pool().stats();
  EXPECT_GT(s.buckets[1].drops, 0u);
  EXPECT_EQ(s.oversize_rents > 0, rig.pool.facts().largest_bucket() < 4096);
  const auto v = check_pool_stats(s, rig.counts(), rig.pool.ledger());
  EXPECT_FALSE(v.has_value()) << to_string(*v);
  RunOutcome out;
  rig.pool.finish(out, rig.counts());
  EXPECT_TRUE(out.violations.empty()) << to_string(out.violations.front());
}

TYPED_TEST(StatsOracleTest, AMisreportedPerBucketFigureIsCaughtWhenEveryTotalIsRight) {
  StatsRig<TypeParam> rig;
  const bufpool::PoolStats real = rig.pool.pool().stats();
  const std::size_t b16 = 0, b32 = 1;
  const std::vector<std::pair<std::string, std::function<void(bufpool::PoolStats&)>>> misreports = {
      {"rents in the bucket of 16", [&](bufpool::PoolStats& s) { --s.buckets[b16].rents; ++s.buckets[b32].rents; }},
      {"fresh arrays in the bucket of 16", [&](bufpool::PoolStats& s) { --s.buckets[b16].fresh; ++s.buckets[b32].fresh; }},
      {"drops in the bucket of 16", [&](bufpool::PoolStats& s) { ++s.buckets[b16].drops; --s.buckets[b32].drops; }},
      {"arrays resting in the bucket of 16", [&](bufpool::PoolStats& s) { ++s.buckets[b16].resting; }},
      {"arrays resting in the bucket of 32", [&](bufpool::PoolStats& s) { ++s.buckets[b32].resting_thread_local; }},
      {"over-size rents", [&](bufpool::PoolStats& s) { ++s.oversize_rents; }},
      {"trimmed", [&](bufpool::PoolStats& s) { ++s.trimmed; }},
  };
  for (const auto& [what, edit] : misreports) {
    bufpool::PoolStats s = real;
    edit(s);
    const auto v = check_pool_stats(s, rig.counts(), rig.pool.ledger());
    ASSERT_TRUE(v.has_value()) << what;
    EXPECT_EQ(v->oracle, OracleKind::stats);
    EXPECT_NE(v->what.find(what), std::string::npos) << what << ": " << v->what;
  }
}

}  // namespace
}  // namespace poolcheck
