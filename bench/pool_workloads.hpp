// The three workloads pool_bench times, shared by their files:
//   pair/<type>/<contender>/<bytes>   rent, write one element, give back (1 and 2 threads)
//   cycle/<type>/<contender>/<bytes>  rent, write the whole requested length, give back (1 and 2)
//   cross/<type>/<contender>/<bytes>  rent and write one element on this thread, hand the array
//                                     through an SPSC ring to a second thread that gives it back
// With 2 threads Google Benchmark reports wall time / pairs both threads did (throughput). In cross
// the clock stops after the last array was given back, so both threads' work is in the figure.
//
// Each workload is its own translation unit (pool_pairs.cpp, pool_cycles.cpp, pool_cross.cpp):
// gcc inlines a pool's give_back into a loop that is its only caller in the file, and stops doing
// so once several loops call it (a measurable cost per pair), so one file per loop keeps one
// workload's figure independent of which others happen to be compiled beside it.
#pragma once

#include <benchmark/benchmark.h>

#include <cstddef>
#include <cstring>
#include <span>
#include <string>
#include <type_traits>

#include "contenders.hpp"
#include "cpu_pinning.hpp"

namespace bench {

inline constexpr std::size_t kSizesBytes[] = {1 << 10, 16 << 10, 128 << 10, 1 << 20};

template <class T>
constexpr const char* type_name() {
  return std::is_same_v<T, char> ? "char" : "float";
}

template <class C, class T>
std::string benchmark_name(const char* workload, std::size_t bytes) {
  return std::string(workload) + "/" + type_name<T>() + "/" + C::name + "/" + std::to_string(bytes);
}

// The write a user does between rent and give_back. DoNotOptimize's memory clobber keeps the
// stores: without it gcc may drop a memset that free() follows.
template <bool kWholeLength, class T>
inline void use(std::span<T> a, std::size_t n) {
  T* p = a.data();
  if constexpr (kWholeLength) {
    std::memset(p, 0x5a, n * sizeof(T));
  } else {
    p[0] = T{1};
  }
  benchmark::DoNotOptimize(p);
}

// rent, use, give back on the calling thread(s), each pinned to a CPU of its own (as in cross;
// see cpu_pinning.hpp), so a 2-thread figure is two CPUs' work whatever the scheduler does.
template <class C, class T, bool kWholeLength>
void same_thread(benchmark::State& state, std::size_t n) {
  const ScopedCpuPin pin(nth_allowed_cpu(static_cast<std::size_t>(state.thread_index())));
  for (auto _ : state) {
    const std::span<T> a = C::rent(n);
    use<kWholeLength>(a, n);
    C::give_back(a);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * n * sizeof(T)));
}

// Calls f.template operator()<Contender>() for each contender this binary measures (see
// contenders.hpp for why the allocators live in binaries of their own).
template <class F>
void for_each_contender(F&& f) {
#if BENCH_ALLOCATOR_MIMALLOC
  f.template operator()<Mimalloc>();
#elif BENCH_ALLOCATOR_JEMALLOC
  f.template operator()<Malloc>();
#else
  f.template operator()<SharedPool>();
  f.template operator()<LockedPool>();
  f.template operator()<Malloc>();
  f.template operator()<NewValueInit>();
  f.template operator()<MutexVector>();
  f.template operator()<TlsSlot>();
#endif
}

void register_pairs();
void register_cycles();
void register_cross();

}  // namespace bench
