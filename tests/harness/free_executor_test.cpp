#include "poolcheck/free_executor.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <thread>

#include "bufpool/array_pool.hpp"
#include "bufpool/testing/faults.hpp"
#include "bufpool/sanitizer_build.hpp"
#include "poolcheck/oracles/accounting_oracle.hpp"

namespace poolcheck {
namespace {

ProgramShape shape(std::uint32_t threads, std::uint32_t ops) {
  ProgramShape s;
  s.threads = threads;
  s.ops_per_thread = ops;
  s.max_array_length = 1 << 12;
  s.largest_common_size = 1 << 12;
  s.oversize_percent = 0;
  return s;
}

struct Run {
  RunOutcome outcome;
  std::optional<Violation> accounting;
};

// Runs `programs` on a fresh locked or shared pool of `Policy`; destroys it after a clean run.
template <template <class, class> class Pool, class Policy>
Run run(const ProgramSet& programs, std::size_t cap = 4) {
  AllocationLedger ledger(1);
  CountingAllocator allocator(&ledger);
  using P = Pool<std::byte, Policy>;
  std::unique_ptr<P> pool;
  PoolFacts facts;
  if constexpr (std::is_same_v<P, bufpool::SharedArrayPool<std::byte, Policy>>) {
    bufpool::SharedPoolOptions o;
    o.partitions = 2;
    o.arrays_per_partition = cap;
    pool = std::make_unique<P>(o, allocator);
    facts = PoolFacts{pool->largest_bucket(), pool->bucket_count(), 2 * cap, 1, true, false};
  } else {
    pool = std::make_unique<P>(bufpool::PoolOptions{1 << 12, cap}, allocator);
    facts = PoolFacts{pool->largest_bucket(), pool->bucket_count(), cap, 0, true, true};
  }
  FreeExecutor<P> executor(*pool, facts, &ledger);
  Run r;
  r.outcome = executor.run(programs, FreeRunConfig{});
  // Pools that share or lose arrays once caught may free one twice when destroyed: those are kept.
  constexpr bool kCorrupting = bufpool::testing::has_fault<Policy>(bufpool::testing::Fault::double_push) ||
                               bufpool::testing::has_fault<Policy>(bufpool::testing::Fault::tls_slot_kept) ||
                               bufpool::testing::has_fault<Policy>(bufpool::testing::Fault::no_lock);
  if (r.outcome.violations.empty() || !kCorrupting) {
    const bool clean = r.outcome.violations.empty();
    pool.reset();
    if (clean) r.accounting = AccountingOracle::check_after_destroy(ledger);
  } else {
    (void)pool.release();
  }
  return r;
}

template <bufpool::testing::Fault F>
using Mutant = bufpool::testing::WithFaults<HarnessPolicy, static_cast<std::uint32_t>(F)>;

TEST(FreeExecutor, CorrectPoolsRunCleanInEveryMode) {
  const auto programs = generate_programs(11, shape(16, 200));
  for (const auto& r : {run<bufpool::LockedArrayPool, HarnessPolicy>(programs),
                        run<bufpool::LockedArrayPool, CheckedHarnessPolicy>(programs)}) {
    EXPECT_TRUE(r.outcome.clean()) << (r.outcome.violations.empty() ? "" : to_string(r.outcome.violations[0]));
    EXPECT_FALSE(r.accounting.has_value());
    EXPECT_EQ(r.outcome.ops_done, programs.total_ops());
    EXPECT_GT(r.outcome.checks[static_cast<std::size_t>(OracleKind::exclusivity)], 0u);
    EXPECT_GT(r.outcome.checks[static_cast<std::size_t>(OracleKind::aliasing)], 0u);
  }
  for (const auto& r : {run<bufpool::SharedArrayPool, HarnessPolicy>(programs),
                        run<bufpool::SharedArrayPool, CheckedHarnessPolicy>(programs)}) {
    EXPECT_TRUE(r.outcome.clean()) << (r.outcome.violations.empty() ? "" : to_string(r.outcome.violations[0]));
    EXPECT_FALSE(r.accounting.has_value());
  }
}

// Runs seeds until the mutant is caught (bounded); returns the oracle that caught it.
template <template <class, class> class Pool, class Policy>
std::optional<OracleKind> first_catch(ProgramShape s, int max_seeds = 20) {
  for (int seed = 1; seed <= max_seeds; ++seed) {
    const auto r = run<Pool, Policy>(generate_programs(static_cast<std::uint64_t>(seed), s), 2);
    if (!r.outcome.violations.empty()) return r.outcome.violations.front().oracle;
    if (r.accounting) return r.accounting->oracle;
  }
  return std::nullopt;
}

TEST(FreeExecutor, MutantsAreCaughtByTheirOracle) {
  const auto s = shape(16, 200);
  if (!bufpool::kAsanBuild && !bufpool::kTsanBuild) {
    // These pools free an array twice, lose it, or touch memory past an array once caught (exiting
    // threads still return their slots); the sanitizers would end this process. `stress --self-test`
    // runs them in child processes instead.
    EXPECT_EQ((first_catch<bufpool::LockedArrayPool, Mutant<bufpool::testing::Fault::double_push>>(s)), OracleKind::aliasing);
    EXPECT_EQ((first_catch<bufpool::SharedArrayPool, Mutant<bufpool::testing::Fault::tls_slot_kept>>(s)), OracleKind::aliasing);
    // A wrong-bucket array's slack is (un)poisoned past its real end under ASan.
    EXPECT_EQ((first_catch<bufpool::LockedArrayPool, Mutant<bufpool::testing::Fault::off_by_one_bucket>>(s)),
              OracleKind::size_contract);
    const auto lost = first_catch<bufpool::LockedArrayPool, Mutant<bufpool::testing::Fault::lose_array>>(s);
    ASSERT_TRUE(lost.has_value());
    EXPECT_TRUE(*lost == OracleKind::accounting || *lost == OracleKind::bucket_cap) << oracle_name(*lost);
  }
  // A stats op that reads a high_water above the cap while busy may see it before the ledger does.
  const auto over_cap = first_catch<bufpool::LockedArrayPool, Mutant<bufpool::testing::Fault::ignore_cap>>(s);
  ASSERT_TRUE(over_cap.has_value());
  EXPECT_TRUE(*over_cap == OracleKind::bucket_cap || *over_cap == OracleKind::stats) << oracle_name(*over_cap);
  auto clearing = s;
  clearing.clear_percent = 100;
  EXPECT_EQ((first_catch<bufpool::SharedArrayPool, Mutant<bufpool::testing::Fault::ignore_clear>>(clearing)),
            OracleKind::leakage);
}

// A pool whose rent blocks until released: the watchdog must call it a stall and say who is stuck.
struct BlockingPool {
  using value_type = std::byte;
  std::atomic<bool> release{false};
  bufpool::LockedArrayPool<std::byte> inner;
  std::span<std::byte> rent(std::size_t n) {
    while (!release.load()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    return inner.rent(n);
  }
  void give_back(std::span<std::byte> a, bool clear) { inner.give_back(a, clear); }
};

TEST(FreeExecutor, NoProgressIsAStallThatNamesTheStuckThreads) {
  // Never destroyed: the stuck workers are detached and may still touch both at exit.
  static auto* pool = new BlockingPool;
  static auto* executor = new FreeExecutor<BlockingPool>(*pool, PoolFacts{1 << 20, 17, 50, 0, false, false}, nullptr);
  auto programs = generate_programs(1, shape(2, 8));
  for (auto& t : programs.threads) t.ops.insert(t.ops.begin(), Op{OpKind::rent, 0, false, false, 0, 0, 0, 0, 64});
  FreeRunConfig config;
  config.watchdog = std::chrono::milliseconds(300);
  const RunOutcome out = executor->run(programs, config);
  EXPECT_EQ(out.end, RunEnd::stalled);
  EXPECT_NE(out.stall_report.find("thread 0: op 0 of"), std::string::npos) << out.stall_report;
  EXPECT_NE(out.stall_report.find("rent lease 0 size 64"), std::string::npos) << out.stall_report;
  pool->release.store(true);  // the workers finish on their own; the executor does not join them
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
}

TEST(ThreadLauncher, StartsParkedThreadsAndReleasesThemTogether) {
  std::atomic<int> ran{0}, aborted{0};
  {
    ThreadLauncher launcher;
    ASSERT_TRUE(launcher.start(64, default_worker_stack_bytes(), [&](std::uint32_t, bool abort) {
      (abort ? aborted : ran).fetch_add(1);
    }));
    EXPECT_EQ(launcher.started(), 64u);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    EXPECT_EQ(ran.load(), 0) << "parked until released";
    launcher.release();
    launcher.join();
  }
  EXPECT_EQ(ran.load(), 64);
  {
    ThreadLauncher launcher;
    ASSERT_TRUE(launcher.start(8, default_worker_stack_bytes(), [&](std::uint32_t, bool abort) {
      (abort ? aborted : ran).fetch_add(1);
    }));
    launcher.release(/*abort_start=*/true);
    launcher.join();
  }
  EXPECT_EQ(aborted.load(), 8);
}

}  // namespace
}  // namespace poolcheck
