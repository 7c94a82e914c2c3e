// pool_bench: both pool flavours against the allocators and the hand-written alternatives, at
// 1 KiB to 1 MiB, for char and float arrays (workloads: pool_workloads.hpp).
//
// Built three times (bench/CMakeLists.txt): pool_bench has every contender on glibc malloc;
// pool_bench_mimalloc and pool_bench_jemalloc hold only their allocator, because each replaces
// malloc process-wide. The binary refuses to run if malloc is not the library it claims.
#include <benchmark/benchmark.h>

#include <string>

#include "allocator_identity.hpp"
#include "pool_workloads.hpp"

#if !BENCH_ALLOCATOR_MIMALLOC && !BENCH_ALLOCATOR_JEMALLOC
#include <gnu/libc-version.h>
#endif

int main(int argc, char** argv) {
  if (!bench::malloc_is_expected()) return 2;
  bench::register_pairs();
  bench::register_cycles();
  bench::register_cross();
#if BENCH_ALLOCATOR_MIMALLOC
  benchmark::AddCustomContext("mimalloc_version", std::to_string(mi_version()));
#elif BENCH_ALLOCATOR_JEMALLOC
  benchmark::AddCustomContext("jemalloc_version", bench::jemalloc_version());
#else
  benchmark::AddCustomContext("glibc_version", gnu_get_libc_version());
#endif
  benchmark::AddCustomContext("malloc_library", bench::malloc_library());
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
