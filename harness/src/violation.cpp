#include "poolcheck/violation.hpp"

#include <array>
#include <sstream>

namespace poolcheck {
namespace {
constexpr std::array<std::string_view, kOracleCount> kNames = {
    "exclusivity", "aliasing", "leakage", "dirty-read", "bucket-cap",
    "size-contract", "accounting", "stats", "pool-error", "stall"};
}

std::string_view oracle_name(OracleKind kind) noexcept { return kNames[static_cast<std::size_t>(kind)]; }

std::optional<OracleKind> oracle_from_name(std::string_view name) noexcept {
  for (std::size_t i = 0; i < kNames.size(); ++i) {
    if (kNames[i] == name) return static_cast<OracleKind>(i);
  }
  return std::nullopt;
}

std::string to_string(const Violation& v) {
  std::ostringstream out;
  out << oracle_name(v.oracle) << ": " << v.what;
  if (v.array != nullptr) {
    out << " [array " << v.array;
    if (v.capacity != 0) out << ", bucket " << v.capacity;
    out << ", byte offset " << v.offset << "]";
  }
  return out.str();
}

}  // namespace poolcheck
