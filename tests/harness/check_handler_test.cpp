// check_handler (poolcheck/check_handler.hpp): a request handler checked on many threads against
// CheckedBuffer, free-running and under schedules: a correct handler runs clean, and each classic
// consumer bug is caught by its oracle, with options that replay it.
#include "poolcheck/check_handler.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstddef>
#include <string>
#include <vector>

#include "poolcheck/bufpool_adapters.hpp"
#include "poolcheck/check_gtest.hpp"

namespace {

enum class HandlerBug { none, assumes_zeroed, forgets_give_back, writes_past_end };

// A handler as production code would write it, over any buffer source: it builds a reply of a
// request-dependent length, then reads it back to "send" it and checks what it sent.
template <HandlerBug B>
struct EchoHandler {
  template <class Context>
  void operator()(Context& ctx) const {
    const std::size_t length = 1 + ctx.rng().below(700);
    std::vector<std::byte> reply(length);
    for (std::size_t i = 0; i < length; ++i) reply[i] = std::byte(static_cast<unsigned char>('a' + (i + ctx.request()) % 26));
    auto buffer = B == HandlerBug::forgets_give_back ? ctx.rent_raw(length + 1) : ctx.rent(length + 1);
    buffer.write(0, std::span<const std::byte>(reply).first(B == HandlerBug::assumes_zeroed ? length : length));
    if constexpr (B == HandlerBug::assumes_zeroed) {
      // Looks for the terminating zero it never wrote.
      (void)buffer.read(length, 1);
    } else {
      buffer.write(length, std::span<const std::byte>(reply).first(B == HandlerBug::writes_past_end ? 2 : 1));
    }
    const auto sent = buffer.read(0, length);
    if (!sent.empty() && !std::equal(sent.begin(), sent.end(), reply.begin())) ctx.fail("the reply came back changed");
    if constexpr (B == HandlerBug::forgets_give_back) {
      if (ctx.request() % 7 != 0) buffer.give_back();  // the error path forgets it
    }
  }
};

poolcheck::HandlerOptions small() {
  poolcheck::HandlerOptions o;
  o.threads = 64;
  o.requests = 32;
  o.rounds = 2;
  return o;
}

TEST(CheckHandler, ACorrectHandlerRunsCleanOnBothBufpoolPoolsAndUnderSchedules) {
  POOLCHECK_EXPECT_CLEAN(poolcheck::check_handler<poolcheck::BufpoolLocked>(EchoHandler<HandlerBug::none>{}, small()));
  POOLCHECK_EXPECT_CLEAN(poolcheck::check_handler<poolcheck::BufpoolShared>(EchoHandler<HandlerBug::none>{}, small()));
  poolcheck::HandlerOptions det = small();
  det.deterministic = true;
  det.search = 20;
  POOLCHECK_EXPECT_CLEAN(poolcheck::check_handler<poolcheck::BufpoolLocked>(EchoHandler<HandlerBug::none>{}, det));
}

template <HandlerBug B>
void expect_caught(const char* oracle, bool deterministic) {
  poolcheck::HandlerOptions o = small();
  o.deterministic = deterministic;
  o.search = 20;
  const auto r = poolcheck::check_handler<poolcheck::BufpoolLocked>(EchoHandler<B>{}, o);
  ASSERT_EQ(r.exit_code, 1) << poolcheck::describe(r);
  EXPECT_NE(r.summary.find(std::string("first: ") + oracle), std::string::npos) << r.summary;
  EXPECT_FALSE(r.replay_args.empty());
}

TEST(CheckHandler, EachConsumerBugIsCaughtByItsOracle) {
  expect_caught<HandlerBug::assumes_zeroed>("dirty-read", false);
  expect_caught<HandlerBug::writes_past_end>("overflow", false);
  expect_caught<HandlerBug::forgets_give_back>("accounting", false);
  expect_caught<HandlerBug::assumes_zeroed>("dirty-read", true);
}

TEST(CheckHandler, TheReportedScheduleReplaysTheSameFinding) {
  poolcheck::HandlerOptions o = small();
  o.deterministic = true;
  o.search = 20;
  const auto found = poolcheck::check_handler<poolcheck::BufpoolLocked>(EchoHandler<HandlerBug::writes_past_end>{}, o);
  ASSERT_EQ(found.exit_code, 1) << poolcheck::describe(found);
  const auto at = found.replay_args.find(".schedule_seed = ");
  ASSERT_NE(at, std::string::npos) << found.replay_args;
  o.schedule_seed = std::stoull(found.replay_args.substr(at + 17));
  const auto again = poolcheck::check_handler<poolcheck::BufpoolLocked>(EchoHandler<HandlerBug::writes_past_end>{}, o);
  EXPECT_EQ(again.exit_code, 1);
  ASSERT_TRUE(found.first && again.first);
  EXPECT_TRUE(poolcheck::same_finding(*found.first, *again.first))
      << poolcheck::to_string(*found.first) << "\n" << poolcheck::to_string(*again.first);
  EXPECT_EQ(found.first->step, again.first->step);
}

}  // namespace
