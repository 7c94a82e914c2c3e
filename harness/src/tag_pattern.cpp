#include "poolcheck/tag_pattern.hpp"

#include <cstdio>
#include <cstring>
#include <sstream>

#include "bufpool/checked_mode.hpp"
#include "poolcheck/counting_allocator.hpp"

namespace poolcheck {
namespace {

// A word is scramble((payload_base(tag) + index16) * kStep), payload = [tag:40][check:8][index:16].
// Both steps are bijections on 64-bit words (an odd multiplier; a 32-bit xor-shift, its own
// inverse, that carries the tag's high bits into the low bytes), so decode_word inverts them
// exactly. Along an array the product grows by kStep per word: a lease's words are one addition
// and three cheap bit operations each, which the compiler vectorises, instead of a hash per word.
constexpr std::uint64_t kStep = 0x9E3779B97F4A7C15ull;
constexpr std::uint64_t kXor = 0xD1B54A32D192ED03ull;  // keeps every tag word away from zero

constexpr std::uint64_t inverse_of_odd(std::uint64_t a) noexcept {
  std::uint64_t x = a;  // Newton's iteration: each step doubles the correct low bits (3 to start)
  for (int i = 0; i < 6; ++i) x *= 2 - a * x;
  return x;
}
constexpr std::uint64_t kStepInverse = inverse_of_odd(kStep);
static_assert(kStep * kStepInverse == 1);

constexpr std::uint64_t scramble(std::uint64_t v) noexcept { return v ^ (v >> 32) ^ kXor; }
constexpr std::uint64_t unscramble(std::uint64_t w) noexcept {
  const std::uint64_t y = w ^ kXor;
  return y ^ (y >> 32);
}

constexpr std::uint64_t mix(std::uint64_t z) noexcept {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// The check byte is the tag's alone, so it is computed once per lease, not per word; a word that
// is not a tag word passes it by chance 1 time in 256.
constexpr std::uint64_t check_byte(std::uint64_t tag_bits) noexcept { return mix(tag_bits + 0x5A) >> 56; }

constexpr std::uint64_t tag_bits_of(Tag tag) noexcept { return tag.bits() & 0xFF'FFFF'FFFFull; }

// The product of word 0 of tag's pattern; word i's is this plus (i mod 2^16) * kStep.
constexpr std::uint64_t base_product(std::uint64_t tag_bits) noexcept {
  return ((tag_bits << 24) | (check_byte(tag_bits) << 16)) * kStep;
}

constexpr std::size_t kIndexPeriod = std::size_t{1} << 16;  // words before the index field wraps

// The product of word `index` of the pattern whose word 0 has product `base`.
constexpr std::uint64_t product_at(std::uint64_t base, std::uint64_t index) noexcept {
  return base + (index % kIndexPeriod) * kStep;
}

constexpr bool passes_check(std::uint64_t word) noexcept {
  const std::uint64_t payload = unscramble(word) * kStepInverse;
  return check_byte(payload >> 24) == ((payload >> 16) & 0xFF);
}
constexpr std::uint64_t repeated(unsigned char b) noexcept { return 0x0101010101010101ull * b; }
// No tag word equals a fill decode_word names first: zeros, the pool's poison, fresh fill.
static_assert(!passes_check(0) && !passes_check(repeated(bufpool::kPoisonByte)) && !passes_check(repeated(kFreshByte)));


// Four words in one vector (GCC and Clang vector extensions): two SSE2 registers in the default
// build, one AVX2 register in the avx2 clone. A block of kBlock words is kLanes of them, computed,
// stored and compared without a scalar step per word.
using Words = std::uint64_t __attribute__((vector_size(32)));
constexpr std::size_t kWordsPerVector = sizeof(Words) / 8;
constexpr std::size_t kLanes = 2;
constexpr std::size_t kBlock = kWordsPerVector * kLanes;

// The block loops are built twice, for the baseline x86-64 and for AVX2, and the loader picks one
// for the CPU (GCC's function multiversioning); other compilers and targets get the baseline.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define POOLCHECK_VECTOR_CLONES __attribute__((target_clones("default", "avx2")))
#else
#define POOLCHECK_VECTOR_CLONES
#endif

// The products of a pattern's words from word `first` on, a block at a time. Blocks never cross
// an index wrap: words_before_wrap() says how many words the stream may run before restarting.
// Inline, so each clone of a block loop gets its own copy for its instruction set.
class WordStream {
 public:
  WordStream(Tag tag, std::size_t first) noexcept : base_(base_product(tag_bits_of(tag))) { restart(first); }
  std::size_t words_before_wrap() const noexcept { return kIndexPeriod - (next_ % kIndexPeriod); }
  [[gnu::always_inline]] void restart(std::size_t first) noexcept {
    next_ = first;
    const std::uint64_t v = product_at(base_, first);
    for (std::size_t l = 0; l < kLanes; ++l) {
      for (std::size_t k = 0; k < kWordsPerVector; ++k) lanes_[l][k] = v + (kWordsPerVector * l + k) * kStep;
    }
  }
  // The next kBlock words (lane l holds words 4l to 4l + 3), then the stream moves past them.
  [[gnu::always_inline]] void next_block(Words (&out)[kLanes]) noexcept {
    for (std::size_t l = 0; l < kLanes; ++l) {
      out[l] = lanes_[l] ^ (lanes_[l] >> 32) ^ kXor;
      lanes_[l] += kBlock * kStep;
    }
    next_ += kBlock;
  }
  // The next word alone.
  std::uint64_t next_word() noexcept { return word_at(next_++); }
  // Word `index` of the pattern, without moving the stream.
  std::uint64_t word_at(std::size_t index) const noexcept { return scramble(product_at(base_, index)); }

 private:
  std::uint64_t base_;
  std::size_t next_ = 0;
  Words lanes_[kLanes];
};

std::uint8_t byte_of(std::uint64_t word, std::size_t offset) noexcept {
  return static_cast<std::uint8_t>(word >> (8 * (offset % 8)));
}

// Whole aligned words [w, w_end) of the pattern, written.
POOLCHECK_VECTOR_CLONES void write_words(std::byte* out, std::size_t w, std::size_t w_end, Tag tag) noexcept {
  WordStream s(tag, w);
  while (w < w_end) {
    const std::size_t run_end = w + std::min(w_end - w, s.words_before_wrap());
    for (; w + kBlock <= run_end; w += kBlock) {
      Words block[kLanes];
      s.next_block(block);
      std::memcpy(out + 8 * w, block, sizeof block);
    }
    for (; w < run_end; ++w) {
      const std::uint64_t word = s.next_word();
      std::memcpy(out + 8 * w, &word, 8);
    }
    s.restart(w);
  }
}

// The first word in [w, w_end) that differs from the pattern, or w_end. A block is compared as a
// whole and its differences or-ed into one vector; only a block with a difference is walked again,
// word by word, off the hot loop.
POOLCHECK_VECTOR_CLONES std::size_t first_wrong_word(const std::byte* in, std::size_t w, std::size_t w_end,
                                                     Tag tag) noexcept {
  WordStream s(tag, w);
  while (w < w_end) {
    const std::size_t run_end = w + std::min(w_end - w, s.words_before_wrap());
    for (; w + kBlock <= run_end; w += kBlock) {
      Words expected[kLanes];
      s.next_block(expected);
      Words diff{};
      for (std::size_t l = 0; l < kLanes; ++l) {
        Words found;
        std::memcpy(&found, in + 8 * w + sizeof(Words) * l, sizeof found);
        diff |= found ^ expected[l];
      }
      std::uint64_t any = 0;
      for (std::size_t k = 0; k < kWordsPerVector; ++k) any |= diff[k];
      if (any == 0) continue;
      for (std::size_t k = 0; k < kBlock; ++k) {
        std::uint64_t word;
        std::memcpy(&word, in + 8 * (w + k), 8);
        if (word != s.word_at(w + k)) return w + k;
      }
    }
    for (; w < run_end; ++w) {
      std::uint64_t word;
      std::memcpy(&word, in + 8 * w, 8);
      if (word != s.next_word()) return w;
    }
    s.restart(w);
  }
  return w_end;
}

}  // namespace

std::string Tag::to_string() const {
  return "lease " + std::to_string(op) + " of thread " + std::to_string(thread);
}

std::uint64_t pattern_word(Tag tag, std::uint64_t index) noexcept {
  return scramble(product_at(base_product(tag_bits_of(tag)), index));
}

DecodedWord decode_word(std::uint64_t word) noexcept {
  DecodedWord d;
  d.raw = word;
  if (word == 0) {
    d.kind = DecodedWord::Kind::zero;
    return d;
  }
  if (word == repeated(bufpool::kPoisonByte)) {
    d.kind = DecodedWord::Kind::poison;
    return d;
  }
  if (word == repeated(kFreshByte)) {
    d.kind = DecodedWord::Kind::fresh;
    return d;
  }
  if (!passes_check(word)) return d;
  const std::uint64_t payload = unscramble(word) * kStepInverse;
  d.kind = DecodedWord::Kind::tag;
  d.tag = Tag::from_bits(payload >> 24);
  d.word_index = static_cast<std::uint32_t>(payload & 0xFFFF);
  return d;
}

void write_pattern(std::span<std::byte> array, std::size_t begin, std::size_t end, Tag tag) noexcept {
  if (begin >= end) return;
  // Unaligned head and tail byte by byte; whole words in blocks.
  const std::size_t head_end = std::min(end, (begin + 7) / 8 * 8);
  for (std::size_t j = begin; j < head_end; ++j) array[j] = std::byte{byte_of(pattern_word(tag, j / 8), j)};
  if (head_end == end) return;
  const std::size_t tail_begin = end / 8 * 8;
  write_words(array.data(), head_end / 8, tail_begin / 8, tag);
  for (std::size_t j = tail_begin; j < end; ++j) array[j] = std::byte{byte_of(pattern_word(tag, j / 8), j)};
}

std::optional<std::size_t> find_mismatch(std::span<const std::byte> array, std::size_t begin, std::size_t end,
                                         Tag tag) noexcept {
  if (begin >= end) return std::nullopt;
  auto first_wrong_byte = [&](std::size_t from, std::size_t to) -> std::optional<std::size_t> {
    for (std::size_t j = from; j < to; ++j) {
      if (array[j] != std::byte{byte_of(pattern_word(tag, j / 8), j)}) return j;
    }
    return std::nullopt;
  };
  const std::size_t head_end = std::min(end, (begin + 7) / 8 * 8);
  if (auto bad = first_wrong_byte(begin, head_end)) return bad;
  if (head_end == end) return std::nullopt;
  const std::size_t tail_begin = end / 8 * 8;
  const std::size_t wrong = first_wrong_word(array.data(), head_end / 8, tail_begin / 8, tag);
  if (wrong != tail_begin / 8) return first_wrong_byte(8 * wrong, 8 * wrong + 8);
  return first_wrong_byte(tail_begin, end);
}

DecodedWord decode_at(std::span<const std::byte> array, std::size_t offset) noexcept {
  const std::size_t start = offset - offset % 8;
  if (start + 8 > array.size()) {
    DecodedWord d;
    d.length = static_cast<std::uint8_t>(start < array.size() ? array.size() - start : 0);
    if (d.length != 0) std::memcpy(&d.raw, array.data() + start, d.length);
    return d;
  }
  std::uint64_t w;
  std::memcpy(&w, array.data() + start, 8);
  return decode_word(w);
}

namespace {

// "bytes 00 00 00 00 fa fa fa fa: zeros and fresh fill (0xFA)": the bytes of a word that is no
// single known pattern, and which known fills (if any) it is made of.
std::string describe_unknown(std::uint64_t raw, std::size_t length) {
  if (length == 0) return "no bytes (past the end of the readable array)";
  unsigned char all[8];
  std::memcpy(all, &raw, sizeof all);
  std::string text = "bytes";
  bool zero = false, fresh = false, poison = false, other = false;
  for (std::size_t i = 0; i < length && i < sizeof all; ++i) {
    const unsigned char b = all[i];
    char hex[4];
    std::snprintf(hex, sizeof hex, " %02x", static_cast<unsigned>(b));
    text += hex;
    zero |= b == 0;
    fresh |= b == kFreshByte;
    poison |= b == bufpool::kPoisonByte;
    other |= b != 0 && b != kFreshByte && b != bufpool::kPoisonByte;
  }
  std::string parts;
  auto add = [&](bool present, const char* what) {
    if (!present) return;
    parts += parts.empty() ? "" : " and ";
    parts += what;
  };
  add(zero, "zeros");
  add(fresh, "fresh fill (0xFA)");
  add(poison, "checked-mode poison (0xCB)");
  add(other, "other data (not a whole tag word: a write or clear that stopped inside it, or foreign bytes)");
  if (length < sizeof all) parts += " (the last " + std::to_string(length) + " readable bytes, not a whole word)";
  return text + ": " + parts;
}

}  // namespace

std::string describe(const DecodedWord& word) {
  switch (word.kind) {
    case DecodedWord::Kind::tag:
      return "bytes of " + word.tag.to_string();
    case DecodedWord::Kind::zero:
      return "zeros";
    case DecodedWord::Kind::poison:
      return "the pool's checked-mode poison (0xCB)";
    case DecodedWord::Kind::fresh:
      return "never-written bytes of a fresh allocation (0xFA)";
    case DecodedWord::Kind::unknown:
      break;
  }
  return describe_unknown(word.raw, word.length);
}

}  // namespace poolcheck
