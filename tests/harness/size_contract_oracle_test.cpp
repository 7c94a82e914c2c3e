#include "poolcheck/oracles/size_contract_oracle.hpp"

#include <gtest/gtest.h>

#include "harness/oracle_fixtures.hpp"

namespace poolcheck {
namespace {

constexpr Tag kTag{1, 1};
constexpr std::size_t kLargest = 1024;

std::optional<Violation> check(std::size_t requested, std::size_t size, bool next_ok = false,
                               const ArrayHeader* header = nullptr, bool counted = false) {
  static std::byte dummy[64];
  return SizeContractOracle::check_rent(kTag, requested, size ? dummy : nullptr, size, 1, kLargest, next_ok, header,
                                        counted);
}

TEST(SizeContractOracle, CorrectSizesAreClean) {
  EXPECT_FALSE(check(0, 0));
  EXPECT_FALSE(check(1, 16));
  EXPECT_FALSE(check(17, 32));
  EXPECT_FALSE(check(1024, 1024));
  EXPECT_FALSE(check(5000, 5000)) << "over-size: exact";
  EXPECT_FALSE(check(17, 64, /*next_ok=*/true)) << "locked exhaustion: the next bucket";
}

TEST(SizeContractOracle, WrongSizesAreReported) {
  EXPECT_TRUE(check(0, 16)) << "rent(0) must be empty";
  EXPECT_TRUE(check(100, 64)) << "smaller than asked";
  EXPECT_TRUE(check(17, 64)) << "not its bucket";
  EXPECT_TRUE(check(17, 128, true)) << "two buckets up";
  EXPECT_TRUE(check(5000, 8192)) << "over-size must be exact";
  const auto v = check(100, 64);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->oracle, OracleKind::size_contract);
}

TEST(SizeContractOracle, SpanLargerThanItsAllocationIsReported) {
  testing::CountedArray a(32);
  EXPECT_FALSE(SizeContractOracle::check_rent(kTag, 20, a.data, 32, 1, kLargest, false, &a.header(), true));
  const auto v = SizeContractOracle::check_rent(kTag, 40, a.data, 64, 1, kLargest, false, &a.header(), true);
  ASSERT_TRUE(v);
  EXPECT_NE(v->what.find("over an allocation of only 32 bytes"), std::string::npos) << v->what;
  EXPECT_TRUE(SizeContractOracle::check_rent(kTag, 20, a.data, 32, 1, kLargest, false, nullptr, true))
      << "counted pool, but not the start of any allocation";
}

}  // namespace
}  // namespace poolcheck
