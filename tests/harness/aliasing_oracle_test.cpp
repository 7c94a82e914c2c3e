#include "poolcheck/oracles/aliasing_oracle.hpp"

#include <gtest/gtest.h>

#include "harness/oracle_fixtures.hpp"

namespace poolcheck {
namespace {

TEST(AliasingOracle, SecondLiveHolderIsReportedNamingTheFirst) {
  testing::CountedArray a(64);
  const auto first = a.lease(Tag{1, 5}), second = a.lease(Tag{2, 7});
  EXPECT_FALSE(AliasingOracle::on_rent(a.header(), first).has_value());
  const auto v = AliasingOracle::on_rent(a.header(), second);
  ASSERT_TRUE(v.has_value());
  EXPECT_EQ(v->oracle, OracleKind::aliasing);
  EXPECT_EQ(v->lease, (Tag{2, 7}));
  EXPECT_EQ(v->other, (Tag{1, 5}));
}

TEST(AliasingOracle, SilentWhenTheArrayWasGivenBackFirst) {
  testing::CountedArray a(64);
  const auto first = a.lease(Tag{1, 5}), second = a.lease(Tag{2, 7});
  ASSERT_FALSE(AliasingOracle::on_rent(a.header(), first).has_value());
  AliasingOracle::on_give_back(a.header(), first, /*clearing=*/false);
  EXPECT_FALSE(AliasingOracle::on_rent(a.header(), second).has_value());
}

}  // namespace
}  // namespace poolcheck
