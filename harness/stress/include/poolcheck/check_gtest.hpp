// GoogleTest assertions for poolcheck::check_pool (poolcheck/check.hpp): on failure they print the
// run's summary (the first violation, the oracles' counts) and the flags that replay it.
//
//   TEST(MyPool, PassesPoolcheck) { POOLCHECK_EXPECT_CLEAN(poolcheck::check_pool<Checked>({"--duration", "2"})); }
#pragma once

#include <gtest/gtest.h>

#include "poolcheck/check.hpp"

#define POOLCHECK_EXPECT_CLEAN(result_expr)                                 \
  do {                                                                      \
    const ::poolcheck::CheckResult poolcheck_result_ = (result_expr);       \
    EXPECT_TRUE(poolcheck_result_.clean()) << ::poolcheck::describe(poolcheck_result_); \
  } while (false)

#define POOLCHECK_ASSERT_CLEAN(result_expr)                                 \
  do {                                                                      \
    const ::poolcheck::CheckResult poolcheck_result_ = (result_expr);       \
    ASSERT_TRUE(poolcheck_result_.clean()) << ::poolcheck::describe(poolcheck_result_); \
  } while (false)
