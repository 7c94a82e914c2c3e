#include "self_test.hpp"

#include "child_process.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <vector>

#include <nlohmann/json.hpp>

#include "bufpool/sanitizer_build.hpp"
#include "poolcheck/mutant_catalog.hpp"
#include "poolcheck/pool_kind.hpp"
#include "poolcheck/scenario_catalog.hpp"

namespace poolcheck {
namespace {

// The pools every correct-pool, workload and pitfall row runs on: the unchecked rows of the
// registry (shared, locked).
std::vector<std::string> correct_pools() {
  std::vector<std::string> out;
  for (const PoolEntry& p : pool_registry()) {
    if (!p.checked) out.emplace_back(p.name);
  }
  return out;
}

struct Verdict {
  bool caught = false;
  std::string by;     // oracle name, "asan", "tsan", "crash"
  std::string detail; // ops and time
};

Verdict classify(const Child& c, const std::string& json_path) {
  Verdict v;
  const bool sanitizer = c.output.find("Sanitizer") != std::string::npos;
  if (c.timed_out && !sanitizer) {
    v.by = "hang";  // neither an oracle nor the watchdog ended it: the harness failed
    v.detail = "killed after " + std::to_string(static_cast<int>(c.seconds)) + " s";
    return v;
  }
  if (c.output.find("ThreadSanitizer") != std::string::npos) {
    v.caught = true;
    v.by = "tsan";
  } else if (c.output.find("AddressSanitizer") != std::string::npos ||
             c.output.find("UndefinedBehaviorSanitizer") != std::string::npos ||
             c.output.find("runtime error:") != std::string::npos) {
    v.caught = true;
    v.by = "asan";
  } else if (c.exit_code == 1) {
    std::ifstream in(json_path);
    nlohmann::json j;
    try {
      in >> j;
      v.caught = true;
      v.by = j["violations"].empty() ? std::string(j.value("end", "failure")) : j["violations"][0]["oracle"].get<std::string>();
      std::ostringstream d;
      d << j["ops_done"].get<std::uint64_t>() << " ops";
      v.detail = d.str();
    } catch (const std::exception&) {
      v.caught = true;
      v.by = "failure";
    }
  } else if (c.exit_code != 0) {
    v.caught = true;
    v.by = "crash";
  }
  std::ostringstream d;
  if (!v.detail.empty()) d << v.detail << ", ";
  d.setf(std::ios::fixed);
  d.precision(2);
  d << c.seconds << " s";
  v.detail = d.str();
  return v;
}

// Mutants a build cannot catch: the racy counter is invisible without TSan.
bool expected_in_this_build(const Mutant& m) { return !m.needs_tsan() || bufpool::kTsanBuild; }

// How many times the per-case time a mutant this build must catch may take (see the mutant rows).
constexpr double kMutantBudget = 4;

}  // namespace

const char* build_flavour() noexcept {
  if (bufpool::kTsanBuild) return "tsan";
  if (bufpool::kAsanBuild) return "asan";
  return "release";
}

int run_self_test(const SelfTestOptions& o) {
  const std::string json_path = "/tmp/poolcheck-selftest-" + std::to_string(::getpid()) + ".json";
  const std::string seconds = std::to_string(o.seconds_per_case);
  const std::string threads = std::to_string(o.threads);
  nlohmann::json column = nlohmann::json::object();
  column["build"] = build_flavour();
  column["rows"] = nlohmann::json::array();
  bool ok = true;
  std::ostream& out = std::cout;
  out << "poolcheck self-test (" << build_flavour()
      << " build): every mutant and pitfall must be caught, every correct pool and workload clean\n";
  out << "  row                                         result\n";

  auto report = [&](const std::string& row, bool pass, const std::string& cell, const nlohmann::json& extra) {
    char line[256];
    std::snprintf(line, sizeof line, "  %-42s  %s%s\n", row.c_str(), cell.c_str(), pass ? "" : "   <-- FAIL");
    out << line << std::flush;
    nlohmann::json r = extra;
    r["row"] = row;
    r["cell"] = cell;
    r["pass"] = pass;
    column["rows"].push_back(r);
    ok = ok && pass;
  };

  // Small caps: drops and exhaustion happen all the time, so a cap the pool ignores shows at once.
  const std::vector<std::string> small_caps = {"--max-per-bucket", "4", "--arrays-per-partition", "4"};
  for (const std::string& pool : correct_pools()) {
    std::vector<std::string> args = {o.self, "--quiet", "--pool", pool, "--threads", threads, "--duration", seconds,
                                     "--json", json_path};
    args.insert(args.end(), small_caps.begin(), small_caps.end());
    const Child c = run_child(args, o.seconds_per_case + 120);
    const Verdict v = classify(c, json_path);
    report("correct " + pool + " pool", !v.caught,
           v.caught ? "FLAGGED by " + v.by + " (" + v.detail + ")" : "clean (" + v.detail + ")", {{"kind", "correct"}});
  }
  for (const Mutant& m : mutant_catalog()) {
    for (PoolFamily family : kPoolFamilies) {  // locked, shared
      if (!m.in_pool(family)) continue;
      const std::string pool(plain_pool(family).name);
      // A mutant this build must catch gets kMutantBudget times the per-case time: a caught mutant
      // ends at its first finding, so the budget costs nothing unless the row would otherwise have
      // failed; on a loaded machine a racy catch (clear-after-publish, no-lock/shared) can take
      // most of 3 s. Mutants only TSan sees keep the plain time in other builds (nothing to wait for).
      const bool expected = expected_in_this_build(m);
      const double budget = expected ? o.seconds_per_case * kMutantBudget : o.seconds_per_case;
      std::vector<std::string> args = {o.self, "--quiet", "--mutant", std::string(m.name), "--pool", pool,
                                        "--threads", threads, "--duration", std::to_string(budget), "--json", json_path};
      args.insert(args.end(), small_caps.begin(), small_caps.end());
      // The scenario the catalog row names: the one under which its oracle catches it every time.
      const Scenario* scenario = find_scenario(m.scenario);
      if (scenario == nullptr || scenario->kind != ScenarioKind::program) {
        report(std::string(m.name) + " / " + pool, false, "BAD ROW: scenario '" + std::string(m.scenario) +
               "' is not a program scenario", {{"kind", "mutant"}});
        continue;
      }
      args.insert(args.end(), {"--scenario", std::string(m.scenario)});
      const Child c = run_child(args, budget + 120);
      const Verdict v = classify(c, json_path);
      const std::string cell = v.caught   ? "caught by " + v.by + " (" + v.detail + ")"
                               : v.by == "hang" ? "HUNG (" + v.detail + ")"
                                                : std::string(expected ? "MISSED" : "missed (needs tsan)") + " (" +
                                                      v.detail + ")";
      report(std::string(m.name) + " / " + pool, v.caught || (!expected && v.by != "hang"), cell,
             {{"kind", "mutant"}, {"expected", caught_by_text(m)}, {"caught", v.caught}, {"by", v.by}});
    }
  }
  // Workloads must come back clean on both correct pools; every pitfall must be caught by the
  // oracle it names (a crash or a sanitizer report instead means the checker let the bug through to
  // real memory). Workloads are shorter than the cases above: each round is a whole workload.
  const std::string workload_seconds = std::to_string(std::min(o.seconds_per_case, 3.0));
  for (const Scenario& sc : scenario_catalog()) {
    if (sc.kind == ScenarioKind::program) continue;
    for (const std::string& pool : correct_pools()) {
      std::vector<std::string> args = {o.self, "--quiet", "--scenario", std::string(sc.name), "--pool", pool,
                                       "--threads", threads, "--duration", workload_seconds, "--json", json_path};
      const Child c = run_child(args, o.seconds_per_case + 120);
      const Verdict v = classify(c, json_path);
      const std::string row = std::string(to_string(sc.kind)) + " " + std::string(sc.name) + " / " + pool;
      if (sc.expect == Expect::clean) {
        report(row, !v.caught, v.caught ? "FLAGGED by " + v.by + " (" + v.detail + ")" : "clean (" + v.detail + ")",
               {{"kind", "workload"}});
        continue;
      }
      const std::string expected(oracle_name(sc.caught_by));
      const bool right = v.caught && oracle_from_name(v.by) == sc.caught_by;
      const std::string cell = right      ? "caught by " + v.by + " (" + v.detail + ")"
                               : v.caught ? "caught by " + v.by + ", expected " + expected + " (" + v.detail + ")"
                                          : "MISSED (" + v.detail + ")";
      report(row, right, cell, {{"kind", "pitfall"}, {"expected", expected}, {"caught", v.caught}, {"by", v.by}});
    }
  }
  ::unlink(json_path.c_str());
  out << (ok ? "self-test: PASS\n" : "self-test: FAIL\n");
  if (!o.json_path.empty()) {
    std::ofstream f(o.json_path);
    f << column.dump(2) << "\n";
  }
  return ok ? 0 : 1;
}

}  // namespace poolcheck
