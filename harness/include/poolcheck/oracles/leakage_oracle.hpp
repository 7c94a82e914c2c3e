// Leakage: after a clearing give_back, the next renter of that array sees none of the old data
// (only zeros, or the poison a checked pool fills with). The clearing lease marks the array's
// header before giving it back; the next renter checks the whole array before writing.
// Thread-safe (relaxed atomics on the header; the pool's own hand-over orders them when it is
// correct, and a racy pool can only make the check miss, never cry wolf).
#pragma once

#include <optional>

#include "poolcheck/counting_allocator.hpp"
#include "poolcheck/lease_record.hpp"
#include "poolcheck/violation.hpp"

namespace poolcheck {

struct LeakageOracle {
  static constexpr OracleKind kind = OracleKind::leakage;
  static constexpr bool kFindingDisownsArray = false;
  // Call right after the aliasing claim succeeded, before writing.
  static std::optional<Violation> on_rent(ArrayHeader& header, const LeaseRecord& lease);
  // The lease is about to give the array back, zeroed by the pool when `clearing`.
  static void on_give_back(ArrayHeader& header, const LeaseRecord& lease, bool clearing) noexcept;
};

}  // namespace poolcheck
