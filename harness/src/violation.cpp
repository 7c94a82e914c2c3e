#include "poolcheck/violation.hpp"

#include <array>
#include <sstream>

namespace poolcheck {

std::optional<OracleKind> oracle_from_name(std::string_view name) noexcept {
  for (const OracleInfo& o : kOracles) {
    if (o.name == name) return o.kind;
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
