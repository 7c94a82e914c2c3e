#include "search_plan.hpp"

#include <limits>

namespace poolcheck {

std::vector<SearchStrategy> search_portfolio(const StressSettings& s) {
  std::vector<SearchStrategy> out;
  // One schedule (--schedule-seed), or strategy and depth both pinned: exactly what was asked.
  if (s.schedule_seed || (s.pins.strategy && (s.pins.depth || !s.plan.strategy->depth_bounded))) {
    out.push_back({s.plan.strategy, s.plan.strategy->depth_bounded ? s.pct_depth : 0});
    return out;
  }
  for (const det::StrategyEntry& e : det::strategy_catalog()) {
    if (s.pins.strategy && &e != s.plan.strategy) continue;
    if (!e.depth_bounded) {
      out.push_back({&e, 0});
    } else if (s.pins.depth) {
      out.push_back({&e, s.pct_depth});
    } else {
      for (std::uint32_t d = 1; d <= kPortfolioMaxDepth; ++d) out.push_back({&e, d});
    }
  }
  return out;
}

std::string describe(const std::vector<SearchStrategy>& portfolio) {
  std::string out;
  for (const SearchStrategy& p : portfolio) {
    if (!out.empty()) out += ", ";
    out += std::string(p.strategy->name);
    if (p.strategy->depth_bounded) out += " depth " + std::to_string(p.depth);
  }
  return out;
}

std::uint64_t program_seed_for(const StressSettings& s, std::uint32_t index) noexcept {
  if (index == 0 || s.pins.seed) return s.seed;
  return round_seed(s.seed ^ 0x9A06Bu, index);
}

std::uint32_t schedules_per_program(const StressSettings& s) noexcept {
  return s.pins.seed || s.schedule_seed ? std::numeric_limits<std::uint32_t>::max() : kSchedulesPerProgram;
}

}  // namespace poolcheck
