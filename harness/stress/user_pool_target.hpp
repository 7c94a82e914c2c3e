// A user's pool as a row of stress's pool table (pool_target.hpp): the adapter contract, and the
// free-running and deterministic rounds built from it. poolcheck/check.hpp is the front door.
//
// The adapter is a class template over a Sync bundle (poolcheck/det.hpp): Adapter<StdSync> runs
// free, Adapter<det::Sync> under a schedule, where every atomic operation and lock of the pool is
// a scheduling point. What Adapter<Sync> must provide is the concept PoolAdapter below.
#pragma once

#include <concepts>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>

#include "poolcheck/counting_allocator.hpp"
#include "poolcheck/det.hpp"
#include "poolcheck/pool_under_test.hpp"
#include "pool_target.hpp"
#include "round_runner.hpp"

namespace poolcheck {

// The configuration a round builds a pool with: --max-array-length and --max-per-bucket (drawn per
// round from its seed unless the command line pins them; see round_config.hpp). A user's pool reads
// max_array_length (its largest size class) and max_per_bucket (its cap per size class);
// partitions and arrays_per_partition configure bufpool's shared pool only.
using PoolConfig = PoolSettings;

// Names the Sync bundle a factory builds for (see stress_main's factory).
template <class Sync>
struct SyncTag {
  using type = Sync;
};

// What an adapter provides (as a concept, so a mistake is one clear compile error):
//   using value_type = T;
//   std::span<T> rent(std::size_t n);                    // bufpool's contract: n elements or more
//   void give_back(std::span<T> array, bool clear);      // clear: zero it before anyone rents it again
//   static poolcheck::PoolFacts facts(const PoolConfig&); // its size classes and caps for that config
// and one of these constructors (unless a factory builds it):
//   Adapter(const PoolConfig&, poolcheck::CountingAllocator<T>)  a std::allocator-shaped allocator,
//   Adapter(const PoolConfig&, poolcheck::CountingArrayAllocator) or bufpool's (bytes, alignment)
//                                       one: arrays allocated through poolcheck's counting
//                                       allocators, every oracle runs (the rules a pool must follow
//                                       are in poolcheck/counting_allocator.hpp)
//   Adapter(const PoolConfig&)          the pool allocates by itself: the oracles that need the
//                                       allocator's counts are off, and stress says which
// lease(n, clear) -> bufpool::Lease<T>, stats() -> bufpool::PoolStats and trim(bufpool::TrimPressure)
// are used when present, and `static constexpr bool refuses_foreign_lengths = true;` turns on the
// misuse op (pool_under_test.hpp says what it promises).
template <class A>
concept PoolAdapter = PoolUnderTest<A> && requires(const PoolConfig& config) {
  { A::facts(config) } -> std::convertible_to<PoolFacts>;
};

// The allocator an adapter takes: the typed one if it can, else the byte one, else none (void).
template <class A>
using AdapterAllocator = std::conditional_t<
    std::is_constructible_v<A, const PoolConfig&, CountingAllocator<typename A::value_type>>,
    CountingAllocator<typename A::value_type>,
    std::conditional_t<std::is_constructible_v<A, const PoolConfig&, CountingArrayAllocator>, CountingArrayAllocator,
                       void>>;
template <class A>
inline constexpr bool kAdapterCounted = !std::is_void_v<AdapterAllocator<A>>;

// The oracles an uncounted pool runs without, and why.
inline std::vector<std::string> oracles_off_uncounted() {
  const std::string why = ": the pool does not allocate through poolcheck's counting allocator";
  return {"aliasing" + why, "leakage" + why, "bucket-cap" + why, "accounting" + why,
          "size-contract's allocation check" + why, "stats" + why};
}

// The misuse op's reason to be off on an adapter that declares no contract for it.
inline std::string misuse_off() {
  return "misuse (give_back of a foreign length, an empty span): the adapter does not declare "
         "refuses_foreign_lengths";
}

namespace detail {

// Builds Pool = Adapter<Sync> through its constructor, or through the user's factory:
// Factory{}(SyncTag<Sync>{}, config, allocator) -> std::unique_ptr<Adapter<Sync>>, with allocator a
// CountingAllocator<T> (omitted for a pool that allocates by itself). Factory = void: the
// constructor. The maker of CountedPool (counted_pool.hpp).
template <class Pool, class Sync, class Factory>
struct AdapterMaker {
  using T = typename Pool::value_type;
  static constexpr bool counted() {
    if constexpr (!std::is_void_v<Factory>) {
      return std::is_invocable_v<Factory, SyncTag<Sync>, const PoolConfig&, CountingAllocator<T>>;
    } else {
      return kAdapterCounted<Pool>;
    }
  }
  static SizeClasses layout(const PoolSettings& s) { return PoolFacts(Pool::facts(s)).classes; }
  template <class P>
  static std::unique_ptr<P> make(const PoolSettings& s, CountingArrayAllocator bytes) {
    static_assert(std::is_same_v<P, Pool>);
    if constexpr (!std::is_void_v<Factory>) {
      if constexpr (counted()) {
        return Factory{}(SyncTag<Sync>{}, s, CountingAllocator<T>(bytes.ledger()));
      } else {
        return Factory{}(SyncTag<Sync>{}, s);
      }
    } else if constexpr (std::is_same_v<AdapterAllocator<Pool>, CountingArrayAllocator>) {
      return std::make_unique<Pool>(s, bytes);
    } else if constexpr (kAdapterCounted<Pool>) {
      return std::make_unique<Pool>(s, CountingAllocator<T>(bytes.ledger()));
    } else {
      static_assert(std::is_constructible_v<Pool, const PoolConfig&>,
                    "the adapter needs a constructor (const PoolConfig&, CountingAllocator<T>), "
                    "(const PoolConfig&, CountingArrayAllocator) or (const PoolConfig&), or a factory");
      return std::make_unique<Pool>(s);
    }
  }
  static PoolFacts facts(const Pool&, const PoolSettings& s) {
    PoolFacts f = Pool::facts(s);
    f.counted = counted();
    return f;
  }
};

template <template <class> class Adapter, class Factory>
RunOutcome run_adapter_free(const StressSettings& s, const ProgramSet& programs, const StressHooks& hooks,
                            std::uint32_t round, bufpool::PoolStats& stats_out) {
  using Pool = Adapter<StdSync>;
  static_assert(PoolAdapter<Pool>, "Adapter<poolcheck::StdSync> does not meet poolcheck::PoolAdapter");
  if (s.noise) {  // the det::Sync build, whose points are where point noise stops threads
    using Noisy = Adapter<det::Sync>;
    return run_fresh_pool<Noisy, AdapterMaker<Noisy, det::Sync, Factory>>(s, free_running(programs, s, hooks, round),
                                                                           stats_out);
  }
  return run_fresh_pool<Pool, AdapterMaker<Pool, StdSync, Factory>>(s, free_running(programs, s, hooks, round), stats_out);
}

template <template <class> class Adapter, class Factory>
RunOutcome run_adapter_det(const StressSettings& s, const ProgramSet& programs, det::Strategy& strategy,
                           det::ScheduleResult& schedule_out, bufpool::PoolStats& stats_out,
                           const std::atomic<bool>* interrupt) {
  using Pool = Adapter<det::Sync>;
  static_assert(PoolAdapter<Pool>, "Adapter<poolcheck::det::Sync> does not meet poolcheck::PoolAdapter");
  return run_fresh_pool<Pool, AdapterMaker<Pool, det::Sync, Factory>>(
      s, under_schedule(programs, s, strategy, schedule_out, interrupt), stats_out);
}

}  // namespace detail

// The row for a user's pool: `--pool name`, free-running on Adapter<StdSync>, deterministic on
// Adapter<det::Sync>. Factory: see detail::AdapterMaker (void: the adapter's constructor).
template <template <class> class Adapter, class Factory = void>
PoolTarget adapter_target(std::string name, std::string summary) {
  using Free = Adapter<StdSync>;
  PoolTarget t;
  t.name = std::move(name);
  t.summary = std::move(summary);
  t.cap_flags = CapFlags::per_bucket;
  // Rents just above the largest class are over-size; above 1 GiB the programs would not fit.
  t.over_size_reachable = PoolFacts(Free::facts(PoolConfig{})).classes.largest() <= (std::size_t{1} << 28);
  t.layout = detail::AdapterMaker<Free, StdSync, Factory>::layout;
  t.run_free = detail::run_adapter_free<Adapter, Factory>;
  t.run_det = detail::run_adapter_det<Adapter, Factory>;
  if (!detail::AdapterMaker<Free, StdSync, Factory>::counted()) t.oracles_off = oracles_off_uncounted();
  if (!misuse_defined<Free>()) t.oracles_off.push_back(misuse_off());
  return t;
}

}  // namespace poolcheck
