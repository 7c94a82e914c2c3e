// Mutant pools: the real bufpool pools with one fault switched in (bufpool::testing::Fault), each
// naming what is expected to catch it. `stress --mutant NAME` runs one; the harness must catch every one,
// and must never flag the correct pools.
//
// Adding a mutant: the Fault value and its code in the pool, and one row of kMutants below.
// visit_fault turns a row into its fault as a compile-time constant, so the drivers (mutant_rounds.cpp,
// det_rounds.cpp) instantiate every mutant pool from this table without a switch of their own.
// Pure data and compile-time dispatch; thread-safe.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>

#include "bufpool/testing/faults.hpp"  // Fault and WithFaults are named only in this header
#include "poolcheck/pool_kind.hpp"
#include "poolcheck/registry_names.hpp"
#include "poolcheck/violation.hpp"

namespace poolcheck {

// A set of oracles (bit i: OracleKind(i)).
struct OracleSet {
  std::uint32_t bits = 0;
  constexpr OracleSet() = default;
  constexpr OracleSet(std::initializer_list<OracleKind> kinds) {
    for (OracleKind k : kinds) bits |= 1u << static_cast<unsigned>(k);
  }
  constexpr bool contains(OracleKind k) const noexcept { return (bits >> static_cast<unsigned>(k)) & 1u; }
  constexpr bool empty() const noexcept { return bits == 0; }
};

struct Mutant {
  std::string_view name;
  bufpool::testing::Fault fault;
  std::string_view summary;
  PoolFamilies in_pools;  // the pool families the fault exists in
  // The oracle that catches it in every build; none when only ThreadSanitizer can see it.
  std::optional<OracleKind> caught_by;
  OracleSet or_by;        // other oracles that may report it first
  bool tsan_reports;      // a TSan build reports it (before any oracle does)
  // Display only (--list): how a sanitizer build reports it, or when another oracle comes first.
  std::string_view note = {};
  // The program scenario (scenario_catalog) under which its oracles catch it every time: the
  // self-test runs the row under it, and a row whose scenario can miss it is a flaky gate. Clearing
  // faults show only where give_backs clear; clear-after-publish needs clears slow enough, and
  // renters close enough behind a give_back, for one to see the late zeroing (clear-sensitive:
  // every give_back clears, arrays up to 512 KiB, few chaos delays; mixed missed it in 2 of 10
  // seeds at --duration 3, clear-sensitive caught it in 10 of 10, by leakage).
  std::string_view scenario = "mixed";

