// The pool configuration each round runs with. Cap, fallback and reuse (ABA-style) bugs surface
// when a bucket fills and its arrays change hands often; with the default configuration (50 arrays
// per bucket, or a partition of 32 per core, across 17 or more buckets) a round seldom fills one.
// So unless a flag pins the configuration (Pins::config), rounds draw theirs from their own seed:
//
// | run                  | configuration                                                            |
// |----------------------|--------------------------------------------------------------------------|
// | free-running round   | half the rounds: the settings' own; the other half tight: locked 1-2     |
// |                      | arrays per bucket, shared 1 partition of 1-2 arrays; rents up to 16, 64, |
// |                      | 256 or 4096 elements (few buckets, small arrays)                          |
// | deterministic program| always tight, sized to its few threads: locked 1-2 per bucket, shared    |
// |                      | 1-2 partitions of 1-2 arrays; rents up to 64, 256 or 4096 elements        |
//
// A seed fixes the draw, and the round's replay line names the configuration it ran with (every
// pool flag written out), so a replay pins it.
//
// The round's shape is drawn too, unless --threads or --ops pins it (Pins::shape): half of the
// free-running rounds run the same number of ops on kDeepThreads threads, each thread running
// threads x ops / kDeepThreads of them. Thousands of threads on a few cores seldom preempt one
// inside a pool's short race window (a check-then-act cap, an ABA pop between reading the head and
// its CAS); a few threads running long sequences of calls against the same tight buckets hit such
// windows within seconds, so these rounds always run a tight configuration. The replay line names
// --threads and --ops, so a replay runs that shape.
#pragma once

#include <cstdint>

#include "stress_settings.hpp"

namespace poolcheck {

// The configuration of a free-running round with seed `round_seed`.
PoolSettings free_round_config(const StressSettings& s, std::uint64_t round_seed) noexcept;
// The configuration a deterministic search runs program `program_seed` with.
PoolSettings det_program_config(const StressSettings& s, std::uint64_t program_seed) noexcept;
// The settings with `config` as their pool options (what the round runs and its replay line names).
StressSettings with_config(const StressSettings& s, const PoolSettings& config);
// The threads and ops per thread of a free-running round with seed `round_seed` (see above).
inline constexpr std::uint32_t kDeepThreads = 16;
struct RoundShape {
  std::uint32_t threads = 0;
  std::uint32_t ops = 0;
};
RoundShape free_round_shape(const StressSettings& s, std::uint64_t round_seed) noexcept;
// Whether a free-running round with seed `round_seed` runs with point noise (point_noise.hpp):
// --noise pins it; otherwise half the rounds, drawn from the seed, for a pool that has a build on
// det types (PoolTarget::run_det). The replay line names --noise, so a replay runs the same.
bool free_round_noise(const StressSettings& s, std::uint64_t round_seed) noexcept;
// Whether `config` is tight for the settings' pool: at most 4 arrays kept per bucket pool-wide.
bool is_tight(const StressSettings& s, const PoolSettings& config) noexcept;

}  // namespace poolcheck
