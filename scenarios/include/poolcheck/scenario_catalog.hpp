// Named scenarios for `stress --scenario NAME`, listed by `stress --list`. Three kinds:
//   program   a shape of generated thread programs (rent/write/verify/read/hand-over/give_back ops);
//             runs free or under the deterministic executor, and against mutant pools;
//   workload  real consumer code an inference server runs (a token streamer, a grower, a handler
//             that throws), written against CheckedBuffer; must pass clean on both correct pools;
//   pitfall   a workload with one consumer bug switched in; the harness must catch it, with the
//             oracle named in `caught_by`.
// Each scenario declares its graded outcome on the correct pools (`expect`, like jcstress's
// @Outcome(expect = ...)): the self-test and `stress --list` read it.
// Pure data; thread-safe.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "poolcheck/program.hpp"
#include "poolcheck/violation.hpp"
#include "poolcheck/workloads/workload_params.hpp"

namespace poolcheck {

enum class ScenarioKind { program, workload, pitfall };

std::string_view to_string(ScenarioKind kind) noexcept;

// The graded outcome of a scenario on the correct pools.
enum class Expect : std::uint8_t {
  clean,   // no oracle may report anything (programs, workloads)
  caught,  // the oracle in `caught_by` must report it first (pitfalls)
};

struct Scenario {
  std::string_view name;
  std::string_view summary;  // one line: what it models
  ScenarioKind kind = ScenarioKind::program;
  // program: adjusts the shape built from the command line (threads, ops, sizes) to this workload.
  void (*shape)(ProgramShape&) = nullptr;
  // workload and pitfall: runs one round.
  WorkloadFn run = nullptr;
  Expect expect = Expect::clean;
  OracleKind caught_by = OracleKind::exclusivity;  // expect == caught: the oracle that must report it
};

std::span<const Scenario> scenario_catalog() noexcept;
const Scenario* find_scenario(std::string_view name) noexcept;

}  // namespace poolcheck
