#include "poolcheck/oracles/size_contract_oracle.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "bufpool/array_pool.hpp"
#include "harness/oracle_fixtures.hpp"
#include "poolcheck/lease_checks.hpp"
#include "poolcheck/run_state.hpp"

namespace poolcheck {
namespace {

constexpr Tag kTag{1, 1};
const SizeClasses kClasses = SizeClasses::bufpool(1024);

std::optional<Violation> check(std::size_t requested, std::size_t size, bool next_ok = false,
                               const ArrayHeader* header = nullptr, bool counted = false) {
  static std::byte dummy[64];
  return SizeContractOracle::check_rent(kTag, requested, size ? dummy : nullptr, size, 1, kClasses, next_ok, header,
                                        counted);
}

TEST(SizeContractOracle, CorrectSizesAreClean) {
  EXPECT_FALSE(check(0, 0));
  EXPECT_FALSE(check(1, 16));
  EXPECT_FALSE(check(17, 32));
  EXPECT_FALSE(check(1024, 1024));
  EXPECT_FALSE(check(5000, 5000)) << "over-size: exact";
  EXPECT_FALSE(check(17, 64, /*next_ok=*/true)) << "locked exhaustion: the next bucket";
}

TEST(SizeContractOracle, WrongSizesAreReported) {
  EXPECT_TRUE(check(0, 16)) << "rent(0) must be empty";
  EXPECT_TRUE(check(100, 64)) << "smaller than asked";
  EXPECT_TRUE(check(17, 64)) << "not its bucket";
  EXPECT_TRUE(check(17, 128, true)) << "two buckets up";
  EXPECT_TRUE(check(5000, 8192)) << "over-size must be exact";
  const auto v = check(100, 64);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->oracle, OracleKind::size_contract);
}

TEST(SizeContractOracle, SpanLargerThanItsAllocationIsReported) {
  testing::CountedArray a(32);
  EXPECT_FALSE(SizeContractOracle::check_rent(kTag, 20, a.data, 32, 1, kClasses, false, &a.header(), true));
  const auto v = SizeContractOracle::check_rent(kTag, 40, a.data, 64, 1, kClasses, false, &a.header(), true);
  ASSERT_TRUE(v);
  EXPECT_NE(v->what.find("over an allocation of only 32 bytes"), std::string::npos) << v->what;
  EXPECT_TRUE(SizeContractOracle::check_rent(kTag, 20, a.data, 32, 1, kClasses, false, nullptr, true))
      << "counted pool, but not the start of any allocation";
}

TEST(SizeContractOracle, FallingBackIsAllowedOnlyWhenTheQuotaCanHaveBeenOut) {
  // The rent itself counts in most_out; the others must reach the quota.
  EXPECT_FALSE(SizeContractOracle::check_fallback(kTag, 17, 64, /*most_out=*/3, /*quota=*/2));
  const auto v = SizeContractOracle::check_fallback(kTag, 17, 64, 2, 2);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->oracle, OracleKind::size_contract);
  EXPECT_NE(v->what.find("at most 1 arrays of the requested bucket"), std::string::npos) << v->what;
}

// The real locked pool over a counted allocator, or (kRoundsUp) a wrapper that serves every
// request within the buckets from the next bucket, as a pool that "falls back" without testing
// for exhaustion would: check_rent alone allows it (one bucket up), the ledger does not.
template <bool kRoundsUp>
struct LockedForTest {
  using value_type = std::byte;
  bufpool::LockedArrayPool<std::byte, HarnessPolicy> inner;
  LockedForTest(CountingArrayAllocator allocator, std::size_t cap) : inner(bufpool::PoolOptions{1024, cap}, allocator) {}
  std::span<std::byte> rent(std::size_t n) {
    if (kRoundsUp && n != 0 && n <= inner.largest_bucket() / 2) {
      return inner.rent(bufpool::bucket_capacity(bufpool::bucket_index(n)) * 2);
    }
    return inner.rent(n);
  }
  void give_back(std::span<std::byte> a, bool clear) { inner.give_back(a, clear); }
};

template <bool kRoundsUp>
struct FallbackRig {
  static constexpr std::size_t kCap = 2;
  AllocationLedger ledger{1, SizeClasses::bufpool(1024)};
  LockedForTest<kRoundsUp> pool{CountingArrayAllocator(&ledger), kCap};
  PoolRef<LockedForTest<kRoundsUp>> ref{&pool, PoolFacts{SizeClasses::bufpool(1024), kCap, 0, true, true}, &ledger};
  RunState state{1, 0};
  WorkloadLimits limits;
  WorkerLog log;
  WorkerContext ctx{0, 1, 42, state, limits, log};
  std::vector<CheckedLease<std::byte>> held;
  std::uint32_t op = 0;

  std::size_t rent(std::size_t n) {
    auto l = rent_checked(ctx, ref, n, Tag{0, op++}, RentVia::rent);
    if (!l) return 0;
    held.push_back(std::move(*l));
    return held.back().span.size();
  }
  void give_back_all() {
    for (auto& l : held) give_back_checked(ctx, ref, std::move(l), false);
    held.clear();
  }
};

TEST(SizeContractOracle, TheLockedPoolFallsBackOnlyWhenExhaustedAndIsNeverReported) {
  FallbackRig<false> rig;
  EXPECT_EQ(rig.rent(17), 32u);
  EXPECT_EQ(rig.rent(17), 32u);
  EXPECT_EQ(rig.rent(17), 64u) << "bucket 32 exhausted (2 of 2 out): the next one serves";
  rig.give_back_all();
  EXPECT_EQ(rig.rent(17), 32u);
  rig.give_back_all();
  EXPECT_TRUE(rig.log.violations.empty()) << to_string(rig.log.violations.front());
  EXPECT_EQ(rig.log.checks[static_cast<std::size_t>(OracleKind::size_contract)], 5u) << "4 rents and the fallback";
}

TEST(SizeContractOracle, APoolThatRoundsUpWithoutExhaustionIsReported) {
  FallbackRig<true> rig;
  EXPECT_EQ(rig.rent(17), 64u);
  rig.give_back_all();
  ASSERT_EQ(rig.log.violations.size(), 1u);
  const Violation& v = rig.log.violations.front();
  EXPECT_EQ(v.oracle, OracleKind::size_contract);
  EXPECT_NE(v.what.find("at most 0 arrays of the requested bucket"), std::string::npos) << v.what;
  EXPECT_NE(v.what.find("not exhausted"), std::string::npos) << v.what;
}

}  // namespace
}  // namespace poolcheck
