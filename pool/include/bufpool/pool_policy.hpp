// What a pool is built from: its atomic and mutex types, its allocator and checked mode.
//
// Pool code reaches every piece of shared state through `Policy::template atomic<U>` and
// `Policy::mutex` (folly's `Atom` idiom), so the same code runs on std::atomic/std::mutex in
// production and on scheduler-aware types in the deterministic executor. The default policy costs
// nothing: every hook is a type alias or a constexpr constant.
//
// A policy (derive from DefaultPoolPolicy and override what differs) provides:
//   template <class U> using atomic   an atomic type with std::atomic's load/store/fetch_add/...
//   using mutex                       a type with lock() and unlock()
//   using allocator                   an ArrayAllocator
//   static constexpr bool checked     checked mode (see checked_mode.hpp)
//   static unsigned current_core()    which per-core partition a thread starts at
// and may provide:
//   static void race_window()         called inside each stack's critical section, between reading
//                                     the top and writing it back; the deterministic executor makes
//                                     it a scheduling point. Production policies define none.
//   static constexpr uint32_t faults  the harness's mutant switches (bufpool/testing/faults.hpp);
//                                     never set outside the harness.
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

// Production policy: std::atomic, an adaptive mutex (std::mutex where glibc's is missing), aligned
// operator new, unchecked, no faults.
struct DefaultPoolPolicy {
  template <class U>
  using atomic = std::atomic<U>;
  using mutex = internal::AdaptiveMutex;
  using allocator = AlignedNewAllocator;
  static constexpr bool checked = false;
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

}  // namespace bufpool
