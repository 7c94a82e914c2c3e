#include "stress_driver.hpp"

#include <chrono>
#include <cstddef>
#include <memory>
#include <stdexcept>

#include "bufpool/array_pool.hpp"
#include "poolcheck/counting_allocator.hpp"
#include "poolcheck/oracles/accounting_oracle.hpp"
#include "poolcheck/scenario_catalog.hpp"

namespace poolcheck {
namespace {

using Element = std::byte;

// The pool's own statistics must agree with what the harness saw from outside.
std::optional<Violation> check_stats(const bufpool::PoolStats& s, const RunOutcome& run, const AllocationLedger& ledger) {
  Violation v;
  v.oracle = OracleKind::stats;
  if (s.hits + s.fresh_allocations != s.rents) {
    v.what = "the pool reports " + std::to_string(s.rents) + " rents but " + std::to_string(s.hits) + " hits + " +
             std::to_string(s.fresh_allocations) + " fresh allocations";
    return v;
  }
  if (s.rents != run.rents) {
    v.what = "the pool counted " + std::to_string(s.rents) + " rents; the harness made " + std::to_string(run.rents);
    return v;
  }
  const auto allocated = ledger.allocations.load(std::memory_order_relaxed);
  if (s.fresh_allocations != allocated) {
    v.what = "the pool reports " + std::to_string(s.fresh_allocations) + " fresh allocations; its allocator made " +
             std::to_string(allocated);
    return v;
  }
  for (const auto& b : s.buckets) {
    if (b.high_water > b.cap) {
      v.what = "the pool reports a high-water mark of " + std::to_string(b.high_water) + " arrays in the bucket of " +
               std::to_string(b.capacity) + ", above its cap of " + std::to_string(b.cap);
      return v;
    }
  }
  return std::nullopt;
}

template <class Pool>
RunOutcome run_round(std::unique_ptr<Pool> pool, AllocationLedger& ledger, const PoolFacts& facts,
                     const ProgramSet& programs, const StressSettings& settings, const StressHooks& hooks,
                     std::uint32_t round, bufpool::PoolStats& stats_out) {
  FreeExecutor<Pool> executor(*pool, facts, &ledger);
  FreeRunConfig config;
  config.watchdog = std::chrono::milliseconds(settings.watchdog_ms);
  config.interrupt = hooks.interrupt;
  if (hooks.on_progress) config.on_progress = [&](const Progress& p) { hooks.on_progress(p, round); };
  RunOutcome out = executor.run(programs, config);
  if (out.end == RunEnd::stalled || out.end == RunEnd::thread_limit) {
    // Stalled workers still use the pool: it must outlive the process's remaining life.
    if (out.end == RunEnd::stalled) (void)pool.release();
    return out;
  }
  stats_out = pool->stats();
  if (out.violations.empty() && out.end == RunEnd::completed) {
    ++out.checks[static_cast<std::size_t>(OracleKind::stats)];
    if (auto v = check_stats(stats_out, out, ledger)) out.violations.push_back(*v);
  }
  pool.reset();
  ++out.checks[static_cast<std::size_t>(OracleKind::accounting)];
  if (auto v = AccountingOracle::check_after_destroy(ledger)) out.violations.push_back(*v);
  if (!out.violations.empty() && out.end == RunEnd::completed) out.end = RunEnd::violation;
  return out;
}

RunOutcome run_one(const StressSettings& s, const ProgramSet& programs, const StressHooks& hooks, std::uint32_t round,
                   bufpool::PoolStats& stats_out) {
  AllocationLedger ledger(sizeof(Element));
  CountingAllocator allocator(&ledger);
  const bufpool::PoolOptions locked_options{static_cast<std::size_t>(s.max_array_length),
                                            static_cast<std::size_t>(s.max_per_bucket)};
  bufpool::SharedPoolOptions shared_options;
  shared_options.partitions = static_cast<std::size_t>(s.partitions);
  shared_options.arrays_per_partition = static_cast<std::size_t>(s.arrays_per_partition);

  auto locked_facts = [&](const auto& pool) {
    return PoolFacts{pool.largest_bucket(), pool.bucket_count(), static_cast<std::size_t>(s.max_per_bucket), 0, true,
                     /*may_serve_next_bucket=*/true};
  };
  auto shared_facts = [&](const auto& pool) {
    return PoolFacts{pool.largest_bucket(), pool.bucket_count(),
                     pool.options().partitions * pool.options().arrays_per_partition, 1, true,
                     /*may_serve_next_bucket=*/false};
  };
  switch (s.pool) {
    case PoolKind::locked: {
      auto pool = std::make_unique<bufpool::LockedArrayPool<Element, HarnessPolicy>>(locked_options, allocator);
      const PoolFacts facts = locked_facts(*pool);
      return run_round(std::move(pool), ledger, facts, programs, s, hooks, round, stats_out);
    }
    case PoolKind::checked_locked: {
      auto pool = std::make_unique<bufpool::LockedArrayPool<Element, CheckedHarnessPolicy>>(locked_options, allocator);
      const PoolFacts facts = locked_facts(*pool);
      return run_round(std::move(pool), ledger, facts, programs, s, hooks, round, stats_out);
    }
    case PoolKind::shared: {
      auto pool = std::make_unique<bufpool::SharedArrayPool<Element, HarnessPolicy>>(shared_options, allocator);
      const PoolFacts facts = shared_facts(*pool);
      return run_round(std::move(pool), ledger, facts, programs, s, hooks, round, stats_out);
    }
    case PoolKind::checked_shared: {
      auto pool = std::make_unique<bufpool::SharedArrayPool<Element, CheckedHarnessPolicy>>(shared_options, allocator);
      const PoolFacts facts = shared_facts(*pool);
      return run_round(std::move(pool), ledger, facts, programs, s, hooks, round, stats_out);
    }
  }
  throw std::logic_error("unknown pool kind");
}

}  // namespace

StressReport run_stress(const StressSettings& settings, const StressHooks& hooks) {
  const Scenario* scenario = find_scenario(settings.scenario);
  if (scenario == nullptr) throw std::invalid_argument("unknown scenario '" + settings.scenario + "'");
  ProgramShape shape;
  shape.threads = settings.threads;
  shape.ops_per_thread = settings.ops;
  // Sizes go up to the largest bucket (the maximum rounded up to a power of two); over-size
  // requests lie just above it.
  std::uint64_t largest = 16;
  while (largest < std::min<std::uint64_t>(settings.max_array_length, bufpool::internal::kMaxBucketLength)) largest *= 2;
  shape.max_array_length = largest;
  shape.largest_common_size = std::min<std::uint64_t>(shape.largest_common_size, largest);
  scenario->shape(shape);
  if (settings.pool == PoolKind::shared || settings.pool == PoolKind::checked_shared) {
    // The shared flavour's largest bucket is 2^30 elements: over-size there means rents above 1 GiB.
    shape.oversize_percent = 0;
  }

  StressReport report;
  report.partitions = static_cast<std::uint32_t>(settings.partitions);
  const auto t0 = std::chrono::steady_clock::now();
  for (std::uint32_t round = 0;; ++round) {
    if (settings.rounds) {
      if (round >= *settings.rounds) break;
    } else if (round > 0 && std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() >=
                                settings.duration_seconds) {
      break;
    }
    const std::uint64_t seed = round_seed(settings.seed, round);
    if (hooks.on_round_start) hooks.on_round_start(seed);
    const ProgramSet programs = generate_programs(seed, shape);
    RunOutcome out = run_one(settings, programs, hooks, round, report.last_pool_stats);
    report.rounds.push_back(RoundRecord{round, seed, out.end, out.violations.size(), out.seconds});
    const bool failed = !out.violations.empty() || out.end == RunEnd::stalled;
    accumulate(report.total, out);
    if (failed && !report.failing_seed) report.failing_seed = seed;
    if (out.end != RunEnd::completed) break;  // a violation, a stall, an interrupt or the thread limit ends the run
  }
  return report;
}

}  // namespace poolcheck
