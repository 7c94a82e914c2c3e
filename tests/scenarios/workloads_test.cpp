// Every workload of the catalog runs clean on both correct pools, and every pitfall is caught by
// the oracle it names, on both pools. Small runs (8 threads) so the suite stays fast; `stress
// --self-test` repeats this at 64 threads in child processes, and CI runs both in every preset.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "bufpool/sanitizer_build.hpp"
#include "poolcheck/scenario_catalog.hpp"

namespace poolcheck {
namespace {

struct Case {
  const Scenario* scenario;
  PoolKind pool;
};

std::vector<Case> cases(ScenarioKind kind) {
  std::vector<Case> out;
  for (const Scenario& s : scenario_catalog()) {
    if (s.kind != kind) continue;
    for (PoolKind pool : {PoolKind::shared, PoolKind::locked}) out.push_back(Case{&s, pool});
  }
  return out;
}

std::string case_name(const ::testing::TestParamInfo<Case>& info) {
  std::string name = std::string(info.param.scenario->name) + "_" + std::string(to_string(info.param.pool));
  for (char& c : name) {
    if (c == '-') c = '_';
  }
  return name;
}

WorkloadParams params(PoolKind pool, std::uint64_t seed) {
  WorkloadParams p;
  p.pool = pool;
  p.pools.partitions = 2;
  p.pools.arrays_per_partition = 8;
  p.pools.max_per_bucket = 8;
  p.ops = 96;
  p.run.threads = 8;
  p.run.seed = seed;
  p.run.limits.hold_limit = std::chrono::milliseconds(20);
  return p;
}

std::string describe(const RunOutcome& out) {
  std::string s = std::string("end ") + to_string(out.end) + "\n";
  for (const auto& v : out.violations) s += to_string(v) + "\n";
  return s;
}

class WorkloadTest : public ::testing::TestWithParam<Case> {};

TEST_P(WorkloadTest, RunsCleanOverSeveralSeeds) {
  for (std::uint64_t seed : {1u, 2u, 3u}) {
    const RunOutcome out = GetParam().scenario->run(params(GetParam().pool, seed));
    EXPECT_TRUE(out.clean()) << "seed " << seed << ": " << describe(out);
    EXPECT_GT(out.ops_done, 0u);
    EXPECT_GT(out.rents, 0u);
    EXPECT_FALSE(out.notes.empty()) << "a workload reports what it measured";
    // Every oracle the workload relies on ran.
    EXPECT_GT(out.checks[static_cast<std::size_t>(OracleKind::exclusivity)], 0u);
    EXPECT_GT(out.checks[static_cast<std::size_t>(OracleKind::accounting)], 0u);
    EXPECT_GT(out.checks[static_cast<std::size_t>(OracleKind::bucket_cap)], 0u);
  }
}

INSTANTIATE_TEST_SUITE_P(Catalog, WorkloadTest, ::testing::ValuesIn(cases(ScenarioKind::workload)), case_name);

class PitfallTest : public ::testing::TestWithParam<Case> {};

TEST_P(PitfallTest, IsCaughtByTheOracleItNames) {
  if (bufpool::kAsanBuild && GetParam().scenario->name == "forgot-give-back") {
    // The lost array is lost for good (and allocated on a worker thread, out of reach of a
    // per-thread LeakSanitizer switch): LeakSanitizer would rightly report it at this process's
    // exit. stress_e2e.py and `stress --self-test` check this pitfall in a child process instead.
    GTEST_SKIP() << "checked in a child process under ASan";
  }
  const RunOutcome out = GetParam().scenario->run(params(GetParam().pool, 7));
  ASSERT_FALSE(out.violations.empty()) << "missed: " << describe(out);
  EXPECT_EQ(oracle_name(out.violations.front().oracle), oracle_name(GetParam().scenario->caught_by)) << describe(out);
  EXPECT_EQ(out.end, RunEnd::violation);
}

INSTANTIATE_TEST_SUITE_P(Catalog, PitfallTest, ::testing::ValuesIn(cases(ScenarioKind::pitfall)), case_name);

TEST(ScenarioCatalog, EveryScenarioIsRunnableAndOnlyPitfallsExpectToBeCaught) {
  for (const Scenario& s : scenario_catalog()) {
    EXPECT_EQ(find_scenario(s.name), &s);
    EXPECT_FALSE(s.summary.empty()) << s.name;
    if (s.kind == ScenarioKind::program) {
      EXPECT_NE(s.shape, nullptr) << s.name;
    } else {
      EXPECT_NE(s.run, nullptr) << s.name;
    }
    EXPECT_EQ(s.expect == Expect::caught, s.kind == ScenarioKind::pitfall) << s.name;
  }
  EXPECT_EQ(find_scenario("no-such-scenario"), nullptr);
}

}  // namespace
}  // namespace poolcheck
