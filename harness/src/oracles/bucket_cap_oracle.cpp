#include "poolcheck/oracles/bucket_cap_oracle.hpp"

namespace poolcheck {

std::optional<Violation> BucketCapOracle::check(const AllocationLedger& ledger, std::size_t cap_per_bucket,
                                                const std::string& when) {
  for (std::size_t b = 0; b < ledger.classes.count(); ++b) {
    const std::int64_t resting = ledger.exact[b].at_rest.load(AllocationLedger::kExactLoad);
    if (resting <= static_cast<std::int64_t>(cap_per_bucket)) continue;
    Violation v;
    v.oracle = OracleKind::bucket_cap;
    v.capacity = ledger.classes.capacity(b);
    v.what = "the pool rests at least " + std::to_string(resting) + " arrays of " + std::to_string(v.capacity) +
             " elements (bucket " + std::to_string(b) + ") " + when + "; the bucket's cap is " +
             std::to_string(cap_per_bucket) +
             " (counted by the harness's allocator: arrays allocated that no lease holds and no rent or give_back "
             "in flight may be moving)";
    return v;
  }
  return std::nullopt;
}

}  // namespace poolcheck
