// What a worker knows about one lease it holds: its tag, its array and the byte ranges it wrote.
// Worker-local (never shared while live); handed to another thread only through a hand-over.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <span>
#include <utility>
#include <vector>

#include "poolcheck/tag_pattern.hpp"
#include "poolcheck/violation.hpp"

namespace poolcheck {

// A union of byte ranges [begin, end), kept sorted and merged. The first few ranges live inside
// the object: a lease that writes one or two ranges (nearly all) costs no allocation.
class WrittenRanges {
 public:
  using Range = std::pair<std::size_t, std::size_t>;
  void add(std::size_t begin, std::size_t end);
  // True when [begin, end) lies wholly inside what was written.
  bool covers(std::size_t begin, std::size_t end) const noexcept;
  // The first byte of [begin, end) that was not written, or end.
  std::size_t first_unwritten(std::size_t begin, std::size_t end) const noexcept;
  std::span<const Range> ranges() const noexcept {
    return spilled_.empty() ? std::span<const Range>(inline_.data(), inline_count_) : std::span<const Range>(spilled_);
  }
  void clear() noexcept {
    inline_count_ = 0;
    spilled_.clear();
  }

 private:
  static constexpr std::size_t kInline = 4;
  std::array<Range, kInline> inline_{};
  std::size_t inline_count_ = 0;  // ranges in inline_ while spilled_ is empty
  std::vector<Range> spilled_;    // every range, once there are more than kInline
};

struct LeaseRecord {
  Tag tag;
  std::span<std::byte> bytes;    // the whole array the pool handed out (capacity)
  std::size_t requested_bytes = 0;
  // Bytes the holder may read: the capacity, except for a lease under ASan, whose slack traps.
  std::size_t readable_bytes = 0;
  std::size_t capacity = 0;      // elements
  WrittenRanges written;
};

// The bytes of r's array its holder may read (what every report describes bytes from: under ASan a
// lease's slack traps, so a word that straddles the requested length is described in part).
inline std::span<const std::byte> readable_part(const LeaseRecord& r) noexcept {
  return std::span<const std::byte>(r.bytes).first(std::min(r.readable_bytes, r.bytes.size()));
}

// A finding of `kind` by the lease `r` about its own array (lease, array and bucket filled in).
Violation finding_in(OracleKind kind, const LeaseRecord& r);
// Points `v` at byte `offset` of r's array and names the lease whose tag is written there, if the
// word decodes to another lease's tag.
void name_writer_at(Violation& v, const LeaseRecord& r, std::size_t offset);

}  // namespace poolcheck
