// Point noise (point_noise.hpp): armed only on the thread and for the scope that asks for it, nested
// scopes restore the outer one, and a noisy run of a det-types pool is still a correct run.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <thread>
#include <vector>

#include "poolcheck/det.hpp"
#include "poolcheck/deterministic/point_noise.hpp"

namespace {

using poolcheck::det::PointNoise;

TEST(PointNoise, ArmsOnlyItsOwnThreadForItsOwnScope) {
  EXPECT_FALSE(PointNoise::armed());
  {
    PointNoise noise(1, 0, 4);
    EXPECT_TRUE(PointNoise::armed());
    bool other = true;
    std::thread([&] { other = PointNoise::armed(); }).join();
    EXPECT_FALSE(other);
    {
      PointNoise inner(2, 0, 4);
      EXPECT_TRUE(PointNoise::armed());
    }
    EXPECT_TRUE(PointNoise::armed());  // the outer scope is armed again
  }
  EXPECT_FALSE(PointNoise::armed());
}

// Noise only delays: counters built on det types, hammered by noisy threads at the sleepy and the
// crowded thread counts, end exact, and a det::Mutex still excludes.
TEST(PointNoise, NoisyThreadsOnDetTypesStillComputeExactly) {
  for (const std::uint32_t threads : {4u, PointNoise::kSleepyThreads + 1}) {
    poolcheck::det::Atomic<std::uint64_t> counter{0};
    poolcheck::det::Mutex mu;
    std::uint64_t guarded = 0;  // guarded by mu
    std::vector<std::thread> workers;
    for (std::uint32_t t = 0; t < threads; ++t) {
      workers.emplace_back([&, t] {
        PointNoise noise(7, t, threads);
        for (int i = 0; i < 300; ++i) {
          ++counter;
          poolcheck::yield_point();
          std::lock_guard lock(mu);
          ++guarded;
        }
      });
    }
    for (auto& w : workers) w.join();
    EXPECT_EQ(counter.load(), std::uint64_t{threads} * 300);
    EXPECT_EQ(guarded, std::uint64_t{threads} * 300);
  }
}

}  // namespace
