#include "poolcheck/lease_record.hpp"

#include <algorithm>

namespace poolcheck {

void WrittenRanges::add(std::size_t begin, std::size_t end) {
  if (begin >= end) return;
  const std::span<const Range> now = ranges();
  // The common cases in place: the first range, and one that touches the only range.
  if (now.empty()) {
    inline_[0] = {begin, end};
    inline_count_ = 1;
    return;
  }
  if (now.size() == 1 && spilled_.empty() && !(inline_[0].second < begin || inline_[0].first > end)) {
    inline_[0] = {std::min(begin, inline_[0].first), std::max(end, inline_[0].second)};
    return;
  }
  std::vector<Range> merged;
  merged.reserve(now.size() + 1);
  bool placed = false;
  for (auto r : now) {
    if (r.second < begin || r.first > end) {
      if (!placed && r.first > end) {
        merged.emplace_back(begin, end);
        placed = true;
      }
      merged.push_back(r);
    } else {
      begin = std::min(begin, r.first);
      end = std::max(end, r.second);
    }
  }
  if (!placed) merged.emplace_back(begin, end);
  std::sort(merged.begin(), merged.end());
  if (merged.size() <= kInline) {
    std::copy(merged.begin(), merged.end(), inline_.begin());
    inline_count_ = merged.size();
    spilled_.clear();
  } else {
    spilled_ = std::move(merged);
  }
}

bool WrittenRanges::covers(std::size_t begin, std::size_t end) const noexcept {
  return first_unwritten(begin, end) == end;
}

std::size_t WrittenRanges::first_unwritten(std::size_t begin, std::size_t end) const noexcept {
  std::size_t at = begin;
  for (auto r : ranges()) {
    if (r.first > at) break;
    if (r.second > at) at = r.second;
  }
  return std::min(at, end) < end ? at : end;
}

Violation finding_in(OracleKind kind, const LeaseRecord& r) {
  Violation v;
  v.oracle = kind;
  v.lease = r.tag;
  v.array = r.bytes.data();
  v.capacity = r.capacity;
  return v;
}

void name_writer_at(Violation& v, const LeaseRecord& r, std::size_t offset) {
  v.offset = offset;
  const DecodedWord found = decode_at(readable_part(r), offset);
  if (found.kind == DecodedWord::Kind::tag && !(found.tag == r.tag)) v.other = found.tag;
}

}  // namespace poolcheck
