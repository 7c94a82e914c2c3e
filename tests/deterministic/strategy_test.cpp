// The search strategies as functions from (runnable threads, point) to the next thread, without a
// schedule: what each promises about when it switches threads.
#include "poolcheck/deterministic/strategy.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <vector>

namespace poolcheck::det {
namespace {

constexpr std::array<std::uint32_t, 4> kAll = {0, 1, 2, 3};

// Windows switches away from the running thread only at a marked window (`plain`), and there about
// half the time.
TEST(WindowsStrategy, SwitchesOnlyAtMarkedWindowsAndThereAboutHalfTheTime) {
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    auto s = make_windows(seed, 4);
    std::uint32_t running = s->pick(kAll, 4, 0, PointKind::start);
    std::uint64_t step = 1;
    for (PointKind kind : {PointKind::load, PointKind::store, PointKind::rmw, PointKind::lock, PointKind::unlock}) {
      for (int i = 0; i < 50; ++i) ASSERT_EQ(s->pick(kAll, running, step++, kind), running) << "seed " << seed;
    }
  }
  int switched = 0, windows = 0;
  for (std::uint64_t seed = 1; seed <= 200; ++seed) {
    auto s = make_windows(seed, 4);
    std::uint32_t running = s->pick(kAll, 4, 0, PointKind::start);
    for (std::uint64_t step = 1; step <= 4; ++step) {
      const std::uint32_t next = s->pick(kAll, running, step, PointKind::plain);
      ++windows;
      if (next != running) ++switched;
      running = next;
    }
  }
  EXPECT_GT(switched, windows / 3);
  EXPECT_LT(switched, windows * 2 / 3);
}

// A thread stopped in a window resumes only when every other thread is blocked or done: the others
// run whole operations inside its window. The latest one stopped resumes last.
TEST(WindowsStrategy, AStoppedThreadWaitsUntilNoOtherCanRun) {
  for (std::uint64_t seed = 1; seed <= 50; ++seed) {
    auto s = make_windows(seed, 3);
    const std::array<std::uint32_t, 3> all = {0, 1, 2};
    const std::uint32_t first = s->pick(all, 3, 0, PointKind::start);
    std::uint64_t step = 1;
    std::uint32_t next = first;
    while (next == first) next = s->pick(all, first, step++, PointKind::plain);
    // Every other point of the others: `first` never comes back while another can run.
    for (int i = 0; i < 100; ++i) ASSERT_NE(s->pick(all, next, step++, PointKind::rmw), first) << "seed " << seed;
    std::vector<std::uint32_t> only_first = {first};
    EXPECT_EQ(s->pick(only_first, next, step++, PointKind::exit), first);
    // Stop the second one too: now it ranks below the first.
    std::uint32_t third = next;
    while (third == next) third = s->pick(all, next, step++, PointKind::plain);
    ASSERT_NE(third, first) << "seed " << seed;
    const std::array<std::uint32_t, 2> stopped = {std::min(first, next), std::max(first, next)};
    EXPECT_EQ(s->pick(stopped, third, step++, PointKind::exit), first) << "seed " << seed;
  }
}

TEST(WindowsStrategy, TheSameSeedMakesTheSameChoices) {
  auto a = make_windows(9, 4);
  auto b = make_windows(9, 4);
  std::uint32_t ra = 4, rb = 4;
  for (std::uint64_t step = 0; step < 500; ++step) {
    const PointKind kind = step % 3 == 0 ? PointKind::plain : PointKind::load;
    ra = a->pick(kAll, ra, step, kind);
    rb = b->pick(kAll, rb, step, kind);
    ASSERT_EQ(ra, rb) << "step " << step;
  }
}

TEST(StrategyCatalog, WindowsIsARowOfTheRegistry) {
  const StrategyEntry* w = find_strategy("windows");
  ASSERT_NE(w, nullptr);
  EXPECT_FALSE(w->depth_bounded);
  EXPECT_EQ(w->make(StrategyParams{1, 4, 0, 0})->describe(), "windows (seed 1)");
}

}  // namespace
}  // namespace poolcheck::det
