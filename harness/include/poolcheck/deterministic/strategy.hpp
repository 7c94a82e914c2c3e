// Scheduling strategies: given the threads that can run now, pick one. A strategy is a value built
// from a seed, so a seed fixes the whole interleaving (folly's "function from n -> [0,n)").
//
// - RandomWalk: uniform among runnable threads at every point.
// - Pct (Burckhardt et al., ASPLOS 2010): random distinct priorities per thread; the highest-priority
//   runnable thread runs; at d-1 change points drawn from [1, k] the running thread drops below all
//   others. Finds a bug of depth d with probability >= 1/(n * k^(d-1)) per run.
// - Windows: PCT's random priorities, but the running thread drops below every other only at a
//   marked window (a `plain` point: poolcheck::yield_point(), a policy's race_window), with
//   probability 1/2 there. A marked window is where its author knows another thread's steps matter
//   (between reading a stack's head and swapping it), so the others then run whole operations
//   inside it (pop two arrays and push one back: an ABA) where PCT, whose change points land on
//   any of thousands of steps, seldom stops there. A pool with no marked windows runs its threads
//   one after another under it.
// - Replay: the choices of a recorded trace, one per point, in order.
//
// The strategies `stress --strategy NAME` can search with are the rows of strategy_catalog()
// (strategy.cpp): adding one = its class and one row.
//
// Not thread-safe: called only by the thread that holds the schedule's single run token.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "poolcheck/deterministic/point_kind.hpp"

namespace poolcheck::det {

class Strategy {
 public:
  virtual ~Strategy() = default;
  // `runnable` is sorted and non-empty; `current` is the thread at the point (may be absent from
  // runnable when it blocked or finished), `kind` what it reached; `step` counts points from 0.
  // Returns a member of runnable.
  virtual std::uint32_t pick(std::span<const std::uint32_t> runnable, std::uint32_t current, std::uint64_t step,
                             PointKind kind) = 0;
  virtual std::string describe() const = 0;
};

std::unique_ptr<Strategy> make_random_walk(std::uint64_t seed);
std::unique_ptr<Strategy> make_pct(std::uint64_t seed, std::uint32_t threads, std::uint32_t depth,
                                   std::uint64_t expected_steps);
std::unique_ptr<Strategy> make_windows(std::uint64_t seed, std::uint32_t threads);
// Follows `choices` (thread per step); past their end, or where a recorded thread is not runnable
// (the trace does not match the program), falls back to the lowest runnable and counts a divergence.
std::unique_ptr<Strategy> make_replay(std::vector<std::uint32_t> choices, std::uint64_t* divergences);

// What a search strategy is built from: the schedule's seed, and the settings of PCT.
struct StrategyParams {
  std::uint64_t seed = 0;
  std::uint32_t threads = 0;
  std::uint32_t depth = 3;            // PCT's d
  std::uint64_t expected_steps = 0;   // PCT's k
};

// A row of the strategy registry.
struct StrategyEntry {
  std::string_view name;     // --strategy NAME
  std::string_view summary;  // one line for --help
  std::unique_ptr<Strategy> (*make)(const StrategyParams&);
  // Bounded by depth and steps (PCT): the replay line names --pct-depth and --pct-steps, a step
  // count of 0 is measured first with one schedule of calibration_strategy(), and a clean search
  // reports the chance it missed a bug of that depth.
  bool depth_bounded = false;
};

std::span<const StrategyEntry> strategy_catalog() noexcept;
const StrategyEntry* find_strategy(std::string_view name) noexcept;
const StrategyEntry& default_strategy() noexcept;      // pct
const StrategyEntry& calibration_strategy() noexcept;  // random: measures PCT's k
// The names, in row order (for CLI11's IsMember).
const std::vector<std::string>& strategy_names();

// Probability that PCT misses a depth-d bug in every one of `runs` schedules: (1 - p)^runs with
// p = 1 / (n * k^(d-1)).
double pct_miss_bound(std::uint32_t threads, std::uint64_t steps, std::uint32_t depth, std::uint64_t runs);

}  // namespace poolcheck::det
