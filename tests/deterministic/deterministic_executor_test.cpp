#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <sys/wait.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "deterministic/deterministic_support.hpp"
#include "deterministic/program_generators.hpp"
#include "poolcheck/deterministic/crash_trace.hpp"
#include "poolcheck/deterministic/det_atomic.hpp"
#include "poolcheck/deterministic/det_barrier.hpp"
#include "poolcheck/deterministic/det_mutex.hpp"
#include "poolcheck/hand_over_mailbox.hpp"
#include "poolcheck/deterministic/schedule_trace.hpp"
#include "poolcheck/deterministic/schedule.hpp"
#include "poolcheck/deterministic/strategy.hpp"
#include "poolcheck/pool_kind.hpp"

namespace poolcheck {
namespace {

using det::DeterministicPolicy;
using LockedDet = bufpool::LockedArrayPool<std::byte, DeterministicPolicy>;
using SharedDet = bufpool::SharedArrayPool<std::byte, DeterministicPolicy>;
using IgnoreClearDet =
    bufpool::LockedArrayPool<std::byte, det::DeterministicMutantPolicy<static_cast<std::uint32_t>(bufpool::testing::Fault::ignore_clear)>>;

ProgramShape small_shape() {
  ProgramShape shape;
  shape.threads = 3;
  shape.ops_per_thread = 24;
  shape.max_array_length = 1 << 12;
  shape.largest_common_size = 256;
  return shape;
}

TEST(DeterministicSchedule, SameSeedGivesTheSameScheduleStepForStep) {
  const ProgramSet programs = generate_programs(7, small_shape());
  for (std::uint64_t seed : {1u, 2u, 3u}) {
    auto a = det::make_pct(seed, 3, 3, 400);
    auto b = det::make_pct(seed, 3, 3, 400);
    const auto first = testing::run_det<SharedDet>(programs, *a);
    const auto second = testing::run_det<SharedDet>(programs, *b);
    ASSERT_EQ(first.outcome.schedule.end, det::ScheduleResult::End::completed);
    EXPECT_GT(first.outcome.schedule.steps, 100u);
    EXPECT_TRUE(det::same_steps(first.outcome.schedule.trace, second.outcome.schedule.trace)) << "seed " << seed;
  }
}

TEST(DeterministicSchedule, DifferentSeedsExploreDifferentInterleavings) {
  const ProgramSet programs = generate_programs(7, small_shape());
  auto a = det::make_random_walk(1);
  auto b = det::make_random_walk(2);
  const auto first = testing::run_det<LockedDet>(programs, *a);
  const auto second = testing::run_det<LockedDet>(programs, *b);
  EXPECT_FALSE(det::same_steps(first.outcome.schedule.trace, second.outcome.schedule.trace));
}

TEST(DeterministicSchedule, ReplayOfARecordedTraceFollowsItExactly) {
  const ProgramSet programs = generate_programs(11, small_shape());
  auto pct = det::make_pct(5, 3, 3, 400);
  const auto recorded = testing::run_det<LockedDet>(programs, *pct);
  std::vector<std::uint32_t> choices;
  for (const auto& s : recorded.outcome.schedule.trace) choices.push_back(s.thread);
  std::uint64_t divergences = 0;
  auto replay = det::make_replay(choices, &divergences);
  const auto again = testing::run_det<LockedDet>(programs, *replay);
  EXPECT_EQ(divergences, 0u);
  EXPECT_TRUE(det::same_steps(recorded.outcome.schedule.trace, again.outcome.schedule.trace));
}

TEST(DeterministicSchedule, LockOrderInversionIsReportedAsDeadlock) {
  // Thread 0 takes a then b, thread 1 takes b then a: some schedule interleaves them fatally.
  bool found = false;
  for (std::uint64_t seed = 1; seed <= 64 && !found; ++seed) {
    det::DetMutex a, b;
    auto strategy = det::make_random_walk(seed);
    det::Schedule schedule(*strategy, 10'000);
    const auto result = schedule.run(2, [&](std::uint32_t i) {
      det::DetMutex& first = i == 0 ? a : b;
      det::DetMutex& second = i == 0 ? b : a;
      std::lock_guard l1(first);
      std::lock_guard l2(second);
    });
    if (result.end == det::ScheduleResult::End::deadlock) {
      found = true;
      EXPECT_NE(result.report.find("blocked on mutex"), std::string::npos) << result.report;
    } else {
      EXPECT_EQ(result.end, det::ScheduleResult::End::completed);
    }
  }
  EXPECT_TRUE(found) << "no schedule of 64 interleaved the two lock orders";
}

TEST(DeterministicSchedule, SpinningForeverHitsTheStepLimit) {
  det::DetAtomic<bool> never{false};
  auto strategy = det::make_random_walk(1);
  det::Schedule schedule(*strategy, 1'000);
  const auto result = schedule.run(1, [&](std::uint32_t) {
    while (!never.load()) {
    }
  });
  EXPECT_EQ(result.end, det::ScheduleResult::End::step_limit);
  EXPECT_GE(result.steps, 1'000u);
}

TEST(DeterministicSchedule, AYieldingWaiterLetsTheOthersRunEvenUnderPct) {
  // Thread 0 waits for thread 1's flag. PCT runs its highest-priority thread at every point; a
  // waiter that did not yield would spin to the step limit whenever it has the top priority.
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    det::DetAtomic<bool> ready{false};
    auto strategy = det::make_pct(seed, 2, 1, 100);
    det::Schedule schedule(*strategy, 10'000);
    const auto result = schedule.run(2, [&](std::uint32_t i) {
      if (i == 1) return ready.store(true);
      while (!ready.load()) det::Schedule::yield();
    });
    EXPECT_EQ(result.end, det::ScheduleResult::End::completed) << "seed " << seed;
  }
}

TEST(DeterministicSchedule, ABarrierBlocksInTheScheduleAndAMissingArrivalIsADeadlock) {
  // Three threads pass a barrier twice; then two wait for a third that dropped out after the first
  // phase and never arrives... except that arrive_and_drop lowers the count: every schedule completes.
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    det::DetBarrier gate(3);
    std::atomic<int> passed{0};
    auto strategy = det::make_random_walk(seed);
    det::Schedule schedule(*strategy, 10'000);
    const auto result = schedule.run(3, [&](std::uint32_t i) {
      gate.arrive_and_wait();
      passed.fetch_add(1);
      if (i == 2) return gate.arrive_and_drop();
      gate.arrive_and_wait();
    });
    EXPECT_EQ(result.end, det::ScheduleResult::End::completed) << "seed " << seed;
    EXPECT_EQ(passed.load(), 3);
  }
  // A barrier of three that only two threads reach: both block in the schedule, which reports the
  // deadlock instead of hanging.
  det::DetBarrier gate(3);
  auto strategy = det::make_random_walk(1);
  det::Schedule schedule(*strategy, 10'000);
  const auto result = schedule.run(2, [&](std::uint32_t) { gate.arrive_and_wait(); });
  EXPECT_EQ(result.end, det::ScheduleResult::End::deadlock);
}

TEST(DeterministicHandOver, TheScheduleSwitchesInsideASendAndNothingIsLost) {
  // Threads 0 and 1 send two leases each to thread 2's mailbox; thread 2 receives until it has all
  // four. Each send is a load of the head and a publishing CAS, both scheduling points: some
  // schedule must switch to another thread between them (a step at a sender's CAS that hands the
  // token away), and some must make that CAS fail because another send got in (a sender with a
  // third point: its retry). Every schedule delivers each lease exactly once.
  bool switched_inside = false;
  bool retried = false;
  for (std::uint64_t seed = 1; seed <= 200 && !(switched_inside && retried); ++seed) {
    HandOverMailboxes<std::byte, det::DetAtomic> boxes(3);
    std::vector<std::uint64_t> got;  // thread 2 only
    auto strategy = det::make_random_walk(seed);
    det::Schedule schedule(*strategy, 100'000);
    const auto result = schedule.run(3, [&](std::uint32_t i) {
      if (i < 2) {
        for (std::uint32_t k = 0; k < 2; ++k) {
          CheckedLease<std::byte> lease;
          lease.record.tag = Tag{i, k};
          boxes.send(2, std::move(lease), false);
        }
        return;
      }
      while (got.size() < 4) {
        boxes.receive(2, [&](HandOverMailboxes<std::byte, det::DetAtomic>::HandOver& h) {
          got.push_back(h.lease.record.tag.bits());
        });
        if (got.size() < 4) det::Schedule::yield();
      }
    });
    ASSERT_EQ(result.end, det::ScheduleResult::End::completed) << "seed " << seed;
    std::sort(got.begin(), got.end());
    ASSERT_EQ(got, (std::vector<std::uint64_t>{Tag{0, 0}.bits(), Tag{0, 1}.bits(), Tag{1, 0}.bits(), Tag{1, 1}.bits()}))
        << "seed " << seed;
    for (std::uint32_t sender = 0; sender < 2; ++sender) {
      std::size_t cas = 0;
      for (const det::Step& st : result.trace) {
        if (st.at != sender || st.kind != det::PointKind::rmw) continue;
        ++cas;
        if (st.thread != sender) switched_inside = true;
      }
      if (cas > 2) retried = true;
    }
  }
  EXPECT_TRUE(switched_inside) << "no schedule switched threads between a send's load and its CAS";
  EXPECT_TRUE(retried) << "no schedule made a send's CAS fail";
}

// The crash path of a deterministic schedule, as stress's crash guard takes it: the handler writes
// the trace so far (async-signal-safe) and dies of the signal.
extern "C" void write_trace_and_die(int sig) {
  det::write_crash_trace();
  std::signal(sig, SIG_DFL);
  std::raise(sig);
}

TEST(DeterministicCrash, ACrashedScheduleLeavesItsStepsAndTheirReplayCrashesTheSameWay) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  constexpr std::uint64_t kCrashStep = 150;
  const ProgramSet programs = generate_programs(7, small_shape());
  // The same schedule without the crash: the crash's trace must be its first kCrashStep steps.
  auto walk = det::make_random_walk(3);
  const auto full = testing::run_det<SharedDet>(programs, *walk);
  ASSERT_GT(full.outcome.schedule.steps, kCrashStep);
  const std::string dir = ::testing::TempDir();
  // Not removed before the death tests: each death test's child runs this body again up to its
  // statement (threadsafe style), and must find the first trace. A crash's rename replaces them.
  const std::string first = dir + "poolcheck-crash-trace-1.txt", second = dir + "poolcheck-crash-trace-2.txt";
  // SIGABRT: no sanitizer takes it over by default, so the handler below runs in every preset.
  auto crash_run = [&](const std::string& path, det::Strategy& strategy) {
    det::arm_crash_trace(path, det::ScheduleTrace{"stress --seed 7", std::nullopt, {}, programs});
    det::Schedule::crash_at_step_for_tests(kCrashStep, SIGABRT);
    std::signal(SIGABRT, &write_trace_and_die);
    testing::run_det<SharedDet>(programs, strategy);
  };
  EXPECT_EXIT(
      {
        auto strategy = det::make_random_walk(3);
        crash_run(first, *strategy);
      },
      ::testing::KilledBySignal(SIGABRT), "");
  const det::ScheduleTrace written = det::load_trace(first);
  ASSERT_EQ(written.steps.size(), kCrashStep);
  const std::vector<det::Step> prefix(full.outcome.schedule.trace.begin(),
                                      full.outcome.schedule.trace.begin() + kCrashStep);
  EXPECT_TRUE(det::same_steps(written.steps, prefix));
  ASSERT_TRUE(written.programs.has_value());
  EXPECT_EQ(written.programs->total_ops(), programs.total_ops());
  EXPECT_FALSE(written.violation.has_value());
  // Its replay follows the same steps into the same crash (and writes the same trace again).
  EXPECT_EXIT(
      {
        std::uint64_t divergences = 0;
        auto replay = det::make_replay(written.choices(), &divergences);
        crash_run(second, *replay);
      },
      ::testing::KilledBySignal(SIGABRT), "");
  EXPECT_TRUE(det::same_steps(det::load_trace(second).steps, written.steps));
  std::remove(first.c_str());
  std::remove(second.c_str());
}

TEST(DeterministicExecutor, CorrectPoolsRunCleanUnderManySchedules) {
  const ProgramSet programs = generate_programs(3, small_shape());
  for (std::uint64_t seed = 1; seed <= 30; ++seed) {
    auto pct = det::make_pct(seed, 3, 3, 600);
    const auto locked = testing::run_det<LockedDet>(programs, *pct);
    EXPECT_TRUE(locked.outcome.run.violations.empty()) << to_string(locked.outcome.run.violations.front());
    EXPECT_FALSE(locked.accounting.has_value());
    auto walk = det::make_random_walk(seed);
    const auto shared = testing::run_det<SharedDet>(programs, *walk);
    EXPECT_TRUE(shared.outcome.run.violations.empty()) << to_string(shared.outcome.run.violations.front());
    EXPECT_FALSE(shared.accounting.has_value());
  }
}

// The ops that reach the rest of the API (trim, stats, misuse, lease moves, exit: the same thread
// here) run clean under schedules on every correct pool, checked mode included.
TEST(DeterministicExecutor, ApiOpsRunCleanUnderSchedules) {
  using CheckedLockedDet = bufpool::LockedArrayPool<std::byte, CheckedPolicy<DeterministicPolicy>>;
  using CheckedSharedDet = bufpool::SharedArrayPool<std::byte, CheckedPolicy<DeterministicPolicy>>;
  ProgramShape shape = small_shape();
  shape.trim_weight = shape.stats_weight = shape.misuse_weight = shape.lease_move_weight = shape.exit_weight = 6;
  shape.lease_percent = 60;
  const ProgramSet programs = generate_programs(7, shape);
  for (std::uint64_t seed = 1; seed <= 6; ++seed) {
    auto check = [&](const testing::DetRun& r) {
      EXPECT_TRUE(r.outcome.run.violations.empty()) << to_string(r.outcome.run.violations.front());
      EXPECT_FALSE(r.accounting.has_value());
      EXPECT_EQ(r.outcome.run.ops_done, programs.total_ops());
    };
    auto walk = det::make_random_walk(seed);
    check(testing::run_det<LockedDet>(programs, *walk));
    walk = det::make_random_walk(seed);
    check(testing::run_det<SharedDet>(programs, *walk));
    auto pct = det::make_pct(seed, 3, 3, 2000);
    check(testing::run_det<CheckedLockedDet>(programs, *pct));
    pct = det::make_pct(seed, 3, 3, 2000);
    check(testing::run_det<CheckedSharedDet>(programs, *pct));
  }
}

// For all small programs and schedule seeds, a correct pool satisfies every oracle.
RC_GTEST_PROP(DeterministicExecutor, EveryOracleHoldsForCorrectPoolsUnderAnySchedule, ()) {
  const auto programs = *testing::program_sets(3, 12, 1 << 12);
  const auto seed = *rc::gen::arbitrary<std::uint64_t>();
  auto strategy = det::make_pct(seed, static_cast<std::uint32_t>(programs.threads.size()), 2, 200);
  const auto locked = testing::run_det<LockedDet>(programs, *strategy);
  RC_ASSERT(locked.outcome.run.violations.empty());
  RC_ASSERT(!locked.accounting.has_value());
  auto walk = det::make_random_walk(seed);
  const auto shared = testing::run_det<SharedDet>(programs, *walk);
  RC_ASSERT(shared.outcome.run.violations.empty());
  RC_ASSERT(!shared.accounting.has_value());
}

TEST(DeterministicExecutor, RapidCheckShrinksAFailingRunToAMinimalProgram) {
  // The ignore-clear mutant fails the property "every oracle holds"; RapidCheck shrinks the program.
  // The last failing program the property sees is the shrunk one, with the schedule seed that made
  // it fail (a two-thread minimum fails only under some interleavings, so any other seed may pass).
  static std::optional<ProgramSet> smallest;
  static std::uint64_t smallest_seed = 0;
  smallest.reset();
  const auto result = rc::check("ignore-clear is caught", [] {
    const auto programs = *testing::program_sets(3, 16, 1 << 12);
    const auto schedule_seed = *rc::gen::arbitrary<std::uint64_t>();
    auto walk = det::make_random_walk(schedule_seed);
    const auto run = testing::run_det<IgnoreClearDet>(programs, *walk);
    if (!run.outcome.run.violations.empty()) {
      smallest = programs;
      smallest_seed = schedule_seed;
    }
    RC_ASSERT(run.outcome.run.violations.empty());
  });
  ASSERT_FALSE(result) << "the mutant was never caught";
  ASSERT_TRUE(smallest.has_value());
  // rent, clearing give_back, rent again, on one thread or across two: a handful of ops. (RapidCheck
  // may keep an empty thread: shrinking the thread count regenerates every program.)
  std::size_t busy = 0;
  for (const auto& t : smallest->threads) busy += !t.ops.empty();
  EXPECT_LE(busy, 2u) << to_string(*smallest);
  EXPECT_LE(smallest->total_ops(), 5u) << to_string(*smallest);
  std::cout << "shrunk to:\n" << to_string(*smallest);

  // The minimal program and its schedule become a trace file that `stress --replay` runs.
  auto walk = det::make_random_walk(smallest_seed);
  const auto run = testing::run_det<IgnoreClearDet>(*smallest, *walk);
  ASSERT_FALSE(run.outcome.run.violations.empty());
  const std::string path = "shrunk-ignore-clear.trace";
  det::save_trace(path, det::ScheduleTrace{
                            "stress --seed 0 --rounds 1 --threads 1 --ops 1 --pool locked --scenario mixed "
                            "--max-array-length 65536 --max-per-bucket 4 --mutant ignore-clear --watchdog 10000 "
                            "--deterministic --strategy random --schedule-seed " + std::to_string(smallest_seed) +
                                " --max-steps 200000",
                            run.outcome.run.violations.front(), run.outcome.schedule.trace, *smallest});
  const std::string command = std::string(POOLCHECK_STRESS) + " --replay " + path + " --quiet 2>&1";
  FILE* pipe = ::popen(command.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string output;
  char buf[4096];
  while (std::fgets(buf, sizeof buf, pipe) != nullptr) output += buf;
  const int status = ::pclose(pipe);
  EXPECT_EQ(WEXITSTATUS(status), 1) << output;
  EXPECT_NE(output.find("same violation at the same step, same schedule"), std::string::npos) << output;
  EXPECT_NE(output.find("leakage"), std::string::npos) << output;
}

}  // namespace
}  // namespace poolcheck
