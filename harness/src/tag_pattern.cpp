#include "poolcheck/tag_pattern.hpp"

#include <cstdio>
#include <cstring>
#include <sstream>

#include "bufpool/checked_mode.hpp"
#include "poolcheck/counting_allocator.hpp"

namespace poolcheck {
namespace {

// splitmix64's finaliser is a bijection on 64-bit words; its inverse undoes it. The xor constant
// keeps word(…) != 0 for the all-zero payload.
constexpr std::uint64_t kScramble = 0x9E3779B97F4A7C15ull;

constexpr std::uint64_t mix(std::uint64_t z) noexcept {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

constexpr std::uint64_t unshift_xor(std::uint64_t y, unsigned s) noexcept {
  std::uint64_t x = y;
  for (unsigned i = 0; i < 64 / s + 1; ++i) x = y ^ (x >> s);
  return x;
}

constexpr std::uint64_t unmix(std::uint64_t z) noexcept {
  z = unshift_xor(z, 31);
  z *= 0x319642B2D24D8EC3ull;  // inverse of 0x94D049BB133111EB mod 2^64
  z = unshift_xor(z, 27);
  z *= 0x96DE1B173F119089ull;  // inverse of 0xBF58476D1CE4E5B9 mod 2^64
  return unshift_xor(z, 30);
}

static_assert(unmix(mix(0x0123456789ABCDEFull)) == 0x0123456789ABCDEFull);
static_assert(unmix(mix(42)) == 42);

// payload = [tag:40][check:8][index:16]
constexpr std::uint8_t check_byte(std::uint64_t tag_bits, std::uint64_t index16) noexcept {
  return static_cast<std::uint8_t>(mix(tag_bits * 0x10001ull + index16 + 0x5A) >> 56);
}

}  // namespace

std::string Tag::to_string() const {
  return "lease " + std::to_string(op) + " of thread " + std::to_string(thread);
}

std::uint64_t pattern_word(Tag tag, std::uint64_t index) noexcept {
  const std::uint64_t tag_bits = tag.bits() & 0xFF'FFFF'FFFFull;
  const std::uint64_t idx = index & 0xFFFF;
  const std::uint64_t payload = (tag_bits << 24) | (std::uint64_t{check_byte(tag_bits, idx)} << 16) | idx;
  return mix(payload ^ kScramble);
}

DecodedWord decode_word(std::uint64_t word) noexcept {
  DecodedWord d;
  d.raw = word;
  if (word == 0) {
    d.kind = DecodedWord::Kind::zero;
    return d;
  }
  std::uint64_t poison = 0;
  std::memset(&poison, bufpool::kPoisonByte, sizeof poison);
  if (word == poison) {
    d.kind = DecodedWord::Kind::poison;
    return d;
  }
  std::uint64_t fresh = 0;
  std::memset(&fresh, kFreshByte, sizeof fresh);
  if (word == fresh) {
    d.kind = DecodedWord::Kind::fresh;
    return d;
  }
  const std::uint64_t payload = unmix(word) ^ kScramble;
  const std::uint64_t tag_bits = payload >> 24;
  const std::uint64_t idx = payload & 0xFFFF;
  if (check_byte(tag_bits, idx) != static_cast<std::uint8_t>((payload >> 16) & 0xFF)) return d;
  d.kind = DecodedWord::Kind::tag;
  d.tag = Tag::from_bits(tag_bits);
  d.word_index = static_cast<std::uint32_t>(idx);
  return d;
}

void write_pattern(std::span<std::byte> array, std::size_t begin, std::size_t end, Tag tag) noexcept {
  std::size_t j = begin;
  // Unaligned head and tail byte by byte; whole words in one store each.
  while (j < end && (j % 8) != 0) {
    const std::uint64_t w = pattern_word(tag, j / 8);
    array[j] = static_cast<std::byte>(w >> (8 * (j % 8)));
    ++j;
  }
  for (; j + 8 <= end; j += 8) {
    const std::uint64_t w = pattern_word(tag, j / 8);
    std::memcpy(array.data() + j, &w, 8);
  }
  for (; j < end; ++j) {
    const std::uint64_t w = pattern_word(tag, j / 8);
    array[j] = static_cast<std::byte>(w >> (8 * (j % 8)));
  }
}

std::optional<std::size_t> find_mismatch(std::span<const std::byte> array, std::size_t begin, std::size_t end,
                                         Tag tag) noexcept {
  for (std::size_t j = begin; j < end;) {
    const std::uint64_t w = pattern_word(tag, j / 8);
    if ((j % 8) == 0 && j + 8 <= end) {
      std::uint64_t found;
      std::memcpy(&found, array.data() + j, 8);
      if (found == w) {
        j += 8;
        continue;
      }
    }
    if (array[j] != static_cast<std::byte>(w >> (8 * (j % 8)))) return j;
    ++j;
  }
  return std::nullopt;
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
