// Exclusivity: every byte a lease wrote still holds the lease's own pattern when it verifies and
// when it gives the array back. Another writer's bytes decode to that writer's lease.
// Stateless; runs on the lease's own thread over its own array: no synchronisation.
#pragma once

#include <optional>

#include "poolcheck/lease_record.hpp"
#include "poolcheck/violation.hpp"

namespace poolcheck {

struct ExclusivityOracle {
  // `when`: "at verify", "at give_back", "after hand-over".
  static std::optional<Violation> check(const LeaseRecord& lease, const char* when);
};

}  // namespace poolcheck
