// Both pool flavours against the allocators and the hand-written alternatives, at 1 KiB to 1 MiB,
// for char and float arrays. Three workloads, each one benchmark per contender:
//   pair/<type>/<contender>/<bytes>   rent, write one element, give back (1 and 2 threads)
//   cycle/<type>/<contender>/<bytes>  rent, write the whole requested length, give back (1 and 2)
//   cross/<type>/<contender>/<bytes>  rent and write one element on this thread, hand the array
//                                     through an SPSC ring to a second thread that gives it back
// With 2 threads Google Benchmark reports wall time / pairs both threads did (throughput). In cross
// the clock stops after the last array was given back, so both threads' work is in the figure.
//
// Built three times (bench/CMakeLists.txt): pool_bench has every contender on glibc malloc;
// pool_bench_mimalloc and pool_bench_jemalloc hold only their allocator, because each replaces
// malloc process-wide. The binary refuses to run if malloc is not the library it claims.
#include <benchmark/benchmark.h>

#include <cstring>
#include <string>
#include <thread>

#include "allocator_identity.hpp"
#include "contenders.hpp"
#include "spsc_handoff.hpp"

#if !BENCH_ALLOCATOR_MIMALLOC && !BENCH_ALLOCATOR_JEMALLOC
#include <gnu/libc-version.h>
#endif

namespace {

enum class Write { one_element, whole_length };

template <class T>
constexpr const char* type_name() {
  return std::is_same_v<T, char> ? "char" : "float";
}

// The write a user does between rent and give_back. DoNotOptimize's memory clobber keeps the
// stores: without it gcc may drop a memset that free() follows.
template <Write W, class T>
inline void use(std::span<T> a, std::size_t n) {
  T* p = a.data();
  if constexpr (W == Write::one_element) {
    p[0] = T{1};
  } else {
    std::memset(p, 0x5a, n * sizeof(T));
  }
  benchmark::DoNotOptimize(p);
}

template <class C, class T, Write W>
void same_thread(benchmark::State& state, std::size_t n) {
  for (auto _ : state) {
    const std::span<T> a = C::rent(n);
    use<W>(a, n);
    C::give_back(a);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * n * sizeof(T)));
}

template <class C, class T>
void cross_thread(benchmark::State& state, std::size_t n) {
  bench::SpscHandoff<std::span<T>> ring;
  std::thread giver([&ring] {
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
    use<Write::one_element>(a, n);
    ring.push(a);
    if (++i == last) ring.wait_drained();  // the last give_back happens inside the timed region
  }
  ring.push(std::span<T>{});
  giver.join();
}

constexpr std::size_t kSizes[] = {1 << 10, 16 << 10, 128 << 10, 1 << 20};

template <template <class> class Contender, class T>
void register_contender() {
  using C = Contender<T>;
  for (const std::size_t bytes : kSizes) {
    const std::size_t n = bytes / sizeof(T);
    const std::string suffix = std::string("/") + type_name<T>() + "/" + C::name + "/" + std::to_string(bytes);
    benchmark::RegisterBenchmark(("pair" + suffix).c_str(), same_thread<C, T, Write::one_element>, n)
        ->UseRealTime()->Threads(1)->Threads(2);
    benchmark::RegisterBenchmark(("cycle" + suffix).c_str(), same_thread<C, T, Write::whole_length>, n)
        ->UseRealTime()->Threads(1)->Threads(2);
    benchmark::RegisterBenchmark(("cross" + suffix).c_str(), cross_thread<C, T>, n)->UseRealTime();
  }
}

template <template <class> class Contender>
void register_both_types() {
  register_contender<Contender, char>();
  register_contender<Contender, float>();
}

void register_all() {
#if BENCH_ALLOCATOR_MIMALLOC
  register_both_types<bench::Mimalloc>();
  benchmark::AddCustomContext("mimalloc_version", std::to_string(mi_version()));
#elif BENCH_ALLOCATOR_JEMALLOC
  register_both_types<bench::Malloc>();
  benchmark::AddCustomContext("jemalloc_version", bench::jemalloc_version());
#else
  register_both_types<bench::SharedPool>();
  register_both_types<bench::LockedPool>();
  register_both_types<bench::Malloc>();
  register_both_types<bench::NewValueInit>();
  register_both_types<bench::MutexVector>();
  register_both_types<bench::TlsSlot>();
  benchmark::AddCustomContext("glibc_version", gnu_get_libc_version());
#endif
  benchmark::AddCustomContext("malloc_library", bench::malloc_library());
}

}  // namespace

int main(int argc, char** argv) {
  if (!bench::malloc_is_expected()) return 2;
  register_all();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
