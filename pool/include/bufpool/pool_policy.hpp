// What a pool is built from: its atomic and mutex types, its allocator, checked mode and (for the
// harness's mutants only) a fault switched into the real pool code.
//
// Pool code reaches every piece of shared state through `Policy::template atomic<U>` and
// `Policy::mutex` (folly's `Atom` idiom), so the same code runs on std::atomic/std::mutex in
// production and on scheduler-aware types in the deterministic executor. The default policy costs
// nothing: every hook is a type alias or a constexpr constant.
#pragma once

#include <sched.h>

#include <atomic>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <new>

#include "bufpool/internal/adaptive_mutex.hpp"

namespace bufpool {

// The source of every array a pool keeps. A pool calls it from many threads at once, so an
// allocator must be thread-safe. The harness supplies a counting allocator to see, from outside the
// pool, every array the pool allocates and frees.
template <class A>
concept ArrayAllocator = std::copy_constructible<A> && requires(A a, void* p, std::size_t n) {
  { a.allocate(n, n) } -> std::same_as<void*>;  // (bytes, alignment); throws std::bad_alloc
  { a.deallocate(p, n, n) } noexcept;            // (pointer, bytes, alignment)
};

// Aligned global operator new/delete. Thread-safe; stateless.
struct AlignedNewAllocator {
  void* allocate(std::size_t bytes, std::size_t alignment) {
    return ::operator new(bytes, std::align_val_t{alignment});
  }
  void deallocate(void* p, std::size_t /*bytes*/, std::size_t alignment) noexcept {
    // Unsized: clang-14 does not enable sized deallocation by default.
    ::operator delete(p, std::align_val_t{alignment});
  }
};

// Faults the harness's mutant pools switch into the real pool code. Production policies have none.
enum class Fault : std::uint32_t {
  none = 0,
  no_lock = 1u << 0,              // bucket/partition stacks are touched without their lock
  ignore_cap = 1u << 1,           // give_back pushes even when the bucket is full
  ignore_clear = 1u << 2,         // give_back(clear_array = true) does not zero
  clear_after_publish = 1u << 3,  // zeroing happens after the array is back in the shared stack
  double_push = 1u << 4,          // give_back pushes the array twice
  off_by_one_bucket = 1u << 5,    // give_back files the array one bucket too high
  tls_slot_kept = 1u << 6,        // rent from the thread-local slot does not empty the slot
  lose_array = 1u << 7,           // a dropped array is forgotten instead of freed
  racy_stats = 1u << 8,           // a statistics counter is a plain, shared, non-atomic integer
  partial_clear = 1u << 9,        // give_back(clear_array = true) zeroes only the first half
  lease_drops_clear = 1u << 10,   // a Lease asked to clear gives its array back without clearing
};

constexpr std::uint32_t operator|(Fault a, Fault b) noexcept {
  return static_cast<std::uint32_t>(a) | static_cast<std::uint32_t>(b);
}

// Production policy: std::atomic, an adaptive mutex (std::mutex where glibc's is missing), aligned
// operator new, unchecked, no faults.
struct DefaultPoolPolicy {
  template <class U>
  using atomic = std::atomic<U>;
  using mutex = internal::AdaptiveMutex;
  using allocator = AlignedNewAllocator;
  static constexpr bool checked = false;
  static constexpr std::uint32_t faults = 0;
  // Which per-core partition a thread starts at. The deterministic executor replaces it so a seed
  // fixes the choice. sched_getcpu is a vDSO call; -1 (unsupported) maps to partition 0.
  static unsigned current_core() noexcept {
    const int cpu = ::sched_getcpu();
    return cpu < 0 ? 0u : static_cast<unsigned>(cpu);
  }
};

// Checked mode: poison-fill rented arrays, ASan-poison resting arrays and lease slack, and track
// live arrays to report a double give_back or a foreign array with both call sites.
struct CheckedPoolPolicy : DefaultPoolPolicy {
  static constexpr bool checked = true;
};

// Base policy with fault(s) F switched in: the harness's mutant pools.
template <class Base, std::uint32_t F>
struct WithFaults : Base {
  static constexpr std::uint32_t faults = Base::faults | F;
};

template <class Policy>
constexpr bool has_fault(Fault f) noexcept {
  return (Policy::faults & static_cast<std::uint32_t>(f)) != 0;
}

namespace internal {
// Marks the spot inside a critical section between reading a stack's top and writing it back. A
// policy may define `static void race_window()`: the deterministic executor makes it a scheduling
// point, so a missing lock (the no_lock mutant) becomes an interleaving its schedules can reach.
// Production policies define none: this compiles to nothing.
template <class Policy>
inline void race_window() {
  if constexpr (requires { Policy::race_window(); }) Policy::race_window();
}
}  // namespace internal

}  // namespace bufpool
