#include "poolcheck/deterministic/strategy.hpp"

#include <algorithm>
#include <array>
#include <cmath>

#include "poolcheck/registry_names.hpp"
#include "poolcheck/seeded_random.hpp"

namespace poolcheck::det {
namespace {

// Distinct priorities lowest .. lowest + threads - 1, in random order (Fisher-Yates).
std::vector<std::uint32_t> shuffled_priorities(SeededRandom& rng, std::uint32_t threads, std::uint32_t lowest) {
  std::vector<std::uint32_t> priority(threads);
  for (std::uint32_t i = 0; i < threads; ++i) priority[i] = lowest + i;
  for (std::uint32_t i = threads; i > 1; --i) std::swap(priority[i - 1], priority[rng.below(i)]);
  return priority;
}

// The runnable thread of highest priority (the first of them on a tie).
std::uint32_t highest(std::span<const std::uint32_t> runnable, const std::vector<std::uint32_t>& priority) {
  std::uint32_t best = runnable[0];
  for (std::uint32_t t : runnable) {
    if (priority[t] > priority[best]) best = t;
  }
  return best;
}

class RandomWalk final : public Strategy {
 public:
  explicit RandomWalk(std::uint64_t seed) : seed_(seed), rng_(seed, 0x5CED) {}
  std::uint32_t pick(std::span<const std::uint32_t> runnable, std::uint32_t, std::uint64_t, PointKind) override {
    return runnable[rng_.below(runnable.size())];
  }
  std::string describe() const override { return "random walk (seed " + std::to_string(seed_) + ")"; }

 private:
  std::uint64_t seed_;
  SeededRandom rng_;
};

class Pct final : public Strategy {
 public:
  Pct(std::uint64_t seed, std::uint32_t threads, std::uint32_t depth, std::uint64_t expected_steps)
      : seed_(seed), depth_(std::max(depth, 1u)), steps_(std::max<std::uint64_t>(expected_steps, 1)) {
    SeededRandom rng(seed, 0x9C7);
    // Initial priorities depth .. depth + n - 1, above every dropped one.
    priority_ = shuffled_priorities(rng, threads, depth_);
    // d - 1 change points in [1, k].
    for (std::uint32_t j = 1; j < depth_; ++j) change_points_.push_back(1 + rng.below(steps_));
    std::sort(change_points_.begin(), change_points_.end());
  }

  std::uint32_t pick(std::span<const std::uint32_t> runnable, std::uint32_t current, std::uint64_t step,
                     PointKind) override {
    // At the i-th change point the running thread drops to priority i, below every initial one.
    for (std::size_t j = 0; j < change_points_.size(); ++j) {
      if (change_points_[j] == step && current < priority_.size()) {
        priority_[current] = static_cast<std::uint32_t>(depth_ - 1 - j);
      }
    }
    return highest(runnable, priority_);
  }

  std::string describe() const override {
    return "PCT depth " + std::to_string(depth_) + " over ~" + std::to_string(steps_) + " steps (seed " +
           std::to_string(seed_) + ")";
  }

 private:
  std::uint64_t seed_;
  std::uint32_t depth_;
  std::uint64_t steps_;
  std::vector<std::uint32_t> priority_;
  std::vector<std::uint64_t> change_points_;
};

class Windows final : public Strategy {
 public:
  // Initial priorities above every demoted one.
  Windows(std::uint64_t seed, std::uint32_t threads)
      : seed_(seed), rng_(seed, 0x3D0), priority_(shuffled_priorities(rng_, threads, kDemotedBelow)) {}

  std::uint32_t pick(std::span<const std::uint32_t> runnable, std::uint32_t current, std::uint64_t,
                     PointKind kind) override {
    // Each drop goes below every earlier one, so the thread stopped most recently in a window
    // resumes last: the others finish what they can first.
    if (kind == PointKind::plain && current < priority_.size() && next_drop_ > 0 && rng_.below(2) == 0) {
      priority_[current] = --next_drop_;
    }
    return highest(runnable, priority_);
  }

  std::string describe() const override { return "windows (seed " + std::to_string(seed_) + ")"; }

 private:
  // Demoted priorities count down from here; a schedule has fewer window stops than this.
  static constexpr std::uint32_t kDemotedBelow = 1u << 30;
  std::uint64_t seed_;
  SeededRandom rng_;
  std::vector<std::uint32_t> priority_;
  std::uint32_t next_drop_ = kDemotedBelow;
};

class Replay final : public Strategy {
 public:
  Replay(std::vector<std::uint32_t> choices, std::uint64_t* divergences)
      : choices_(std::move(choices)), divergences_(divergences) {}
  std::uint32_t pick(std::span<const std::uint32_t> runnable, std::uint32_t, std::uint64_t step, PointKind) override {
    if (step < choices_.size() && std::find(runnable.begin(), runnable.end(), choices_[step]) != runnable.end()) {
      return choices_[step];
    }
    if (divergences_ != nullptr) ++*divergences_;
    return runnable[0];
  }
  std::string describe() const override { return "replay of " + std::to_string(choices_.size()) + " recorded steps"; }

 private:
  std::vector<std::uint32_t> choices_;
  std::uint64_t* divergences_;
};

}  // namespace

std::unique_ptr<Strategy> make_random_walk(std::uint64_t seed) { return std::make_unique<RandomWalk>(seed); }

std::unique_ptr<Strategy> make_pct(std::uint64_t seed, std::uint32_t threads, std::uint32_t depth,
                                   std::uint64_t expected_steps) {
  return std::make_unique<Pct>(seed, threads, depth, expected_steps);
}

std::unique_ptr<Strategy> make_windows(std::uint64_t seed, std::uint32_t threads) {
  return std::make_unique<Windows>(seed, threads);
}

std::unique_ptr<Strategy> make_replay(std::vector<std::uint32_t> choices, std::uint64_t* divergences) {
  return std::make_unique<Replay>(std::move(choices), divergences);
}

namespace {

std::unique_ptr<Strategy> pct_from(const StrategyParams& p) {
  return make_pct(p.seed, p.threads, p.depth, p.expected_steps);
}
std::unique_ptr<Strategy> random_walk_from(const StrategyParams& p) { return make_random_walk(p.seed); }
std::unique_ptr<Strategy> windows_from(const StrategyParams& p) { return make_windows(p.seed, p.threads); }

constexpr std::array kStrategies = {
    StrategyEntry{"pct", "PCT: random thread priorities with d-1 priority drops, a known bound per schedule",
                  &pct_from, true},
    StrategyEntry{"random", "a uniform random walk among the runnable threads", &random_walk_from, false},
    StrategyEntry{"windows", "random priorities; a thread drops below the others only at a marked window, half the time",
                  &windows_from, false},
};

}  // namespace

std::span<const StrategyEntry> strategy_catalog() noexcept { return kStrategies; }

const StrategyEntry* find_strategy(std::string_view name) noexcept {
  return find_by_name(kStrategies, name);
}

const StrategyEntry& default_strategy() noexcept { return kStrategies[0]; }
const StrategyEntry& calibration_strategy() noexcept { return kStrategies[1]; }

const std::vector<std::string>& strategy_names() {
  static const std::vector<std::string> names = names_of(kStrategies);
  return names;
}

double pct_miss_bound(std::uint32_t threads, std::uint64_t steps, std::uint32_t depth, std::uint64_t runs) {
  const double p = 1.0 / (double(std::max(threads, 1u)) * std::pow(double(std::max<std::uint64_t>(steps, 1)),
                                                                      double(std::max(depth, 1u) - 1)));
  return std::pow(1.0 - p, double(runs));
}

}  // namespace poolcheck::det
