// Statistics a pool reports: what it served, from where, and what rests in it now.
//
// A PoolStats is a snapshot taken without stopping the pool; under concurrent use its counters
// are each exact but not mutually consistent. At quiescence: rents == hits + fresh_allocations.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace bufpool {

struct BucketStats {
  std::size_t capacity = 0;    // elements in each array of this bucket
  std::uint64_t rents = 0;     // rents this bucket served or tried to serve
  std::uint64_t fresh = 0;     // arrays allocated for rents of this bucket
  std::uint64_t drops = 0;     // arrays freed at give_back because the bucket was full
  std::size_t resting = 0;     // arrays resting in the bucket's shared stacks now
  std::size_t resting_thread_local = 0;  // shared flavour: arrays resting in threads' slots now
  // Most arrays ever resting at once in the shared stacks. Shared flavour: the sum of each
  // partition's own most (an upper bound of the bucket's, kept without a bucket-wide counter that
  // every push and pop would write); still at most `cap` while every partition keeps its cap.
  std::size_t high_water = 0;
  std::size_t cap = 0;         // most arrays the shared stacks may hold (all partitions together)
};

struct PoolStats {
  std::uint64_t rents = 0;              // rent() and lease() calls that returned an array
  std::uint64_t hits = 0;               // ... served by an array the pool kept
  std::uint64_t thread_local_hits = 0;  // ... of which from the calling thread's slot
  std::uint64_t fresh_allocations = 0;  // ... served by a newly allocated array (incl. over-size)
  std::uint64_t oversize_rents = 0;     // rents above the largest bucket (never kept)
  std::uint64_t give_backs = 0;         // give_back() calls with a non-empty array
  std::uint64_t drops = 0;              // arrays freed because their bucket was full
  std::uint64_t trimmed = 0;            // arrays freed by trim()
  std::vector<BucketStats> buckets;     // smallest bucket first
};

}  // namespace bufpool
