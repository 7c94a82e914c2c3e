// Tags that name their writer, and the byte pattern a lease writes from its tag.
//
// Every rental gets a unique Tag (thread, op). The pattern stores at byte offset j of an array the
// byte (j % 8) of word(tag, j / 8): each aligned 8-byte word encodes the tag, a check byte of the
// tag and the low 16 bits of its own word index, scrambled by an invertible map so patterns never
// look like zeros or like the pool's poison. Any foreign aligned word therefore decodes to the
// lease that wrote it (and where in its array), so a report says "found bytes of lease 9 of thread
// 12", not "mismatch". The map is linear along an array (one addition per word, then bit
// operations), so writing and verifying a pattern runs at vector speed; only a mismatch decodes.
//
// Pure functions; thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>

namespace poolcheck {

// (thread, op) of a rental: 16 bits of thread (threads are numbered from 0), 24 bits of op.
struct Tag {
  std::uint32_t thread = 0;
  std::uint32_t op = 0;

  static constexpr std::uint32_t kMaxThreads = 1u << 16;
  static constexpr std::uint32_t kMaxOps = 1u << 24;

  constexpr std::uint64_t bits() const noexcept { return (std::uint64_t{thread} << 24) | op; }
  static constexpr Tag from_bits(std::uint64_t b) noexcept {
    return Tag{static_cast<std::uint32_t>((b >> 24) & 0xFFFF), static_cast<std::uint32_t>(b & 0xFFFFFF)};
  }
  friend bool operator==(const Tag&, const Tag&) = default;
  std::string to_string() const;  // "lease 17 of thread 4031"
};

// What an aligned word found in memory turned out to be.
struct DecodedWord {
  enum class Kind { tag, zero, poison, fresh, unknown };
  Kind kind = Kind::unknown;
  Tag tag;                       // when kind == tag
  std::uint32_t word_index = 0;  // low 16 bits of the word's index in its writer's array
  std::uint64_t raw = 0;         // the word as read (memory order of its bytes)
  std::uint8_t length = 8;       // bytes of it that lie in the array (fewer at a short tail)
};

// The 64-bit word lease `tag` writes at word index `index`.
std::uint64_t pattern_word(Tag tag, std::uint64_t index) noexcept;

// Decodes a word read from memory.
DecodedWord decode_word(std::uint64_t word) noexcept;

// Writes tag's pattern over bytes [begin, end) of `array`.
void write_pattern(std::span<std::byte> array, std::size_t begin, std::size_t end, Tag tag) noexcept;

// First byte offset in [begin, end) that does not hold tag's pattern, if any.
std::optional<std::size_t> find_mismatch(std::span<const std::byte> array, std::size_t begin, std::size_t end,
                                         Tag tag) noexcept;

// The aligned word of `array` that contains byte `offset`, decoded. Only bytes inside `array` are
// read: a word cut short by the end (a lease's readable part under ASan ends at its requested
// length) keeps the bytes that are there, in `raw` and `length`, and decodes as unknown.
DecodedWord decode_at(std::span<const std::byte> array, std::size_t offset) noexcept;

// "bytes of lease 9 of thread 12", "zeros", "the pool's poison (0xCB)", or for a word
// that is none of these, its bytes and what they are made of ("bytes 00 00 00 00 fa fa fa fa: zeros
// and fresh fill (0xFA)", as where a clear stopped half-way through a word).
std::string describe(const DecodedWord& word);

}  // namespace poolcheck
