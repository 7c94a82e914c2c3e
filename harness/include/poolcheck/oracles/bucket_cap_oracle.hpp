// Bucket cap, counted from outside the pool. The ledger's `at_rest` count per bucket (see
// AllocationLedger) is, per size class, at every instant, at most what the pool rests in the bucket, and exactly
// that when no rent or give_back is in flight: arrays allocated, minus those leases hold (until
// their give_back returns), minus one for every rent in flight that may take one. So
// `at_rest > cap` proves the pool rests more than its cap at that instant, whenever it is read: at
// a sampled instant while running (short of the truth only by the calls mid-way), at a quiescent
// checkpoint and at the end (exact). Thread-safe (one load per bucket).
#pragma once

#include <cstddef>
#include <optional>
#include <string>

#include "poolcheck/counting_allocator.hpp"
#include "poolcheck/violation.hpp"

namespace poolcheck {

struct BucketCapOracle {
  // cap_per_bucket: most arrays a bucket may rest (locked: max_arrays_per_bucket; shared:
  // partitions x arrays_per_partition + one thread-local slot per thread that may hold one).
  // `when` completes "... rests N arrays of C elements <when>" ("at quiescence", ...).
  // Every class of the ledger's layout is checked.
  static std::optional<Violation> check(const AllocationLedger& ledger, std::size_t cap_per_bucket,
                                        const std::string& when);
};

}  // namespace poolcheck
