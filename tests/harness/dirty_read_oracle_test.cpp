#include "poolcheck/oracles/dirty_read_oracle.hpp"

#include <gtest/gtest.h>

#include <cstring>

#include "harness/oracle_fixtures.hpp"

namespace poolcheck {
namespace {

TEST(DirtyReadOracle, ReadingOnlyWhatTheLeaseWroteIsClean) {
  testing::CountedArray a(256);
  auto lease = a.lease(Tag{1, 1}, 200);
  write_pattern(lease.bytes, 0, 100, lease.tag);
  lease.written.add(0, 100);
  EXPECT_FALSE(DirtyReadOracle::check_read(lease, 10, 100).has_value());
}

TEST(DirtyReadOracle, ReadingUnwrittenBytesNamesWhatTheyHold) {
  testing::CountedArray a(256);
  auto lease = a.lease(Tag{1, 1}, 200);
  write_pattern(lease.bytes, 0, 256, Tag{9, 4});  // the previous renter's data
  write_pattern(lease.bytes, 0, 64, lease.tag);
  lease.written.add(0, 64);
  const auto v = DirtyReadOracle::check_read(lease, 0, 128);
  ASSERT_TRUE(v.has_value());
  EXPECT_EQ(v->oracle, OracleKind::dirty_read);
  EXPECT_EQ(v->offset, 64u);
  EXPECT_EQ(v->other, (Tag{9, 4}));
  EXPECT_NE(v->what.find("assumes rented memory is clean"), std::string::npos) << v->what;
}

TEST(DirtyReadOracle, ReadingPastTheRequestedLengthIsReported) {
  testing::CountedArray a(256);
  auto lease = a.lease(Tag{1, 1}, 200);
  write_pattern(lease.bytes, 0, 200, lease.tag);
  lease.written.add(0, 200);
  const auto v = DirtyReadOracle::check_read(lease, 0, 256);
  ASSERT_TRUE(v.has_value());
  EXPECT_EQ(v->offset, 200u);
  EXPECT_NE(v->what.find("past its requested length"), std::string::npos) << v->what;
  // The word at byte 200 lies past what the lease wrote: it holds the allocation's fresh fill.
  EXPECT_NE(v->what.find("it holds never-written bytes of a fresh allocation (0xFA)"), std::string::npos) << v->what;
}

// A word the lease wrote only in part (its write ended at byte 13, the rest is the fresh fill):
// described byte by byte, and only the readable part is read (a lease's slack under ASan).
TEST(DirtyReadOracle, APartlyWrittenWordIsDescribedByItsBytes) {
  testing::CountedArray a(64);  // fresh: every byte 0xFA
  auto lease = a.lease(Tag{1, 1}, 13);
  lease.readable_bytes = 13;
  std::memset(lease.bytes.data(), 0, 13);
  lease.written.add(0, 8);
  const auto v = DirtyReadOracle::check_read(lease, 0, 13);
  ASSERT_TRUE(v.has_value());
  EXPECT_EQ(v->offset, 8u);
  EXPECT_NE(v->what.find("bytes 00 00 00 00 00: zeros (the last 5 readable bytes"), std::string::npos) << v->what;
}

TEST(WrittenRanges, MergeAndCover) {
  WrittenRanges w;
  w.add(10, 20);
  w.add(30, 40);
  w.add(15, 35);
  ASSERT_EQ(w.ranges().size(), 1u);
  EXPECT_EQ(w.ranges()[0], (std::pair<std::size_t, std::size_t>{10, 40}));
  EXPECT_TRUE(w.covers(10, 40));
  EXPECT_FALSE(w.covers(5, 12));
  EXPECT_EQ(w.first_unwritten(12, 50), 40u);
  w.add(50, 60);
  EXPECT_EQ(w.ranges().size(), 2u);
}

// Past the ranges kept inline the set spills to the heap and still merges, covers and shrinks
// back when a write joins them.
TEST(WrittenRanges, ManyRangesSpillAndMergeBack) {
  WrittenRanges w;
  for (std::size_t i = 0; i < 8; ++i) w.add(100 * i, 100 * i + 10);
  ASSERT_EQ(w.ranges().size(), 8u);
  EXPECT_EQ(w.ranges()[7], (std::pair<std::size_t, std::size_t>{700, 710}));
  EXPECT_TRUE(w.covers(300, 310));
  EXPECT_EQ(w.first_unwritten(300, 400), 310u);
  w.add(5, 705);
  ASSERT_EQ(w.ranges().size(), 1u);
  EXPECT_EQ(w.ranges()[0], (std::pair<std::size_t, std::size_t>{0, 710}));
  w.add(800, 810);
  w.clear();
  EXPECT_TRUE(w.ranges().empty());
}

}  // namespace
}  // namespace poolcheck
