#include "poolcheck/oracles/leakage_oracle.hpp"

#include <gtest/gtest.h>

#include "bufpool/checked_mode.hpp"
#include "harness/oracle_fixtures.hpp"

namespace poolcheck {
namespace {

TEST(LeakageOracle, OldDataAfterAClearingGiveBackIsReportedNamingTheClearingLease) {
  testing::CountedArray a(1024);
  const auto old = a.lease(Tag{3, 1});
  write_pattern(old.bytes, 0, 1024, old.tag);
  LeakageOracle::on_give_back(a.header(), old, /*clearing=*/true);
  // ... a pool that ignores clear_array hands it out as it was:
  const auto next = a.lease(Tag{4, 2});
  const auto v = LeakageOracle::on_rent(a.header(), next);
  ASSERT_TRUE(v.has_value());
  EXPECT_EQ(v->oracle, OracleKind::leakage);
  EXPECT_EQ(v->other, (Tag{3, 1}));
  EXPECT_NE(v->what.find("bytes of lease 1 of thread 3"), std::string::npos) << v->what;
}

TEST(LeakageOracle, ZerosOrCheckedModePoisonAreClean) {
  testing::CountedArray a(1024);
  const auto old = a.lease(Tag{3, 1});
  LeakageOracle::on_give_back(a.header(), old, true);
  std::memset(a.data, 0, 512);
  std::memset(a.data + 512, bufpool::kPoisonByte, 512);
  EXPECT_FALSE(LeakageOracle::on_rent(a.header(), a.lease(Tag{4, 2})).has_value());
}

TEST(LeakageOracle, ANonClearingGiveBackIsNeverChecked) {
  testing::CountedArray a(1024);
  const auto old = a.lease(Tag{3, 1});
  write_pattern(old.bytes, 0, 1024, old.tag);
  LeakageOracle::on_give_back(a.header(), old, /*clearing=*/false);
  EXPECT_FALSE(LeakageOracle::on_rent(a.header(), a.lease(Tag{4, 2})).has_value())
      << "rent never zeroes: the next renter may see old data unless it was cleared";
}

}  // namespace
}  // namespace poolcheck
