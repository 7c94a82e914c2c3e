#include "poolcheck/violation.hpp"

#include <array>
#include <sstream>

namespace poolcheck {
namespace {
constexpr std::array<std::string_view, kOracleCount> kNames = {
    "exclusivity", "aliasing", "leakage", "dirty-read", "bucket-cap",
    "size-contract", "accounting", "stats", "pool-error", "stall",
    "overflow", "use-after-give-back", "starvation", "workload"};
}

std::string_view oracle_name(OracleKind kind) noexcept { return kNames[static_cast<std::size_t>(kind)]; }

bool implicates_pool(OracleKind kind) noexcept {
  switch (kind) {
    case OracleKind::dirty_read:
    case OracleKind::overflow:
    case OracleKind::use_after_give_back:
    case OracleKind::starvation:
      return false;
    default:
      return true;
  }
}

std::optional<OracleKind> oracle_from_name(std::string_view name) noexcept {
  for (std::size_t i = 0; i < kNames.size(); ++i) {
    if (kNames[i] == name) return static_cast<OracleKind>(i);
  }
  return std::nullopt;
}

bool same_finding(const Violation& a, const Violation& b) noexcept {
  return a.oracle == b.oracle && a.lease == b.lease && a.other == b.other && a.offset == b.offset && a.step == b.step;
}

std::string to_string(const Violation& v) {
  std::ostringstream out;
  out << oracle_name(v.oracle) << ": " << v.what;
  if (v.array != nullptr) {
    out << " [array " << v.array;
    if (v.capacity != 0) out << ", bucket " << v.capacity;
    out << ", byte offset " << v.offset << "]";
  }
  if (v.step != 0) out << " at schedule step " << v.step;
  return out.str();
}

}  // namespace poolcheck
