#include "poolcheck/oracles/leakage_oracle.hpp"

#include <gtest/gtest.h>

#include <cstring>

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

// A clear that stopped half-way through a word of a fresh array: part zeros, part fresh fill. The
// report says what the bytes are, not only that they are wrong.
TEST(LeakageOracle, PartZerosPartFreshFillIsDescribedAsSuch) {
  testing::CountedArray a(64);  // a fresh allocation: every byte is kFreshByte
  const auto old = a.lease(Tag{3, 1});
  LeakageOracle::on_give_back(a.header(), old, true);
  std::memset(a.data, 0, 20);  // bytes 16..19 zero, 20..23 still fresh fill
  const auto v = LeakageOracle::on_rent(a.header(), a.lease(Tag{4, 2}));
  ASSERT_TRUE(v.has_value());
  EXPECT_EQ(v->offset, 16u);
  EXPECT_NE(v->what.find("bytes 00 00 00 00 fa fa fa fa: zeros and fresh fill (0xFA)"), std::string::npos) << v->what;
}

// Under ASan a lease's readable part ends at its requested length: a last word cut short is read
// only as far as it is readable, checked byte by byte, and described by the bytes that are there.
TEST(LeakageOracle, AShortLastWordIsCheckedAndDescribedByTheBytesThatAreReadable) {
  testing::CountedArray a(64);
  const auto old = a.lease(Tag{3, 1});
  LeakageOracle::on_give_back(a.header(), old, true);
  std::memset(a.data, 0, 64);
  a.data[41] = std::byte{0x5A};  // inside the readable tail [40, 43)
  auto next = a.lease(Tag{4, 2});
  next.readable_bytes = 43;
  const auto v = LeakageOracle::on_rent(a.header(), next);
  ASSERT_TRUE(v.has_value());
  EXPECT_EQ(v->offset, 40u);
  EXPECT_NE(v->what.find("bytes 00 5a 00: zeros and other data"), std::string::npos) << v->what;
  EXPECT_NE(v->what.find("the last 3 readable bytes"), std::string::npos) << v->what;

  LeakageOracle::on_give_back(a.header(), next, true);
  a.data[41] = std::byte{0};
  a.data[50] = std::byte{0x5A};  // past the readable part: not the renter's to read
  EXPECT_FALSE(LeakageOracle::on_rent(a.header(), next).has_value());
}

}  // namespace
}  // namespace poolcheck
