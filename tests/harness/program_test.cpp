#include "poolcheck/program.hpp"

#include <gtest/gtest.h>

namespace poolcheck {
namespace {

ProgramShape shape(std::uint32_t threads) {
  ProgramShape s;
  s.threads = threads;
  s.ops_per_thread = 200;
  s.max_array_length = 1 << 16;
  return s;
}

TEST(Programs, SameSeedGivesTheSamePrograms) {
  EXPECT_EQ(generate_programs(5, shape(8)).threads, generate_programs(5, shape(8)).threads);
  EXPECT_NE(generate_programs(5, shape(8)).threads, generate_programs(6, shape(8)).threads);
}

TEST(Programs, AThreadsProgramDoesNotDependOnHowManyThreadsThereAre) {
  const auto four = generate_programs(9, shape(4));
  const auto eight = generate_programs(9, shape(8));
  // Hand-over targets depend on the count; everything else is the thread's own stream.
  ASSERT_EQ(four.threads[0].ops.size(), eight.threads[0].ops.size());
  for (std::size_t i = 0; i < four.threads[0].ops.size(); ++i) {
    EXPECT_EQ(four.threads[0].ops[i].kind, eight.threads[0].ops[i].kind);
    EXPECT_EQ(four.threads[0].ops[i].size, eight.threads[0].ops[i].size);
  }
}

TEST(Programs, SizesStayWithinTheShapeAndOversizeOnlyWhenAsked) {
  auto s = shape(16);
  s.oversize_percent = 0;
  for (const auto& t : generate_programs(3, s).threads) {
    for (const Op& op : t.ops) {
      if (op.kind == OpKind::rent) {
        EXPECT_LE(op.size, s.max_array_length);
      }
      if (op.kind == OpKind::hand_over) {
        EXPECT_LT(op.target, s.threads);
      }
    }
  }
  s.oversize_percent = 50;
  bool oversize = false;
  for (const auto& t : generate_programs(3, s).threads) {
    for (const Op& op : t.ops) oversize |= op.kind == OpKind::rent && op.size > s.max_array_length;
  }
  EXPECT_TRUE(oversize);
}

TEST(Programs, HandOversTargetAnotherThread) {
  const auto programs = generate_programs(1, shape(8));
  for (std::size_t t = 0; t < 8; ++t) {
    for (const Op& op : programs.threads[t].ops) {
      if (op.kind == OpKind::hand_over) {
        EXPECT_NE(op.target, t);
      }
    }
  }
}

TEST(Programs, SizesHitBucketEdges) {
  bool below = false, at = false, above = false;
  for (std::uint64_t r = 0; r < 5000; ++r) {
    const auto n = edge_skewed_size(r * 0x9E3779B97F4A7C15ull, 1 << 16);
    for (unsigned k = 4; k <= 16; ++k) {
      below |= n == (1u << k) - 1;
      at |= n == (1u << k);
      above |= n == (1u << k) + 1;
    }
  }
  EXPECT_TRUE(below && at && above);
}

TEST(Programs, OpsPrintAsOneLine) {
  Op op;
  op.kind = OpKind::rent;
  op.lease = 2;
  op.size = 4097;
  op.via_lease = true;
  EXPECT_EQ(to_string(op), "rent lease 2 size 4097 via lease");
}

}  // namespace
}  // namespace poolcheck
