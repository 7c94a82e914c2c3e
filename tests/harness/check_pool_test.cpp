// The entry point for other people's pools (poolcheck/check.hpp): a small pool written the way a
// user writes one (templated on its Sync bundle, allocating through the allocator it is given) is
// checked by check_pool free-running and under schedules, clean when correct and caught when
// broken; a pool that allocates by itself runs with the allocator's oracles off, and says so.
#include "poolcheck/check.hpp"

#include <gtest/gtest.h>

#include <atomic>
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

// A pool whose constructor takes its own options type, not poolcheck's config: only a factory can
// build it. Each build is counted, so the test sees the factory was the path taken.
struct OwnOptions {
  std::size_t longest;
  std::size_t per_class;
};
template <class Sync, user_pool::Bug B>
struct BuiltFromOwnOptions : user_pool::UserPool<Sync, B, poolcheck::CountingAllocator<std::byte>> {
  using Base = user_pool::UserPool<Sync, B, poolcheck::CountingAllocator<std::byte>>;
  BuiltFromOwnOptions(OwnOptions o, poolcheck::CountingAllocator<std::byte> a)
      : Base(poolcheck::PoolConfig{.max_array_length = o.longest, .max_per_bucket = o.per_class}, a) {}
};
template <class Sync>
using TakesOwnOptions = BuiltFromOwnOptions<Sync, user_pool::Bug::none>;
template <class Sync>
using TakesOwnOptionsIgnoresClear = BuiltFromOwnOptions<Sync, user_pool::Bug::ignores_clear>;

std::atomic<int> g_factory_builds{0};  // every pool the factories below built, either Sync bundle

template <template <class> class Pool>
struct BuildFromOwnOptions {
  template <class Sync>
  std::unique_ptr<Pool<Sync>> operator()(poolcheck::SyncTag<Sync>, const poolcheck::PoolConfig& c,
                                         poolcheck::CountingAllocator<std::byte> a) const {
    g_factory_builds.fetch_add(1);
    return std::make_unique<Pool<Sync>>(OwnOptions{c.max_array_length, c.max_per_bucket}, a);
  }
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

TEST(CheckPool, APoolWithItsOwnOptionsIsBuiltByTheFactoryFreeAndUnderSchedules) {
  using Factory = BuildFromOwnOptions<TakesOwnOptions>;
  g_factory_builds = 0;
  POOLCHECK_EXPECT_CLEAN((poolcheck::check_pool<TakesOwnOptions, Factory>({"--rounds", "4", "--threads", "16", "--quiet"})));
  EXPECT_GE(g_factory_builds.load(), 4);  // a fresh pool per round
  const int after_free = g_factory_builds.load();
  POOLCHECK_EXPECT_CLEAN((poolcheck::check_pool<TakesOwnOptions, Factory>({"--deterministic", "--search", "10", "--quiet"})));
  EXPECT_GE(g_factory_builds.load() - after_free, 10);  // a fresh pool per schedule

  // The factory's pool is counted (it takes the allocator), so no oracle is off, and its bugs are
  // caught as the constructor path's are.
  const auto caught = poolcheck::check_pool<TakesOwnOptionsIgnoresClear, BuildFromOwnOptions<TakesOwnOptionsIgnoresClear>>(
      {"--rounds", "20", "--threads", "32", "--quiet"});
  EXPECT_EQ(caught.exit_code, 1) << poolcheck::describe(caught);
  EXPECT_NE(caught.summary.find("leakage"), std::string::npos) << caught.summary;
  EXPECT_EQ(caught.summary.find("oracle off"), std::string::npos) << caught.summary;
}

// A pool that declares refuses_foreign_lengths is held to it: one that rests a span whose length is
// no class capacity is caught by size-contract, the op named, whichever thread records first.
TEST(CheckPool, APoolThatTakesAForeignLengthIsCaughtBySizeContract) {
  const auto r = poolcheck::check_pool<user_pool::AcceptsForeignLength>({"--rounds", "20", "--threads", "32", "--quiet"});
  ASSERT_EQ(r.exit_code, 1) << poolcheck::describe(r);
  ASSERT_TRUE(r.first.has_value());
  // The accepted span is back in the pool while its lease still holds it, so another thread may
  // rent it before the misuse op records its finding: aliasing is then recorded first, as its
  // consequence. The size-contract finding is in the summary either way.
  EXPECT_TRUE(r.first->oracle == poolcheck::OracleKind::size_contract || r.first->oracle == poolcheck::OracleKind::aliasing)
      << poolcheck::describe(r);
  const auto at = r.summary.find("size-contract: op ");
  ASSERT_NE(at, std::string::npos) << poolcheck::describe(r);
  const std::string finding = r.summary.substr(at, r.summary.find('\n', at) - at);
  EXPECT_NE(finding.find("misuse"), std::string::npos) << finding;
  EXPECT_NE(finding.find("no bucket capacity"), std::string::npos) << finding;
}

// Without the declaration the misuse op is off, and the summary says why.
template <class Sync>
struct NoMisuseContract : Correct<Sync> {
  static constexpr bool refuses_foreign_lengths = false;
  using Correct<Sync>::Correct;
};
TEST(CheckPool, WithoutAMisuseContractTheMisuseOpIsOffAndSaysSo) {
  const auto off = poolcheck::check_pool<NoMisuseContract>({"--rounds", "2", "--threads", "8", "--quiet"});
  POOLCHECK_EXPECT_CLEAN(off);
  EXPECT_NE(off.summary.find("oracle off: misuse"), std::string::npos) << off.summary;
  const auto on = poolcheck::check_pool<Correct>({"--rounds", "2", "--threads", "8", "--quiet"});
  POOLCHECK_EXPECT_CLEAN(on);
  EXPECT_EQ(on.summary.find("oracle off"), std::string::npos) << on.summary;
}

// A table row without a det-types build (run_det empty) runs free-running without point noise, and
// refuses what needs that build with one line.
TEST(CheckPool, APoolWithoutADetBuildRefusesSchedulesAndNoise) {
  auto free_only = [] {
    std::vector<poolcheck::PoolTarget> pools;
    pools.push_back(poolcheck::adapter_target<Correct>("pool", "the pool under test"));
    pools.back().run_det = nullptr;
    return pools;
  };
  const auto det = poolcheck::run_check(free_only(), {"--deterministic"});
  EXPECT_EQ(det.exit_code, 2);
  EXPECT_NE(det.error.find("not built for a schedule"), std::string::npos) << det.error;
  const auto noise = poolcheck::run_check(free_only(), {"--noise", "on"});
  EXPECT_EQ(noise.exit_code, 2);
  EXPECT_NE(noise.error.find("--noise on"), std::string::npos) << noise.error;
  const auto plain = poolcheck::run_check(free_only(), {"--rounds", "4", "--threads", "8", "--quiet"});
  POOLCHECK_EXPECT_CLEAN(plain);
  EXPECT_NE(plain.summary.find("point noise: 0 of 4 rounds"), std::string::npos) << plain.summary;
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
