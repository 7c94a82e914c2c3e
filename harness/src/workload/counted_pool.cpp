#include "poolcheck/workload/counted_pool.hpp"

namespace poolcheck {

std::optional<Violation> check_pool_stats(const bufpool::PoolStats& s, std::optional<HarnessCounts> harness,
                                          const AllocationLedger& ledger) {
  Violation v;
  v.oracle = OracleKind::stats;
  if (s.hits + s.fresh_allocations != s.rents) {
    v.what = "the pool reports " + std::to_string(s.rents) + " rents but " + std::to_string(s.hits) + " hits + " +
             std::to_string(s.fresh_allocations) + " fresh allocations";
    return v;
  }
  if (harness && s.rents != harness->rents) {
    v.what = "the pool counted " + std::to_string(s.rents) + " rents; the harness made " + std::to_string(harness->rents);
    return v;
  }
  if (harness && s.give_backs != harness->give_backs) {
    v.what = "the pool counted " + std::to_string(s.give_backs) + " give_backs; the harness made " +
             std::to_string(harness->give_backs);
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

void check_quiescent_ledger(const AllocationLedger& ledger, const PoolFacts& facts, RunOutcome& out) {
  ++out.checks[static_cast<std::size_t>(OracleKind::bucket_cap)];
  if (auto v = BucketCapOracle::check(ledger, facts.bucket_count, facts.resting_cap + facts.slots_per_thread, 0,
                                      "at quiescence")) {
    out.violations.push_back(*v);
  }
  ++out.checks[static_cast<std::size_t>(OracleKind::size_contract)];
  const auto resting_oversize = ledger.unleased[kLedgerRows - 1].load(std::memory_order_relaxed);
  if (resting_oversize > 0) {
    Violation v;
    v.oracle = OracleKind::size_contract;
    v.what = std::to_string(resting_oversize) +
             " over-size arrays (above the largest bucket) rest in the pool after every lease came back: over-size "
             "arrays must be freed, never pooled";
    out.violations.push_back(v);
  }
}

}  // namespace poolcheck
