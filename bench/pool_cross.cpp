// cross/<type>/<contender>/<bytes>: this thread rents and writes one element, a second thread gives
// the array back. Every contender's arrays travel through the same SPSC ring, so the ring's cost is
// common and the differences are how each allocator takes back memory another thread handed out.
// HandoffOnly (no allocation) measures the ring alone: the floor of every row.
#include <optional>
#include <thread>

#include "cpu_pinning.hpp"
#include "pool_workloads.hpp"
#include "spsc_handoff.hpp"

namespace bench {
namespace {

template <class C, class T>
void cross_thread(benchmark::State& state, std::size_t n) {
  // Renter and giver on two different CPUs (see cpu_pinning.hpp); unpinned on a 1-CPU machine.
  const std::optional<int> renter_cpu = nth_allowed_cpu(0), giver_cpu = nth_allowed_cpu(1);
  const ScopedCpuPin pin(giver_cpu ? renter_cpu : std::nullopt);
  SpscHandoff<std::span<T>> ring;
  std::thread giver([&ring, giver_cpu] {
    const ScopedCpuPin giver_pin(giver_cpu);
    for (bool more = true; more;) {
      ring.pop_then([&](std::span<T> a) {
        if (a.empty()) {
          more = false;  // the end marker
        } else {
          C::give_back(a);
        }
      });
    }
  });
  const benchmark::IterationCount last = state.max_iterations;
  benchmark::IterationCount i = 0;
  for (auto _ : state) {
    const std::span<T> a = C::rent(n);
    use<false>(a, n);
    ring.push(a);
    if (++i == last) ring.wait_drained();  // the last give_back happens inside the timed region
  }
  ring.push(std::span<T>{});
  giver.join();
}

}  // namespace

void register_cross() {
  auto register_one = []<template <class> class Contender>() {
    for (const std::size_t bytes : kSizesBytes) {
      benchmark::RegisterBenchmark(benchmark_name<Contender<char>, char>("cross", bytes).c_str(),
                                   cross_thread<Contender<char>, char>, bytes)
          ->UseRealTime();
      benchmark::RegisterBenchmark(benchmark_name<Contender<float>, float>("cross", bytes).c_str(),
                                   cross_thread<Contender<float>, float>, bytes / sizeof(float))
          ->UseRealTime();
    }
  };
  for_each_contender(register_one);
#if !BENCH_ALLOCATOR_MIMALLOC && !BENCH_ALLOCATOR_JEMALLOC
  register_one.template operator()<HandoffOnly>();  // the ring's own cost, once (in pool_bench)
#endif
}

}  // namespace bench
