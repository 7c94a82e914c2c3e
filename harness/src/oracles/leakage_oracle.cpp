#include "poolcheck/oracles/leakage_oracle.hpp"

#include <cstring>
#include <utility>

#include "bufpool/checked_mode.hpp"

namespace poolcheck {
namespace {

// What a cleared array may hold: zeros, or the checked pool's poison (a short word: all of its bytes).
bool cleared(const DecodedWord& w) noexcept {
  if (w.kind == DecodedWord::Kind::zero || w.kind == DecodedWord::Kind::poison) return true;
  if (w.kind != DecodedWord::Kind::unknown || w.length >= 8) return false;
  unsigned char bytes[8];
  std::memcpy(bytes, &w.raw, sizeof bytes);
  const auto all = [&](unsigned char value) {
    for (std::size_t i = 0; i < w.length; ++i) {
      if (bytes[i] != value) return false;
    }
    return true;
  };
  return all(0) || all(bufpool::kPoisonByte);
}

}  // namespace

void LeakageOracle::on_give_back(ArrayHeader& header, const LeaseRecord& lease, bool clearing) noexcept {
  header.cleared_by.store(clearing ? lease.tag.bits() + 1 : 0, std::memory_order_relaxed);
}

std::optional<Violation> LeakageOracle::on_rent(ArrayHeader& header, const LeaseRecord& lease) {
  // Read before exchanged: nearly every rent finds no clearing give_back, and a read costs no
  // write to the header's line. Only the lease now holding the array resets it.
  if (header.cleared_by.load(std::memory_order_relaxed) == 0) return std::nullopt;
  const std::uint64_t cleared_by = header.cleared_by.exchange(0, std::memory_order_relaxed);
  if (cleared_by == 0) return std::nullopt;
  const std::span<const std::byte> readable = readable_part(lease);
  // The first word that is neither zero nor poison proves the leak; prefer one that decodes to its
  // writer (a word at the edge of an unaligned write mixes two writers and decodes to neither).
  // A short last word (a lease's readable part under ASan) is checked byte by byte.
  std::optional<std::size_t> first_dirty;
  std::optional<std::pair<std::size_t, DecodedWord>> named;
  for (std::size_t j = 0; j < readable.size() && !named; j += 8) {
    const DecodedWord w = decode_at(readable, j);
    if (cleared(w)) continue;
    if (!first_dirty) first_dirty = j;
    if (w.kind == DecodedWord::Kind::tag) named.emplace(j, w);
  }
  if (!first_dirty) return std::nullopt;
  const std::size_t at = named ? named->first : *first_dirty;
  const DecodedWord found = named ? named->second : decode_at(readable, at);
  Violation v = finding_in(OracleKind::leakage, lease);
  v.other = Tag::from_bits(cleared_by - 1);
  v.offset = at;
  v.what = lease.tag.to_string() + " rented an array that " + v.other->to_string() +
           " gave back with clearing, and found " + describe(found) + " at byte " + std::to_string(at) +
           (at != *first_dirty ? " (first non-zero byte at " + std::to_string(*first_dirty) + ")" : std::string{});
  return v;
}

}  // namespace poolcheck
