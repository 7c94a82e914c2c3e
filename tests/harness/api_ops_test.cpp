// The ops that reach the rest of the pool's API (trim, stats, misuse, lease moves, exit): each runs
// clean on the correct pools in the free-running executor at a few hundred threads, and each can
// fail: a hand-made broken pool (a wrapper around a real one with one bug) is caught by the oracle
// the op feeds.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <memory>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>
#include <vector>

#include "bufpool/array_pool.hpp"
#include "bufpool/buckets.hpp"
#include "bufpool/sanitizer_build.hpp"
#include "poolcheck/free_executor.hpp"
#include "poolcheck/kept_alive.hpp"
#include "poolcheck/pool_kind.hpp"
#include "poolcheck/oracles/accounting_oracle.hpp"

namespace poolcheck {
namespace {

constexpr std::size_t kLargest = 1 << 12;

// Programs of rents, writes, verifies and give_backs, plus `weight` of the op kind under test.
ProgramShape shape(std::uint32_t threads, std::uint32_t ops, OpKind kind, unsigned weight) {
  ProgramShape s;
  s.threads = threads;
  s.ops_per_thread = ops;
  s.max_array_length = kLargest;
  s.largest_common_size = kLargest;
  s.oversize_percent = 0;
  s.trim_weight = s.stats_weight = s.misuse_weight = s.lease_move_weight = s.exit_weight = 0;
  s.lease_percent = 50;
  switch (kind) {
    case OpKind::trim: s.trim_weight = weight; break;
    case OpKind::stats: s.stats_weight = weight; break;
    case OpKind::misuse: s.misuse_weight = weight; break;
    case OpKind::lease_move: s.lease_move_weight = weight; break;
    case OpKind::exit: s.exit_weight = weight; break;
    default: break;
  }
  return s;
}

// A bufpool pool over the counting allocator, with the facts its registry row gives.
template <class P>
struct Built {
  std::unique_ptr<P> pool;
  PoolFacts facts;
};
template <class T, class Policy>
Built<bufpool::LockedArrayPool<T, Policy>> build(std::type_identity<bufpool::LockedArrayPool<T, Policy>>,
                                                 CountingArrayAllocator a) {
  auto pool = std::make_unique<bufpool::LockedArrayPool<T, Policy>>(bufpool::PoolOptions{kLargest, 4}, a);
  const PoolFacts facts{SizeClasses::bufpool(pool->largest_bucket()), 4, 0, true, true};
  return {std::move(pool), facts};
}
template <class T, class Policy>
Built<bufpool::SharedArrayPool<T, Policy>> build(std::type_identity<bufpool::SharedArrayPool<T, Policy>>,
                                                 CountingArrayAllocator a) {
  bufpool::SharedPoolOptions o;
  o.partitions = 2;
  o.arrays_per_partition = 2;
  auto pool = std::make_unique<bufpool::SharedArrayPool<T, Policy>>(o, a);
  const PoolFacts facts{SizeClasses::bufpool(pool->largest_bucket()), 4, 1, true, false};
  return {std::move(pool), facts};
}

// The buckets a pool of type P (or the pool a wrapper wraps) is built with by `build`, known
// before it is built: its ledger comes first.
template <class P>
SizeClasses layout_of() {
  if constexpr (requires { typename P::inner_type; }) {
    return layout_of<typename P::inner_type>();
  } else {
    PoolSettings s;
    s.max_array_length = kLargest;
    return FamilyOfPool<P>::layout(s);
  }
}

struct OpRun {
  RunOutcome outcome;
  std::optional<Violation> accounting;  // after destroying a pool that ran clean

