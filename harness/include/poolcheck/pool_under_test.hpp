// The pools poolcheck can check: anything with bufpool's rent/give_back shape (a C++20 concept),
// ours or a user's, plus the facts about it the oracles need.
//
// A user brings their own pool through a small adapter that exposes value_type, rent(n) -> span and
// give_back(span, clear). lease() and stats() are used when present. The aliasing, leakage, cap,
// size-vs-allocation and accounting oracles need the pool to allocate through the harness's
// CountingArrayAllocator or CountingAllocator<T> (PoolFacts::counted, and a ledger built with the
// pool's SizeClasses); exclusivity, dirty-read and the size contract work for any pool.
#pragma once

#include <concepts>
#include <cstddef>
#include <span>

#include "bufpool/lease.hpp"
#include "bufpool/pool_stats.hpp"
#include "bufpool/sanitizer_build.hpp"
#include "bufpool/shared_array_pool.hpp"
#include "poolcheck/size_classes.hpp"

namespace poolcheck {

template <class P>
concept PoolUnderTest = requires(P& pool, std::span<typename P::value_type> array, std::size_t n, bool clear) {
  typename P::value_type;
  { pool.rent(n) } -> std::same_as<std::span<typename P::value_type>>;
  { pool.give_back(array, clear) };
};

template <class P>
concept LeasingPool = PoolUnderTest<P> && requires(P& pool, std::size_t n, bool clear) {
  { pool.lease(n, clear) } -> std::same_as<bufpool::Lease<typename P::value_type>>;
};

template <class P>
concept PoolWithStats = requires(const P& pool) {
  { pool.stats() } -> std::same_as<bufpool::PoolStats>;
};

// Pools with trim(TrimPressure) (the shared pool); the `trim` op is a no-op on others.
template <class P>
concept TrimmingPool = requires(P& pool, bufpool::TrimPressure pressure) { pool.trim(pressure); };

// A pool built with a bufpool policy (policy_type::checked): bufpool's contract for misuse applies.
template <class P>
concept BufpoolPolicyPool = requires { { P::policy_type::checked } -> std::convertible_to<bool>; };

// A pool outside bufpool that declares the part of bufpool's misuse contract the `misuse` op checks:
//   static constexpr bool refuses_foreign_lengths = true;
// meaning that give_back of a non-empty span whose length is no class capacity and at most the
// largest class throws std::invalid_argument and keeps nothing, and give_back of an empty span
// does nothing. Every bufpool pool meets it; a pool that does not declare it gets no misuse op.
template <class P>
concept DeclaresMisuseContract = requires { requires bool(P::refuses_foreign_lengths); };

// Whether the `misuse` op has a contract to check on this pool (misuse_checks.hpp).
template <class P>
constexpr bool misuse_defined() {
  return BufpoolPolicyPool<P> || DeclaresMisuseContract<P>;
}

// Whether a second give_back of an array that rests in the pool is defined behaviour: checked mode
// reports it through the checked-violation handler, and an unchecked bufpool pool built with ASan
// throws std::invalid_argument (array_storage.hpp). Anywhere else it is undefined: never done.
template <class P>
constexpr bool double_give_back_defined() {
  if constexpr (BufpoolPolicyPool<P>) {
    return P::policy_type::checked || bufpool::kAsanBuild;
  } else {
    return false;
  }
}
template <class P>
constexpr bool pool_is_checked() {
  if constexpr (BufpoolPolicyPool<P>) {
    return P::policy_type::checked;
  } else {
    return false;
  }
}

// What the oracles must know about the pool under test.
struct PoolFacts {
  // The pool's size classes (its buckets): requests above the largest are over-size. For a
  // counted pool, the same layout its AllocationLedger was built with.
  SizeClasses classes;
  // Most arrays a bucket may rest with no thread holding a thread-local slot (locked: the per-bucket
  // cap; shared: partitions x arrays_per_partition).
  std::size_t resting_cap = 0;
  // Extra arrays each thread may keep resting in its own slot per bucket (shared: 1).
  std::size_t slots_per_thread = 0;
  bool counted = false;  // arrays come from the harness's counting allocators
  // The locked flavour serves an exhausted bucket from the next larger one (.NET's rule): one
  // whose quota of `resting_cap` arrays is all out of the pool (leased or mid-call).
  bool may_serve_next_bucket = false;

  std::size_t largest_bucket() const noexcept { return classes.largest(); }  // elements
  std::size_t bucket_count() const noexcept { return classes.count(); }
};

}  // namespace poolcheck
