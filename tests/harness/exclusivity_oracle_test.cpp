#include "poolcheck/oracles/exclusivity_oracle.hpp"

#include <gtest/gtest.h>

#include "harness/oracle_fixtures.hpp"

namespace poolcheck {
namespace {

TEST(ExclusivityOracle, SilentWhileTheWrittenRangeHoldsItsOwnTag) {
  testing::CountedArray a(8192);
  auto lease = a.lease(Tag{4031, 17});
  write_pattern(lease.bytes, 100, 6000, lease.tag);
  lease.written.add(100, 6000);
  EXPECT_FALSE(ExclusivityOracle::check(lease, "at verify").has_value());
}

TEST(ExclusivityOracle, NamesTheForeignLeaseAndTheOffset) {
  testing::CountedArray a(8192);
  auto lease = a.lease(Tag{4031, 17});
  write_pattern(lease.bytes, 0, 8192, lease.tag);
  lease.written.add(0, 8192);
  write_pattern(lease.bytes, 4096, 4104, Tag{12, 9});  // another lease scribbles one word
  const auto v = ExclusivityOracle::check(lease, "at give_back");
  ASSERT_TRUE(v.has_value());
  EXPECT_EQ(v->oracle, OracleKind::exclusivity);
  EXPECT_EQ(v->offset, 4096u);
  EXPECT_EQ(v->lease, (Tag{4031, 17}));
  EXPECT_EQ(v->other, (Tag{12, 9}));
  EXPECT_NE(v->what.find("lease 17 of thread 4031 found bytes of lease 9 of thread 12 at byte 4096"),
            std::string::npos)
      << v->what;
}

TEST(ExclusivityOracle, ZeroedRangeIsReportedAsZeros) {
  testing::CountedArray a(256);
  auto lease = a.lease(Tag{1, 1});
  write_pattern(lease.bytes, 0, 256, lease.tag);
  lease.written.add(0, 256);
  std::memset(a.data + 64, 0, 64);
  const auto v = ExclusivityOracle::check(lease, "at verify");
  ASSERT_TRUE(v.has_value());
  EXPECT_EQ(v->offset, 64u);
  EXPECT_NE(v->what.find("zeros"), std::string::npos);
}

}  // namespace
}  // namespace poolcheck
