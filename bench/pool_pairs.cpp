// pair/<type>/<contender>/<bytes>: rent, write one element, give back, on 1 and 2 threads. The
// allocator's own cost with as little else as possible.
#include "pool_workloads.hpp"

namespace bench {

void register_pairs() {
  for_each_contender([]<template <class> class Contender>() {
    for (const std::size_t bytes : kSizesBytes) {
      benchmark::RegisterBenchmark(benchmark_name<Contender<char>, char>("pair", bytes).c_str(),
                                   same_thread<Contender<char>, char, false>, bytes)
          ->UseRealTime()->Threads(1)->Threads(2);
      benchmark::RegisterBenchmark(benchmark_name<Contender<float>, float>("pair", bytes).c_str(),
                                   same_thread<Contender<float>, float, false>, bytes / sizeof(float))
          ->UseRealTime()->Threads(1)->Threads(2);
    }
  });
}

}  // namespace bench
