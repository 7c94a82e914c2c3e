#include "catalog_listing.hpp"

#include <algorithm>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>

#include "poolcheck/mutant_catalog.hpp"
#include "poolcheck/pool_kind.hpp"
#include "poolcheck/scenario_catalog.hpp"

namespace poolcheck {
namespace {

// The name, padded to a column of `width` (at least one space after it).
std::string column(std::string_view name, std::size_t width) {
  return std::string(name) + std::string(width - std::min(width - 1, name.size()), ' ');
}

// "both pools", or the families a mutant's fault exists in.
std::string families_text(PoolFamilies in) {
  std::string text;
  std::size_t count = 0;
  for (PoolFamily f : kPoolFamilies) {
    if (in.contains(f)) text += (count++ == 0 ? "" : ", ") + std::string(to_string(f));
  }
  return count == kPoolFamilies.size() ? "both pools" : text;
}

}  // namespace

void list_catalog(std::ostream& out) {
  const std::pair<ScenarioKind, const char*> sections[] = {
      {ScenarioKind::program, "scenarios: generated thread programs (--scenario NAME; also --deterministic, --mutant)"},
      {ScenarioKind::workload, "scenarios: workloads, real consumer code that must pass clean (--scenario NAME; also --deterministic)"},
      {ScenarioKind::pitfall, "scenarios: pitfalls, buggy consumers the harness must catch (--scenario NAME; also --deterministic)"}};
  for (const auto& [kind, title] : sections) {
    out << title << ":\n";
    for (const Scenario& s : scenario_catalog()) {
      if (s.kind != kind) continue;
      out << "  " << column(s.name, 23) << s.summary;
      if (s.expect == Expect::caught) out << " [caught by " << oracle_name(s.caught_by) << "]";
      out << "\n";
    }
  }
  out << "pools (--pool NAME):\n";
  std::string unchecked;
  for (const PoolEntry& p : pool_registry()) {
    out << "  " << column(p.name, 18) << p.summary << "\n";
    if (!p.checked) unchecked += (unchecked.empty() ? "" : " or ") + std::string(p.name);
  }
  out << "mutants (--mutant NAME, with --pool " << unchecked << "):\n";
  for (const Mutant& m : mutant_catalog()) {
    out << "  " << column(m.name, 22) << m.summary << " [caught by " << caught_by_text(m) << "; "
        << families_text(m.in_pools) << "]\n";
  }
}

}  // namespace poolcheck
