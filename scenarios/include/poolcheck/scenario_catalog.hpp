// Named workloads: each is a shape of generated thread programs that models one way inference
// servers use pooled buffers. `stress --scenario NAME` selects one; `stress --list` prints them.
// Pure data; thread-safe.
#pragma once

#include <span>
#include <string_view>

#include "poolcheck/program.hpp"

namespace poolcheck {

struct Scenario {
  std::string_view name;
  std::string_view summary;  // one line: what it models
  // Adjusts the shape built from the command line (threads, ops, sizes) to this workload.
  void (*shape)(ProgramShape&);
};

std::span<const Scenario> scenario_catalog() noexcept;
const Scenario* find_scenario(std::string_view name) noexcept;

}  // namespace poolcheck
