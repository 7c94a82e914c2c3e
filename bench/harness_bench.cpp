// The harness's throughput: checked operations per second (rent, tag-write, verify, give_back of
// 1 KiB) at 2, 64, 1024 and 4096 threads through the free-running executor with every oracle on
// (and at 2 threads with a quiescent checkpoint every 32 ops, the default of a 64-op program),
// against the same programs driven on the bare pool (plain memset/memcmp, no oracles, same
// threads and start gate): the difference is the harness's overhead. Also the thread start-up
// cost of the launcher. One iteration = one whole run (threads created, released, joined).
#include <benchmark/benchmark.h>

#include <cstring>
#include <memory>

#include "bufpool/array_pool.hpp"
#include "poolcheck/counting_allocator.hpp"
#include "poolcheck/free_executor.hpp"
#include "poolcheck/thread_launcher.hpp"

namespace {

using namespace poolcheck;
using Pool = bufpool::SharedArrayPool<std::byte, HarnessPolicy>;

constexpr std::uint32_t kOpsPerThreadBudget = 1 << 18;  // ops per run, spread over the threads

// rent 1024, write it all, verify, give back; repeated.
ProgramSet cycles(std::uint32_t threads) {
  const std::uint32_t cycles_per_thread = std::max<std::uint32_t>(4, kOpsPerThreadBudget / 4 / threads);
  ProgramSet set;
  set.seed = 1;
  set.threads.resize(threads);
  for (auto& t : set.threads) {
    for (std::uint32_t c = 0; c < cycles_per_thread; ++c) {
      Op rent;
      rent.kind = OpKind::rent;
      rent.size = 1024;
      Op write;
      write.kind = OpKind::write;
      Op verify;
      verify.kind = OpKind::verify;
      Op give_back;
      give_back.kind = OpKind::give_back;
      t.ops.insert(t.ops.end(), {rent, write, verify, give_back});
    }
  }
  return set;
}

std::unique_ptr<Pool> make_pool(AllocationLedger& ledger) {
  return std::make_unique<Pool>(bufpool::SharedPoolOptions{}, CountingArrayAllocator(&ledger));
}

void BM_CheckedOps(benchmark::State& state) {
  const auto threads = static_cast<std::uint32_t>(state.range(0));
  const auto programs = std::make_shared<const ProgramSet>(cycles(threads));
  std::uint64_t ops = 0;
  for (auto _ : state) {
    AllocationLedger ledger(1, SizeClasses::bufpool(bufpool::kMaxBucketLength));
    auto pool = make_pool(ledger);
    FreeExecutor<Pool> executor(*pool, PoolFacts{SizeClasses::bufpool(pool->largest_bucket()), 1 << 20, 1, true, false},
                                &ledger);
    FreeRunConfig config;
    if (state.range(1) != 0) config.checkpoint_every = static_cast<std::uint32_t>(state.range(1));
    const RunOutcome out = executor.run(programs, config);
    if (!out.clean()) state.SkipWithError("the correct pool was flagged");
    ops += out.ops_done;
  }
  state.counters["ops_per_s"] = benchmark::Counter(static_cast<double>(ops), benchmark::Counter::kIsRate);
}

// The same programs on the bare pool: no tags, no oracles, no ledger; plain memset and memcmp.
void BM_BareOps(benchmark::State& state) {
  const auto threads = static_cast<std::uint32_t>(state.range(0));
  const ProgramSet programs = cycles(threads);
  std::uint64_t ops = 0;
  for (auto _ : state) {
    bufpool::SharedArrayPool<std::byte> pool;
    std::atomic<std::uint64_t> done{0};
    ThreadLauncher launcher;
    launcher.start(threads, default_worker_stack_bytes(), [&](std::uint32_t i, bool abort_start) {
      if (abort_start) return;
      std::span<std::byte> held;
      std::uint64_t n = 0;
      for (const Op& op : programs.threads[i].ops) {
        switch (op.kind) {
          case OpKind::rent: held = pool.rent(op.size); break;
          case OpKind::write: std::memset(held.data(), static_cast<int>(i), op.size == 0 ? 1024 : op.size); break;
          case OpKind::verify: benchmark::DoNotOptimize(std::memchr(held.data(), static_cast<int>(i + 1), 1024)); break;
          case OpKind::give_back: pool.give_back(held); break;
          default: break;
        }
        ++n;
      }
      done.fetch_add(n, std::memory_order_relaxed);
    });
    launcher.release();
    launcher.join();
    ops += done.load();
  }
  state.counters["ops_per_s"] = benchmark::Counter(static_cast<double>(ops), benchmark::Counter::kIsRate);
}

// Creating, releasing and joining N parked threads with the harness's stacks.
void BM_ThreadStartup(benchmark::State& state) {
  const auto threads = static_cast<std::uint32_t>(state.range(0));
  for (auto _ : state) {
    ThreadLauncher launcher;
    launcher.start(threads, default_worker_stack_bytes(), [](std::uint32_t, bool) {});
    launcher.release();
    launcher.join();
  }
  state.counters["us_per_thread"] =
      benchmark::Counter(static_cast<double>(threads) * 1e-6, benchmark::Counter::kIsIterationInvariantRate |
                                                                 benchmark::Counter::kInvert);
}

void thread_counts(benchmark::internal::Benchmark* b) {
  for (std::int64_t t : {2, 64, 1024, 4096}) b->Arg(t);
  b->UseRealTime()->Unit(benchmark::kMillisecond);
}

// Second argument: ops between quiescent checkpoints, 0 for the default (checkpoint_interval).
BENCHMARK(BM_CheckedOps)->ArgsProduct({{2, 64, 1024, 4096}, {0}})->Args({2, 32})->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_BareOps)->Apply(thread_counts);
BENCHMARK(BM_ThreadStartup)->Apply(thread_counts);

}  // namespace

BENCHMARK_MAIN();
