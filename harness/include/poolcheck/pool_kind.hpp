// The pool registry: every pool `stress --pool` and the workloads can build, as one table, and the
// one visitor that turns a table entry (and a policy) into the pool type. A family is a pool class
// (bufpool's locked and shared pools); its PoolFamilyOf traits say how the harness builds one over
// the counting allocator, what the oracles must know of it and which settings its replay line names.
//
// Adding a pool: the pool itself, and in this file a PoolKind value and a row; a new pool class
// also gets a PoolFamily value, an entry in kPoolFamilies, its PoolFamilyOf traits and its
// FamilyOfPool line. Pure data and compile-time dispatch; thread-safe.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "bufpool/array_pool.hpp"
#include "bufpool/buckets.hpp"
#include "poolcheck/counting_allocator.hpp"
#include "poolcheck/pool_under_test.hpp"
#include "poolcheck/registry_names.hpp"

namespace poolcheck {

// The pool class an entry builds. Also a bit of PoolFamilies (mutant_catalog: where a fault exists).
enum class PoolFamily : std::uint8_t { locked = 1u << 0, shared = 1u << 1 };

// A set of families.
struct PoolFamilies {
  std::uint8_t bits = 0;
  constexpr bool contains(PoolFamily f) const noexcept { return (bits & static_cast<std::uint8_t>(f)) != 0; }
  constexpr bool operator==(const PoolFamilies&) const noexcept = default;
};
constexpr PoolFamilies operator|(PoolFamily a, PoolFamily b) noexcept {
  return PoolFamilies{static_cast<std::uint8_t>(static_cast<std::uint8_t>(a) | static_cast<std::uint8_t>(b))};
}
constexpr PoolFamilies only(PoolFamily f) noexcept { return PoolFamilies{static_cast<std::uint8_t>(f)}; }
inline constexpr std::array kPoolFamilies = {PoolFamily::locked, PoolFamily::shared};
constexpr std::string_view to_string(PoolFamily f) noexcept {
  switch (f) {
    case PoolFamily::locked: return "locked";
    case PoolFamily::shared: return "shared";
  }
  return "?";
}

// One value per registry row, in row order.
enum class PoolKind { shared, locked, checked_shared, checked_locked };

struct PoolEntry {
  PoolKind kind;
  std::string_view name;     // --pool NAME
  std::string_view summary;  // the --list text
  PoolFamily family;
  bool checked;              // built in checked mode (poison fill, live-array tracking)
};

inline constexpr std::array kPools = {
    PoolEntry{PoolKind::shared, "shared", "bufpool::SharedArrayPool (thread-local slots + per-core partitions)",
              PoolFamily::shared, false},
    PoolEntry{PoolKind::locked, "locked", "bufpool::LockedArrayPool (one locked stack per bucket)",
              PoolFamily::locked, false},
    PoolEntry{PoolKind::checked_shared, "checked-shared",
              "the shared pool in checked mode (poison fill, live-array tracking)", PoolFamily::shared, true},
    PoolEntry{PoolKind::checked_locked, "checked-locked", "the locked pool in checked mode", PoolFamily::locked,
              true},
};

constexpr bool pool_rows_in_kind_order() {
  for (std::size_t i = 0; i < kPools.size(); ++i) {
    if (static_cast<std::size_t>(kPools[i].kind) != i) return false;
  }
  return true;
}
static_assert(pool_rows_in_kind_order(), "kPools[i].kind must be PoolKind(i)");

constexpr bool every_family_has_a_plain_pool() {
  for (PoolFamily f : kPoolFamilies) {
    bool found = false;
    for (const PoolEntry& p : kPools) found = found || (p.family == f && !p.checked);
    if (!found) return false;
  }
  return true;
}
static_assert(every_family_has_a_plain_pool(), "mutants and the self-test need an unchecked pool of every family");

constexpr std::span<const PoolEntry> pool_registry() noexcept { return kPools; }
constexpr const PoolEntry& pool_entry(PoolKind kind) noexcept { return kPools[static_cast<std::size_t>(kind)]; }
constexpr const PoolEntry* find_pool(std::string_view name) noexcept {
  return find_by_name(kPools, name);
}

// The unchecked pool of a family (the one mutants are built from).
constexpr const PoolEntry& plain_pool(PoolFamily family) {
  for (const PoolEntry& p : kPools) {
    if (p.family == family && !p.checked) return p;
  }
  throw std::logic_error("a pool family without an unchecked row");
}

constexpr std::string_view to_string(PoolKind kind) noexcept { return pool_entry(kind).name; }
inline std::optional<PoolKind> pool_kind_from_name(std::string_view name) noexcept {
  const PoolEntry* p = find_pool(name);
  return p != nullptr ? std::optional<PoolKind>(p->kind) : std::nullopt;
}
// The names, in row order (for CLI11's IsMember).
const std::vector<std::string>& pool_kind_names();

// ---- Families: from an entry to its type, and how the harness builds and describes one ----

// The options every family is built from (stress's --max-array-length, --max-per-bucket,
// --partitions, --arrays-per-partition); each family reads the ones it has.
struct PoolSettings {
  std::uint64_t max_array_length = 1024 * 1024;
  std::uint64_t max_per_bucket = 50;
  std::uint64_t partitions = 0;  // 0: one per core
  std::uint64_t arrays_per_partition = 32;
};

// A family's traits: `type<T, Policy>`, `layout(settings)` (the size classes a pool built from
// those settings will have, known before it is built: its ledger is built first),
// `make<Pool>(settings, allocator)`, `facts(pool)` (throws std::logic_error when the pool's own
// buckets disagree with its layout), and `kOverSizeReachable` (whether programs can rent above its
// largest bucket at all). The flags a replay line names come from the pool's PoolTarget (stress).
template <PoolFamily F>
struct PoolFamilyOf;

namespace detail {
// The facts of a bufpool pool, its buckets checked against the layout its family predicts.
template <class Pool>
PoolFacts bufpool_facts(const Pool& pool, const SizeClasses& layout, std::size_t resting_cap,
                        std::size_t slots_per_thread, bool may_serve_next_bucket) {
  if (pool.largest_bucket() != layout.largest() || pool.bucket_count() != layout.count()) {
    throw std::logic_error("the pool has " + std::to_string(pool.bucket_count()) + " buckets up to " +
                           std::to_string(pool.largest_bucket()) + " elements; its family's layout has " +
                           std::to_string(layout.count()) + " up to " + std::to_string(layout.largest()));
  }
  return PoolFacts{layout, resting_cap, slots_per_thread, true, may_serve_next_bucket};
}
}  // namespace detail

template <>
struct PoolFamilyOf<PoolFamily::locked> {
  template <class T, class Policy>
  using type = bufpool::LockedArrayPool<T, Policy>;
  static constexpr bool kOverSizeReachable = true;
  // Buckets 16 * 2^k up to max_array_length rounded up to one, clamped to bufpool's largest.
  static SizeClasses layout(const PoolSettings& s) {
    const std::size_t length = static_cast<std::size_t>(
        std::clamp<std::uint64_t>(s.max_array_length, bufpool::kMinBucketLength, bufpool::kMaxBucketLength));
    return SizeClasses::bufpool(bufpool::bucket_capacity(bufpool::bucket_index(length)));
  }
  template <class Pool>
  static std::unique_ptr<Pool> make(const PoolSettings& s, CountingArrayAllocator allocator) {
    return std::make_unique<Pool>(
        bufpool::PoolOptions{static_cast<std::size_t>(s.max_array_length), static_cast<std::size_t>(s.max_per_bucket)},
        allocator);
  }
  template <class Pool>
  static PoolFacts facts(const Pool& pool) {
    PoolSettings s;
    s.max_array_length = pool.options().max_array_length;
    return detail::bufpool_facts(pool, layout(s), pool.options().max_arrays_per_bucket, 0,
                                 /*may_serve_next_bucket=*/true);
  }
};

template <>
struct PoolFamilyOf<PoolFamily::shared> {
  template <class T, class Policy>
  using type = bufpool::SharedArrayPool<T, Policy>;
  // Its largest bucket is 2^30 elements: over-size there means rents above 1 GiB.
  static constexpr bool kOverSizeReachable = false;
  static SizeClasses layout(const PoolSettings&) { return SizeClasses::bufpool(bufpool::kMaxBucketLength); }
  template <class Pool>
  static std::unique_ptr<Pool> make(const PoolSettings& s, CountingArrayAllocator allocator) {
    bufpool::SharedPoolOptions options;
    options.partitions = static_cast<std::size_t>(s.partitions);
    options.arrays_per_partition = static_cast<std::size_t>(s.arrays_per_partition);
    return std::make_unique<Pool>(options, allocator);
  }
  template <class Pool>
  static PoolFacts facts(const Pool& pool) {
    return detail::bufpool_facts(pool, layout(PoolSettings{}),
                                 pool.options().partitions * pool.options().arrays_per_partition, 1,
                                 /*may_serve_next_bucket=*/false);
  }
};

// The family of a pool type: FamilyOfPool<Pool> is its PoolFamilyOf traits.
template <class Pool>
struct FamilyOfPool;
template <class T, class Policy>
struct FamilyOfPool<bufpool::LockedArrayPool<T, Policy>> : PoolFamilyOf<PoolFamily::locked> {};
template <class T, class Policy>
struct FamilyOfPool<bufpool::SharedArrayPool<T, Policy>> : PoolFamilyOf<PoolFamily::shared> {};

namespace detail {
template <std::size_t I, class Fn>
decltype(auto) visit_family_from(PoolFamily f, Fn& fn) {
  if constexpr (I + 1 == kPoolFamilies.size()) {
    return fn(PoolFamilyOf<kPoolFamilies[I]>{});
  } else {
    if (kPoolFamilies[I] == f) return fn(PoolFamilyOf<kPoolFamilies[I]>{});
    return visit_family_from<I + 1>(f, fn);
  }
}
}  // namespace detail

// Calls fn(PoolFamilyOf<f>{}) and returns its result.
template <class Fn>
decltype(auto) visit_family(PoolFamily f, Fn&& fn) {
  return detail::visit_family_from<0>(f, fn);
}

// Policy in checked mode.
template <class Policy>
struct CheckedPolicy : Policy {
  static constexpr bool checked = true;
};

// Row I of the registry over Policy, as a template over the element type: Pool<T> is the pool type,
// `entry` its row. One workload can build char, uint8_t and float pools of one flavour from it.
template <std::size_t I, class Policy>
struct PoolFlavour {
  static constexpr const PoolEntry& entry = kPools[I];
  template <class T>
  using Pool = typename PoolFamilyOf<kPools[I].family>::template type<
      T, std::conditional_t<kPools[I].checked, CheckedPolicy<Policy>, Policy>>;
};

constexpr bool any_pool(const PoolEntry&) noexcept { return true; }
constexpr bool unchecked_pool(const PoolEntry& e) noexcept { return !e.checked; }

namespace detail {
template <bool (*Admit)(const PoolEntry&)>
constexpr std::size_t last_admitted() {
  std::size_t last = kPools.size();
  for (std::size_t i = 0; i < kPools.size(); ++i) {
    if (Admit(kPools[i])) last = i;
  }
  return last;
}

template <class Policy, bool (*Admit)(const PoolEntry&), std::size_t I, class Fn>
decltype(auto) visit_pool_from(PoolKind kind, Fn& fn) {
  constexpr std::size_t kLast = last_admitted<Admit>();
  static_assert(kLast < kPools.size(), "no pool admitted");
  if constexpr (!Admit(kPools[I])) {
    return visit_pool_from<Policy, Admit, I + 1>(kind, fn);
  } else if constexpr (I == kLast) {
    if (kPools[I].kind != kind) throw std::logic_error("pool '" + std::string(to_string(kind)) + "' not built here");
    return fn(PoolFlavour<I, Policy>{});
  } else {
    if (kPools[I].kind == kind) return fn(PoolFlavour<I, Policy>{});
    return visit_pool_from<Policy, Admit, I + 1>(kind, fn);
  }
}
}  // namespace detail

// Calls fn(PoolFlavour<row of `entry`, Policy>{}) and returns its result. Only the rows Admit
// accepts are instantiated (mutants: unchecked_pool); another row throws std::logic_error.
template <class Policy, bool (*Admit)(const PoolEntry&) = any_pool, class Fn>
decltype(auto) visit_pool(const PoolEntry& entry, Fn&& fn) {
  return detail::visit_pool_from<Policy, Admit, 0>(entry.kind, fn);
}

}  // namespace poolcheck
