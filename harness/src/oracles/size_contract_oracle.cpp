#include "poolcheck/oracles/size_contract_oracle.hpp"

#include <algorithm>
#include <string>
#include <utility>

namespace poolcheck {

std::optional<Violation> SizeContractOracle::check_rent(Tag tag, std::size_t requested, const void* data,
                                                        std::size_t size, std::size_t element_size,
                                                        const SizeClasses& classes, bool may_serve_next_bucket,
                                                        const ArrayHeader* header, bool counted) {
  // The report is built only for a finding: every rent passes through here.
  auto found = [&](const std::string& got) {
    Violation v;
    v.oracle = OracleKind::size_contract;
    v.lease = tag;
    v.array = data;
    v.capacity = size;
    v.what = tag.to_string() + " asked for " + std::to_string(requested) + " elements and got " + got;
    return std::optional<Violation>(std::move(v));
  };
  if (requested == 0) {
    if (size == 0) return std::nullopt;
    return found(std::to_string(size) + " (rent(0) must be empty)");
  }
  if (size < requested) return found("only " + std::to_string(size));
  const std::size_t c = classes.class_of(requested);
  if (c >= classes.count()) {
    if (size != requested) return found(std::to_string(size) + " (an over-size request gets exactly its size)");
  } else {
    const std::size_t expected = classes.capacity(c);
    const bool has_next = may_serve_next_bucket && c + 1 < classes.count();
    const bool next_ok = has_next && size == classes.capacity(c + 1);
    if (size != expected && !next_ok) {
      return found(std::to_string(size) + " (its size class holds " + std::to_string(expected) +
                   (has_next ? ", the next one " + std::to_string(classes.capacity(c + 1)) : std::string{}) + ")");
    }
  }
  if (!counted) return std::nullopt;
  if (header == nullptr) return found("an array that is not the start of any allocation the pool made");
  const std::uint64_t real = header->bytes.load(std::memory_order_relaxed);
  if (real < size * element_size) {
    return found("a span of " + std::to_string(size * element_size) + " bytes over an allocation of only " +
                 std::to_string(real) + " bytes (filed in the wrong size class?)");
  }
  return std::nullopt;
}

std::optional<Violation> SizeContractOracle::check_fallback(Tag tag, std::size_t requested, std::size_t size,
                                                           std::int64_t most_out, std::size_t quota) {
  // This rent counts in most_out but took nothing from the requested bucket (it was refused there).
  const std::int64_t others = most_out - 1;
  if (others >= static_cast<std::int64_t>(quota)) return std::nullopt;
  Violation v;
  v.oracle = OracleKind::size_contract;
  v.lease = tag;
  v.capacity = size;
  v.what = tag.to_string() + " asked for " + std::to_string(requested) + " elements and got " + std::to_string(size) +
           " (the next bucket's), but at most " + std::to_string(std::max<std::int64_t>(others, 0)) +
           " arrays of the requested bucket can have been out of the pool during that rent, fewer than its quota of " +
           std::to_string(quota) + ": the bucket was not exhausted";
  return v;
}

}  // namespace poolcheck
