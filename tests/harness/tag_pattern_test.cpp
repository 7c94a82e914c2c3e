#include "poolcheck/tag_pattern.hpp"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

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

// The block-wise writer and verifier against the word-by-word definition, at every alignment and
// length: what write_pattern stores is pattern_word's bytes, it verifies clean, and any one byte
// changed anywhere in the range is reported at exactly that byte.
RC_GTEST_PROP(TagPattern, BlocksAgreeWithTheWordDefinitionAndFindEveryChangedByte, ()) {
  const auto begin = *rc::gen::inRange<std::size_t>(0, 200);
  const auto length = *rc::gen::inRange<std::size_t>(1, 1200);
  const Tag tag{*rc::gen::inRange<std::uint32_t>(0, Tag::kMaxThreads), *rc::gen::inRange<std::uint32_t>(0, Tag::kMaxOps)};
  const std::size_t end = begin + length;
  std::vector<std::byte> buf(end + 16, std::byte{0x5C});
  write_pattern(buf, begin, end, tag);
  for (std::size_t j = begin; j < end; ++j) {
    RC_ASSERT(buf[j] == static_cast<std::byte>(pattern_word(tag, j / 8) >> (8 * (j % 8))));
  }
  RC_ASSERT(buf[end] == std::byte{0x5C});
  RC_ASSERT(!find_mismatch(buf, begin, end, tag).has_value());
  const std::size_t at = begin + *rc::gen::inRange<std::size_t>(0, length);
  buf[at] ^= std::byte{static_cast<unsigned char>(*rc::gen::inRange(1, 256))};
  RC_ASSERT(find_mismatch(buf, begin, end, tag) == std::optional<std::size_t>(at));
}

// The index field wraps every 2^16 words (512 KiB): a range across the wrap is written and
// verified as the definition says, and a foreign word past it still names its writer and index.
TEST(TagPattern, ARangeAcrossTheIndexWrapVerifiesAndDecodes) {
  const std::size_t wrap = std::size_t{8} << 16;
  std::vector<std::byte> buf(wrap + 4096);
  const Tag mine{7, 70}, theirs{8, 80};
  write_pattern(buf, wrap - 1000, wrap + 3000, mine);
  EXPECT_FALSE(find_mismatch(buf, wrap - 1000, wrap + 3000, mine).has_value());
  const std::uint64_t w = pattern_word(mine, (wrap + 16) / 8);
  EXPECT_EQ(w, pattern_word(mine, 2));
  std::uint64_t in_memory;
  std::memcpy(&in_memory, buf.data() + wrap + 16, 8);
  EXPECT_EQ(in_memory, w);
  const std::uint64_t foreign = pattern_word(theirs, (wrap + 64) / 8);
  std::memcpy(buf.data() + wrap + 64, &foreign, 8);
  EXPECT_EQ(find_mismatch(buf, wrap - 1000, wrap + 3000, mine), std::optional<std::size_t>(wrap + 64));
  const DecodedWord d = decode_at(buf, wrap + 64);
  ASSERT_EQ(d.kind, DecodedWord::Kind::tag);
  EXPECT_EQ(d.tag, theirs);
  EXPECT_EQ(d.word_index, 8u);
}

// Two leases' words at the same index differ in every byte position somewhere among a few
// indexes: a one-byte head or tail of a range is still told apart from another lease's.
TEST(TagPattern, EveryBytePositionDependsOnTheTag) {
  const Tag a{3, 9}, b{3, 10};
  for (unsigned byte = 0; byte < 8; ++byte) {
    bool differs = false;
    for (std::uint64_t index = 0; index < 4 && !differs; ++index) {
      differs = ((pattern_word(a, index) ^ pattern_word(b, index)) >> (8 * byte) & 0xFF) != 0;
    }
    EXPECT_TRUE(differs) << "byte " << byte;
  }
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
