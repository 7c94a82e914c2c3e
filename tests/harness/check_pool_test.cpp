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
#include "user_pool.hpp"

namespace {

using user_pool::Correct;
using user_pool::IgnoresCap;
using user_pool::IgnoresClear;
using user_pool::Uncounted;

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
