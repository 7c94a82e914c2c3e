// Size contract: what rent returned fits what was asked. capacity >= requested; a request within
// the pool's size classes gets exactly classes.capacity(classes.class_of(n)) (or the next class's,
// for pools that fall back to it when a class is exhausted, and only when the harness's counts
// allow that it was); rent(0) is empty; an over-size request gets exactly its size; and the span
// lies inside one allocation of the harness's allocator (so a pool that files an array in the
// wrong class is caught before anyone writes past the real array).
// Stateless; thread-safe.
#pragma once

#include <cstddef>
#include <optional>
#include <span>

#include "poolcheck/counting_allocator.hpp"
#include "poolcheck/size_classes.hpp"
#include "poolcheck/tag_pattern.hpp"
#include "poolcheck/violation.hpp"

namespace poolcheck {

struct SizeContractOracle {
  // `header` is null when the array is not the start of one of the harness's allocations.
  // `counted`: the pool allocates through the harness's allocator (so header must exist).
  static std::optional<Violation> check_rent(Tag tag, std::size_t requested, const void* data, std::size_t size,
                                             std::size_t element_size, const SizeClasses& classes,
                                             bool may_serve_next_bucket, const ArrayHeader* header,
                                             bool counted);

  // A rent of `requested` elements got the next bucket's array (allowed by check_rent for a pool
  // that serves an exhausted bucket from the next one). `most_out`: the most arrays of the
  // requested bucket that leases held or rents in flight could have taken at any instant during
  // this rent, counting this rent itself (AllocationLedger::out). The pool may fall back only when
  // `quota` of the bucket's arrays were out; fewer proves it rounded up a request it could serve.
  static std::optional<Violation> check_fallback(Tag tag, std::size_t requested, std::size_t size,
                                                 std::int64_t most_out, std::size_t quota);
};

}  // namespace poolcheck
