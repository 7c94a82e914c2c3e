// Options of the two pool flavours, and where their defaults come from.
//
// | option                               | default             | environment variable                  |
// |--------------------------------------|---------------------|---------------------------------------|
// | PoolOptions::max_array_length        | 1024 * 1024         | (none: per pool)                      |
// | PoolOptions::max_arrays_per_bucket   | 50                  | (none: per pool)                      |
// | SharedPoolOptions::partitions        | hardware cores      | BUFPOOL_SHARED_PARTITIONS             |
// | SharedPoolOptions::arrays_per_partition | 32               | BUFPOOL_SHARED_ARRAYS_PER_PARTITION   |
// | SharedPoolOptions::trim_after        | 60 s                | BUFPOOL_SHARED_TRIM_AFTER_MS          |
//
// An environment value that is not a positive integer is ignored with one line on stderr naming the
// variable (a library must not refuse to start over a tuning knob; .NET ignores bad values too).
#pragma once

#include <chrono>
#include <cstddef>
#include <string>

namespace bufpool {

// Options of LockedArrayPool (.NET's ArrayPool<T>.Create(maxArrayLength, maxArraysPerBucket)).
struct PoolOptions {
  std::size_t max_array_length = 1024 * 1024;
  std::size_t max_arrays_per_bucket = 50;
};

// Options of SharedArrayPool (.NET's ArrayPool<T>.Shared). Its buckets always span 16 to 2^30.
struct SharedPoolOptions {
  std::size_t partitions = 0;  // 0: one per hardware core
  std::size_t arrays_per_partition = 32;
  std::chrono::milliseconds trim_after{60'000};

  // The defaults above, overridden by the BUFPOOL_SHARED_* environment variables.
  static SharedPoolOptions from_environment();

  // These options as a SharedArrayPool built from them applies them (what its options() returns):
  // partitions == 0 becomes the number of hardware cores (1 when unknown, at most 4096). Other
  // fields are unchanged; reads no environment variable (from_environment() does). Does not
  // validate: the pool's constructor throws for invalid fields.
  SharedPoolOptions resolved() const;
};

namespace internal {
// Throws std::invalid_argument naming the field when a field is zero.
void validate(const PoolOptions& options);
void validate(const SharedPoolOptions& options);
// The message of give_back's std::invalid_argument for an array that is no bucket of the pool.
std::string not_a_bucket_message(std::size_t length, std::size_t largest_bucket);
}  // namespace internal

}  // namespace bufpool
