// poolcheck's `stress` for lockfree::Pool: the whole glue a user writes. LOCKFREE_POOL_BUG (none,
// aba or cap_race; CMakeLists.txt sets it per target) picks the pool's variant.
#include <poolcheck/check.hpp>

#include "lockfree_pool.hpp"

#ifndef LOCKFREE_POOL_BUG
#define LOCKFREE_POOL_BUG none
#endif

template <class Sync>
using Base = lockfree::Pool<std::byte, lockfree::Bug::LOCKFREE_POOL_BUG, Sync, poolcheck::CountingAllocator<std::byte>>;

template <class Sync>
struct Checked : Base<Sync> {
  Checked(const poolcheck::PoolConfig& c, poolcheck::CountingAllocator<std::byte> a)
      : Base<Sync>({c.max_array_length, c.max_per_bucket}, a) {}
  static poolcheck::PoolFacts facts(const poolcheck::PoolConfig& c) {
    return {.classes = poolcheck::SizeClasses::geometric(16, Base<Sync>::largest_bucket_for(c.max_array_length)),
            .resting_cap = c.max_per_bucket};
  }
};

int main(int argc, char** argv) { return poolcheck::stress_main<Checked>(argc, argv, "lockfree"); }
