// Bucket cap, counted from outside the pool. The ledger's `unleased` count per bucket is, at every
// instant, exactly (arrays resting in the pool) + (arrays in flight inside a rent or give_back), and
// each thread has at most one array in flight. So `unleased > cap + in_flight_bound` proves the pool
// rests more than its cap: sound during the run (bound = running threads), exact at quiescence
// (bound = 0). Thread-safe (one relaxed load per bucket).
#pragma once

#include <cstddef>
#include <optional>

#include "poolcheck/counting_allocator.hpp"
#include "poolcheck/violation.hpp"

namespace poolcheck {

struct BucketCapOracle {
  // cap_per_bucket: most arrays a bucket may rest (locked: max_arrays_per_bucket; shared:
  // partitions x arrays_per_partition + one thread-local slot per thread that may hold one).
  static std::optional<Violation> check(const AllocationLedger& ledger, std::size_t bucket_count,
                                        std::size_t cap_per_bucket, std::size_t in_flight_bound, const char* when);
};

}  // namespace poolcheck
