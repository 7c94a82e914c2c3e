// An optional observer of which give_back each rent observed: the reads-from pairs of the pool's
// arrays (a rent reads from the give_back that last put its array back). A schedule search uses
// them as feedback (tests/fuzz/fuzz_schedule.cpp): a schedule that makes some rent observe a
// give_back no schedule made it observe before has exercised a new interleaving of the pool, even
// when it ran no new code. Unset (the default), rent_checked calls nothing.
#pragma once

#include <atomic>
#include <cstdint>

#include "poolcheck/tag_pattern.hpp"

namespace poolcheck {

// `renter` is the rent's lease; `gave_back` the Tag bits + 1 of the lease that last gave the array
// back, 0 for an array no lease held before. Called from the renting thread: concurrently from
// every worker under the free-running executor, one at a time under the deterministic one.
using RentObserver = void (*)(Tag renter, std::uint64_t gave_back) noexcept;

namespace detail {
// Thread-safety: set before the workers start and cleared after they joined; read by every rent.
inline std::atomic<RentObserver> g_rent_observer{nullptr};
}  // namespace detail

inline void set_rent_observer(RentObserver observer) noexcept {
  detail::g_rent_observer.store(observer, std::memory_order_release);
}
inline RentObserver rent_observer() noexcept { return detail::g_rent_observer.load(std::memory_order_acquire); }

}  // namespace poolcheck
