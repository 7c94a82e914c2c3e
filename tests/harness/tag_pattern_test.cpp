#include "poolcheck/tag_pattern.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "bufpool/checked_mode.hpp"
#include "poolcheck/counting_allocator.hpp"
#include "poolcheck/seeded_random.hpp"

namespace poolcheck {
namespace {

TEST(TagPattern, EveryWordDecodesToItsWriterAndIndex) {
  for (Tag tag : {Tag{0, 0}, Tag{1, 2}, Tag{4031, 17}, Tag{65535, (1u << 24) - 1}}) {
    for (std::uint64_t index : {0ull, 1ull, 511ull, 65535ull, 65536ull + 7}) {
      const DecodedWord d = decode_word(pattern_word(tag, index));
      ASSERT_EQ(d.kind, DecodedWord::Kind::tag);
      EXPECT_EQ(d.tag, tag);
      EXPECT_EQ(d.word_index, index & 0xFFFF);
    }
  }
}

TEST(TagPattern, ZerosPoisonAndFreshBytesAreRecognised) {
  EXPECT_EQ(decode_word(0).kind, DecodedWord::Kind::zero);
  std::uint64_t poison, fresh;
  std::memset(&poison, bufpool::kPoisonByte, 8);
  std::memset(&fresh, kFreshByte, 8);
  EXPECT_EQ(decode_word(poison).kind, DecodedWord::Kind::poison);
  EXPECT_EQ(decode_word(fresh).kind, DecodedWord::Kind::fresh);
}

TEST(TagPattern, RandomWordsAlmostNeverPassForTags) {
  SeededRandom rng(42);
  int false_tags = 0;
  for (int i = 0; i < 100'000; ++i) false_tags += decode_word(rng.next()).kind == DecodedWord::Kind::tag;
  EXPECT_LT(false_tags, 1000) << "the check byte lets about 1 in 256 through";
}

TEST(TagPattern, WrittenRangeVerifiesAndAForeignWordIsFoundAndNamed) {
  std::vector<std::byte> buf(8192);
  const Tag mine{3, 9}, theirs{12, 40};
  write_pattern(buf, 5, 8000, mine);  // unaligned at both ends
  EXPECT_FALSE(find_mismatch(buf, 5, 8000, mine).has_value());
  std::vector<std::byte> other(8192);
  write_pattern(other, 0, 8192, theirs);
  std::memcpy(buf.data() + 4096, other.data() + 4096, 8);
  const auto bad = find_mismatch(buf, 5, 8000, mine);
  ASSERT_TRUE(bad.has_value());
  EXPECT_EQ(*bad, 4096u);
  const DecodedWord d = decode_at(buf, *bad);
  ASSERT_EQ(d.kind, DecodedWord::Kind::tag);
  EXPECT_EQ(d.tag, theirs);
  EXPECT_EQ(describe(d), "bytes of lease 40 of thread 12");
}

TEST(TagPattern, OneFlippedByteInAnUnalignedTailIsFound) {
  std::vector<std::byte> buf(64);
  write_pattern(buf, 3, 61, Tag{1, 1});
  buf[60] ^= std::byte{0x01};
  EXPECT_EQ(find_mismatch(buf, 3, 61, Tag{1, 1}), std::optional<std::size_t>(60));
}

TEST(TagPattern, AWordOfMixedFillsIsDescribedByWhatItIsMadeOf) {
  std::uint64_t word = 0;
  std::memset(reinterpret_cast<unsigned char*>(&word) + 4, kFreshByte, 4);
  const DecodedWord d = decode_word(word);
  ASSERT_EQ(d.kind, DecodedWord::Kind::unknown);
  EXPECT_EQ(describe(d), "bytes 00 00 00 00 fa fa fa fa: zeros and fresh fill (0xFA)");
  std::uint64_t other = 0x1122334455667788ull;
  EXPECT_NE(describe(decode_word(other)).find("other data"), std::string::npos) << describe(decode_word(other));
}

}  // namespace
}  // namespace poolcheck
