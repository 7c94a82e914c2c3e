// Aliasing: no two live leases hold the same array. Checked at rent time, before the new holder
// writes anything, by claiming the array's owner field in its header with a relaxed
// compare-exchange: relaxed adds no happens-before edge, so TSan still sees the pool's own races.
// Thread-safe (relaxed atomics on the array header).
#pragma once

#include <optional>

#include "poolcheck/counting_allocator.hpp"
#include "poolcheck/lease_record.hpp"
#include "poolcheck/violation.hpp"

namespace poolcheck {

struct AliasingOracle {
  static constexpr OracleKind kind = OracleKind::aliasing;
  // A finding means another live lease owns the header too: the finder stops touching it.
  static constexpr bool kFindingDisownsArray = true;
  // The lease takes the array. A violation names the live lease that still holds it.
  static std::optional<Violation> on_rent(ArrayHeader& header, const LeaseRecord& lease);
  // The lease is about to give the array back: it stops owning it.
  static void on_give_back(ArrayHeader& header, const LeaseRecord& lease, bool clearing) noexcept;
};

}  // namespace poolcheck
