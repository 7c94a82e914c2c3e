#include "poolcheck/oracles/leakage_oracle.hpp"

#include <cstring>
#include <utility>

namespace poolcheck {

void LeakageOracle::on_give_back(ArrayHeader& header, const LeaseRecord& lease, bool clearing) noexcept {
  header.cleared_by.store(clearing ? lease.tag.bits() + 1 : 0, std::memory_order_relaxed);
}

std::optional<Violation> LeakageOracle::on_rent(ArrayHeader& header, const LeaseRecord& lease) {
  const std::uint64_t cleared_by = header.cleared_by.exchange(0, std::memory_order_relaxed);
  if (cleared_by == 0) return std::nullopt;
  const std::size_t n = lease.readable_bytes - lease.readable_bytes % 8;
  // The first word that is neither zero nor poison proves the leak; prefer one that decodes to its
  // writer (a word at the edge of an unaligned write mixes two writers and decodes to neither).
  std::optional<std::size_t> first_dirty;
  std::optional<std::pair<std::size_t, DecodedWord>> named;
  for (std::size_t j = 0; j < n && !named; j += 8) {
    const DecodedWord w = decode_at(lease.bytes, j);
    if (w.kind == DecodedWord::Kind::zero || w.kind == DecodedWord::Kind::poison) continue;
    if (!first_dirty) first_dirty = j;
    if (w.kind == DecodedWord::Kind::tag) named.emplace(j, w);
  }
  if (!first_dirty) return std::nullopt;
  const std::size_t at = named ? named->first : *first_dirty;
  const DecodedWord found = named ? named->second : decode_at(lease.bytes, at);
  Violation v = finding_in(OracleKind::leakage, lease);
  v.other = Tag::from_bits(cleared_by - 1);
  v.offset = at;
  v.what = lease.tag.to_string() + " rented an array that " + v.other->to_string() +
           " gave back with clearing, and found " + describe(found) + " at byte " + std::to_string(at) +
           (at != *first_dirty ? " (first non-zero byte at " + std::to_string(*first_dirty) + ")" : std::string{});
  return v;
}

}  // namespace poolcheck
