#include "poolcheck/oracles/bucket_cap_oracle.hpp"

#include "bufpool/buckets.hpp"

namespace poolcheck {

std::optional<Violation> BucketCapOracle::check(const AllocationLedger& ledger, std::size_t bucket_count,
                                                std::size_t cap_per_bucket, std::size_t in_flight_bound,
                                                const char* when) {
  for (std::size_t b = 0; b < bucket_count && b < kLedgerRows - 1; ++b) {
    const std::int64_t unleased = ledger.unleased[b].load(std::memory_order_relaxed);
    if (unleased <= static_cast<std::int64_t>(cap_per_bucket + in_flight_bound)) continue;
    Violation v;
    v.oracle = OracleKind::bucket_cap;
    v.capacity = bufpool::bucket_capacity(b);
    v.what = "the pool keeps at least " + std::to_string(unleased - static_cast<std::int64_t>(in_flight_bound)) +
             " arrays of " + std::to_string(v.capacity) + " elements that no lease holds " + when +
             " (counted by the harness's allocator: resting, or lost without being freed); the bucket's cap is " +
             std::to_string(cap_per_bucket);
    return v;
  }
  return std::nullopt;
}

}  // namespace poolcheck
