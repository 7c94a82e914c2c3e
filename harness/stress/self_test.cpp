#include "self_test.hpp"

#include "child_process.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>
#include <vector>

#include <nlohmann/json.hpp>

#include "bufpool/sanitizer_build.hpp"
#include "crash_guard.hpp"
#include "report_writer.hpp"
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

// The column as JUnit XML: one test case per row, and an error case when a signal cut it short.
std::string junit_of(const nlohmann::json& column) {
  std::ostringstream cases;
  int tests = 0, failures = 0, errors = 0;
  const std::string suite = "poolcheck.self_test." + column["build"].get<std::string>();
  for (const auto& r : column["rows"]) {
    ++tests;
    cases << "    <testcase classname=\"" << xml_text(suite) << "\" name=\"" << xml_text(r["row"].get<std::string>())
          << "\" time=\"0\">";
    if (!r["pass"].get<bool>()) {
      ++failures;
      cases << "<failure message=\"" << xml_text(r["cell"].get<std::string>()) << "\">"
            << xml_text(r["cell"].get<std::string>()) << "</failure>";
    }
    cases << "</testcase>\n";
  }
  if (column.value("interrupted", false)) {
    ++tests;
    ++errors;
    cases << "    <testcase classname=\"" << xml_text(suite) << "\" name=\"interrupted\" time=\"0\"><error message=\""
          << "interrupted by a signal (exit " << column.value("exit_code", 130)
          << ")\">the self-test was stopped before every row ran</error></testcase>\n";
  }
  std::ostringstream doc;
  doc << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites tests=\"" << tests << "\" failures=\"" << failures
      << "\" errors=\"" << errors << "\">\n  <testsuite name=\"" << xml_text(suite) << "\" tests=\"" << tests
      << "\" failures=\"" << failures << "\" errors=\"" << errors << "\">\n"
      << cases.str() << "  </testsuite>\n</testsuites>\n";
  return doc.str();
}

// Mutants a build cannot catch: the racy counter is invisible without TSan.
bool expected_in_this_build(const Mutant& m) { return !m.needs_tsan() || bufpool::kTsanBuild; }

// How many times the per-case time a mutant this build must catch may take (see the mutant rows).
constexpr double kMutantBudget = 8;

}  // namespace

const char* build_flavour() noexcept {
  if (bufpool::kTsanBuild) return "tsan";
  if (bufpool::kAsanBuild) return "asan";
  return "release";
}

int run_self_test(const SelfTestOptions& o) {
  install_crash_guard();
  const std::atomic<bool>& stop = interrupt_flag();
  const std::string json_path = "/tmp/poolcheck-selftest-" + std::to_string(::getpid()) + ".json";
  set_cleanup_path(1, json_path.c_str());
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

  // A child a signal stopped is no result: the row is left out and no other child starts.
  auto child = [&](const std::vector<std::string>& args, double seconds_allowed) -> std::optional<Child> {
    if (stop.load()) return std::nullopt;
    Child c = run_child(args, seconds_allowed + 120, &stop);
    if (c.interrupted || stop.load()) return std::nullopt;
    return c;
  };
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

  // Small caps for the correct pools: drops and exhaustion happen all the time, so they are exercised.
  // Each pool gets only its own cap flag (the other family's is a usage error).
  const auto small_caps = [](const std::string& pool) -> std::vector<std::string> {
    if (find_pool(pool)->family == PoolFamily::locked) return {"--max-per-bucket", "4"};
    return {"--arrays-per-partition", "4"};
  };
  for (const std::string& pool : correct_pools()) {
    std::vector<std::string> args = {o.self, "--quiet", "--pool", pool, "--threads", threads, "--duration", seconds,
                                     "--json", json_path};
    const auto caps = small_caps(pool);
    args.insert(args.end(), caps.begin(), caps.end());
    const auto c = child(args, o.seconds_per_case);
    if (!c) break;
    const Verdict v = classify(*c, json_path);
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
      // No cap flag: each round draws its own pool configuration, half of them tight (caps of 1-2,
      // one partition), where cap and race faults surface at once; a pinned cap of 4 let
      // cap-check-race/locked run 12 s unseen under ASan where the drawn ones found it in 2 s.
      std::vector<std::string> args = {o.self, "--quiet", "--mutant", std::string(m.name), "--pool", pool,
                                        "--threads", threads, "--duration", std::to_string(budget), "--json", json_path};
      // The scenario the catalog row names: the one under which its oracle catches it every time.
      const Scenario* scenario = find_scenario(m.scenario);
      if (scenario == nullptr || scenario->kind != ScenarioKind::program) {
        report(std::string(m.name) + " / " + pool, false, "BAD ROW: scenario '" + std::string(m.scenario) +
               "' is not a program scenario", {{"kind", "mutant"}});
        continue;
      }
      args.insert(args.end(), {"--scenario", std::string(m.scenario)});
      const auto c = child(args, budget);
      if (!c) break;
      const Verdict v = classify(*c, json_path);
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
      const auto c = child(args, o.seconds_per_case);
      if (!c) break;
      const Verdict v = classify(*c, json_path);
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
  set_cleanup_path(1, nullptr);
  begin_report();
  const bool interrupted = stop.load();
  const int code = interrupted ? interrupt_exit_code() : ok ? 0 : 1;
  if (interrupted) {
    out << "self-test: INTERRUPTED after " << column["rows"].size() << " rows (exit " << code << ")\n";
  } else {
    out << (ok ? "self-test: PASS\n" : "self-test: FAIL\n");
  }
  column["interrupted"] = interrupted;
  column["exit_code"] = code;
  try {
    if (!o.json_path.empty()) write_file(o.json_path, json_text(column) + "\n", "the self-test's JSON");
    if (!o.junit_path.empty()) write_file(o.junit_path, junit_of(column), "the self-test's JUnit report");
  } catch (const std::exception& e) {
    std::cerr << "stress: " << e.what() << "\n";
    return interrupted ? code : 1;
  }
  out << std::flush;
  return code;
}

}  // namespace poolcheck
