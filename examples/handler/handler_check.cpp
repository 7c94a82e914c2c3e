// The request handler of request_handler.hpp checked with poolcheck::check_handler: the correct
// handler runs clean on thousands of threads and over hundreds of schedules; the buggy twin is
// caught by the dirty-read oracle with the default options, and the options it prints replay it.
#include <gtest/gtest.h>

#include <poolcheck/bufpool_adapters.hpp>
#include <poolcheck/check_gtest.hpp>
#include <poolcheck/check_handler.hpp>

#include "request_handler.hpp"

namespace {

// One request: a prompt of 1 to 300 random token ids from the request's seeded stream, handled
// through the checked buffers, and the reply checked against what it must be.
template <example::Bug B>
struct ServeOneRequest {
  template <class Context>
  void operator()(Context& ctx) const {
    example::Request r;
    r.prompt.resize(1 + ctx.rng().below(300));
    for (std::byte& b : r.prompt) b = static_cast<std::byte>(ctx.rng().below(256));
    if (example::handle<B>(ctx, r) != example::expected_reply(r)) ctx.fail("the reply's checksum is wrong");
  }
};

using Fixed = ServeOneRequest<example::Bug::none>;
using Buggy = ServeOneRequest<example::Bug::reads_unwritten_padding>;

TEST(Handler, TheFixedHandlerIsCleanAt1024And4096Threads) {
  for (std::uint32_t threads : {1024u, 4096u}) {
    poolcheck::HandlerOptions o;
    o.threads = threads;
    o.requests = 16;
    o.rounds = 1;
    POOLCHECK_EXPECT_CLEAN(poolcheck::check_handler<poolcheck::BufpoolShared>(Fixed{}, o));
  }
}

TEST(Handler, TheFixedHandlerIsCleanOver500Schedules) {
  poolcheck::HandlerOptions o;
  o.deterministic = true;
  o.search = 500;
  o.requests = 8;
  POOLCHECK_EXPECT_CLEAN(poolcheck::check_handler<poolcheck::BufpoolShared>(Fixed{}, o));
}

TEST(Handler, TheBuggyHandlerIsCaughtByDirtyReadWithDefaultOptions) {
  const auto r = poolcheck::check_handler<poolcheck::BufpoolShared>(Buggy{});
  ASSERT_EQ(r.exit_code, 1) << poolcheck::describe(r);
  ASSERT_TRUE(r.first.has_value());
  EXPECT_EQ(r.first->oracle, poolcheck::OracleKind::dirty_read) << poolcheck::describe(r);
  const auto at = r.replay_args.find(".seed = ");
  ASSERT_NE(at, std::string::npos) << r.replay_args;

  // The printed options replay it: that round's seed, one round.
  poolcheck::HandlerOptions replay;
  replay.rounds = 1;
  replay.seed = std::stoull(r.replay_args.substr(at + 8));
  const auto again = poolcheck::check_handler<poolcheck::BufpoolShared>(Buggy{}, replay);
  ASSERT_TRUE(again.first.has_value()) << poolcheck::describe(again);
  EXPECT_EQ(again.first->oracle, poolcheck::OracleKind::dirty_read);
}

TEST(Handler, TheBuggyHandlersScheduleReplaysTheSameViolationAtTheSameStep) {
  poolcheck::HandlerOptions o;
  o.deterministic = true;
  o.search = 500;
  const auto found = poolcheck::check_handler<poolcheck::BufpoolShared>(Buggy{}, o);
  ASSERT_EQ(found.exit_code, 1) << poolcheck::describe(found);
  const auto at = found.replay_args.find(".schedule_seed = ");
  ASSERT_NE(at, std::string::npos) << found.replay_args;
  o.schedule_seed = std::stoull(found.replay_args.substr(at + 17));
  const auto again = poolcheck::check_handler<poolcheck::BufpoolShared>(Buggy{}, o);
  ASSERT_TRUE(found.first && again.first) << poolcheck::describe(again);
  EXPECT_TRUE(poolcheck::same_finding(*found.first, *again.first)) << poolcheck::describe(again);
  EXPECT_EQ(found.first->step, again.first->step);
}

TEST(Handler, ProductionServesThroughBufpoolsSharedPool) {
  example::PoolSource source;
  example::Request r;
  r.prompt.assign(100, std::byte{7});
  EXPECT_EQ(example::handle(source, r), example::expected_reply(r));
}

}  // namespace
