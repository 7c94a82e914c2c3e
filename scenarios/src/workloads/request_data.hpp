// What a request does with a buffer in the simpler workloads: fill what it asked for with its own
// data (in chunks, as a producer would), then consume it. Reading goes through CheckedBuffer::read,
// which compares against what was written, so the round trip is the exclusivity check.
// Called on the worker's own thread.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>

#include "poolcheck/seeded_random.hpp"
#include "poolcheck/workload/checked_buffer.hpp"

namespace poolcheck {

template <class T>
T random_value(SeededRandom& rng) noexcept {
  const std::uint64_t r = rng.next();
  if constexpr (std::is_floating_point_v<T>) {
    return static_cast<T>(static_cast<double>(r >> 11) * 0x1.0p-53 * 2.0 - 1.0);  // a weight in [-1, 1)
  } else {
    T v;
    std::memcpy(&v, &r, sizeof v);
    return v;
  }
}

// Writes [0, n) in chunks of up to 64 elements. False when a check failed (the run is stopping).
template <class Pool>
bool fill(CheckedBuffer<Pool>& b, SeededRandom& rng, std::size_t n) {
  using T = typename Pool::value_type;
  std::array<T, 64> chunk;
  for (std::size_t at = 0; at < n;) {
    const std::size_t k = std::min<std::size_t>(chunk.size(), n - at);
    for (std::size_t j = 0; j < k; ++j) chunk[j] = random_value<T>(rng);
    if (!b.write(at, std::span<const T>(chunk.data(), k))) return false;
    at += k;
  }
  return true;
}

// Consumes [0, n): reads it back (checked) and folds it into a checksum the caller may use.
template <class Pool>
bool consume(CheckedBuffer<Pool>& b, std::size_t n, std::uint64_t& checksum) {
  if (n == 0) return true;
  const auto view = b.read(0, n);
  if (view.empty()) return false;
  const auto* bytes = reinterpret_cast<const unsigned char*>(view.data());
  for (std::size_t i = 0; i < view.size_bytes(); i += 61) checksum = checksum * 31 + bytes[i];
  return true;
}

// A size in [lo, hi], skewed to small sizes (most requests are short).
inline std::size_t request_size(SeededRandom& rng, std::size_t lo, std::size_t hi) noexcept {
  const std::size_t span = hi - lo + 1;
  const std::size_t a = static_cast<std::size_t>(rng.below(span)), b = static_cast<std::size_t>(rng.below(span));
  return lo + std::min(a, b);
}

}  // namespace poolcheck
