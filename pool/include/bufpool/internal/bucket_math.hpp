// Bucket math: which power-of-two bucket serves a request, and how large its arrays are.
//
// Buckets hold arrays of 16, 32, 64, ... elements. A request of n elements is served by the
// smallest bucket whose capacity is >= n. This is .NET's Utilities.SelectBucketIndex, written with
// std::bit_width so it is branch-free and constexpr. Pure functions: thread-safe.
#pragma once

#include <bit>
#include <cstddef>

namespace bufpool::internal {

inline constexpr std::size_t kMinBucketLength = 16;
// .NET caps arrays the pool keeps at 2^30 elements (ArrayPool MaximumArrayLength); so do we.
inline constexpr std::size_t kMaxBucketLength = std::size_t{1} << 30;
// Number of buckets from 16 to 2^30 elements.
inline constexpr std::size_t kMaxBucketCount = 27;

// Index of the smallest bucket whose capacity is >= length. Requires length >= 1.
// (length - 1) | 15 maps 1..16 to 15, so every length up to 16 lands in bucket 0.
constexpr std::size_t bucket_index(std::size_t length) noexcept {
  return static_cast<std::size_t>(std::bit_width((length - 1) | (kMinBucketLength - 1))) - 4;
}

// Capacity in elements of the arrays of bucket `index`.
constexpr std::size_t bucket_capacity(std::size_t index) noexcept {
  return kMinBucketLength << index;
}

// Number of buckets a pool needs so that its largest bucket holds max_array_length elements
// (rounded up to a power of two, clamped to [16, 2^30] as .NET's ConfigurableArrayPool does).
constexpr std::size_t bucket_count_for(std::size_t max_array_length) noexcept {
  if (max_array_length < kMinBucketLength) max_array_length = kMinBucketLength;
  if (max_array_length > kMaxBucketLength) max_array_length = kMaxBucketLength;
  return bucket_index(max_array_length) + 1;
}

// Index of the bucket whose capacity is exactly `capacity` (a power of two >= 16): one tzcnt.
constexpr std::size_t bucket_index_of_capacity(std::size_t capacity) noexcept {
  return static_cast<std::size_t>(std::countr_zero(capacity)) - 4;
}

// True when `length` is exactly the capacity of some bucket of a pool with `bucket_count` buckets.
// (length & (length - 1)) rather than std::has_single_bit: without -mpopcnt gcc calls
// __popcountdi2 for the latter, a library call on give_back's fast path. The index is
// bucket_index_of_capacity, the same tzcnt give_back files the array by, so the two share it.
constexpr bool is_bucket_capacity(std::size_t length, std::size_t bucket_count) noexcept {
  return length >= kMinBucketLength && (length & (length - 1)) == 0 &&
         bucket_index_of_capacity(length) < bucket_count;
}

static_assert(bucket_index(1) == 0 && bucket_index(16) == 0 && bucket_index(17) == 1);
static_assert(bucket_index(32) == 1 && bucket_index(33) == 2);
static_assert(bucket_index_of_capacity(16) == 0 && bucket_index_of_capacity(kMaxBucketLength) == kMaxBucketCount - 1);
static_assert(bucket_count_for(0) == 1 && bucket_count_for(64) == 3 && bucket_count_for(65) == 4);
static_assert(bucket_count_for(kMaxBucketLength) == kMaxBucketCount);
static_assert(bucket_capacity(kMaxBucketCount - 1) == kMaxBucketLength);

}  // namespace bufpool::internal
