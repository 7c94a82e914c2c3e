// One shard of a campaign split across machines: `stress --shard I/N` runs the rounds
// (free-running) or schedules (deterministic) whose index is congruent to I mod N, so N shards with
// the same seed and budget do the work of one unsharded run, with no overlap; `stress merge`
// combines their reports (report_merge.hpp).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

namespace poolcheck {

struct Shard {
  std::uint32_t index = 0;
  std::uint32_t count = 1;  // 1: the whole campaign

  bool owns(std::uint64_t i) const noexcept { return i % count == index; }
  bool whole() const noexcept { return count == 1; }
};

inline constexpr std::uint32_t kMaxShards = 1u << 20;

// The environment variables `--shard auto/N` reads the index from, first set wins: Kubernetes
// Indexed Jobs, Slurm job arrays, and an explicit one (a GitHub Actions matrix value, or anything).
inline constexpr const char* kShardIndexVariables[] = {"JOB_COMPLETION_INDEX", "SLURM_ARRAY_TASK_ID",
                                                      "POOLCHECK_SHARD_INDEX"};

// "I/N" (decimal, 0 <= I < N <= kMaxShards) or "auto/N", whose I comes from the first of
// kShardIndexVariables that `lookup` finds set. The error is one line naming what is wrong.
using ShardLookup = const char* (*)(const char* name);
std::variant<Shard, std::string> parse_shard(std::string_view text, ShardLookup lookup);

// "I/N", as the reports print it.
std::string to_string(const Shard& s);

}  // namespace poolcheck
