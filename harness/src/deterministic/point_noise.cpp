#include "poolcheck/deterministic/point_noise.hpp"

#include <sched.h>

#include <ctime>

namespace poolcheck::det {
namespace {

// The noise armed on this thread (the innermost PointNoise), or null.
thread_local PointNoise* t_noise = nullptr;

// Ratios (see the header): one in N points yields, one in M sleeps.
struct Ratios {
  std::uint32_t yield_one_in;
  std::uint32_t sleep_one_in;
};
constexpr Ratios kWindow{4, 32};     // plain points: marked windows
constexpr Ratios kAccess{64, 2048};  // atomic operations, locks, everything else
// Rounds of many threads: the OS preempts often already, and a stop inside a held lock convoys the
// rest, so the unmarked points stop seldom.
constexpr Ratios kCrowdedAccess{512, 2048};

void sleep_a_moment(SeededRandom& rng) noexcept {
  const timespec ts{0, static_cast<long>(1'000 + rng.below(50'000))};  // 1-51 us
  nanosleep(&ts, nullptr);
}

}  // namespace

PointNoise::PointNoise(std::uint64_t seed, std::uint32_t thread, std::uint32_t threads) noexcept
    : rng_(seed ^ 0x9015Eull, thread), may_sleep_(threads <= kSleepyThreads), outer_(t_noise) {
  t_noise = this;
}

PointNoise::~PointNoise() { t_noise = outer_; }

bool PointNoise::armed() noexcept { return t_noise != nullptr; }

void point_noise(PointKind kind) noexcept {
  PointNoise* noise = t_noise;
  if (noise == nullptr) return;
  const Ratios r = kind == PointKind::plain ? kWindow : noise->may_sleep_ ? kAccess : kCrowdedAccess;
  const std::uint64_t draw = noise->rng_.below(std::uint64_t{r.yield_one_in} * r.sleep_one_in);
  if (draw < r.yield_one_in) {  // one in sleep_one_in
    if (noise->may_sleep_) {
      sleep_a_moment(noise->rng_);
    } else {
      sched_yield();
    }
  } else if (draw % r.yield_one_in == 0) {
    sched_yield();  // about one in yield_one_in
  }
}

}  // namespace poolcheck::det
