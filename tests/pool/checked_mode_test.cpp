#include "bufpool/checked_mode.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "bufpool/array_pool.hpp"
#include "bufpool/testing/faults.hpp"
#include "bufpool/sanitizer_build.hpp"
#include "pool/test_support.hpp"

namespace bufpool {
namespace {

// Records violations instead of aborting; restores the default handler afterwards.
class RecordingHandler {
 public:
  RecordingHandler() { previous_ = set_checked_violation_handler(&record); }
  ~RecordingHandler() {
    set_checked_violation_handler(previous_);
    std::lock_guard l(mu());
    seen().clear();
  }
  static std::vector<CheckedViolation> violations() {
    std::lock_guard l(mu());
    return seen();
  }

 private:
  static void record(const CheckedViolation& v) {
    std::lock_guard l(mu());
    seen().push_back(v);
  }
  static std::mutex& mu() {
    static std::mutex m;
    return m;
  }
  static std::vector<CheckedViolation>& seen() {
    static std::vector<CheckedViolation> v;
    return v;
  }
  CheckedViolationHandler previous_;
};

using testing::resting_arrays;

using CheckedLocked = LockedArrayPool<std::uint8_t, CheckedPoolPolicy>;
using CheckedShared = SharedArrayPool<std::uint8_t, CheckedPoolPolicy>;

template <class Pool>
Pool make_pool() {
  if constexpr (std::is_same_v<Pool, CheckedShared>) {
    SharedPoolOptions o;
    o.partitions = 2;
    o.arrays_per_partition = 4;
    return Pool(o);
  } else {
    return Pool(PoolOptions{4096, 4});
  }
}

template <class Pool>
class CheckedModeOfEveryFlavour : public ::testing::Test {};
using Flavours = ::testing::Types<CheckedLocked, CheckedShared>;
TYPED_TEST_SUITE(CheckedModeOfEveryFlavour, Flavours);

TYPED_TEST(CheckedModeOfEveryFlavour, RentedMemoryIsFilledWithThePoisonPattern) {
  auto pool = make_pool<TypeParam>();
  auto a = pool.rent(100);
  std::fill(a.begin(), a.end(), 0);
  pool.give_back(a);
  auto b = pool.rent(100);
  ASSERT_EQ(b.data(), a.data());
  EXPECT_TRUE(std::all_of(b.begin(), b.end(), [](std::uint8_t v) { return v == kPoisonByte; }))
      << "code that assumes clean memory sees 0xCB, not the last user's zeros";
  pool.give_back(b);
}

TYPED_TEST(CheckedModeOfEveryFlavour, DoubleGiveBackIsReportedWithBothCallSitesAndIgnored) {
  RecordingHandler handler;
  auto pool = make_pool<TypeParam>();
  auto a = pool.rent(64);
  pool.give_back(a);
  pool.give_back(a);
  const auto seen = RecordingHandler::violations();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].kind, CheckedViolation::Kind::double_give_back);
  EXPECT_EQ(seen[0].array, a.data());
  EXPECT_NE(seen[0].message.find("first given back"), std::string::npos) << seen[0].message;
  EXPECT_NE(seen[0].message.find("given back again"), std::string::npos) << seen[0].message;
  // The second give_back was refused: the array is handed out once, not twice.
  auto x = pool.rent(64);
  auto y = pool.rent(64);
  EXPECT_NE(x.data(), y.data());
  pool.give_back(x);
  pool.give_back(y);
}

TYPED_TEST(CheckedModeOfEveryFlavour, GivingBackAnArrayThePoolNeverHandedOutIsReported) {
  RecordingHandler handler;
  auto pool = make_pool<TypeParam>();
  alignas(64) static std::uint8_t foreign[64];
  // Hidden from the optimiser: gcc -O2 otherwise follows the give_back down to the pool's free of
  // a static array (a path checked mode never takes) and -Werror=free-nonheap-object fails the build.
  std::uint8_t* p = foreign;
  asm volatile("" : "+r"(p));
  pool.give_back(std::span<std::uint8_t>(p, 64));
  const auto seen = RecordingHandler::violations();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].kind, CheckedViolation::Kind::foreign_array);
  EXPECT_NE(seen[0].message.find("never handed out"), std::string::npos) << seen[0].message;
}

