#include "poolcheck/oracles/exclusivity_oracle.hpp"

namespace poolcheck {

std::optional<Violation> ExclusivityOracle::check(const LeaseRecord& lease, const char* when) {
  for (auto [begin, end] : lease.written.ranges()) {
    const auto bad = find_mismatch(lease.bytes, begin, end, lease.tag);
    if (!bad) continue;
    const DecodedWord found = decode_at(readable_part(lease), *bad);
    Violation v = finding_in(OracleKind::exclusivity, lease);
    name_writer_at(v, lease, *bad);
    v.what = lease.tag.to_string() + " found " + describe(found) + " at byte " + std::to_string(*bad) +
             " of the range it wrote [" + std::to_string(begin) + ", " + std::to_string(end) + ") " + when;
    return v;
  }
  return std::nullopt;
}

}  // namespace poolcheck
