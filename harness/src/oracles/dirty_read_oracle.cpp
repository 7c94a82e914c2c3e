#include "poolcheck/oracles/dirty_read_oracle.hpp"

namespace poolcheck {

std::optional<Violation> DirtyReadOracle::check_read(const LeaseRecord& lease, std::size_t begin, std::size_t end) {
  if (begin >= end) return std::nullopt;
  Violation v = finding_in(OracleKind::dirty_read, lease);
  if (end > lease.requested_bytes) {
    v.offset = std::max(begin, lease.requested_bytes);
    v.what = lease.tag.to_string() + " read bytes [" + std::to_string(begin) + ", " + std::to_string(end) +
             ") past its requested length of " + std::to_string(lease.requested_bytes) +
             " bytes (the capacity is not the length)";
    if (v.offset < lease.readable_bytes) v.what += "; it holds " + describe(decode_at(readable_part(lease), v.offset));
    return v;
  }
  const std::size_t hole = lease.written.first_unwritten(begin, end);
  if (hole == end) return std::nullopt;
  name_writer_at(v, lease, hole);
  const DecodedWord found = decode_at(readable_part(lease), hole);
  v.what = lease.tag.to_string() + " read byte " + std::to_string(hole) +
           " that it never wrote (assumes rented memory is clean); it holds " + describe(found);
  return v;
}

}  // namespace poolcheck
