// cycle/<type>/<contender>/<bytes>: rent, write the whole requested length, give back, on 1 and 2
// threads: the allocator's cost beside the memory traffic a real user adds.
#include "pool_workloads.hpp"

namespace bench {

void register_cycles() {
  for_each_contender([]<template <class> class Contender>() {
    for (const std::size_t bytes : kSizesBytes) {
      benchmark::RegisterBenchmark(benchmark_name<Contender<char>, char>("cycle", bytes).c_str(),
                                   same_thread<Contender<char>, char, true>, bytes)
          ->UseRealTime()->Threads(1)->Threads(2);
      benchmark::RegisterBenchmark(benchmark_name<Contender<float>, float>("cycle", bytes).c_str(),
                                   same_thread<Contender<float>, float, true>, bytes / sizeof(float))
          ->UseRealTime()->Threads(1)->Threads(2);
    }
  });
}

}  // namespace bench
