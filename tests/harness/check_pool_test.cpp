// The entry point for other people's pools (poolcheck/check.hpp): a small pool written the way a
// user writes one (templated on its Sync bundle, allocating through the allocator it is given) is
// checked by check_pool free-running and under schedules, clean when correct and caught when
// broken; a pool that allocates by itself runs with the allocator's oracles off, and says so.
#include "poolcheck/check.hpp"

#include <gtest/gtest.h>

#include <bit>
#include <cstddef>
#include <cstring>
#include <memory>
#include <mutex>
#include <span>
#include <stdexcept>
#include <vector>

#include "poolcheck/check_gtest.hpp"

namespace {

enum class Bug { none, ignores_clear, ignores_cap };

// A user's pool: one mutex-guarded stack per power-of-two class from 16 elements, a cap per class.
// Allocator: poolcheck::CountingAllocator, or OwnNew (the pool uses operator new itself).
struct OwnNew {};
template <class Sync, Bug B, class Allocator>
class UserPool {
 public:
  using value_type = std::byte;

  UserPool(const poolcheck::PoolConfig& c, Allocator a = Allocator())
      : largest_(std::bit_ceil(std::max<std::size_t>(16, c.max_array_length))),
        cap_(c.max_per_bucket),
        allocator_(a),
        classes_(static_cast<std::size_t>(std::countr_zero(largest_ / 16)) + 1) {}
  ~UserPool() {
    for (Class& k : classes_) {
      for (std::byte* p : k.resting) free_array(p, capacity(&k - classes_.data()));
    }
  }

  static poolcheck::PoolFacts facts(const poolcheck::PoolConfig& c) {
    poolcheck::PoolFacts f;
    f.largest_bucket = std::bit_ceil(std::max<std::size_t>(16, c.max_array_length));
    f.bucket_count = static_cast<std::size_t>(std::countr_zero(f.largest_bucket / 16)) + 1;
    f.resting_cap = c.max_per_bucket;
    return f;
  }

  std::span<std::byte> rent(std::size_t n) {
    if (n == 0) return {};
    if (n > largest_) return {new_array(n), n};
    const std::size_t c = class_of(n);
    {
      std::lock_guard lock(classes_[c].mutex);
      if (!classes_[c].resting.empty()) {
        std::byte* p = classes_[c].resting.back();
        classes_[c].resting.pop_back();
        return {p, capacity(c)};
      }
    }
    return {new_array(capacity(c)), capacity(c)};
  }

  void give_back(std::span<std::byte> array, bool clear) {
    if (array.empty()) return;
    if (array.size() > largest_) return free_array(array.data(), array.size());
    if (!std::has_single_bit(array.size()) || array.size() < 16) throw std::invalid_argument("not a class size");
    if (clear && B != Bug::ignores_clear) std::memset(array.data(), 0, array.size());
    const std::size_t c = class_of(array.size());
    {
      std::lock_guard lock(classes_[c].mutex);
      if (classes_[c].resting.size() < cap_ || B == Bug::ignores_cap) {
        classes_[c].resting.push_back(array.data());
        return;
      }
    }
    free_array(array.data(), array.size());
  }

 private:
  struct Class {
    typename Sync::mutex mutex;
    std::vector<std::byte*> resting;  // guarded by mutex
  };
  static std::size_t capacity(std::size_t c) { return std::size_t{16} << c; }
  static std::size_t class_of(std::size_t n) {
    return static_cast<std::size_t>(std::bit_width(std::max<std::size_t>(n, 16) - 1)) - 4;
  }
  std::byte* new_array(std::size_t n) {
    if constexpr (std::is_same_v<Allocator, OwnNew>) {
      return new std::byte[n];
    } else {
      return static_cast<std::byte*>(allocator_.allocate(n, alignof(std::max_align_t)));
    }
  }
  void free_array(std::byte* p, std::size_t n) {
    if constexpr (std::is_same_v<Allocator, OwnNew>) {
      delete[] p;
    } else {
      allocator_.deallocate(p, n, alignof(std::max_align_t));
    }
  }