// How many times `needle` occurs in `text`.
std::size_t occurrences(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

// 512 and 2048 are bucket capacities, so the pool's size check lets both spans through: only the
// record of what was handed out can tell that neither is the array.
TYPED_TEST(CheckedModeOfEveryFlavour, GivingBackAnotherLengthOfALiveArrayIsReportedWithBothCallSitesAndIgnored) {
  RecordingHandler handler;
  auto pool = make_pool<TypeParam>();
  auto a = pool.rent(1024);
  ASSERT_EQ(a.size(), 1024u);
  const PoolStats before = pool.stats();
  pool.give_back(a.first(512));
  pool.give_back(std::span<std::uint8_t>(a.data(), 2048));
  const auto seen = RecordingHandler::violations();
  ASSERT_EQ(seen.size(), 2u);
  for (const auto& v : seen) {
    EXPECT_EQ(v.kind, CheckedViolation::Kind::span_mismatch) << v.message;
    EXPECT_EQ(v.array, a.data());
    EXPECT_NE(v.message.find("handed out as 1024 elements"), std::string::npos) << v.message;
    EXPECT_NE(v.message.find("handed out on thread"), std::string::npos) << v.message;
    EXPECT_NE(v.message.find("given back on thread"), std::string::npos) << v.message;
  }
  EXPECT_EQ(seen[0].length, 512u);
  EXPECT_EQ(seen[1].length, 2048u);
  // Nothing was filed: the counters are as before, and rents of either size get other arrays.
  const PoolStats after = pool.stats();
  EXPECT_EQ(after.give_backs, before.give_backs);
  EXPECT_EQ(resting_arrays(after), resting_arrays(before));
  auto b = pool.rent(512);
  auto c = pool.rent(2048);
  EXPECT_NE(b.data(), a.data()) << "a rent of 512 aliases the live 1024-element array";
  EXPECT_NE(c.data(), a.data()) << "a rent of 2048 got the 1024-element array";
  pool.give_back(b);
  pool.give_back(c);
  pool.give_back(a);  // the array itself still goes back cleanly
  EXPECT_EQ(RecordingHandler::violations().size(), 2u);
}

TYPED_TEST(CheckedModeOfEveryFlavour, GivingBackASpanThatStartsInsideALiveArrayIsReportedAndIgnored) {
  RecordingHandler handler;
  auto pool = make_pool<TypeParam>();
  auto a = pool.rent(1024);
  pool.give_back(a.subspan(512));
  const auto seen = RecordingHandler::violations();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].kind, CheckedViolation::Kind::span_mismatch) << seen[0].message;
  EXPECT_EQ(seen[0].array, a.data() + 512);
  EXPECT_EQ(seen[0].message.find("never handed out"), std::string::npos) << seen[0].message;
  EXPECT_NE(seen[0].message.find("512 elements into"), std::string::npos) << seen[0].message;
  EXPECT_NE(seen[0].message.find("handed out on thread"), std::string::npos) << seen[0].message;
  EXPECT_NE(seen[0].message.find("given back on thread"), std::string::npos) << seen[0].message;
  auto b = pool.rent(512);
  EXPECT_FALSE(b.data() >= a.data() && b.data() < a.data() + a.size()) << "a rent of 512 aliases the live array";
  pool.give_back(b);
  pool.give_back(a);
  EXPECT_EQ(RecordingHandler::violations().size(), 1u);
}

// A pool whose 16-element bucket holds one array: of three arrays given back, the locked flavour
// drops the second and third, the shared one (slot, then one partition of one) drops the second.
template <class Pool>
Pool make_pool_that_drops() {
  if constexpr (std::is_same_v<Pool, CheckedShared>) {
    SharedPoolOptions o;
    o.partitions = 1;
    o.arrays_per_partition = 1;
    return Pool(o);
  } else {
    return Pool(PoolOptions{16, 1});
  }
}