  // Invisible without ThreadSanitizer: only a TSan build is expected to catch it.
  constexpr bool needs_tsan() const noexcept { return !caught_by.has_value(); }
  constexpr bool in_pool(PoolFamily f) const noexcept { return in_pools.contains(f); }
};

namespace mutant_rows {
using bufpool::testing::Fault;
using enum OracleKind;
inline constexpr PoolFamilies kBoth = PoolFamily::locked | PoolFamily::shared;
inline constexpr PoolFamilies kLocked = only(PoolFamily::locked);
inline constexpr PoolFamilies kShared = only(PoolFamily::shared);

inline constexpr std::array kMutants = {
    Mutant{"no-lock", Fault::no_lock, "bucket and partition stacks are pushed and popped without their lock", kBoth,
           aliasing, {exclusivity, stats}, true},
    Mutant{"ignore-cap", Fault::ignore_cap, "give_back keeps arrays even when the bucket is full", kBoth, bucket_cap,
           {stats}, false, "stats first, when a stats op reads a high_water above the cap while busy"},
    Mutant{"ignore-clear", Fault::ignore_clear, "give_back(clear_array = true) does not zero", kBoth, leakage, {},
           false, {}, "clear-sensitive"},
    Mutant{"clear-after-publish", Fault::clear_after_publish,
           "the array is zeroed after it is back in the shared stack, under the next renter's feet", kLocked,
           exclusivity, {leakage}, false, "asan: use-after-poison", "clear-sensitive"},
    Mutant{"double-push", Fault::double_push, "give_back pushes the array twice: two renters share it", kBoth,
           aliasing, {stats}, false},
    Mutant{"off-by-one-bucket", Fault::off_by_one_bucket, "give_back files the array one bucket too high", kBoth,
           size_contract, {}, false},
    Mutant{"tls-slot-kept", Fault::tls_slot_kept, "rent from the thread-local slot leaves the array in the slot",
           kShared, aliasing, {}, false},
    Mutant{"lose-array", Fault::lose_array, "a dropped or trimmed array is forgotten instead of freed", kBoth,
           accounting, {bucket_cap, stats}, false,
           "the cap first, when many arrays pile up; statistics, when the pool counts a drop it never freed"},
    Mutant{"partial-clear", Fault::partial_clear,
           "give_back(clear_array = true) zeroes only the first half (the smaller bucket's worth)", kBoth, leakage,
           {}, false, {}, "clear-sensitive"},
    Mutant{"lease-drops-clear", Fault::lease_drops_clear,
           "a Lease asked to clear gives its array back without clearing (the RAII wrapper drops the flag)", kBoth,
           leakage, {}, false, {}, "clear-sensitive"},
    Mutant{"racy-stats", Fault::racy_stats, "a statistics counter is a plain shared integer", kBoth, std::nullopt,
           {}, true},
    // The parts of the API beyond rent and give_back: trim, misuse, leases, thread exit, the
    // next-bucket fallback, statistics; and the check-then-act cap race. What each needs to be
    // seen: cap-check-race, a cap checked exactly (at quiescence or a quiescent checkpoint: the
    // running check allows cap + threads) and caps small enough to fill, with give_backs crowding
    // into few buckets (small-buffers: at the self-test's 64 threads and cap 4, mixed missed it in
    // 12 s, small-buffers caught it in 0.1 to 4 s over seeds 1 to 4); trim-*, trim ops while
    // other threads rent, give back and hold slots; oversize-kept, the largest bucket rented often
    // and arrays above it counted as over-size at quiescence; foreign-size-accepted and
    // empty-span-throws, misuse ops; lease-whole-capacity, span().size() == n checked at every
    // lease; exit-*, threads that exit holding slots (every worker does at the end of a round; a
    // lost array is unleased, so the cap sees it before accounting does); round-up-exact, a rent
    // that rounds up twice (its next bucket exhausted), or at once the next bucket allowed only
    // when the requested one is exhausted; fresh-wrong-bucket and drops-uncounted, per-bucket
    // statistics and drops checked against the ledger's allocations and frees at quiescence.
    Mutant{"cap-check-race", Fault::cap_check_race,
           "the cap is checked apart from the push (a count read before locking; check, unlock, re-lock): "
           "concurrent give_backs push past it",
           kBoth, stats, {bucket_cap}, false, "the cap first where no stats op reads the pool while busy",
           "small-buffers"},
    Mutant{"trim-unlocked", Fault::trim_unlocked, "trim() walks the partitions without their locks", kShared,
           size_contract, {stats, bucket_cap, aliasing, accounting, exclusivity}, true},
    Mutant{"trim-frees-slots", Fault::trim_frees_other_slots,
           "trim(high) frees other threads' slot arrays itself while their owners use them", kShared,
           size_contract, {stats, aliasing, accounting, exclusivity}, false, "asan: use-after-free", "trim-heavy"},
    Mutant{"foreign-size-accepted", Fault::foreign_size_accepted,
           "give_back of a span that is not a bucket capacity is filed by the bucket its size rounds up to", kBoth,
           size_contract, {aliasing}, false},
    Mutant{"empty-span-throws", Fault::empty_span_throws, "give_back of an empty span throws std::invalid_argument",
           kBoth, pool_error, {}, false},
    Mutant{"oversize-kept", Fault::oversize_kept,
           "give_back of an over-size array files it in the largest bucket instead of freeing it", kLocked, stats,
           {size_contract, accounting}, false, {}, "large-buffers"},
    Mutant{"lease-whole-capacity", Fault::lease_whole_capacity,
           "lease(n).span() is the whole bucket capacity, not n elements", kBoth, size_contract, {}, false,
           "asan: use-after-poison once the span is written"},
    Mutant{"exit-leaks-when-full", Fault::exit_leaks_when_full,
           "an exiting thread's slot array that no partition takes is neither kept nor freed", kShared, bucket_cap,
           {accounting}, false},
    Mutant{"exit-counters-early", Fault::exit_counters_early,
           "an exiting thread's counters are retired before its slots are absorbed: those give_backs go uncounted",
           kShared, stats, {}, false},
    Mutant{"round-up-exact", Fault::round_up_exact,
           "rent(n) of an exact bucket capacity is served by the next bucket up (bucket math without the - 1)",
           kLocked, size_contract, {stats}, false},
    Mutant{"fresh-wrong-bucket", Fault::fresh_wrong_bucket,
           "a fresh array for an exhausted bucket pair is counted in the larger bucket's statistics", kLocked, stats,
           {}, false},
    Mutant{"oversize-uncounted", Fault::oversize_uncounted, "over-size rents are not counted in stats()", kLocked,
           stats, {}, false},
    Mutant{"drops-uncounted", Fault::drops_uncounted,
           "arrays freed because their bucket was full are not counted as drops", kBoth, stats, {}, false},
};
}  // namespace mutant_rows
using mutant_rows::kMutants;

constexpr bool mutant_rows_are_sound() {
  for (std::size_t i = 0; i < kMutants.size(); ++i) {
    const Mutant& m = kMutants[i];
    if (m.fault == bufpool::testing::Fault::none || m.in_pools.bits == 0) return false;
    if (m.needs_tsan() && !m.tsan_reports) return false;  // nothing would ever catch it
    for (std::size_t j = 0; j < i; ++j) {
      if (kMutants[j].fault == m.fault || kMutants[j].name == m.name) return false;
    }
  }
  return true;
}
static_assert(mutant_rows_are_sound(), "every mutant: its own fault and name, a pool, a catcher");

constexpr std::span<const Mutant> mutant_catalog() noexcept { return kMutants; }
constexpr const Mutant* find_mutant(std::string_view name) noexcept {
  return find_by_name(kMutants, name);
}

// What catches it, as `stress --list` and the self-test's JSON print it: "tsan; aliasing or
// exclusivity without it", "exclusivity (asan: use-after-poison)", "leakage", "tsan".
std::string caught_by_text(const Mutant& m);

// Base with the fault(s) `faults` switched in: the policy of a mutant pool.
template <class Base, std::uint32_t faults>
using MutantPolicy = bufpool::testing::WithFaults<Base, faults>;

namespace detail {
template <std::size_t I>
using FaultConstant = std::integral_constant<std::uint32_t, static_cast<std::uint32_t>(kMutants[I].fault)>;

template <std::size_t I, class Fn>
decltype(auto) visit_fault_from(const Mutant& m, Fn& fn) {
  if constexpr (I + 1 == kMutants.size()) {
    if (m.fault != kMutants[I].fault) throw std::logic_error("mutant '" + std::string(m.name) + "' not in the catalog");
    return fn(FaultConstant<I>{});
  } else {
    if (m.fault == kMutants[I].fault) return fn(FaultConstant<I>{});
    return visit_fault_from<I + 1>(m, fn);
  }
}
}  // namespace detail

// Calls fn(std::integral_constant<std::uint32_t, fault bits of m>{}) and returns its result: one
// instantiation of fn per catalog row (use MutantPolicy<Base, decltype(f)::value>).
template <class Fn>
decltype(auto) visit_fault(const Mutant& m, Fn&& fn) {
  return detail::visit_fault_from<0>(m, fn);
}

}  // namespace poolcheck
