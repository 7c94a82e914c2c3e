// lockfree::Pool checked inside GoogleTest with poolcheck::check_pool: the correct pool passes a
// short run, and each bug is caught by the default deterministic search with the flags (and the
// trace) that replay it.
#include <gtest/gtest.h>

#include <cstdio>
#include <sstream>
#include <string>
#include <vector>

#include <poolcheck/check_gtest.hpp>

#include "lockfree_adapter.hpp"

namespace {

template <class Sync>
using Correct = LockfreeAdapter<lockfree::Bug::none>::Checked<Sync>;
template <class Sync>
using CapRace = LockfreeAdapter<lockfree::Bug::cap_race>::Checked<Sync>;
template <class Sync>
using Aba = LockfreeAdapter<lockfree::Bug::aba>::Checked<Sync>;

std::vector<std::string> words_of(const std::string& line) {
  std::vector<std::string> out;
  std::istringstream words(line);
  for (std::string w; words >> w;) out.push_back(w);
  return out;
}

TEST(LockfreePool, PassesPoolcheck) {
  POOLCHECK_EXPECT_CLEAN(poolcheck::check_pool<Correct>({"--duration", "2"}));
  POOLCHECK_EXPECT_CLEAN(poolcheck::check_pool<Correct>({"--deterministic", "--search", "50"}));
}

// The check-then-act cap, under the default deterministic search: caught by bucket-cap, and the
// schedule it names replays the same violation.
TEST(LockfreePool, TheCapRaceIsCaughtAndItsScheduleReplays) {
  const poolcheck::CheckResult found = poolcheck::check_pool<CapRace>({"--deterministic"});
  ASSERT_EQ(found.exit_code, 1) << poolcheck::describe(found);
  ASSERT_TRUE(found.first.has_value());
  EXPECT_EQ(found.first->oracle, poolcheck::OracleKind::bucket_cap) << poolcheck::describe(found);
  const std::vector<std::string> replay = words_of(found.replay_args);
  ASSERT_FALSE(replay.empty()) << poolcheck::describe(found);
  const poolcheck::CheckResult again = poolcheck::check_pool<CapRace>(replay);
  ASSERT_EQ(again.exit_code, 1) << poolcheck::describe(again);
  ASSERT_TRUE(again.first.has_value());
  EXPECT_TRUE(poolcheck::same_finding(*found.first, *again.first))
      << poolcheck::to_string(*found.first) << "\n" << poolcheck::to_string(*again.first);
}

// The ABA pop, under the default deterministic search: the pool's yield_point() between reading the
// head and its CAS is where the search stops a popper while others pop and push. Its trace replays
// the same violation at the same step.
TEST(LockfreePool, TheAbaIsCaughtAndItsTraceReplays) {
  const poolcheck::CheckResult found = poolcheck::check_pool<Aba>({"--deterministic"});
  ASSERT_EQ(found.exit_code, 1) << poolcheck::describe(found);
  ASSERT_TRUE(found.first.has_value());
  ASSERT_FALSE(found.trace_file.empty()) << poolcheck::describe(found);
  const poolcheck::CheckResult again = poolcheck::check_pool<Aba>({"--replay", found.trace_file});
  std::remove(found.trace_file.c_str());
  ASSERT_EQ(again.exit_code, 1) << poolcheck::describe(again);
  EXPECT_NE(again.summary.find("same violation at the same step"), std::string::npos) << again.summary;
  const poolcheck::CheckResult flags = poolcheck::check_pool<Aba>(words_of(found.replay_args));
  ASSERT_EQ(flags.exit_code, 1) << poolcheck::describe(flags);
  ASSERT_TRUE(flags.first.has_value());
  EXPECT_TRUE(poolcheck::same_finding(*found.first, *flags.first))
      << poolcheck::to_string(*found.first) << "\n" << poolcheck::to_string(*flags.first);
}

}  // namespace
