// Seeded chaos between ops: the interleavings a free run explores come from these delays.
#include <sched.h>

#include <ctime>

#include "poolcheck/free_executor.hpp"

namespace poolcheck::detail {

void chaos(std::uint32_t kind, SeededRandom& rng) noexcept {
  switch (kind) {
    case 1:
      sched_yield();
      break;
    case 2: {
      const auto spins = 16 + rng.below(512);
      for (std::uint64_t i = 0; i < spins; ++i) {
#if defined(__x86_64__) || defined(__i386__)
        __builtin_ia32_pause();
#endif
        std::atomic_signal_fence(std::memory_order_seq_cst);  // keeps the loop; no hardware fence
      }
      break;
    }
    case 3: {
      const timespec ts{0, static_cast<long>(1'000 + rng.below(50'000))};  // 1-51 us
      nanosleep(&ts, nullptr);
      break;
    }
    default:
      break;
  }
}

}  // namespace poolcheck::detail