  std::optional<OracleKind> caught_by() const {
    if (!outcome.violations.empty()) return outcome.violations.front().oracle;
    if (accounting) return accounting->oracle;
    return std::nullopt;
  }
  std::string first() const {
    if (!outcome.violations.empty()) return to_string(outcome.violations.front());
    return accounting ? to_string(*accounting) : "";
  }
};

// Runs `programs` on a fresh pool of type P (a bufpool pool, or a wrapper with a `build`).
template <class P>
OpRun run(const ProgramSet& programs) {
  auto ledger = std::make_unique<AllocationLedger>(1, layout_of<P>());
  auto built = build(std::type_identity<P>{}, CountingArrayAllocator(ledger.get()));
  FreeExecutor<P> executor(*built.pool, built.facts, ledger.get());
  OpRun r;
  r.outcome = executor.run(programs, FreeRunConfig{});
  if (!r.outcome.violations.empty()) {
    // Never destroyed (it may hold an array twice), and kept reachable: a leak on purpose.
    keep_alive(built.pool.release());
    keep_alive(ledger.release());
    return r;
  }
  built.pool.reset();
  r.accounting = AccountingOracle::check_after_destroy(*ledger);
  return r;
}

using Locked = bufpool::LockedArrayPool<std::byte, HarnessPolicy>;
using Shared = bufpool::SharedArrayPool<std::byte, HarnessPolicy>;
using CheckedLocked = bufpool::LockedArrayPool<std::byte, CheckedHarnessPolicy>;
using CheckedShared = bufpool::SharedArrayPool<std::byte, CheckedHarnessPolicy>;

// Every correct pool, unchecked and checked, runs clean with many ops of `kind`.
void expect_clean(OpKind kind) {
  const auto programs = generate_programs(21, shape(256, 48, kind, 12));
  std::size_t of_kind = 0;
  for (const auto& t : programs.threads) {
    for (const Op& op : t.ops) of_kind += op.kind == kind;
  }
  ASSERT_GT(of_kind, 500u);
  for (const OpRun& r : {run<Locked>(programs), run<Shared>(programs), run<CheckedLocked>(programs), run<CheckedShared>(programs)}) {
    EXPECT_TRUE(r.outcome.clean()) << r.first();
    EXPECT_FALSE(r.accounting.has_value()) << r.first();
    EXPECT_EQ(r.outcome.ops_done, programs.total_ops());
  }
}

TEST(ApiOps, TrimRunsCleanOnTheCorrectPools) { expect_clean(OpKind::trim); }
TEST(ApiOps, StatsRunsCleanOnTheCorrectPools) { expect_clean(OpKind::stats); }
TEST(ApiOps, MisuseRunsCleanOnTheCorrectPools) { expect_clean(OpKind::misuse); }
TEST(ApiOps, LeaseMovesRunCleanOnTheCorrectPools) { expect_clean(OpKind::lease_move); }
TEST(ApiOps, ExitRunsCleanOnTheCorrectPools) { expect_clean(OpKind::exit); }

TEST(ApiOps, EveryOpKindTogetherRunsCleanOnTheCorrectPools) {
  auto s = shape(256, 64, OpKind::rent, 0);
  s.trim_weight = s.stats_weight = s.misuse_weight = s.lease_move_weight = s.exit_weight = 4;
  const auto programs = generate_programs(5, s);
  for (const OpRun& r : {run<Locked>(programs), run<Shared>(programs), run<CheckedLocked>(programs), run<CheckedShared>(programs)}) {
    EXPECT_TRUE(r.outcome.clean()) << r.first();
    EXPECT_FALSE(r.accounting.has_value()) << r.first();
  }
}

// A single-threaded program can give back twice on any pool where that is defined; the op must
// run clean there too (checked pools report, the ASan build throws).
TEST(ApiOps, DoubleGiveBackOfOneThreadRunsClean) {
  ProgramSet programs;
  programs.threads.resize(1);
  for (std::uint64_t size : {16u, 100u, 4096u}) {
    programs.threads[0].ops.push_back(Op{OpKind::rent, 0, false, false, 0, 0, 0, 0, size});
    programs.threads[0].ops.push_back(Op{OpKind::misuse, 0, false, false, 0, 0, 0, 0,
                                         static_cast<std::uint64_t>(Misuse::double_give_back)});
  }
  for (const OpRun& r : {run<Locked>(programs), run<CheckedLocked>(programs), run<CheckedShared>(programs)}) {
    EXPECT_TRUE(r.outcome.clean()) << r.first();
    EXPECT_FALSE(r.accounting.has_value()) << r.first();
  }
}

// ---- Broken pools: each a real pool with one bug, behind the PoolUnderTest shape ----

// What every wrapper forwards unchanged.
template <class Inner, class Policy = typename Inner::policy_type>
struct Wrapper {
  using inner_type = Inner;
  using value_type = std::byte;
  using policy_type = Policy;
  explicit Wrapper(std::unique_ptr<Inner> p) : inner(std::move(p)) {}
  std::span<std::byte> rent(std::size_t n) { return inner->rent(n); }
  void give_back(std::span<std::byte> a, bool clear) { inner->give_back(a, clear); }
  bufpool::Lease<std::byte> lease(std::size_t n, bool clear) { return inner->lease(n, clear); }
  bufpool::PoolStats stats() const { return inner->stats(); }
  std::unique_ptr<Inner> inner;
};
template <class W, class Inner>
Built<W> build_wrapper(CountingArrayAllocator a) {
  auto inner = build(std::type_identity<Inner>{}, a);
  return {std::make_unique<W>(std::move(inner.pool)), inner.facts};
}

// give_back rounds a foreign length up to its bucket instead of refusing it (the bucket of a
// length, where the contract asks for a capacity).
struct ForeignSizeAcceptingPool : Wrapper<Locked> {
  using Wrapper::Wrapper;
  void give_back(std::span<std::byte> a, bool clear) {
    if (!a.empty() && a.size() <= kLargest && !std::has_single_bit(a.size())) {
      a = std::span<std::byte>(a.data(), bufpool::bucket_capacity(bufpool::bucket_index(a.size())));
    }
    inner->give_back(a, clear);
  }
};
Built<ForeignSizeAcceptingPool> build(std::type_identity<ForeignSizeAcceptingPool>, CountingArrayAllocator a) {
  return build_wrapper<ForeignSizeAcceptingPool, Locked>(a);
}

// give_back validates the length before it looks for an empty span.
struct EmptyRefusingPool : Wrapper<Shared> {
  using Wrapper::Wrapper;
  void give_back(std::span<std::byte> a, bool clear) {
    if (a.empty()) throw std::invalid_argument("bufpool: 0 is not a bucket capacity");
    inner->give_back(a, clear);
  }
};
Built<EmptyRefusingPool> build(std::type_identity<EmptyRefusingPool>, CountingArrayAllocator a) {
  return build_wrapper<EmptyRefusingPool, Shared>(a);
}

// A checked pool whose live-array registry misses a second give_back: it drops it silently
// instead of reporting it. (It remembers what rests itself, so nothing is given back twice.)
struct SilentDoubleGiveBackPool : Wrapper<Shared, CheckedHarnessPolicy> {
  using Wrapper::Wrapper;
  std::span<std::byte> rent(std::size_t n) {
    auto a = inner->rent(n);
    std::lock_guard lock(mu);
    resting.erase(a.data());
    return a;
  }
  void give_back(std::span<std::byte> a, bool clear) {
    {
      std::lock_guard lock(mu);
      if (!a.empty() && !resting.insert(a.data()).second) return;
    }
    inner->give_back(a, clear);
  }
  std::mutex mu;
  std::set<const void*> resting;
};
Built<SilentDoubleGiveBackPool> build(std::type_identity<SilentDoubleGiveBackPool>, CountingArrayAllocator a) {
  return build_wrapper<SilentDoubleGiveBackPool, Shared>(a);
}

// lease(n) leases one element less than asked (an off-by-one in a length computation).
struct ShortLeasePool : Wrapper<Locked> {
  using Wrapper::Wrapper;
  bufpool::Lease<std::byte> lease(std::size_t n, bool clear) { return inner->lease(n > 1 ? n - 1 : n, clear); }
};
Built<ShortLeasePool> build(std::type_identity<ShortLeasePool>, CountingArrayAllocator a) {
  return build_wrapper<ShortLeasePool, Locked>(a);
}

// stats() forgets the slot hits in `hits` on every other call of a thread (a sum that skips a term).
struct ForgetfulStatsPool : Wrapper<Shared> {
  using Wrapper::Wrapper;
  bufpool::PoolStats stats() const {
    thread_local unsigned calls = 0;
    bufpool::PoolStats s = inner->stats();
    if (calls++ % 2 == 1) s.hits -= s.thread_local_hits;
    return s;
  }
};
Built<ForgetfulStatsPool> build(std::type_identity<ForgetfulStatsPool>, CountingArrayAllocator a) {
  return build_wrapper<ForgetfulStatsPool, Shared>(a);
}

// stats() reports one bucket row too few (a loop that stops one short).
struct RowShortStatsPool : Wrapper<Locked> {
  using Wrapper::Wrapper;
  bufpool::PoolStats stats() const {
    bufpool::PoolStats s = inner->stats();
    s.buckets.pop_back();
    return s;
  }
};
Built<RowShortStatsPool> build(std::type_identity<RowShortStatsPool>, CountingArrayAllocator a) {
  return build_wrapper<RowShortStatsPool, Locked>(a);
}

// trim takes an array out of the pool and forgets it (lost, never freed).
struct TrimLosingPool : Wrapper<Shared> {
  using Wrapper::Wrapper;
  std::size_t trim(bufpool::TrimPressure p) {
    const std::size_t freed = inner->trim(p);
    // Lost to the pool and the harness, which must notice; kept reachable only so that
    // LeakSanitizer does not report the loss this test makes on purpose.
    keep_alive(inner->rent(16).data());
    return freed;
  }
};
Built<TrimLosingPool> build(std::type_identity<TrimLosingPool>, CountingArrayAllocator a) {
  return build_wrapper<TrimLosingPool, Shared>(a);
}

// The same with the wrapper's trim as a plain forwarder, to show the loss comes from trim ops.
struct TrimmingShared : Wrapper<Shared> {
  using Wrapper::Wrapper;
  std::size_t trim(bufpool::TrimPressure p) { return inner->trim(p); }
};
Built<TrimmingShared> build(std::type_identity<TrimmingShared>, CountingArrayAllocator a) {
  return build_wrapper<TrimmingShared, Shared>(a);
}

// Records which OS threads called it: exit ops must make more of them than there are programs.
struct ThreadCountingPool : Wrapper<Shared> {
  using Wrapper::Wrapper;
  // Thread ids are reused once a thread is joined; a thread_local flag is new on every thread.
  std::span<std::byte> rent(std::size_t n) {
    thread_local bool counted = false;
    if (!counted) {
      counted = true;
      threads.fetch_add(1, std::memory_order_relaxed);
    }
    return inner->rent(n);
  }
  std::atomic<std::size_t> threads{0};
};
Built<ThreadCountingPool> build(std::type_identity<ThreadCountingPool>, CountingArrayAllocator a) {
  return build_wrapper<ThreadCountingPool, Shared>(a);
}

TEST(ApiOps, MisuseCatchesAPoolThatAcceptsAForeignSize) {
  const auto programs = generate_programs(3, shape(64, 48, OpKind::misuse, 12));
  const OpRun r = run<ForeignSizeAcceptingPool>(programs);
  // The pool keeps an array the misusing thread still holds: the misuse check reports it, unless
  // another thread rents that array first and the aliasing oracle is published before it (a race
  // between two true findings of the same bug).
  ASSERT_TRUE(r.caught_by() == OracleKind::size_contract || r.caught_by() == OracleKind::aliasing) << r.first();
  if (r.caught_by() == OracleKind::size_contract) {
    EXPECT_NE(r.first().find("misuse lease"), std::string::npos) << r.first();
    EXPECT_NE(r.first().find("foreign size"), std::string::npos) << r.first();
  }
  // Without misuse ops the same pool passes: its bug is only in the path misuse reaches.
  EXPECT_TRUE(run<ForeignSizeAcceptingPool>(generate_programs(3, shape(64, 48, OpKind::misuse, 0))).outcome.clean());
}

TEST(ApiOps, MisuseCatchesAPoolThatRefusesAnEmptySpan) {
  const OpRun r = run<EmptyRefusingPool>(generate_programs(3, shape(64, 48, OpKind::misuse, 12)));
  ASSERT_EQ(r.caught_by(), OracleKind::pool_error) << r.first();
  EXPECT_NE(r.first().find("empty span"), std::string::npos) << r.first();
}

TEST(ApiOps, MisuseCatchesACheckedPoolThatMissesADoubleGiveBack) {
  auto s = shape(64, 48, OpKind::misuse, 12);
  s.lease_percent = 0;  // every give_back goes through the wrapper, which keeps track
  const OpRun r = run<SilentDoubleGiveBackPool>(generate_programs(3, s));
  ASSERT_EQ(r.caught_by(), OracleKind::pool_error) << r.first();
  EXPECT_NE(r.first().find("double give_back"), std::string::npos) << r.first();
}

TEST(ApiOps, EveryLeaseChecksItsSize) {
  auto s = shape(16, 32, OpKind::rent, 0);
  s.lease_percent = 100;
  const OpRun r = run<ShortLeasePool>(generate_programs(3, s));
  ASSERT_EQ(r.caught_by(), OracleKind::size_contract) << r.first();
  // The Lease contract's check names size(); when the short span is also shorter than the request
  // the rent's own size check may report it first, as "got only".
  EXPECT_TRUE(r.first().find("breaks the Lease contract: size()") != std::string::npos ||
              r.first().find(" and got only ") != std::string::npos)
      << r.first();
}

TEST(ApiOps, StatsCatchesAFigureThatGoesDown) {
  const OpRun r = run<ForgetfulStatsPool>(generate_programs(3, shape(64, 64, OpKind::stats, 12)));
  ASSERT_EQ(r.caught_by(), OracleKind::stats) << r.first();
  EXPECT_NE(r.first().find("hits went down"), std::string::npos) << r.first();
  EXPECT_NE(r.first().find("(stats lease"), std::string::npos) << r.first();
}

TEST(ApiOps, StatsCatchesAMissingBucketRow) {
  const OpRun r = run<RowShortStatsPool>(generate_programs(3, shape(16, 32, OpKind::stats, 12)));
  ASSERT_EQ(r.caught_by(), OracleKind::stats) << r.first();
  EXPECT_NE(r.first().find("bucket rows"), std::string::npos) << r.first();
}

TEST(ApiOps, TrimCatchesAnArrayLostByTrim) {
  // The lost array still counts as resting in the ledger: the exact cap at quiescence may see it
  // first (when the bucket was full), else the accounting after the pool is destroyed.
  const OpRun r = run<TrimLosingPool>(generate_programs(3, shape(64, 48, OpKind::trim, 12)));
  ASSERT_TRUE(r.caught_by() == OracleKind::accounting || r.caught_by() == OracleKind::bucket_cap) << r.first();
  const OpRun control = run<TrimLosingPool>(generate_programs(3, shape(64, 48, OpKind::trim, 0)));
  EXPECT_FALSE(control.caught_by().has_value()) << control.first();
  const OpRun forwarder = run<TrimmingShared>(generate_programs(3, shape(64, 48, OpKind::trim, 12)));
  EXPECT_FALSE(forwarder.caught_by().has_value()) << forwarder.first();
}

TEST(ApiOps, ExitRunsTheRestOfAProgramOnAFreshThread) {
  const auto programs = generate_programs(3, shape(32, 64, OpKind::exit, 12));
  std::size_t exits = 0;
  for (const auto& t : programs.threads) {
    for (const Op& op : t.ops) exits += op.kind == OpKind::exit;
  }
  auto ledger = std::make_unique<AllocationLedger>(1, layout_of<ThreadCountingPool>());
  auto built = build(std::type_identity<ThreadCountingPool>{}, CountingArrayAllocator(ledger.get()));
  FreeExecutor<ThreadCountingPool> executor(*built.pool, built.facts, ledger.get());
  const RunOutcome out = executor.run(programs, FreeRunConfig{});
  EXPECT_TRUE(out.clean()) << (out.violations.empty() ? "" : to_string(out.violations.front()));
  // Every part of a program runs on its own thread: the parts that rent (not only through lease())
  // make far more threads than there are programs.
  ASSERT_GT(exits, 3 * programs.threads.size());
  EXPECT_GT(built.pool->threads.load(), 2 * programs.threads.size());
  built.pool.reset();
  EXPECT_FALSE(AccountingOracle::check_after_destroy(*ledger).has_value());
}

}  // namespace
}  // namespace poolcheck
