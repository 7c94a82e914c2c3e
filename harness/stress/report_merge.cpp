#include "report_merge.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <exception>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <vector>

#include <CLI/CLI.hpp>

#include "poolcheck/deterministic/schedule_trace.hpp"
#include "report_writer.hpp"

namespace poolcheck {
namespace {

inline constexpr const char* kMergedFormat = "poolcheck-merged-report/1";

// A usage-level problem with the inputs: printed as one line, exit 2.
struct MergeError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

std::string shown(const std::string& text, std::size_t limit = 120) { return det::escaped_excerpt(text, limit); }

nlohmann::json read_report(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw MergeError(shown(path) + ": cannot read: " + std::strerror(errno));
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(in);
  } catch (const nlohmann::json::parse_error& e) {
    throw MergeError(shown(path) + ": not JSON (byte " + std::to_string(e.byte) + ")");
  }
  if (!j.is_object() || !j.contains("format") || !j["format"].is_string()) {
    throw MergeError(shown(path) + ": not a report of stress --json (no \"format\")");
  }
  if (j["format"] != kReportFormat) {
    throw MergeError(shown(path) + ": format " + shown(j["format"].get<std::string>()) + ", expected " +
                     kReportFormat);
  }
  const auto& shard = j.value("shard", nlohmann::json());
  if (!j.contains("version") || !j["version"].is_string() || !j.contains("settings") || !j["settings"].is_object() ||
      !shard.is_object() || !shard.value("index", nlohmann::json()).is_number_unsigned() ||
      !shard.value("count", nlohmann::json()).is_number_unsigned() || !j.contains("result") ||
      !j["result"].is_string()) {
    throw MergeError(shown(path) + ": a stress report without its version, settings, shard or result");
  }
  return j;
}

// The first key whose value differs, as "key (a vs b)".
std::string first_difference(const nlohmann::json& a, const nlohmann::json& b) {
  std::set<std::string> keys;
  for (const auto& [k, v] : a.items()) keys.insert(k);
  for (const auto& [k, v] : b.items()) keys.insert(k);
  for (const std::string& k : keys) {
    const auto va = a.value(k, nlohmann::json()), vb = b.value(k, nlohmann::json());
    if (va != vb) return k + " (" + shown(va.dump(), 60) + " vs " + shown(vb.dump(), 60) + ")";
  }
  return "?";
}

struct Failure {
  nlohmann::json fields;  // oracle, pool, mutant, scenario, bucket, shape
  std::string text;       // the first report's text of it
  std::string replay;     // the first report's replay line
  std::set<std::uint64_t> shards;
  std::set<std::pair<std::uint64_t, std::uint64_t>> rounds;  // (shard, round)
};

std::uint64_t failing_round(const nlohmann::json& report) {
  for (const auto& r : report.value("rounds", nlohmann::json::array())) {
    if (r.is_object() && r.value("violations", 0ull) != 0) return r.value("round", 0ull);
  }
  const auto& rounds = report.value("rounds", nlohmann::json::array());
  return rounds.empty() || !rounds.back().is_object() ? 0 : rounds.back().value("round", 0ull);
}

std::string replay_of(const nlohmann::json& report) {
  std::string replay = report.value("replay", std::string());
  const auto det = report.value("deterministic", nlohmann::json::object());
  if (const std::string trace = det.is_object() ? det.value("trace_file", std::string()) : ""; !trace.empty()) {
    replay += (replay.empty() ? "" : "  (trace: ") + trace + (replay.empty() ? "" : ")");
  }
  return replay;
}

void add_numbers(nlohmann::json& into, const nlohmann::json& from) {
  if (!from.is_object()) return;
  for (const auto& [k, v] : from.items()) {
    if (v.is_number_unsigned()) into[k] = into.value(k, 0ull) + v.get<std::uint64_t>();
  }
}

std::string junit_of(const nlohmann::json& merged) {
  std::ostringstream cases;
  int tests = 0, failures = 0;
  for (const auto& s : merged["per_shard"]) {
    ++tests;
    cases << "    <testcase classname=\"poolcheck.stress.merge.shards\" name=\"shard " << s["shard"].get<std::string>()
          << "\" time=\"" << s["seconds"].get<double>() << "\">";
    if (s["exit_code"].get<int>() != 0) {
      ++failures;
      cases << "<failure message=\"" << xml_text(s["result"].get<std::string>()) << "\">"
            << xml_text("replay: " + s["replay"].get<std::string>()) << "</failure>";
    }
    cases << "</testcase>\n";
  }
  for (const auto& f : merged["failures"]) {
    ++tests;
    ++failures;
    cases << "    <testcase classname=\"poolcheck.stress.merge.failures\" name=\""
          << xml_text(f["oracle"].get<std::string>() + ": " + f["shape"].get<std::string>()) << "\" time=\"0\">"
          << "<failure message=\"" << xml_text(f["text"].get<std::string>()) << "\">"
          << xml_text("hit by " + std::to_string(f["shards"].size()) + " shard(s), " +
                      std::to_string(f["rounds_hit"].get<std::uint64_t>()) + " round(s)\nreplay: " +
                      f["replay"].get<std::string>())
          << "</failure></testcase>\n";
  }
  std::ostringstream doc;
  doc << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites tests=\"" << tests << "\" failures=\"" << failures
      << "\">\n  <testsuite name=\"poolcheck.stress.merge\" tests=\"" << tests << "\" failures=\"" << failures
      << "\">\n" << cases.str() << "  </testsuite>\n</testsuites>\n";
  return doc.str();
}

nlohmann::json merge(const std::vector<std::string>& paths, const std::vector<nlohmann::json>& reports) {
  const nlohmann::json& first = reports.front();
  const std::uint64_t count = first["shard"]["count"].get<std::uint64_t>();
  std::map<std::uint64_t, std::size_t> by_index;
  for (std::size_t i = 0; i < reports.size(); ++i) {
    const nlohmann::json& r = reports[i];
    if (r["version"] != first["version"]) {
      throw MergeError(shown(paths[i]) + ": poolcheck " + shown(r["version"].get<std::string>()) + ", but " +
                       shown(paths[0]) + " is from " + shown(first["version"].get<std::string>()));
    }
    if (r["settings"] != first["settings"]) {
      throw MergeError(shown(paths[i]) + ": not the same campaign as " + shown(paths[0]) + ": settings differ in " +
                       first_difference(first["settings"], r["settings"]));
    }
    const std::uint64_t n = r["shard"]["count"].get<std::uint64_t>(), index = r["shard"]["index"].get<std::uint64_t>();
    if (n != count) {
      throw MergeError(shown(paths[i]) + ": a shard of " + std::to_string(n) + ", but " + shown(paths[0]) +
                       " is a shard of " + std::to_string(count));
    }
    if (index >= count) throw MergeError(shown(paths[i]) + ": shard index " + std::to_string(index) + " >= its count");
    if (const auto [at, fresh] = by_index.emplace(index, i); !fresh) {
      throw MergeError(shown(paths[i]) + ": shard " + std::to_string(index) + "/" + std::to_string(count) +
                       " again (also " + shown(paths[at->second]) + ")");
    }
  }
  if (by_index.size() != count) {
    std::string missing;
    int listed = 0;
    for (std::uint64_t k = 0; k < count && listed < 10; ++k) {
      if (!by_index.count(k)) {
        missing += (missing.empty() ? "" : ", ") + std::to_string(k);
        ++listed;
      }
    }
    throw MergeError(std::to_string(count - by_index.size()) + " of " + std::to_string(count) +
                     " shards missing (" + missing + (count - by_index.size() > 10 ? ", ..." : "") + ")");
  }

  nlohmann::json m;
  m["format"] = kMergedFormat;
  m["version"] = first["version"];
  m["settings"] = first["settings"];
  m["shards"] = count;
  double seconds = 0, longest = 0;
  nlohmann::json totals = nlohmann::json::object(), checks = nlohmann::json::object(),
                 rents = nlohmann::json::object(), det = nlohmann::json::object();
  nlohmann::json rounds = nlohmann::json::array(), per_shard = nlohmann::json::array();
  std::map<std::string, Failure> failures;
  std::vector<std::string> order;  // first seen first
  int code = 0;
  for (const auto& entry : by_index) {
    // Plain variables, not a structured binding: the lambda below captures it (clang 14 cannot).
    const std::uint64_t index = entry.first;
    const std::size_t i = entry.second;
    const nlohmann::json& r = reports[i];
    const double sec = r.value("seconds", 0.0);
    seconds += sec;
    longest = std::max(longest, sec);
    for (const char* key : {"ops_done", "rents", "hand_overs"}) {
      if (r.contains(key) && r[key].is_number_unsigned()) totals[key] = totals.value(key, 0ull) + r[key].get<std::uint64_t>();
    }
    add_numbers(checks, r.value("checks", nlohmann::json()));
    add_numbers(rents, r.value("rents_by_bucket", nlohmann::json()));
    if (r.contains("deterministic") && r["deterministic"].is_object()) {
      for (const char* key : {"schedules", "programs"}) {
        const auto v = r["deterministic"].value(key, nlohmann::json());
        if (v.is_number_unsigned()) det[key] = det.value(key, 0ull) + v.get<std::uint64_t>();
      }
    }
    for (auto round : r.value("rounds", nlohmann::json::array())) {
      if (!round.is_object()) continue;
      round["shard"] = index;
      rounds.push_back(std::move(round));
    }
    const int shard_code = r.value("exit_code", r["result"] == "DIED" ? 1 : 0);
    const bool died = r["result"] == "DIED";
    if (shard_code != 0 || died) code = (code == 0 || code == 1) ? (died ? 1 : shard_code) : code;
    const std::string replay = replay_of(r);
    per_shard.push_back({{"shard", std::to_string(index) + "/" + std::to_string(count)},
                         {"file", paths[i]},
                         {"result", r["result"]},
                         {"exit_code", died ? 1 : shard_code},
                         {"seconds", sec},
                         {"rounds", r.value("rounds", nlohmann::json::array()).size()},
                         {"replay", replay}});
    const auto& s = r["settings"];
    const auto record = [&](nlohmann::json fields, const std::string& text) {
      const std::string key = fields.dump();
      auto [at, fresh] = failures.try_emplace(key);
      if (fresh) {
        at->second.fields = std::move(fields);
        at->second.text = text;
        at->second.replay = replay;
        order.push_back(key);
      }
      at->second.shards.insert(index);
      at->second.rounds.insert({index, failing_round(r)});
    };
    if (died) {
      record({{"oracle", "died"}, {"pool", s["pool"]}, {"mutant", s["mutant"]}, {"scenario", s["scenario"]},
              {"bucket", nullptr}, {"shape", "the process died during a round"}},
             r.value("what", std::string("the process died")));
    }
    for (const auto& v : r.value("violations", nlohmann::json::array())) {
      if (!v.is_object()) continue;
      const std::string what = v.value("what", std::string());
      record({{"oracle", v.value("oracle", std::string("?"))}, {"pool", s["pool"]}, {"mutant", s["mutant"]},
              {"scenario", s["scenario"]}, {"bucket", v.value("capacity", nlohmann::json())},
              {"shape", violation_shape(what)}},
             v.value("text", what));
    }
  }
  std::stable_sort(rounds.begin(), rounds.end(), [](const nlohmann::json& a, const nlohmann::json& b) {
    return a.value("round", 0ull) < b.value("round", 0ull);
  });
  m["result"] = code == 0 ? "CLEAN" : code == 1 ? "FAILED" : "INTERRUPTED";
  m["exit_code"] = code;
  m["seconds"] = seconds;
  m["longest_shard_seconds"] = longest;
  for (const auto& [k, v] : totals.items()) m[k] = v;
  m["checks"] = checks;
  m["rents_by_bucket"] = rents;
  if (!det.empty()) m["deterministic"] = det;
  m["rounds"] = rounds;
  nlohmann::json list = nlohmann::json::array();
  for (const std::string& key : order) {
    const Failure& f = failures.at(key);
    nlohmann::json jf = f.fields;
    jf["text"] = f.text;
    jf["replay"] = f.replay;
    jf["shards"] = f.shards;
    jf["rounds_hit"] = f.rounds.size();
    list.push_back(jf);
  }
  m["failures"] = list;
  m["per_shard"] = per_shard;
  return m;
}

void print_merged(std::ostream& out, const std::string& program, const nlohmann::json& m) {
  const auto& s = m["settings"];
  out << program << " merge: " << m["shards"].get<std::uint64_t>() << " shards of one campaign (pool "
      << s["pool"].get<std::string>() << ", scenario " << s["scenario"].get<std::string>()
      << (s["mutant"].get<std::string>().empty() ? "" : ", mutant " + s["mutant"].get<std::string>()) << ", seed "
      << s["seed"].get<std::uint64_t>() << (s["deterministic"].get<bool>() ? ", deterministic" : "") << ")\n";
  out << "  rounds: " << m["rounds"].size() << ", ops: " << m.value("ops_done", 0ull)
      << ", rents: " << m.value("rents", 0ull) << ", shard seconds: " << m["seconds"].get<double>()
      << " (longest " << m["longest_shard_seconds"].get<double>() << ")\n";
  const auto& failures = m["failures"];
  out << "  distinct failures: " << failures.size() << "\n";
  for (const auto& f : failures) {
    out << "    " << f["text"].get<std::string>() << "\n      hit by "
        << f["shards"].size() << " shard(s), " << f["rounds_hit"].get<std::uint64_t>() << " round(s); replay: "
        << f["replay"].get<std::string>() << "\n";
  }
  out << "result: " << m["result"].get<std::string>() << "\n" << std::flush;
}

}  // namespace

