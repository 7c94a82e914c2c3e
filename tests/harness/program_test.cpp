#include "poolcheck/program.hpp"

#include <gtest/gtest.h>

#include <set>
#include <vector>

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

// A layout whose capacities are not powers of two: sizes sit on each of its edges (e-1, e, e+1)
// up to the largest common size, and never above the class past it.
TEST(Programs, SizesHitTheEdgesOfAForeignLayout) {
  const std::vector<std::uint64_t> edges = {24, 48, 96, 100, 1000, 5000};
  std::set<std::uint64_t> seen;
  for (std::uint64_t r = 0; r < 20000; ++r) {
    const auto n = edge_skewed_size(r * 0x9E3779B97F4A7C15ull, 1000, edges);
    ASSERT_GE(n, 1u);
    ASSERT_LE(n, 1001u) << "above the edges up to the largest common size";
    seen.insert(n);
  }
  for (std::uint64_t e : {24, 48, 96, 100, 1000}) {
    EXPECT_TRUE(seen.count(e - 1) && seen.count(e) && seen.count(e + 1)) << "edge " << e;
  }

  ProgramShape shape;
  shape.threads = 4;
  shape.ops_per_thread = 400;
  shape.max_array_length = 768;
  shape.largest_common_size = 768;
  shape.oversize_percent = 0;
  shape.size_edges = {24, 48, 96, 192, 384, 768};
  std::set<std::uint64_t> rented;
  for (const auto& thread : generate_programs(5, shape).threads) {
    for (const Op& op : thread.ops) {
      if (op.kind == OpKind::rent) rented.insert(op.size);
    }
  }
  for (std::uint64_t e : {24, 48, 96, 192, 384}) EXPECT_TRUE(rented.count(e) && rented.count(e + 1)) << "edge " << e;
}

TEST(Programs, OpsPrintAsOneLine) {
  Op op;
  op.kind = OpKind::rent;
  op.lease = 2;
  op.size = 4097;
  op.via_lease = true;
  EXPECT_EQ(to_string(op), "rent lease 2 size 4097 via lease");
}

TEST(Programs, EveryApiOpKindIsGeneratedWithItsVariantsInRange) {
  auto s = shape(8);
  s.trim_weight = s.stats_weight = s.misuse_weight = s.lease_move_weight = s.exit_weight = 10;
  bool seen[static_cast<std::size_t>(kLastOpKind) + 1] = {};
  bool misuse_seen[kMisuseCount] = {}, move_seen[kLeaseMoveCount] = {};
  bool high = false, low = false;
  for (const auto& t : generate_programs(4, s).threads) {
    for (const Op& op : t.ops) {
      ASSERT_LE(op.kind, kLastOpKind);
      seen[static_cast<std::size_t>(op.kind)] = true;
      if (op.kind == OpKind::misuse) {
        ASSERT_LT(op.size, kMisuseCount);
        misuse_seen[op.size] = true;
      }
      if (op.kind == OpKind::lease_move) {
        ASSERT_LT(op.size, kLeaseMoveCount);
        ASSERT_LT(op.lo, kLeasesPerThread);
        move_seen[op.size] = true;
      }
      if (op.kind == OpKind::trim) (op.clear ? high : low) = true;
    }
  }
  for (bool b : seen) EXPECT_TRUE(b);
  for (bool b : misuse_seen) EXPECT_TRUE(b);
  for (bool b : move_seen) EXPECT_TRUE(b);
  EXPECT_TRUE(high && low);
}

TEST(Programs, ApiOpsAreNotGeneratedAtWeightZero) {
  auto s = shape(8);
  s.trim_weight = s.stats_weight = s.misuse_weight = s.lease_move_weight = s.exit_weight = 0;
  for (const auto& t : generate_programs(4, s).threads) {
    for (const Op& op : t.ops) EXPECT_LE(op.kind, OpKind::give_back);
  }
}

TEST(Programs, ApiOpsPrintAsOneLine) {
  Op op;
  op.kind = OpKind::trim;
  op.clear = true;
  EXPECT_EQ(to_string(op), "trim lease 0 high pressure");
  op = Op{OpKind::misuse, 1, false, false, 0, 0, 0, 0, static_cast<std::uint64_t>(Misuse::foreign_size)};
  EXPECT_EQ(to_string(op), "misuse lease 1 foreign size");
  op = Op{OpKind::lease_move, 2, false, false, 3, 0, 0, 0, static_cast<std::uint64_t>(LeaseMove::move_assign)};
  EXPECT_EQ(to_string(op), "lease_move lease 2 move-assign with lease 3");
  op = Op{OpKind::exit, 0, false, true, 0, 0, 0, 0, 0};
  EXPECT_EQ(to_string(op), "exit lease 0 giving back first");
  op = Op{OpKind::stats, 0, false, false, 0, 0, 0, 2, 0};
  EXPECT_EQ(describe_op(3, 12, op), "op 12 of thread 3 (stats lease 0 then chaos 2)");
}

}  // namespace
}  // namespace poolcheck
