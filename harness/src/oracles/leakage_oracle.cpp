#include "poolcheck/oracles/leakage_oracle.hpp"

#include <cstring>

namespace poolcheck {

void LeakageOracle::before_give_back(ArrayHeader& header, const LeaseRecord& lease, bool clearing) noexcept {
  header.cleared_by.store(clearing ? lease.tag.bits() + 1 : 0, std::memory_order_relaxed);
}

std::optional<Violation> LeakageOracle::on_rent(ArrayHeader& header, const LeaseRecord& lease) {
  const std::uint64_t cleared_by = header.cleared_by.exchange(0, std::memory_order_relaxed);
  if (cleared_by == 0) return std::nullopt;
  const std::size_t n = lease.readable_bytes - lease.readable_bytes % 8;
  for (std::size_t j = 0; j < n; j += 8) {
    const DecodedWord w = decode_at(lease.bytes, j);
    if (w.kind == DecodedWord::Kind::zero || w.kind == DecodedWord::Kind::poison) continue;
    Violation v;
    v.oracle = OracleKind::leakage;
    v.lease = lease.tag;
    v.other = Tag::from_bits(cleared_by - 1);
    v.array = lease.bytes.data();
    v.capacity = lease.capacity;
    v.offset = j;
    v.what = lease.tag.to_string() + " rented an array that " + v.other->to_string() +
             " gave back with clearing, and found " + describe(w) + " at byte " + std::to_string(j);
    return v;
  }
  return std::nullopt;
}

}  // namespace poolcheck
