// Point noise: in a free-running round, the pool's own scheduling points (every operation of
// det::Atomic and det::Mutex, poolcheck::yield_point(), a bufpool policy's race_window) reached off
// any schedule may stop the calling thread for a moment, so that other threads run right there.
//
// Why: a pool's race window is often a few instructions wide (a check-then-act cap between its
// load and its increment, an ABA pop between reading the head and its CAS). Thousands of threads on
// a few cores are seldom preempted inside one, so a free-running round may run for minutes without
// two threads ever meeting there. A yield or a short sleep at the points inside the window makes
// the meeting likely within a round (noise making, as IBM's ConTest and rr's chaos mode do). The
// deterministic executor does the same exactly, at the same points; noise is its free-running
// counterpart, for the bugs that need thousands of threads or real time.
//
// What it does at a point of the armed thread (ratios fixed, draws from the thread's own seeded
// stream): at a `plain` point, a place the pool's author marked as a window, a yield one time in 4
// and a 1-50 us sleep one time in 32; at any other point (an atomic operation, a lock), a yield one
// time in 64 and a sleep one time in 2048. In a round of more than kSleepyThreads threads a sleep
// is a yield too, and the unmarked points yield one time in 512: a thread that sleeps holding a
// pool's lock wakes behind a thousand runnable threads and stalls the bucket for milliseconds, a
// yield there convoys the rest, and with that many threads the OS preempts often already.
// Which points stop is seeded; whether the other threads meet there is still up to the OS, so a
// noisy round's replay line runs the same round with the same noise, and the race recurs as often
// as the meeting does.
//
// Off (no PointNoise on the thread) a point costs one thread-local load more than without this.
// Thread-safety: PointNoise arms the thread that constructs it, until it is destroyed on that same
// thread; it is neither copied nor moved.
#pragma once

#include <cstdint>

#include "poolcheck/deterministic/schedule.hpp"
#include "poolcheck/seeded_random.hpp"

namespace poolcheck::det {

class PointNoise {
 public:
  static constexpr std::uint32_t kSleepyThreads = 64;
  // Arms the calling thread, one of `threads`, with the stream (seed, thread).
  PointNoise(std::uint64_t seed, std::uint32_t thread, std::uint32_t threads) noexcept;
  ~PointNoise();
  PointNoise(const PointNoise&) = delete;
  PointNoise& operator=(const PointNoise&) = delete;

  // True while some PointNoise arms the calling thread.
  static bool armed() noexcept;

 private:
  friend void point_noise(PointKind kind) noexcept;
  SeededRandom rng_;
  bool may_sleep_;
  PointNoise* outer_;  // the one armed before this one on the thread (nested scopes), or null
};

// Called by Schedule::point on a thread no schedule runs: stops the thread for a moment, sometimes,
// when a PointNoise arms it; otherwise nothing.
void point_noise(PointKind kind) noexcept;

}  // namespace poolcheck::det
