#include "poolcheck/free_executor.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <mutex>
#include <string>
#include <vector>
#include <memory>
#include <thread>

#include "bufpool/array_pool.hpp"
#include "bufpool/testing/faults.hpp"
#include "bufpool/sanitizer_build.hpp"
#include "poolcheck/oracles/accounting_oracle.hpp"
#include "poolcheck/workload/workload_runner.hpp"

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
Run run(const ProgramSet& programs, std::size_t cap = 4, const FreeRunConfig& config = {}) {
  using P = Pool<std::byte, Policy>;
  constexpr bool kShared = std::is_same_v<P, bufpool::SharedArrayPool<std::byte, Policy>>;
  AllocationLedger ledger(1, SizeClasses::bufpool(kShared ? bufpool::kMaxBucketLength : 1 << 12));
  CountingArrayAllocator allocator(&ledger);
  std::unique_ptr<P> pool;
  PoolFacts facts;
  if constexpr (kShared) {
    bufpool::SharedPoolOptions o;
    o.partitions = 2;
    o.arrays_per_partition = cap;
    pool = std::make_unique<P>(o, allocator);
    facts = PoolFacts{SizeClasses::bufpool(pool->largest_bucket()), 2 * cap, 1, true, false};
  } else {
    pool = std::make_unique<P>(bufpool::PoolOptions{1 << 12, cap}, allocator);
    facts = PoolFacts{SizeClasses::bufpool(pool->largest_bucket()), cap, 0, true, true};
  }
  FreeExecutor<P> executor(*pool, facts, &ledger);
  Run r;
  r.outcome = executor.run(programs, config);
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

// The exact cap checks cry no wolf: 4096 threads, a few ops each, caps of 2 arrays per bucket (per
// partition) so the caps are reached, a quiescent checkpoint every 2 ops and the sampled check,
// on both pools; and every give_back a rent mid-way or another give_back mid-way could race.
TEST(FreeExecutor, ExactCapChecksAreSilentOnTheRealPoolsAt4096Threads) {
  auto s = shape(4096, 6);
  s.max_array_length = 256;
  s.largest_common_size = 256;
  const auto programs = generate_programs(7, s);
  FreeRunConfig config;
  config.checkpoint_every = 2;
  for (const auto& r : {run<bufpool::LockedArrayPool, HarnessPolicy>(programs, 2, config),
                        run<bufpool::SharedArrayPool, HarnessPolicy>(programs, 2, config)}) {
    ASSERT_EQ(r.outcome.end, RunEnd::completed) << (r.outcome.violations.empty() ? "" : to_string(r.outcome.violations[0]));
    EXPECT_TRUE(r.outcome.clean()) << (r.outcome.violations.empty() ? "" : to_string(r.outcome.violations[0]));
    EXPECT_FALSE(r.accounting.has_value());
    EXPECT_EQ(r.outcome.threads_started, 4096u);
    // Checkpoints before ops 2 and 4, the end of the run, and any samples.
    EXPECT_GE(r.outcome.checks[static_cast<std::size_t>(OracleKind::bucket_cap)], 3u);
  }
}

// Every worker parks at each checkpoint and the check runs alone, naming the op it comes before;
// a thread whose program ends leaves, and a phase that only threads leaving complete is no check.
TEST(QuiescentCheckpoints, ParkEveryWorkerBetweenOpsAndCheckAlone) {
  constexpr std::uint32_t kThreads = 8;
  std::atomic<std::uint32_t> running{0};
  std::vector<std::uint32_t> checked_at;
  std::vector<std::uint32_t> running_at_check;
  QuiescentCheckpoints checkpoints(kThreads, 3, [&](std::uint32_t op) {
    checked_at.push_back(op);
    running_at_check.push_back(running.load());
  });
  std::vector<std::thread> threads;
  for (std::uint32_t t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      const std::uint32_t ops = t == 0 ? 4 : 10;  // thread 0 leaves after op 3
      for (std::uint32_t i = 0; i < ops; ++i) {
        checkpoints.before_op(i);
        running.fetch_add(1);  // "an op" in flight
        std::this_thread::yield();
        running.fetch_sub(1);
      }
      checkpoints.leave();
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(checked_at, (std::vector<std::uint32_t>{3, 6, 9}));
  EXPECT_EQ(running_at_check, (std::vector<std::uint32_t>{0, 0, 0})) << "no op in flight at a checkpoint";
}

// A user's lock-free-style pool with a check-then-act cap race: give_back tests the count, then
// pushes and counts, so several give_backs that test at cap - 1 all push. A pool author's bug,
// written here because the real pool's version of it is a mutant of its own.
struct CapRacePool {
  using value_type = std::byte;
  static constexpr std::size_t kBuckets = 5;  // 16 .. 256 elements
  static SizeClasses layout() { return SizeClasses::bufpool(256); }
  struct Bucket {
    std::mutex mu;
    std::vector<std::byte*> stack;
    std::atomic<std::size_t> count{0};
  };
  CountingArrayAllocator allocator;
  std::size_t cap;
  Bucket buckets[kBuckets];

  CapRacePool(CountingArrayAllocator a, std::size_t c) : allocator(a), cap(c) {}
  ~CapRacePool() {
    for (std::size_t b = 0; b < kBuckets; ++b) {
      for (std::byte* p : buckets[b].stack) allocator.deallocate(p, bufpool::bucket_capacity(b), 64);
    }
  }
  std::span<std::byte> rent(std::size_t n) {
    if (n == 0) return {};
    const std::size_t b = bufpool::bucket_index(n);
    const std::size_t capacity = bufpool::bucket_capacity(b);
    {
      std::lock_guard lock(buckets[b].mu);
      if (!buckets[b].stack.empty()) {
        std::byte* p = buckets[b].stack.back();
        buckets[b].stack.pop_back();
        buckets[b].count.fetch_sub(1);
        return {p, capacity};
      }
    }
    return {static_cast<std::byte*>(allocator.allocate(capacity, 64)), capacity};
  }
  void give_back(std::span<std::byte> a, bool clear) {
    if (a.empty()) return;
    if (clear) std::memset(a.data(), 0, a.size());
    Bucket& bucket = buckets[bufpool::bucket_index(a.size())];
    if (bucket.count.load() < cap) {  // the race: the test and the act are not one step
      std::this_thread::yield();
      {
        std::lock_guard lock(bucket.mu);
        bucket.stack.push_back(a.data());
      }
      bucket.count.fetch_add(1);
    } else {
      allocator.deallocate(a.data(), a.size(), 64);
    }
  }
};

TEST(FreeExecutor, ExactCapChecksFindACheckThenActCapRace) {
  constexpr std::size_t kCap = 1;
  constexpr std::uint32_t kThreads = 256;
  auto s = shape(kThreads, 16);
  s.max_array_length = 256;
  s.largest_common_size = 256;
  std::optional<Violation> found;
  for (int seed = 1; seed <= 20 && !found; ++seed) {
    AllocationLedger ledger(1, CapRacePool::layout());
    auto pool = std::make_unique<CapRacePool>(CountingArrayAllocator(&ledger), kCap);
    FreeExecutor<CapRacePool> executor(*pool, PoolFacts{CapRacePool::layout(), kCap, 0, true, false}, &ledger);
    FreeRunConfig config;
    config.checkpoint_every = 4;
    const RunOutcome out = executor.run(generate_programs(static_cast<std::uint64_t>(seed), s), config);
    if (!out.violations.empty()) found = out.violations.front();
  }
  ASSERT_TRUE(found.has_value()) << "the cap race was never seen in 20 rounds";
  EXPECT_EQ(found->oracle, OracleKind::bucket_cap) << to_string(*found);
  const auto at = found->what.find("at least ");
  ASSERT_NE(at, std::string::npos);
  EXPECT_GT(std::stoul(found->what.substr(at + 9)), kCap) << found->what;
}

// A quiescent checkpoint sees a pool resting above its cap between ops and names the bucket and
// the ops each thread ran since the last checkpoint. (The pool keeps up to 100 arrays a bucket; the
// facts promise 1. Each thread holds two arrays of 16 at once, so at least two rest at op 4.)
TEST(FreeExecutor, AQuiescentCheckpointNamesTheBucketAndTheOpsSinceTheLastOne) {
  AllocationLedger ledger(1, CapRacePool::layout());
  CapRacePool pool(CountingArrayAllocator(&ledger), 100);
  FreeExecutor<CapRacePool> executor(pool, PoolFacts{CapRacePool::layout(), 1, 0, true, false}, &ledger);
  Op rent0, rent1, give_back0, give_back1;
  rent0.kind = rent1.kind = OpKind::rent;
  rent0.size = rent1.size = 16;
  give_back0.kind = give_back1.kind = OpKind::give_back;
  rent1.lease = give_back1.lease = 1;
  ProgramSet programs;
  programs.seed = 1;
  programs.threads.assign(2, ThreadProgram{{rent0, rent1, give_back0, give_back1, Op{}, Op{}}});
  FreeRunConfig config;
  config.checkpoint_every = 4;
  config.stop_on_first_violation = false;
  const RunOutcome out = executor.run(programs, config);
  const auto found = std::find_if(out.violations.begin(), out.violations.end(), [](const Violation& v) {
    return v.what.find("at the quiescent checkpoint before op 4") != std::string::npos;
  });
  ASSERT_NE(found, out.violations.end()) << (out.violations.empty() ? "no finding" : out.violations[0].what);
  EXPECT_EQ(found->oracle, OracleKind::bucket_cap);
  EXPECT_NE(found->what.find("arrays of 16 elements (bucket 0)"), std::string::npos) << found->what;
  EXPECT_NE(found->what.find("ops 0 to 3 of each thread ran since the last check"), std::string::npos) << found->what;
  EXPECT_NE(found->what.find("the bucket's cap is 1"), std::string::npos) << found->what;
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
  static auto* executor = new FreeExecutor<BlockingPool>(*pool, PoolFacts{SizeClasses::bufpool(1 << 20), 50, 0, false, false}, nullptr);
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

// One step slower than the watchdog but finite (a GiB memset under TSan): still a stall, but the
// slow worker leaves after the stop request and is joined before run_workload returns, so what it
// reads on the caller's stack is never touched after the caller's frame is gone.
TEST(WorkloadRunner, ASlowStepIsAStallWhoseWorkerIsJoined) {
  std::vector<int> written(2, 0);  // the caller's frame, as a workload's per-thread results are
  WorkloadConfig config;
  config.threads = 2;
  config.watchdog = std::chrono::milliseconds(400);
  const RunOutcome out = run_workload(config, [&](WorkerContext& ctx) {
    if (ctx.index() == 0) std::this_thread::sleep_for(std::chrono::milliseconds(600));  // inside the grace
    written[ctx.index()] = 1;
  });
  EXPECT_EQ(out.end, RunEnd::stalled);
  EXPECT_NE(out.stall_report.find("no workload step finished for 400 ms; 1 of 2 threads still running"),
            std::string::npos)
      << out.stall_report;
  EXPECT_NE(out.stall_report.find("were joined"), std::string::npos) << out.stall_report;
  EXPECT_EQ(written[0], 1);  // the slow worker finished before run_workload returned
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