std::string violation_shape(std::string_view what) {
  // Word by word (a word: a run of letters and digits): one with a digit (a count, an index, an
  // address, a hex byte like 6e) or a lone hex byte of letters (fa) becomes '#'.
  std::string out;
  for (std::size_t i = 0; i < what.size();) {
    if (!std::isalnum(static_cast<unsigned char>(what[i]))) {
      out += what[i++];
      continue;
    }
    std::size_t j = i;
    bool digit = false, hex = true;
    for (; j < what.size() && std::isalnum(static_cast<unsigned char>(what[j])); ++j) {
      digit = digit || std::isdigit(static_cast<unsigned char>(what[j]));
      hex = hex && std::isxdigit(static_cast<unsigned char>(what[j]));
    }
    const std::string_view word = what.substr(i, j - i);
    out += digit || (hex && word.size() == 2) ? std::string_view("#") : word;
    i = j;
  }
  return out;
}

int merge_main(int argc, const char* const* argv, const std::string& program) {
  std::vector<std::string> paths;
  std::string json_path, junit_path;
  CLI::App app{program + " merge: combine the JSON reports of the shards of one campaign (stress --shard I/N)"};
  app.add_option("reports", paths, "the shards' JSON reports (stress --json), one per shard")->required();
  app.add_option("--json", json_path, "write the merged JSON report to FILE");
  app.add_option("--junit", junit_path, "write the merged JUnit XML report to FILE");
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    std::cout << app.help();
    return 0;
  } catch (const CLI::ParseError& e) {
    std::cerr << program << " merge: " << e.what() << " (see " << program << " merge --help)\n";
    return 2;
  }
  nlohmann::json merged;
  try {
    std::vector<nlohmann::json> reports;
    for (const std::string& p : paths) reports.push_back(read_report(p));
    merged = merge(paths, reports);
  } catch (const MergeError& e) {
    std::cerr << program << " merge: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << program << " merge: a report has a field of the wrong type: " << shown(e.what()) << "\n";
    return 2;
  }
  print_merged(std::cout, program, merged);
  try {
    if (!json_path.empty()) write_file(json_path, json_text(merged) + "\n", "merged JSON report");
    if (!junit_path.empty()) write_file(junit_path, junit_of(merged), "merged JUnit report");
  } catch (const std::exception& e) {
    std::cerr << program << " merge: " << e.what() << "\n";
    return 2;
  }
  return merged["exit_code"].get<int>();
}

}  // namespace poolcheck
