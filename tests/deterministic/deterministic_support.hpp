// Runs a program set on a fresh counted pool under one deterministic schedule (test helper).
#pragma once

#include <memory>
#include <optional>
#include <type_traits>

#include "bufpool/array_pool.hpp"
#include "poolcheck/deterministic/det_executor.hpp"
#include "poolcheck/deterministic/det_policy.hpp"
#include "poolcheck/oracles/accounting_oracle.hpp"

namespace poolcheck::testing {

struct DetRun {
  det::DetOutcome outcome;
  std::optional<Violation> accounting;  // after destroying the pool (only when the run was clean)
};

// Pool is LockedArrayPool<std::byte, P> or SharedArrayPool<std::byte, P> with a deterministic policy.
template <class Pool>
DetRun run_det(const ProgramSet& programs, det::Strategy& strategy, std::uint64_t max_steps = 200'000) {
  constexpr bool kShared =
      std::is_same_v<Pool, bufpool::SharedArrayPool<typename Pool::value_type, typename Pool::policy_type>>;
  AllocationLedger ledger(1, SizeClasses::bufpool(kShared ? bufpool::kMaxBucketLength : 1 << 16));
  CountingArrayAllocator allocator(&ledger);
  std::unique_ptr<Pool> pool;
  PoolFacts facts;
  if constexpr (kShared) {
    bufpool::SharedPoolOptions options;
    options.partitions = 2;
    options.arrays_per_partition = 4;
    pool = std::make_unique<Pool>(options, allocator);
    facts = PoolFacts{SizeClasses::bufpool(pool->largest_bucket()), 8, 1, true, false};
  } else {
    pool = std::make_unique<Pool>(bufpool::PoolOptions{1 << 16, 4}, allocator);
    facts = PoolFacts{SizeClasses::bufpool(pool->largest_bucket()), 4, 0, true, true};
  }
  DetRun run;
  run.outcome = det::run_deterministic(*pool, facts, &ledger, programs, strategy, max_steps);
  // Only mutants that leave the pool consistent (no double push, no lost array) run in-process.
  pool.reset();
  if (run.outcome.run.violations.empty()) run.accounting = AccountingOracle::check_after_destroy(ledger);
  return run;
}

}  // namespace poolcheck::testing
