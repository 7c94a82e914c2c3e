#include "poolcheck/workload/checked_buffer.hpp"

#include <cstdio>

namespace poolcheck {

std::size_t first_difference(const std::byte* a, const std::byte* b, std::size_t n) noexcept {
  std::size_t i = 0;
  while (i < n && a[i] == b[i]) ++i;
  return i;
}

Violation overflow_violation(const LeaseRecord& r, std::size_t begin, std::size_t end) {
  Violation v = finding_in(OracleKind::overflow, r);
  v.offset = std::max(begin, r.requested_bytes);
  v.what = r.tag.to_string() + " tried to write bytes [" + std::to_string(begin) + ", " + std::to_string(end) +
           ") of an array it rented for " + std::to_string(r.requested_bytes) + " bytes" +
           (end > r.bytes.size() ? " (past the array's real end: a heap overflow)"
                                 : " (into the slack the pool happened to give: the next bucket's size is not a promise)");
  return v;
}

Violation stale_access_violation(Tag tag, const void* array, std::size_t capacity, const char* what) {
  Violation v;
  v.oracle = OracleKind::use_after_give_back;
  v.lease = tag;
  v.array = array;
  v.capacity = capacity;
  v.what = std::string("the consumer of ") + tag.to_string() + " " + what +
           " its array after giving it back (the pool may already have handed it to another request)";
  return v;
}

Violation changed_violation(const LeaseRecord& r, std::size_t offset, std::byte wrote, const char* when) {
  Violation v = finding_in(OracleKind::exclusivity, r);
  name_writer_at(v, r, offset);
  const DecodedWord found = decode_at(readable_part(r), offset);
  char bytes[64];
  std::snprintf(bytes, sizeof bytes, "0x%02x, now 0x%02x", static_cast<unsigned>(wrote),
                static_cast<unsigned>(r.bytes[offset]));
  v.what = r.tag.to_string() + " found byte " + std::to_string(offset) + " changed " + when + " (it wrote " + bytes +
           "; the word there holds " + describe(found) + "): someone else wrote to its array";
  return v;
}

Violation lost_lease_violation(const LeaseRecord& r) {
  Violation v;
  v.oracle = OracleKind::accounting;
  v.lease = r.tag;
  v.array = r.bytes.data();
  v.capacity = r.capacity;
  v.what = "the consumer dropped " + r.tag.to_string() + " (" + std::to_string(r.requested_bytes) +
           " bytes) without giving it back: the array is lost to the pool (a give_back missing on an error path)";
  return v;
}

}  // namespace poolcheck
