// Dirty read: a consumer reads only what its own lease wrote. A read of bytes the lease never wrote
// (whatever they hold: the previous renter's data, the pool's poison, zeros by luck) or past the
// requested length is a dirty-read assumption: the code relies on rented memory being clean or on
// the capacity being the length. Stateless; runs on the reader's thread over its own lease.
#pragma once

#include <cstddef>
#include <optional>

#include "poolcheck/lease_record.hpp"
#include "poolcheck/violation.hpp"

namespace poolcheck {

struct DirtyReadOracle {
  // The consumer holding `lease` reads bytes [begin, end) of its array.
  static std::optional<Violation> check_read(const LeaseRecord& lease, std::size_t begin, std::size_t end);
};

}  // namespace poolcheck
