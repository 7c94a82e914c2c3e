#include "poolcheck/spin_park_barrier.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace poolcheck {
namespace {

// Each phase's completion runs once, after every participant arrived and before any is released:
// a participant that leaves phase k sees k completions. Participants that drop stop being waited
// for. Run with more threads than cores (waiters sleep) and with as many as there are (they spin).
void phases_complete_in_order(std::uint32_t threads) {
  constexpr int kPhases = 200;
  int completions = 0;  // written by the completion only, read after a phase: the barrier orders it
  std::atomic<int> arrivals{0};
  std::atomic<bool> early{false};
  SpinParkBarrier barrier(threads, [&]() noexcept {
    if (arrivals.exchange(0) == 0) early = true;
    ++completions;
  });
  std::vector<std::thread> workers;
  for (std::uint32_t t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      // Thread t takes part in the first kPhases - t phases, then drops.
      const int mine = kPhases - static_cast<int>(t);
      for (int phase = 0; phase < mine; ++phase) {
        arrivals.fetch_add(1);
        if (phase + 1 == mine) {
          barrier.arrive_and_drop();
          return;
        }
        barrier.arrive_and_wait();
        if (completions < phase + 1) early = true;
      }
    });
  }
  for (auto& w : workers) w.join();
  EXPECT_FALSE(early.load()) << threads << " threads";
  EXPECT_EQ(completions, kPhases) << threads << " threads";
}

TEST(SpinParkBarrier, EachPhaseCompletesOnceBeforeItsWaitersGoOn) {
  phases_complete_in_order(2);
  phases_complete_in_order(std::max(2u, std::thread::hardware_concurrency()));
  phases_complete_in_order(16);
}

}  // namespace
}  // namespace poolcheck
