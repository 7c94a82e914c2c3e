// Hand-made leases over buffers allocated through the harness's CountingArrayAllocator, for the oracle
// tests: each oracle must fire on a hand-made violation and stay silent on the correct case.
#pragma once

#include <cstddef>
#include <cstring>
#include <memory>

#include "poolcheck/counting_allocator.hpp"
#include "poolcheck/lease_record.hpp"
#include "poolcheck/tag_pattern.hpp"

namespace poolcheck::testing {

// One counted array and a lease record over it (requested = capacity unless given).
struct CountedArray {
  AllocationLedger ledger{1, SizeClasses::bufpool(1024)};
  CountingArrayAllocator allocator{&ledger};
  std::size_t capacity;
  std::byte* data;

  explicit CountedArray(std::size_t bytes) : capacity(bytes), data(static_cast<std::byte*>(allocator.allocate(bytes, 64))) {}
  ~CountedArray() { allocator.deallocate(data, capacity, 64); }
  CountedArray(const CountedArray&) = delete;
  CountedArray& operator=(const CountedArray&) = delete;

  ArrayHeader& header() { return *CountingArrayAllocator::header_of(data); }

  LeaseRecord lease(Tag tag, std::size_t requested = 0) {
    LeaseRecord r;
    r.tag = tag;
    r.bytes = std::span<std::byte>(data, capacity);
    r.requested_bytes = requested == 0 ? capacity : requested;
    r.readable_bytes = capacity;
    r.capacity = capacity;
    return r;
  }
};

}  // namespace poolcheck::testing
