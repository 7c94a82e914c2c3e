// lockfree::Pool behind poolcheck's adapter contract: the whole of what poolcheck needs to know
// about it. Shared by its `stress` (lockfree_stress.cpp) and its GoogleTest check
// (lockfree_check.cpp). Bug B picks the pool's variant.
#pragma once

#include <poolcheck/check.hpp>

#include "lockfree_pool.hpp"

template <lockfree::Bug B>
struct LockfreeAdapter {
  template <class Sync>
  using Base = lockfree::Pool<std::byte, B, Sync, poolcheck::CountingAllocator<std::byte>>;

  template <class Sync>
  struct Checked : Base<Sync> {
    // give_back throws std::invalid_argument for a length that is no bucket capacity.
    static constexpr bool refuses_foreign_lengths = true;
    Checked(const poolcheck::PoolConfig& c, poolcheck::CountingAllocator<std::byte> a)
        : Base<Sync>({c.max_array_length, c.max_per_bucket}, a) {}
    static poolcheck::PoolFacts facts(const poolcheck::PoolConfig& c) {
      return {.classes = poolcheck::SizeClasses::geometric(16, Base<Sync>::largest_bucket_for(c.max_array_length)),
              .resting_cap = c.max_per_bucket};
    }
  };
};
