#include "poolcheck/workload/counted_pool.hpp"

#include <algorithm>
#include <string>

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
  const std::size_t over = kOverSizeRow;
  // The ledger files an array by its length in the pool's classes: over-size arrays, and any
  // length that is no class capacity, in the over-size row; the rows past the classes stay empty.
  const std::size_t buckets = std::min(s.buckets.size(), ledger.classes.count());
  const auto load = [](const auto& counter) { return static_cast<std::uint64_t>(counter.load(std::memory_order_relaxed)); };
  std::uint64_t oversize_allocated = 0;
  for (std::size_t r = buckets; r < kLedgerRows; ++r) oversize_allocated += load(ledger.allocated[r]);
  if (s.oversize_rents != oversize_allocated) {
    v.what = "the pool reports " + std::to_string(s.oversize_rents) + " over-size rents; its allocator made " +
             std::to_string(oversize_allocated) + " over-size arrays (each over-size rent allocates one)";
    return v;
  }
  if (harness && harness->rents_by_bucket && s.oversize_rents != (*harness->rents_by_bucket)[over]) {
    v.what = "the pool reports " + std::to_string(s.oversize_rents) + " over-size rents; the harness made " +
             std::to_string((*harness->rents_by_bucket)[over]);
    return v;
  }
  std::uint64_t freed_in_buckets = 0;
  for (std::size_t b = 0; b < buckets; ++b) freed_in_buckets += load(ledger.freed[b]);
  if (s.drops + s.trimmed != freed_in_buckets) {
    v.what = "the pool reports " + std::to_string(s.drops) + " drops and " + std::to_string(s.trimmed) +
             " trimmed arrays; its allocator freed " + std::to_string(freed_in_buckets) +
             " arrays of its buckets (before the pool was destroyed, every free is one or the other)";
    return v;
  }
  for (std::size_t i = 0; i < buckets; ++i) {
    const bufpool::BucketStats& b = s.buckets[i];
    const std::string bucket = " in the bucket of " + std::to_string(b.capacity) + " elements";
    if (b.fresh != load(ledger.allocated[i])) {
      v.what = "the pool reports " + std::to_string(b.fresh) + " fresh arrays" + bucket + "; its allocator made " +
               std::to_string(load(ledger.allocated[i]));
      return v;
    }
    if (harness && harness->rents_by_bucket && b.rents != (*harness->rents_by_bucket)[i]) {
      v.what = "the pool reports " + std::to_string(b.rents) + " rents" + bucket + "; the harness made " +
               std::to_string((*harness->rents_by_bucket)[i]) + " rents asking for that bucket";
      return v;
    }
    // Every lease came back: what rests is exactly what was allocated and not freed.
    const auto resting = static_cast<std::uint64_t>(std::max<std::int64_t>(ledger.exact[i].at_rest.load(AllocationLedger::kExactLoad), 0));
    if (b.resting + b.resting_thread_local != resting) {
      v.what = "the pool reports " + std::to_string(b.resting) + " arrays resting" + bucket +
               (b.resting_thread_local != 0 ? " and " + std::to_string(b.resting_thread_local) + " in threads' slots"
                                            : std::string{}) +
               "; by its allocator's count " + std::to_string(resting) + " rest there (allocated, not freed, not leased)";
      return v;
    }
    const std::uint64_t freed = load(ledger.freed[i]);
    if (s.trimmed == 0 ? b.drops != freed : b.drops > freed) {
      v.what = "the pool reports " + std::to_string(b.drops) + " drops" + bucket + "; its allocator freed " +
               std::to_string(freed) + " arrays of that bucket" +
               (s.trimmed == 0 ? std::string(" and nothing was trimmed") : std::string{});
      return v;
    }
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
  if (auto v = BucketCapOracle::check(ledger, facts.resting_cap + facts.slots_per_thread, "at quiescence")) {
    out.violations.push_back(*v);
  }
  ++out.checks[static_cast<std::size_t>(OracleKind::size_contract)];
  // Quiescent: no call in flight, so at_rest is exactly what rests.
  const auto resting_oversize = ledger.exact[kOverSizeRow].at_rest.load(std::memory_order_relaxed);
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
