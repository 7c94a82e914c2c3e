// Mutant pools: the real bufpool pools with one fault switched in (bufpool::testing::Fault), each naming the
// oracle expected to catch it. `stress --mutant NAME` runs one; the harness must catch every one,
// and must never flag the correct pools. Pure data; thread-safe.
#pragma once

#include <span>
#include <string_view>

#include "bufpool/testing/faults.hpp"

namespace poolcheck {

struct Mutant {
  std::string_view name;
  bufpool::testing::Fault fault;
  std::string_view summary;
  std::string_view expected;  // the oracle (or "tsan") expected to catch it
  bool locked;                // the fault exists in the locked flavour
  bool shared;                // ... and in the shared flavour
};

std::span<const Mutant> mutant_catalog() noexcept;
const Mutant* find_mutant(std::string_view name) noexcept;

}  // namespace poolcheck