TYPED_TEST(CheckedModeOfEveryFlavour, DoubleGiveBackOfAnArrayThePoolAlreadyFreedIsReportedAsGivenBackTwice) {
  RecordingHandler handler;
  auto pool = make_pool_that_drops<TypeParam>();
  auto a = pool.rent(16), b = pool.rent(16), c = pool.rent(16);
  pool.give_back(a);
  pool.give_back(b);
  pool.give_back(c);
  ASSERT_EQ(pool.stats().drops, (std::is_same_v<TypeParam, CheckedShared> ? 1u : 2u));
  ASSERT_TRUE(RecordingHandler::violations().empty());
  const PoolStats before = pool.stats();
  pool.give_back(b);  // b was freed when its give_back found the bucket full
  const auto seen = RecordingHandler::violations();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].kind, CheckedViolation::Kind::double_give_back) << seen[0].message;
  EXPECT_EQ(seen[0].array, b.data());
  EXPECT_EQ(seen[0].message.find("never handed out"), std::string::npos) << seen[0].message;
  EXPECT_NE(seen[0].message.find("given back twice"), std::string::npos) << seen[0].message;
  EXPECT_NE(seen[0].message.find("first given back on thread"), std::string::npos) << seen[0].message;
  EXPECT_NE(seen[0].message.find("given back again on thread"), std::string::npos) << seen[0].message;
  EXPECT_EQ(occurrences(seen[0].message, " on thread "), 3u) << "first give_back, second, last hand-out: " << seen[0].message;
  const PoolStats after = pool.stats();
  EXPECT_EQ(after.give_backs, before.give_backs);
  EXPECT_EQ(after.drops, before.drops);
}

TYPED_TEST(CheckedModeOfEveryFlavour, LeasedMemoryIsPoisonedToo) {
  auto pool = make_pool<TypeParam>();
  {
    auto lease = pool.lease(20);
    std::fill(lease.begin(), lease.end(), std::uint8_t{0});
  }
  auto lease = pool.lease(20);
  EXPECT_TRUE(std::all_of(lease.begin(), lease.end(), [](std::uint8_t v) { return v == kPoisonByte; }));
}

TYPED_TEST(CheckedModeOfEveryFlavour, ReportNamesTheArrayAndItsLength) {
  RecordingHandler handler;
  auto pool = make_pool<TypeParam>();
  auto a = pool.rent(100);  // bucket of 128
  pool.give_back(a);
  pool.give_back(a);
  const auto seen = RecordingHandler::violations();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].length, 128u);
  EXPECT_NE(seen[0].message.find("128 elements"), std::string::npos) << seen[0].message;
  EXPECT_NE(seen[0].message.find("on thread"), std::string::npos) << seen[0].message;
}

TYPED_TEST(CheckedModeOfEveryFlavour, DoubleGiveBackOnAnotherThreadIsReportedToo) {
  RecordingHandler handler;
  auto pool = make_pool<TypeParam>();
  auto a = pool.rent(64);
  pool.give_back(a);
  std::thread([&] { pool.give_back(a); }).join();
  const auto seen = RecordingHandler::violations();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].kind, CheckedViolation::Kind::double_give_back);
}

TYPED_TEST(CheckedModeOfEveryFlavour, CorrectUseReportsNothing) {
  RecordingHandler handler;
  auto pool = make_pool<TypeParam>();
  for (int i = 0; i < 100; ++i) {
    auto lease = pool.lease(static_cast<std::size_t>(1 + i * 13));
    std::fill(lease.begin(), lease.end(), std::uint8_t{1});
  }
  EXPECT_TRUE(RecordingHandler::violations().empty());
}

TYPED_TEST(CheckedModeOfEveryFlavour, DefaultHandlerAbortsWithTheReport) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        auto pool = make_pool<TypeParam>();
        auto a = pool.rent(16);
        pool.give_back(a);
        pool.give_back(a);
      },
      "double give_back");
}

