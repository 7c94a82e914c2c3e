// The harness's mutant switches: faults a policy can switch into the real pool code so that the
// checker can prove it catches each kind of bug. Not for production: a policy with any fault set
// builds a deliberately broken pool. Production policies (DefaultPoolPolicy, CheckedPoolPolicy)
// have none, and a policy that does not name `faults` has none.
//
// The pool's own code asks has_fault<Policy>(f) in `if constexpr` and template arguments only, so
// a policy without faults compiles to the correct pool with no trace of the switches.
#pragma once

#include <cstdint>

namespace bufpool::testing {

enum class Fault : std::uint32_t {
  none = 0,
  no_lock = 1u << 0,              // bucket/partition stacks are touched without their lock
  ignore_cap = 1u << 1,           // give_back pushes even when the bucket is full
  ignore_clear = 1u << 2,         // give_back(clear_array = true) does not zero
  clear_after_publish = 1u << 3,  // zeroing happens after the array is back in the shared stack
  double_push = 1u << 4,          // give_back pushes the array twice
  off_by_one_bucket = 1u << 5,    // give_back files the array one bucket too high
  tls_slot_kept = 1u << 6,        // rent from the thread-local slot does not empty the slot
  lose_array = 1u << 7,           // a dropped array is forgotten instead of freed
  racy_stats = 1u << 8,           // a statistics counter is a plain, shared, non-atomic integer
  partial_clear = 1u << 9,        // give_back(clear_array = true) zeroes only the first half
  lease_drops_clear = 1u << 10,   // a Lease asked to clear gives its array back without clearing
  // The check-then-act cap race: the cap is checked in one step and the push made in another (the
  // shared pool reads a partition's count before locking it; the locked bucket checks its quota,
  // unlocks and locks again to push), so concurrent give_backs push past the cap.
  cap_check_race = 1u << 11,
  trim_unlocked = 1u << 12,           // trim() walks the partitions without taking their locks
  trim_frees_other_slots = 1u << 13,  // trim(high) empties other threads' slots itself, under their feet
  foreign_size_accepted = 1u << 14,   // give_back files a non-capacity span by the bucket its size rounds up to
  empty_span_throws = 1u << 15,       // give_back of an empty span throws std::invalid_argument
  oversize_kept = 1u << 16,           // give_back files an over-size array in the largest bucket
  lease_whole_capacity = 1u << 17,    // lease(n).span() is the whole bucket capacity, not n elements
  exit_leaks_when_full = 1u << 18,    // an exiting thread's slot array that no partition takes is neither kept nor freed
  exit_counters_early = 1u << 19,     // at thread exit the counters are retired before the slots are absorbed
  round_up_exact = 1u << 20,          // rent(n) of an exact bucket capacity is served by the next bucket up
  fresh_wrong_bucket = 1u << 21,      // a fresh array for an exhausted bucket pair is counted in the larger bucket
  oversize_uncounted = 1u << 22,      // over-size rents are not counted in stats()
  drops_uncounted = 1u << 23,         // arrays freed because their bucket was full are not counted as drops
};

constexpr std::uint32_t operator|(Fault a, Fault b) noexcept {
  return static_cast<std::uint32_t>(a) | static_cast<std::uint32_t>(b);
}

// The faults `Policy` switches in: its `static constexpr std::uint32_t faults`, or none.
template <class Policy>
constexpr std::uint32_t faults_of() noexcept {
  if constexpr (requires { Policy::faults; }) {
    return static_cast<std::uint32_t>(Policy::faults);
  } else {
    return 0;
  }
}

// Base policy with fault(s) F switched in: the harness's mutant pools.
template <class Base, std::uint32_t F>
struct WithFaults : Base {
  static constexpr std::uint32_t faults = faults_of<Base>() | F;
};

template <class Policy>
constexpr bool has_fault(Fault f) noexcept {
  return (faults_of<Policy>() & static_cast<std::uint32_t>(f)) != 0;
}

}  // namespace bufpool::testing
