// Accounting: every array the pool allocated ends leased, resting or freed. After the pool is
// destroyed (nothing leased, nothing resting) every allocation must have been freed exactly once,
// and the pool must never free what it did not allocate. Runs on the main thread after the join.
#pragma once

#include <optional>

#include "poolcheck/counting_allocator.hpp"
#include "poolcheck/violation.hpp"

namespace poolcheck {

struct AccountingOracle {
  static std::optional<Violation> check_after_destroy(const AllocationLedger& ledger);
};

}  // namespace poolcheck