// Under AddressSanitizer the slack past a lease's length and every resting array trap.
TYPED_TEST(CheckedModeOfEveryFlavour, ReadingPastALeasesLengthTrapsUnderAsan) {
  if (!BUFPOOL_ASAN) GTEST_SKIP() << "needs AddressSanitizer";
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        auto pool = make_pool<TypeParam>();
        auto lease = pool.lease(20);  // capacity 32
        volatile std::uint8_t sink = lease.data()[25];
        (void)sink;
      },
      "use-after-poison");
}

TYPED_TEST(CheckedModeOfEveryFlavour, ReadingAnArrayRestingInThePoolTrapsUnderAsan) {
  if (!BUFPOOL_ASAN) GTEST_SKIP() << "needs AddressSanitizer";
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        auto pool = make_pool<TypeParam>();
        std::uint8_t* stale = nullptr;
        {
          auto lease = pool.lease(64);
          stale = lease.data();
        }
        volatile std::uint8_t sink = stale[0];
        (void)sink;
      },
      "use-after-poison");
}

TYPED_TEST(CheckedModeOfEveryFlavour, UsingAnArrayAfterGivingItBackTrapsUnderAsan) {
  if (!BUFPOOL_ASAN) GTEST_SKIP() << "needs AddressSanitizer";
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        auto pool = make_pool<TypeParam>();
        auto a = pool.rent(32);
        pool.give_back(a);
        a[3] = 7;
      },
      "use-after-poison");
}

TEST(CheckedMode, InstallingAHandlerReturnsThePreviousOneAndNullRestoresTheDefault) {
  const auto mine = +[](const CheckedViolation&) {};
  const CheckedViolationHandler original = set_checked_violation_handler(mine);
  ASSERT_NE(original, nullptr);
  EXPECT_EQ(set_checked_violation_handler(nullptr), mine);
  EXPECT_EQ(set_checked_violation_handler(original), original) << "null installed the default";
  EXPECT_EQ(set_checked_violation_handler(original), original);
}

TEST(CheckedMode, APoolThatHandsOutALiveArrayIsReported) {
  RecordingHandler handler;
  // The tls_slot_kept mutant leaves the array in the slot: the next rent hands it out again.
  SharedPoolOptions o;
  o.partitions = 1;
  SharedArrayPool<std::uint8_t, testing::WithFaults<CheckedPoolPolicy, static_cast<std::uint32_t>(testing::Fault::tls_slot_kept)>> pool(o);
  pool.give_back(pool.rent(16));
  auto x = pool.rent(16);
  auto y = pool.rent(16);
  EXPECT_EQ(x.data(), y.data());
  const auto seen = RecordingHandler::violations();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].kind, CheckedViolation::Kind::handed_out_twice);
  EXPECT_NE(seen[0].message.find("handed out before"), std::string::npos) << seen[0].message;
  EXPECT_NE(seen[0].message.find("handed out again"), std::string::npos) << seen[0].message;
}

TEST(CheckedMode, UncheckedLeaseSlackTrapsUnderAsanToo) {
  if (!BUFPOOL_ASAN) GTEST_SKIP() << "needs AddressSanitizer";
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        LockedArrayPool<std::uint8_t> pool(PoolOptions{1024, 2});
        auto lease = pool.lease(20);
        volatile std::uint8_t sink = lease.data()[20];
        (void)sink;
      },
      "use-after-poison");
}

TEST(CheckedMode, UncheckedPoolNeverOverwritesWhatTheLastUserLeft) {
  // Only checked mode fills rented memory; the default policy hands back the last user's bytes.
  LockedArrayPool<std::uint8_t> pool(PoolOptions{1024, 2});
  auto a = pool.rent(32);
  std::fill(a.begin(), a.end(), std::uint8_t{7});
  pool.give_back(a);
  auto b = pool.rent(32);
  ASSERT_EQ(b.data(), a.data());
  EXPECT_TRUE(std::all_of(b.begin(), b.end(), [](std::uint8_t v) { return v == 7; }));
  pool.give_back(b);
}

}  // namespace
}  // namespace bufpool
