#include "poolcheck/oracles/accounting_oracle.hpp"

namespace poolcheck {

std::optional<Violation> AccountingOracle::check_after_destroy(const AllocationLedger& ledger) {
  Violation v;
  v.oracle = OracleKind::accounting;
  const auto foreign = ledger.foreign_frees.load(std::memory_order_relaxed);
  if (foreign != 0) {
    v.what = "the pool freed " + std::to_string(foreign) + " arrays it never allocated (or freed one twice)";
    return v;
  }
  const auto allocs = ledger.allocations.load(std::memory_order_relaxed);
  const auto frees = ledger.frees.load(std::memory_order_relaxed);
  if (allocs == frees) return std::nullopt;
  std::string where;
  for (std::size_t b = 0; b < kLedgerRows; ++b) {
    const auto live = ledger.live[b].load(std::memory_order_relaxed);
    if (live == 0) continue;
    if (!where.empty()) where += ", ";
    where += std::to_string(live) + " of " +
             (b == kOverSizeRow ? std::string("over-size")
                                : std::to_string(ledger.classes.capacity(b)) + " elements");
  }
  v.what = "the pool allocated " + std::to_string(allocs) + " arrays and freed " + std::to_string(frees) +
           " by the time it was destroyed: lost " + where;
  return v;
}

}  // namespace poolcheck
