#include "poolcheck/oracles/aliasing_oracle.hpp"

namespace poolcheck {

std::optional<Violation> AliasingOracle::on_rent(ArrayHeader& header, const LeaseRecord& lease) {
  std::uint64_t expected = 0;
  const std::uint64_t mine = lease.tag.bits() + 1;
  if (header.owner.compare_exchange_strong(expected, mine, std::memory_order_relaxed)) return std::nullopt;
  Violation v = finding_in(OracleKind::aliasing, lease);
  v.other = Tag::from_bits(expected - 1);
  v.what = "the pool handed " + lease.tag.to_string() + " an array that " + v.other->to_string() +
           " still holds";
  // Take it over so the other holder's give_back does not report a second time.
  header.owner.store(mine, std::memory_order_relaxed);
  return v;
}

void AliasingOracle::on_give_back(ArrayHeader& header, const LeaseRecord& lease, bool /*clearing*/) noexcept {
  std::uint64_t mine = lease.tag.bits() + 1;
  header.owner.compare_exchange_strong(mine, 0, std::memory_order_relaxed);
  header.last_owner.store(lease.tag.bits() + 1, std::memory_order_relaxed);
}

}  // namespace poolcheck
