// rent + give_back pairs of both pool flavours against glibc malloc/free and new T[n]() (which
// zeroes, as value-initialisation must), at 1 KiB to 1 MiB, on 1 and 2 threads. Every contender
// writes one byte of each array so that memory is really handed over (a page fault is part of
// malloc's cost when it maps large blocks). One iteration = one pair.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <new>

#include "bufpool/array_pool.hpp"

namespace {

using bufpool::LockedArrayPool;
using bufpool::SharedArrayPool;

SharedArrayPool<std::byte>& shared() {
  static SharedArrayPool<std::byte> pool;
  return pool;
}

LockedArrayPool<std::byte>& locked() {
  static LockedArrayPool<std::byte> pool(bufpool::PoolOptions{1 << 20, 50});
  return pool;
}

template <class Pool, Pool& (*pool_of)()>
void rent_give_back_pairs(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  Pool& pool = pool_of();
  for (auto _ : state) {
    std::span<std::byte> a = pool.rent(n);
    a[0] = std::byte{1};
    benchmark::DoNotOptimize(a.data());
    pool.give_back(a);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * state.range(0));
}

void BM_SharedPool(benchmark::State& state) { rent_give_back_pairs<SharedArrayPool<std::byte>, shared>(state); }
void BM_LockedPool(benchmark::State& state) { rent_give_back_pairs<LockedArrayPool<std::byte>, locked>(state); }

void BM_Malloc(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  for (auto _ : state) {
    auto* p = static_cast<std::byte*>(std::malloc(n));
    p[0] = std::byte{1};
    benchmark::DoNotOptimize(p);
    std::free(p);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * state.range(0));
}

void BM_NewValueInit(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  for (auto _ : state) {
    auto* p = new std::byte[n]();
    p[0] = std::byte{1};
    benchmark::DoNotOptimize(p);
    delete[] p;
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * state.range(0));
}

void sizes_and_threads(benchmark::internal::Benchmark* b) {
  for (std::int64_t size : {1 << 10, 16 << 10, 128 << 10, 1 << 20}) b->Arg(size);
  b->Threads(1)->Threads(2)->UseRealTime();
}

BENCHMARK(BM_SharedPool)->Apply(sizes_and_threads);
BENCHMARK(BM_LockedPool)->Apply(sizes_and_threads);
BENCHMARK(BM_Malloc)->Apply(sizes_and_threads);
BENCHMARK(BM_NewValueInit)->Apply(sizes_and_threads);

}  // namespace

BENCHMARK_MAIN();
