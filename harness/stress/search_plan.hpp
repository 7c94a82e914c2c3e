// What a deterministic search (`stress --deterministic --search N`) varies besides the schedule.
// One program can only reach the bugs its ops exercise, and one strategy misses what another finds
// at once (PCT at depth 3 seldom switches threads inside a rare path such as thread exit; a random
// walk does), so unless the command line pins them (Pins):
// - programs: a new program seed every kSchedulesPerProgram schedules (the first is --seed), each
//   with its own pool configuration (round_config.hpp);
// - strategies: a portfolio, taken round-robin: PCT at depths 1 to 4, a random walk, and windows
//   (stops threads only inside marked windows, where an ABA needs them stopped).
// --strategy keeps that strategy (PCT still at depths 1 to 4), --pct-depth that depth (PCT at it
// and a random walk), --seed that one program. Every schedule's replay line names its program seed,
// configuration, strategy, depth, PCT's k and schedule seed.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "poolcheck/deterministic/strategy.hpp"
#include "stress_settings.hpp"

namespace poolcheck {

inline constexpr std::uint32_t kSchedulesPerProgram = 10;
inline constexpr std::uint32_t kPortfolioMaxDepth = 4;

// One strategy of the portfolio: its registry row and, for PCT, its depth.
struct SearchStrategy {
  const det::StrategyEntry* strategy = nullptr;
  std::uint32_t depth = 0;  // only for depth-bounded strategies
};

// The strategies a search takes round-robin: the portfolio, or what the pins leave of it.
std::vector<SearchStrategy> search_portfolio(const StressSettings& s);
// "pct depth 1, pct depth 2, ..., random".
std::string describe(const std::vector<SearchStrategy>& portfolio);
// The program seed of the `index`-th program of a search (0: the settings' seed).
std::uint64_t program_seed_for(const StressSettings& s, std::uint32_t index) noexcept;
// Schedules run on one program before the next: all of them when --seed pins the program.
std::uint32_t schedules_per_program(const StressSettings& s) noexcept;

}  // namespace poolcheck
