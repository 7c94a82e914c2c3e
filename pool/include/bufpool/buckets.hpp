// The bucket sizes every pool uses: part of the contract (array_pool.hpp's table). A rent of n
// elements (1 <= n <= kMaxBucketLength) is served by an array of bucket_capacity(bucket_index(n))
// elements; give_back accepts only those capacities (and over-size arrays). Pure constexpr
// functions: thread-safe.
#pragma once

#include <cstddef>

#include "bufpool/internal/bucket_math.hpp"

namespace bufpool {

// Capacity of the smallest bucket (bucket 0), in elements.
inline constexpr std::size_t kMinBucketLength = internal::kMinBucketLength;
// Capacity of the largest bucket any pool has (2^30 elements, .NET's limit). SharedArrayPool
// always has it; a LockedArrayPool's largest is its max_array_length rounded up, clamped to this.
inline constexpr std::size_t kMaxBucketLength = internal::kMaxBucketLength;
// Number of buckets from kMinBucketLength to kMaxBucketLength: no pool has more.
inline constexpr std::size_t kMaxBucketCount = internal::kMaxBucketCount;

// Index of the smallest bucket whose capacity is >= length. Requires 1 <= length; lengths above
// kMaxBucketLength give indexes >= kMaxBucketCount (no pool keeps such arrays).
constexpr std::size_t bucket_index(std::size_t length) noexcept { return internal::bucket_index(length); }

// Capacity in elements of the arrays of bucket `index` (16 << index).
constexpr std::size_t bucket_capacity(std::size_t index) noexcept { return internal::bucket_capacity(index); }

}  // namespace bufpool
