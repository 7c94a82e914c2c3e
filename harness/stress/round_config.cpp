#include "round_config.hpp"

#include <algorithm>
#include <array>

#include "poolcheck/seeded_random.hpp"
#include "poolcheck/tag_pattern.hpp"

namespace poolcheck {
namespace {

// Largest rents of a tight configuration: 1, 3, 5 and 9 buckets of the locked pool. A
// deterministic program has few ops, so it keeps at least 3 buckets (one bucket hides every bug of
// the bucket choice, such as an off-by-one).
constexpr std::array<std::uint64_t, 4> kTightLengths = {16, 64, 256, 4096};
constexpr std::array<std::uint64_t, 3> kDetLengths = {64, 256, 4096};
// Distinct from the streams programs and schedules draw from the same seeds.
constexpr std::uint64_t kConfigStream = 0xC0F16u;
constexpr std::uint64_t kShapeStream = 0x5A4Eu;
constexpr std::uint64_t kNoiseStream = 0x9015Eu;

template <std::size_t N>
PoolSettings tight(const StressSettings& s, SeededRandom& rng, const std::array<std::uint64_t, N>& lengths,
                   std::uint64_t max_partitions) {
  PoolSettings c = pool_settings(s);
  c.max_array_length = lengths[rng.below(N)];
  c.max_per_bucket = 1 + rng.below(2);
  c.partitions = 1 + rng.below(max_partitions);
  c.arrays_per_partition = 1 + rng.below(2);
  return c;
}

}  // namespace

RoundShape free_round_shape(const StressSettings& s, std::uint64_t round_seed) noexcept {
  const RoundShape given{s.threads, s.ops};
  if (s.pins.shape || s.threads <= kDeepThreads) return given;
  SeededRandom rng(round_seed, kShapeStream);
  if (rng.below(2) != 0) return given;
  const std::uint64_t ops = std::uint64_t{s.threads} * s.ops / kDeepThreads;
  return RoundShape{kDeepThreads, static_cast<std::uint32_t>(std::min<std::uint64_t>(ops, Tag::kMaxOps - 1))};
}

bool free_round_noise(const StressSettings& s, std::uint64_t round_seed) noexcept {
  if (s.pins.noise) return s.noise;
  if (!s.plan.pool->run_det) return false;
  return SeededRandom(round_seed, kNoiseStream).below(2) == 0;
}

PoolSettings free_round_config(const StressSettings& s, std::uint64_t round_seed) noexcept {
  if (s.pins.config) return pool_settings(s);
  SeededRandom rng(round_seed, kConfigStream);
  const bool deep = free_round_shape(s, round_seed).threads != s.threads;
  if (rng.below(2) == 0 && !deep) return pool_settings(s);
  return tight(s, rng, kTightLengths, 1);
}

PoolSettings det_program_config(const StressSettings& s, std::uint64_t program_seed) noexcept {
  if (s.pins.config) return pool_settings(s);
  SeededRandom rng(program_seed, kConfigStream);
  return tight(s, rng, kDetLengths, 2);
}

StressSettings with_config(const StressSettings& s, const PoolSettings& config) {
  StressSettings out = s;
  out.max_array_length = config.max_array_length;
  out.max_per_bucket = config.max_per_bucket;
  out.partitions = config.partitions;
  out.arrays_per_partition = config.arrays_per_partition;
  return out;
}

bool is_tight(const StressSettings& s, const PoolSettings& c) noexcept {
  const std::uint64_t cap =
      s.plan.pool->cap_flags == CapFlags::per_bucket ? c.max_per_bucket : c.partitions * c.arrays_per_partition;
  return cap <= 4;
}

}  // namespace poolcheck
