// `stress --list`: the scenarios (by kind), the pools and the mutants, from their catalogs; with
// --json FILE, the same as a JSON document for scripts (bench/mutant_detection.py measures every
// mutant it lists, so a new catalog row is measured without editing the script).
#pragma once

#include <iosfwd>

#include <nlohmann/json_fwd.hpp>

namespace poolcheck {

void list_catalog(std::ostream& out);
// {"scenarios": [{name, kind, summary, expect, caught_by?}], "pools": [{name, family, checked}],
//  "mutants": [{name, summary, pools: [unchecked pool names], caught_by?, or_by: [], tsan_reports,
//  needs_tsan, scenario, note}]}
nlohmann::json catalog_json();

}  // namespace poolcheck
