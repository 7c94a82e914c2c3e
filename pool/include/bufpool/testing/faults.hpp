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
