// Process-unique pool ids for SharedArrayPool's thread-local fast path.
#include <atomic>
#include <cstdint>

#include "bufpool/internal/thread_cache.hpp"

namespace bufpool::internal {

std::uint64_t next_pool_id() noexcept {
  // Plain std::atomic on purpose: creating a pool is not shared state a deterministic schedule
  // needs to interleave. Relaxed: only uniqueness matters.
  static std::atomic<std::uint64_t> next{1};
  return next.fetch_add(1, std::memory_order_relaxed);
}

}  // namespace bufpool::internal