  const std::size_t largest_;
  const std::size_t cap_;
  [[no_unique_address]] Allocator allocator_;
  std::vector<Class> classes_;  // the vector itself never changes after construction
};

template <class Sync>
using Correct = UserPool<Sync, Bug::none, poolcheck::CountingAllocator>;
template <class Sync>
using IgnoresClear = UserPool<Sync, Bug::ignores_clear, poolcheck::CountingAllocator>;
template <class Sync>
using IgnoresCap = UserPool<Sync, Bug::ignores_cap, poolcheck::CountingAllocator>;
template <class Sync>
struct Uncounted : UserPool<Sync, Bug::none, OwnNew> {
  explicit Uncounted(const poolcheck::PoolConfig& c) : UserPool<Sync, Bug::none, OwnNew>(c) {}
};

TEST(CheckPool, ACorrectUserPoolRunsCleanFreeAndUnderSchedules) {
  POOLCHECK_EXPECT_CLEAN(poolcheck::check_pool<Correct>({"--rounds", "6", "--threads", "32", "--quiet"}));
  POOLCHECK_EXPECT_CLEAN(poolcheck::check_pool<Correct>({"--deterministic", "--search", "30", "--quiet"}));
}

TEST(CheckPool, ABrokenUserPoolIsCaughtByTheNamedOracleWithAReplay) {
  const auto clear = poolcheck::check_pool<IgnoresClear>({"--rounds", "20", "--threads", "32", "--quiet"});
  EXPECT_EQ(clear.exit_code, 1) << poolcheck::describe(clear);
  EXPECT_NE(clear.summary.find("leakage"), std::string::npos) << clear.summary;
  ASSERT_FALSE(clear.replay_args.empty());

  // The printed flags replay it: split them into arguments and run again.
  std::vector<std::string> args;
  for (std::size_t at = 0; at < clear.replay_args.size();) {
    const std::size_t end = std::min(clear.replay_args.find(' ', at), clear.replay_args.size());
    args.push_back(clear.replay_args.substr(at, end - at));
    at = end + 1;
  }
  args.push_back("--quiet");
  const auto again = poolcheck::check_pool<IgnoresClear>(args);
  EXPECT_EQ(again.exit_code, 1) << poolcheck::describe(again);

  const auto cap = poolcheck::check_pool<IgnoresCap>({"--rounds", "20", "--threads", "32", "--quiet"});
  EXPECT_EQ(cap.exit_code, 1) << poolcheck::describe(cap);
  EXPECT_NE(cap.summary.find("bucket-cap"), std::string::npos) << cap.summary;
}

TEST(CheckPool, ADeterministicFailureReplaysFromItsTrace) {
  const auto found = poolcheck::check_pool<IgnoresClear>({"--deterministic", "--search", "200", "--quiet"});
  ASSERT_EQ(found.exit_code, 1) << poolcheck::describe(found);
  ASSERT_FALSE(found.trace_file.empty()) << poolcheck::describe(found);
  const std::string trace = found.trace_file;
  const auto replayed = poolcheck::check_pool<IgnoresClear>({"--replay", trace, "--quiet"});
  EXPECT_EQ(replayed.exit_code, 1) << poolcheck::describe(replayed);
  EXPECT_NE(replayed.summary.find("same violation at the same step"), std::string::npos) << replayed.summary;
  std::remove(trace.c_str());
}

TEST(CheckPool, AnUncountedPoolRunsWithTheAllocatorsOraclesOffAndSaysWhich) {
  const auto r = poolcheck::check_pool<Uncounted>({"--rounds", "3", "--threads", "16", "--quiet"});
  POOLCHECK_EXPECT_CLEAN(r);
  EXPECT_NE(r.summary.find("oracle off: aliasing"), std::string::npos) << r.summary;
  EXPECT_EQ(r.summary.find("aliasing 0"), std::string::npos);
}

TEST(CheckPool, UsageErrorsComeBackAsOneLine) {
  const auto r = poolcheck::check_pool<Correct>({"--partitions", "2"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.error.find("--partitions does not apply"), std::string::npos) << r.error;
  const auto w = poolcheck::check_pool<Correct>({"--scenario", "token-stream"});
  EXPECT_EQ(w.exit_code, 2);
  EXPECT_NE(w.error.find("program scenarios"), std::string::npos) << w.error;
}

}  // namespace
