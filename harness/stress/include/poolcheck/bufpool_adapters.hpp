// bufpool's pools as PoolAdapters (user_pool_target.hpp): what check_handler rents from when the
// handler has no pool of its own, and a worked example of the adapter contract for a pool
// templated on a policy rather than a Sync bundle.
//
//   BufpoolLocked<Sync>   bufpool::LockedArrayPool, --max-per-bucket arrays per bucket
//   BufpoolShared<Sync>   bufpool::SharedArrayPool with one partition of --max-per-bucket arrays and a
//                         thread-local slot per thread and bucket
//
// Sync is poolcheck::StdSync (production atomics and mutexes over the counting allocator) or
// poolcheck::det::Sync (every atomic and lock a scheduling point).
#pragma once

#include <cstddef>

#include "bufpool/array_pool.hpp"
#include "poolcheck/counting_allocator.hpp"
#include "poolcheck/det.hpp"
#include "poolcheck/pool_kind.hpp"
#include "poolcheck/deterministic/det_policy.hpp"
#include "user_pool_target.hpp"

namespace poolcheck {

// The bufpool policy of a Sync bundle.
template <class Sync>
struct BufpoolPolicyFor {
  using type = HarnessPolicy;
};
template <>
struct BufpoolPolicyFor<det::Sync> {
  using type = det::DeterministicPolicy;
};

// One of bufpool's pools behind the adapter contract: the pool itself (bufpool's pools are final),
// its calls forwarded, and policy_type exposed so bufpool's misuse contract applies to it.
template <class Pool>
class BufpoolAdapter {
 public:
  using value_type = typename Pool::value_type;
  using policy_type = typename Pool::policy_type;

  template <class Options>
  BufpoolAdapter(const Options& options, CountingArrayAllocator a) : pool_(options, a) {}

  std::span<value_type> rent(std::size_t n) { return pool_.rent(n); }
  void give_back(std::span<value_type> array, bool clear = false) { pool_.give_back(array, clear); }
  bufpool::Lease<value_type> lease(std::size_t n, bool clear = false) { return pool_.lease(n, clear); }
  bufpool::PoolStats stats() const { return pool_.stats(); }
  void trim(bufpool::TrimPressure pressure)
    requires TrimmingPool<Pool>
  {
    pool_.trim(pressure);
  }

 private:
  Pool pool_;
};

template <class Sync>
class BufpoolLocked : public BufpoolAdapter<bufpool::LockedArrayPool<std::byte, typename BufpoolPolicyFor<Sync>::type>> {
 public:
  BufpoolLocked(const PoolConfig& c, CountingArrayAllocator a)
      : BufpoolLocked::BufpoolAdapter(bufpool::PoolOptions{static_cast<std::size_t>(c.max_array_length),
                                                           static_cast<std::size_t>(c.max_per_bucket)},
                                      a) {}
  static PoolFacts facts(const PoolConfig& c) {
    return PoolFacts{PoolFamilyOf<PoolFamily::locked>::layout(c), static_cast<std::size_t>(c.max_per_bucket), 0, true,
                     /*may_serve_next_bucket=*/true};
  }
};

template <class Sync>
class BufpoolShared : public BufpoolAdapter<bufpool::SharedArrayPool<std::byte, typename BufpoolPolicyFor<Sync>::type>> {
 public:
  BufpoolShared(const PoolConfig& c, CountingArrayAllocator a) : BufpoolShared::BufpoolAdapter(options(c), a) {}
  static PoolFacts facts(const PoolConfig& c) {
    return PoolFacts{PoolFamilyOf<PoolFamily::shared>::layout(c), static_cast<std::size_t>(c.max_per_bucket), 1, true,
                     /*may_serve_next_bucket=*/false};
  }

 private:
  static bufpool::SharedPoolOptions options(const PoolConfig& c) {
    bufpool::SharedPoolOptions o;
    o.partitions = 1;
    o.arrays_per_partition = static_cast<std::size_t>(c.max_per_bucket);
    return o;
  }
};

}  // namespace poolcheck
