// bufpool: pooled arrays for servers that must not allocate per request.
//
//   bufpool::LockedArrayPool<T>   like .NET's ArrayPool<T>.Create: one locked stack per bucket
//   bufpool::SharedArrayPool<T>   like .NET's ArrayPool<T>.Shared: thread-local slots + per-core stacks
//   bufpool::shared_pool<T>()     the process-wide SharedArrayPool<T>
//   bufpool::Lease<T>             RAII rental of exactly the length asked for
//   bufpool::PoolStats            what a pool served and what rests in it
//
// The rules, element for element those of .NET's ArrayPool<T> unless marked (C++):
//
// | rule                      | behaviour                                                              |
// |---------------------------|------------------------------------------------------------------------|
// | buckets                   | powers of two from 16 to max_array_length rounded up (clamped to       |
// |                           | [16, 2^30]); the shared flavour always spans 16 .. 2^30                 |
// | options                   | a zero field throws std::invalid_argument                              |
// | rent(n) size              | size() == the smallest bucket capacity >= n                            |
// | rent(0)                   | an empty span; give_back of an empty span does nothing                 |
// | rent above largest bucket | a fresh array of exactly n, never kept; given back, it is freed        |
// | impossible rent           | throws std::bad_alloc (std::bad_array_new_length above 2^63 bytes, or  |
// |                           | 2^40 - 2^20 under ASan/TSan) (C++: no crash); the pool is unchanged   |
// | contents                  | never zeroed on rent: whatever the last user left (checked mode: 0xCB) |
// | locked exhaustion         | at most max_arrays_per_bucket of a bucket's own arrays out at once;    |
// |                           | then the next larger bucket once, then a fresh array of the original   |
// |                           | bucket's size (max 64, 2 per bucket: rent(15) x5 = 16,16,32,32,16)     |
// | locked full bucket        | give_back with no quota outstanding frees the array                    |
// | shared levels             | one thread-local slot per bucket, then per-core partitions of 32       |
// |                           | (partitions = cores; BUFPOOL_SHARED_PARTITIONS and                     |
// |                           | BUFPOOL_SHARED_ARRAYS_PER_PARTITION override); all full: freed         |
// | shared give_back          | the array takes the thread's slot; the slot's old array goes down      |
// | shared trim()             | frees resting arrays (TrimPressure::low: older than trim_after)        |
// | foreign size              | give_back of a size that is no bucket capacity throws                  |
// |                           | std::invalid_argument naming the size; a power of two of the right     |
// |                           | size from elsewhere cannot be told apart except in checked mode (C++)  |
// | double give_back (C++)    | undefined; under ASan an unchecked pool throws std::invalid_argument   |
// |                           | (a resting array is poisoned); checked mode reports it and ignores it, |
// |                           | as it does a span other than the one handed out (e.g. a.first(512))    |
// | clear_array               | zeroes the whole array before any other thread can rent it             |
// | two live rentals          | never share an array                                                   |
// | Lease (C++)               | span() is exactly n; gives back on destruction, also when unwinding    |
// | threads                   | every member function is thread-safe; arrays may be given back on any  |
// |                           | thread                                                                 |
//
// Element types: any trivially copyable T (char, std::byte, uint8_t, int32_t, float, double, ...).
// Alignment: >= alignof(std::max_align_t), and 64 for arrays of 64 bytes or more.
#pragma once

#include "bufpool/buckets.hpp"
#include "bufpool/checked_mode.hpp"
#include "bufpool/lease.hpp"
#include "bufpool/locked_array_pool.hpp"
#include "bufpool/pool_options.hpp"
#include "bufpool/pool_policy.hpp"
#include "bufpool/pool_stats.hpp"
#include "bufpool/sanitizer_build.hpp"
#include "bufpool/shared_array_pool.hpp"
