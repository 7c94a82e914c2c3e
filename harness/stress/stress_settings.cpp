#include "stress_settings.hpp"

#include <sstream>

#include "poolcheck/mutant_catalog.hpp"
#include "poolcheck/scenario_catalog.hpp"
#include "poolcheck/seeded_random.hpp"
#include "program_name.hpp"

namespace poolcheck {

std::uint64_t round_seed(std::uint64_t seed, std::uint32_t round) noexcept {
  if (round == 0) return seed;
  return SeededRandom(seed, round).next();
}

PoolSettings pool_settings(const StressSettings& s) noexcept {
  return PoolSettings{s.max_array_length, s.max_per_bucket, s.partitions, s.arrays_per_partition};
}

std::string replay_command(const StressSettings& s, std::uint64_t seed) {
  std::ostringstream out;
  const RunPlan& plan = s.plan;
  out << program_name() << " --seed " << seed << " --rounds 1 --threads " << s.threads << " --ops " << s.ops << " --pool "
      << plan.pool->name << " --scenario " << plan.scenario->name << " --max-array-length " << s.max_array_length;
  if (plan.pool->cap_flags == CapFlags::per_bucket) {
    out << " --max-per-bucket " << s.max_per_bucket;
  } else {
    out << " --partitions " << s.partitions << " --arrays-per-partition " << s.arrays_per_partition;
  }
  if (plan.mutant != nullptr) out << " --mutant " << plan.mutant->name;
  if (!s.deterministic && plan.scenario->kind == ScenarioKind::program) out << " --noise " << (s.noise ? "on" : "off");
  out << " --watchdog " << s.watchdog_ms;
  if (s.hold_limit_ms != kDefaultHoldLimitMs) out << " --hold-limit " << s.hold_limit_ms;
  if (s.checkpoint_every != kAutoCheckpointEvery) out << " --checkpoint-every " << s.checkpoint_every;
  return out.str();
}

}  // namespace poolcheck

namespace poolcheck {

std::string replay_command(const StressSettings& s, std::uint64_t seed, std::uint64_t schedule_seed) {
  std::ostringstream out;
  out << replay_command(s, seed) << " --deterministic --strategy " << s.plan.strategy->name;
  if (s.plan.strategy->depth_bounded) out << " --pct-depth " << s.pct_depth << " --pct-steps " << s.pct_steps;
  out << " --schedule-seed " << schedule_seed << " --max-steps " << s.max_steps;
  return out.str();
}

std::uint64_t schedule_seed_for(std::uint64_t seed, std::uint32_t i) noexcept {
  return SeededRandom(seed ^ 0x5C4EDu, i).next();
}

}  // namespace poolcheck
