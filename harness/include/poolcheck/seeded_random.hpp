// The harness's one source of randomness: splitmix64 streams keyed by (seed, stream), so the same
// seed gives the same programs and chaos on every machine, compiler and standard library
// (std::uniform_int_distribution is not portable across libraries; this is).
//
// Not thread-safe: one SeededRandom per thread.
#pragma once

#include <cstdint>

namespace poolcheck {

class SeededRandom {
 public:
  explicit SeededRandom(std::uint64_t seed, std::uint64_t stream = 0) noexcept
      : state_(seed ^ (stream * 0xD1B54A32D192ED03ull) ^ 0x632BE59BD9B4E019ull) {
    next();
  }

  std::uint64_t next() noexcept {
    std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }

  // Uniform in [0, n) (n > 0), by Lemire's multiply-shift (bias < 2^-64 * n: negligible here).
  std::uint64_t below(std::uint64_t n) noexcept {
    __extension__ using u128 = unsigned __int128;  // __extension__: -Wpedantic knows it is deliberate
    return static_cast<std::uint64_t>((static_cast<u128>(next()) * n) >> 64);
  }

  bool percent(unsigned p) noexcept { return below(100) < p; }

 private:
  std::uint64_t state_;
};

}  // namespace poolcheck
