// Every contender pool_bench measures, behind one shape: `static std::span<T> rent(n)` and
// `static void give_back(std::span<T>)` for arrays of at least n elements (n a power of two >= 16;
// the locked pool may hand out the next bucket when n's is exhausted, so the span is passed back
// whole), plus a `name` used in the benchmark's name. Each pool contender is one process-wide
// instance per element type, as a program would hold it.
//
// Which allocator "malloc" is depends on the binary (see allocator_identity.hpp): Debian's
// libmimalloc and libjemalloc both export malloc and replace glibc's in the whole process, so each
// allocator gets its own pool_bench binary. BENCH_ALLOCATOR_MIMALLOC / BENCH_ALLOCATOR_JEMALLOC
// select the set compiled in (for_each_contender in pool_workloads.hpp).
#pragma once

#include <cstddef>
#include <cstdlib>
#include <new>
#include <span>
#include <vector>

#include "bufpool/array_pool.hpp"
#include "mutex_vector_pool.hpp"
#include "thread_local_slot.hpp"

#if BENCH_ALLOCATOR_MIMALLOC
#include <mimalloc.h>
#endif

#ifndef BENCH_MALLOC_NAME
#define BENCH_MALLOC_NAME "glibc"
#endif

namespace bench {

// Both pool flavours, one process-wide instance per element type. A static data member rather
// than a function-local static: gcc does not inline the latter's accessor, which puts two calls and
// two guard checks into every pair.
template <class T>
struct SharedPool {
  static constexpr const char* name = "shared";
  static std::span<T> rent(std::size_t n) { return pool.rent(n); }
  static void give_back(std::span<T> a) { pool.give_back(a); }
  static inline bufpool::SharedArrayPool<T> pool{};  // default options: a partition per core, 32 arrays each
};

template <class T>
struct LockedPool {
  static constexpr const char* name = "locked";
  static std::span<T> rent(std::size_t n) { return pool.rent(n); }
  static void give_back(std::span<T> a) { pool.give_back(a); }
  // 1 Mi elements covers every size measured; 50 per bucket is the .NET default.
  static inline bufpool::LockedArrayPool<T> pool{bufpool::PoolOptions{1 << 20, 50}};
};

// Whatever malloc is in this binary: glibc in pool_bench, jemalloc in pool_bench_jemalloc.
template <class T>
struct Malloc {
  static constexpr const char* name = BENCH_MALLOC_NAME;
  static std::span<T> rent(std::size_t n) {
    void* p = std::malloc(n * sizeof(T));
    if (p == nullptr) throw std::bad_alloc();
    return {static_cast<T*>(p), n};
  }
  static void give_back(std::span<T> a) { std::free(a.data()); }
};

#if BENCH_ALLOCATOR_MIMALLOC
// mimalloc through its own prefixed API, so the figure is mimalloc whatever malloc resolves to.
template <class T>
struct Mimalloc {
  static constexpr const char* name = "mimalloc";
  static std::span<T> rent(std::size_t n) {
    void* p = mi_malloc(n * sizeof(T));
    if (p == nullptr) throw std::bad_alloc();
    return {static_cast<T*>(p), n};
  }
  static void give_back(std::span<T> a) { mi_free(a.data()); }
};
#endif

// What code without a pool writes: value-initialised (zeroed) arrays from operator new[].
template <class T>
struct NewValueInit {
  static constexpr const char* name = "new";
  static std::span<T> rent(std::size_t n) { return {new T[n](), n}; }
  static void give_back(std::span<T> a) { delete[] a.data(); }
};

template <class T>
struct MutexVector {
  static constexpr const char* name = "mutex-vector";
  static std::span<T> rent(std::size_t n) { return {pool.rent(n), n}; }
  static void give_back(std::span<T> a) { pool.give_back(a.data(), a.size()); }
  static inline MutexVectorPool<T> pool;
};

template <class T>
struct TlsSlot {
  static constexpr const char* name = "tls-slot";
  static std::span<T> rent(std::size_t n) { return {ThreadLocalSlot<T>::rent(n), n}; }
  static void give_back(std::span<T> a) { ThreadLocalSlot<T>::give_back(a.data(), a.size()); }
};

// Cross-thread only: no allocator at all. rent hands out the same buffer every time and give_back
// does nothing, so its cross row is what the SPSC ring alone costs per array: the floor under every
// contender there (no pool can take back an array another thread hands it for less).
template <class T>
struct HandoffOnly {
  static constexpr const char* name = "handoff-only";
  static std::span<T> rent(std::size_t n) { return {buffer.data(), n}; }
  static void give_back(std::span<T>) {}
  // Large enough for every size measured; only the renting thread writes it.
  static inline std::vector<T> buffer = std::vector<T>((std::size_t{1} << 20) / sizeof(T));
};

}  // namespace bench
