#include "catalog_listing.hpp"

#include <algorithm>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>

#include <nlohmann/json.hpp>

#include "poolcheck/mutant_catalog.hpp"
#include "poolcheck/pool_kind.hpp"
#include "poolcheck/scenario_catalog.hpp"
#include "pool_target.hpp"

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
  for (const PoolTarget& p : pool_targets()) {
    out << "  " << column(p.name, 18) << p.summary << "\n";
    for (const std::string& off : p.oracles_off) out << "  " << column("", 18) << "off: " << off << "\n";
    if (p.bufpool != nullptr && !p.checked) unchecked += (unchecked.empty() ? "" : " or ") + p.name;
  }
  if (unchecked.empty()) return;  // a user's stress: bufpool's mutants do not apply
  out << "mutants (--mutant NAME, with --pool " << unchecked << "):\n";
  for (const Mutant& m : mutant_catalog()) {
    out << "  " << column(m.name, 22) << m.summary << " [caught by " << caught_by_text(m) << "; "
        << families_text(m.in_pools) << "]\n";
  }
}

nlohmann::json catalog_json() {
  using nlohmann::json;
  json scenarios = json::array();
  for (const Scenario& s : scenario_catalog()) {
    json row = {{"name", s.name}, {"kind", to_string(s.kind)}, {"summary", s.summary},
                {"expect", s.expect == Expect::caught ? "caught" : "clean"}};
    if (s.expect == Expect::caught) row["caught_by"] = oracle_name(s.caught_by);
    scenarios.push_back(std::move(row));
  }
  json pools = json::array();
  bool bufpool_pools = false;
  for (const PoolTarget& p : pool_targets()) {
    json row = {{"name", p.name},
                {"cap_flags", p.cap_flags == CapFlags::per_bucket ? "per-bucket" : "partitioned"},
                {"checked", p.checked},
                {"deterministic", static_cast<bool>(p.run_det)},
                {"oracles_off", p.oracles_off}};
    if (p.bufpool != nullptr) row["family"] = to_string(p.bufpool->family);
    pools.push_back(std::move(row));
    bufpool_pools = bufpool_pools || p.bufpool != nullptr;
  }
  json mutants = json::array();
  for (const Mutant& m : bufpool_pools ? mutant_catalog() : std::span<const Mutant>{}) {
    json in_pools = json::array();
    for (PoolFamily f : kPoolFamilies) {
      if (m.in_pool(f)) in_pools.push_back(plain_pool(f).name);
    }
    json or_by = json::array();
    for (std::size_t k = 0; k < kOracleCount; ++k) {
      if (m.or_by.contains(static_cast<OracleKind>(k))) or_by.push_back(oracle_name(static_cast<OracleKind>(k)));
    }
    json row = {{"name", m.name},         {"summary", m.summary},           {"pools", std::move(in_pools)},
                {"or_by", std::move(or_by)}, {"tsan_reports", m.tsan_reports}, {"needs_tsan", m.needs_tsan()},
                {"scenario", m.scenario}, {"note", m.note}};
    if (m.caught_by) row["caught_by"] = oracle_name(*m.caught_by);
    mutants.push_back(std::move(row));
  }
  return {{"scenarios", std::move(scenarios)}, {"pools", std::move(pools)}, {"mutants", std::move(mutants)}};
}

}  // namespace poolcheck
