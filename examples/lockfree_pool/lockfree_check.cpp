// lockfree::Pool checked inside GoogleTest with poolcheck::check_pool: the correct pool passes a
// short run, and each bug is caught by its oracle with the flags that replay it.
#include <gtest/gtest.h>

#include <poolcheck/check_gtest.hpp>

#include "lockfree_adapter.hpp"

namespace {

template <class Sync>
using Correct = LockfreeAdapter<lockfree::Bug::none>::Checked<Sync>;
template <class Sync>
using CapRace = LockfreeAdapter<lockfree::Bug::cap_race>::Checked<Sync>;

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
  std::vector<std::string> replay;
  std::istringstream words(found.replay_args);
  for (std::string w; words >> w;) replay.push_back(w);
  ASSERT_FALSE(replay.empty()) << poolcheck::describe(found);
  const poolcheck::CheckResult again = poolcheck::check_pool<CapRace>(replay);
  ASSERT_EQ(again.exit_code, 1) << poolcheck::describe(again);
  ASSERT_TRUE(again.first.has_value());
  EXPECT_TRUE(poolcheck::same_finding(*found.first, *again.first))
      << poolcheck::to_string(*found.first) << "\n" << poolcheck::to_string(*again.first);
}

}  // namespace
