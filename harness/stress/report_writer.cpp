#include "report_writer.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <ostream>
#include <sstream>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "crash_guard.hpp"
#include "program_name.hpp"
#include "poolcheck/mutant_catalog.hpp"
#include "poolcheck/scenario_catalog.hpp"

namespace poolcheck {
namespace {

// A row of rents_by_bucket: its class's capacity, or "class N" when the rounds' pools had
// layouts that do not extend one another.
std::string bucket_label(const RunOutcome& t, std::size_t row) {
  if (row == kOverSizeRow) return "over-size";
  return row < t.classes.count() ? std::to_string(t.classes.capacity(row)) : "class " + std::to_string(row);
}

const char* verdict(const StressReport& r) {
  if (!r.total.violations.empty()) return "FAILED";
  switch (r.total.end) {
    case RunEnd::completed: return replay_diverged(r) ? "FAILED" : "CLEAN";
    case RunEnd::interrupted: return "INTERRUPTED";
    default: return "FAILED";
  }
}

}  // namespace

bool replay_diverged(const StressReport& r) noexcept { return r.det && r.det->replay_matched == false; }

int exit_code(const StressReport& r) {
  if (!r.total.violations.empty()) return 1;
  switch (r.total.end) {
    case RunEnd::completed: return replay_diverged(r) ? 1 : 0;
    case RunEnd::interrupted: return interrupt_exit_code();  // 130 after SIGINT, 143 after SIGTERM
    default: return 1;
  }
}

std::string xml_text(const std::string& s) {
  // Valid XML 1.0 whatever the bytes: markup escaped, control bytes other than tab and newline
  // shown as \xNN, and bytes that are not well-formed UTF-8 (or decode to a character XML
  // forbids) replaced by U+FFFD.
  std::string out;
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const std::size_t n = s.size();
  for (std::size_t i = 0; i < n;) {
    const unsigned char c = p[i];
    if (c < 0x80) {
      switch (c) {
        case '&': out += "&amp;"; break;
        case '<': out += "&lt;"; break;
        case '>': out += "&gt;"; break;
        case '"': out += "&quot;"; break;
        case '\t': case '\n': out += static_cast<char>(c); break;
        default:
          if (c < 0x20 || c == 0x7f) {
            char hex[8];
            std::snprintf(hex, sizeof hex, "\\x%02x", c);
            out += hex;
          } else {
            out += static_cast<char>(c);
          }
      }
      ++i;
      continue;
    }
    const std::size_t len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 0;
    std::uint32_t cp = len == 4 ? c & 0x07u : len == 3 ? c & 0x0Fu : c & 0x1Fu;
    bool ok = len != 0 && c <= 0xF4 && i + len <= n;
    for (std::size_t k = 1; ok && k < len; ++k) {
      ok = (p[i + k] & 0xC0) == 0x80;
      cp = (cp << 6) | (p[i + k] & 0x3Fu);
    }
    const std::uint32_t min = len == 2 ? 0x80 : len == 3 ? 0x800 : 0x10000;
    ok = ok && cp >= min && cp <= 0x10FFFF && !(cp >= 0xD800 && cp <= 0xDFFF) && cp != 0xFFFE && cp != 0xFFFF;
    if (ok) {
      out.append(s, i, len);
      i += len;
    } else {
      out += "\xEF\xBF\xBD";  // U+FFFD
      ++i;
    }
  }
  return out;
}

std::string json_text(const nlohmann::json& j) {
  // Invalid UTF-8 (a path or a message with a stray byte) becomes U+FFFD instead of an exception.
  return j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
}

void write_file(const std::string& path, const std::string& text, const char* what) {
  // The text is complete before the file is opened, so a failure never leaves an empty report.
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  if (!f) throw std::runtime_error(std::string("cannot write ") + what + " to '" + path + "': " + std::strerror(errno));
  f << text;
  f.flush();
  if (!f) throw std::runtime_error(std::string("cannot write ") + what + " to '" + path + "': " + std::strerror(errno));
}

namespace {

// write_file through a temporary beside `path` and a rename, so a signal that lands mid-write
// leaves the previous file whole; where the directory refuses the temporary, a plain write.
void write_file_whole(const std::string& path, const std::string& text, const char* what) {
  const std::string temporary = path + ".partial";
  try {
    write_file(temporary, text, what);
  } catch (const std::exception&) {
    ::unlink(temporary.c_str());
    write_file(path, text, what);
    return;
  }
  if (std::rename(temporary.c_str(), path.c_str()) != 0) {
    ::unlink(temporary.c_str());
    write_file(path, text, what);
  }
}

}  // namespace

void print_summary(std::ostream& out, const StressSettings& s, const StressReport& r) {
  const RunOutcome& t = r.total;
  const auto& st = r.last_pool_stats;
  out << "poolcheck stress: pool " << s.plan.pool->name << ", scenario " << s.plan.scenario->name << ", " << s.threads
      << " threads x " << s.ops << " ops, seed " << s.seed << "\n";
  for (const std::string& off : s.plan.pool->oracles_off) out << "  oracle off: " << off << "\n";
  out << "  rounds " << r.rounds.size() << ", wall " << std::fixed << std::setprecision(2) << t.seconds << " s, ops "
      << t.ops_done << " (" << std::setprecision(0) << (t.seconds > 0 ? double(t.ops_done) / t.seconds : 0.0)
      << "/s), rents " << t.rents << ", hand-overs " << t.hand_overs << "\n";
  std::size_t tight = 0;
  for (const auto& rr : r.rounds) tight += rr.tight;
  out << "  pool configurations: " << tight << " of " << r.rounds.size() << " rounds tight"
      << (s.pins.config ? " (pinned by the command line)" : " (drawn per round; each in its replay line)") << "\n";
  if (!s.deterministic && s.plan.scenario->kind == ScenarioKind::program) {
    std::size_t noisy = 0;
    for (const auto& rr : r.rounds) noisy += rr.noise;
    out << "  point noise: " << noisy << " of " << r.rounds.size() << " rounds"
        << (s.pins.noise ? " (pinned by --noise)" : " (drawn per round; each in its replay line)") << "\n";
  }
  out << "  rents by bucket:";
  for (std::size_t b = 0; b < kLedgerRows; ++b) {
    if (t.rents_by_bucket[b] != 0) out << ' ' << bucket_label(t, b) << ':' << t.rents_by_bucket[b];
  }
  out << "\n";
  if (st.rents != 0) {
    out << std::setprecision(1) << "  last round's pool: thread-local hit rate "
        << 100.0 * double(st.thread_local_hits) / double(st.rents) << "%, hits " << st.hits << ", fresh allocations "
        << st.fresh_allocations << ", drops " << st.drops << ", over-size " << st.oversize_rents << "\n";
    out << "  high-water/cap by bucket:";
    for (const auto& b : st.buckets) {
      if (b.high_water != 0) out << ' ' << b.capacity << ':' << b.high_water << '/' << b.cap;
    }
    out << "\n";
  }
  out << "  oracle checks:";
  for (std::size_t i = 0; i < kOracleCount; ++i) {
    if (t.checks[i] != 0) out << ' ' << oracle_name(static_cast<OracleKind>(i)) << ' ' << t.checks[i];
  }
  out << "\n";
  if (t.peak_thread_bytes != 0) {
    out << std::setprecision(1) << "  workload: longest lease held " << t.longest_hold_ms
        << " ms, most pooled bytes one thread held " << t.peak_thread_bytes << ", fresh allocations "
        << t.fresh_allocations << " (all rounds)\n";
  }
  for (const auto& note : t.notes) out << "  " << note << "\n";
  out << "  violations: " << t.violations.size() << "\n";
  for (std::size_t i = 0; i < t.violations.size() && i < 20; ++i) out << "    " << to_string(t.violations[i]) << "\n";
  if (t.violations.size() > 20) out << "    ... and " << (t.violations.size() - 20) << " more\n";
  if (!t.error.empty()) out << "  error: " << t.error << "\n";
  if (!t.stall_report.empty()) {
    out << "  stall: " << t.stall_report;
    if (t.stall_report.back() != '\n') out << "\n";  // a workload's report is one line, a program run's several
  }
  if (r.det) {
    const DeterministicInfo& d = *r.det;
    out << "  deterministic: " << d.strategy << "; " << d.schedules << " schedules over " << d.programs
        << " program" << (d.programs == 1 ? "" : "s") << ", longest " << d.longest_schedule << " steps\n";
    if (d.miss_bound) {
      out << std::setprecision(4) << "  PCT bound: a bug of depth " << d.miss_bound_depth << " among " << s.threads
          << " threads that every program reaches would have been missed by all the depth-" << d.miss_bound_depth
          << " schedules with probability <= " << *d.miss_bound << " (k measured per program, last " << d.pct_steps
          << " steps)\n";
    }
    if (d.replay_matched) {
      out << "  replay: " << (*d.replay_matched ? "same violation at the same step, same schedule" : "DIVERGED")
          << " (" << d.replay_divergences << " divergent steps)\n";
    }
    if (!d.trace_file.empty()) out << "  schedule trace: " << d.trace_file << "\n";
  }
  out << "result: " << verdict(r) << " (" << to_string(t.end)
      << (replay_diverged(r) ? "; the replay diverged from the trace" : "") << ")\n";
  if (!r.replay_line.empty()) out << "replay: " << r.replay_line << "\n";
  if (r.det && !r.det->trace_file.empty()) out << "replay: " << program_name() << " --replay " << r.det->trace_file << "\n";
  out << std::flush;
}

void stamp_report(nlohmann::json& j, const StressSettings& s) {
  j["format"] = kReportFormat;
  j["version"] = POOLCHECK_VERSION;
  j["settings"] = {{"seed", s.seed}, {"threads", s.threads}, {"ops", s.ops}, {"pool", std::string(s.plan.pool->name)},
                   {"scenario", std::string(s.plan.scenario->name)},
                   {"mutant", s.plan.mutant != nullptr ? std::string(s.plan.mutant->name) : std::string()},
                   {"max_array_length", s.max_array_length},
                   {"max_per_bucket", s.max_per_bucket},
                   // Unpinned, the partition count is this machine's core count: shards on machines
                   // of other sizes are still one campaign (each round's own is in rounds[].config).
                   {"partitions", s.pins.config ? nlohmann::json(s.partitions) : nlohmann::json("per core")},
                   {"arrays_per_partition", s.arrays_per_partition}, {"duration_seconds", s.duration_seconds},
                   {"rounds", s.rounds ? nlohmann::json(*s.rounds) : nlohmann::json(nullptr)},
                   {"watchdog_ms", s.watchdog_ms}, {"hold_limit_ms", s.hold_limit_ms},
                   {"checkpoint_every", s.checkpoint_every == kAutoCheckpointEvery ? nlohmann::json("auto")
                                                                                    : nlohmann::json(s.checkpoint_every)},
                   {"noise", s.pins.noise ? (s.noise ? "on" : "off") : "drawn"},
                   {"deterministic", s.deterministic},
                   {"search", s.search},
                   {"strategy", s.pins.strategy ? std::string(s.plan.strategy->name) : std::string("portfolio")},
                   {"pct_depth", s.pct_depth}, {"pct_steps", s.pct_steps}, {"max_steps", s.max_steps},
                   // Pinned: every round ran the pool options above; else each round's own is in rounds[].config.
                   {"config_pinned", s.pins.config}};
  j["shard"] = {{"index", s.shard.index}, {"count", s.shard.count}};
}

void write_json(const std::string& path, const StressSettings& s, const StressReport& r) {
  using nlohmann::json;
  const RunOutcome& t = r.total;
  // A failed run may have corrupted the heap (a mutant pool racing on its own storage): its report
  // is built and written but never freed, since a free is where glibc's checks would abort.
  json& j = *new json;
  struct Release {
    json* doc;
    bool keep;
    ~Release() {
      if (!keep) delete doc;
    }
  } release{&j, exit_code(r) != 0};
  stamp_report(j, s);
  j["result"] = verdict(r);
  j["end"] = to_string(t.end);
  j["exit_code"] = exit_code(r);
  j["seconds"] = t.seconds;
  j["ops_done"] = t.ops_done;
  j["rents"] = t.rents;
  j["hand_overs"] = t.hand_overs;
  if (t.peak_thread_bytes != 0) {
    j["workload"] = {{"longest_hold_ms", t.longest_hold_ms}, {"peak_thread_bytes", t.peak_thread_bytes},
                     {"fresh_allocations", t.fresh_allocations}, {"notes", t.notes}};
  }
  json checks = json::object();
  for (std::size_t i = 0; i < kOracleCount; ++i) checks[std::string(oracle_name(static_cast<OracleKind>(i)))] = t.checks[i];
  j["checks"] = checks;
  json rents = json::object();
  for (std::size_t b = 0; b < kLedgerRows; ++b) {
    if (t.rents_by_bucket[b] != 0) rents[bucket_label(t, b)] = t.rents_by_bucket[b];
  }
  j["rents_by_bucket"] = rents;
  json violations = json::array();
  for (const auto& v : t.violations) {
    json jv = {{"oracle", std::string(oracle_name(v.oracle))}, {"what", v.what}, {"text", to_string(v)}};
    if (v.lease) jv["lease"] = {{"thread", v.lease->thread}, {"op", v.lease->op}};
    if (v.other) jv["other"] = {{"thread", v.other->thread}, {"op", v.other->op}};
    if (v.array != nullptr) {
      std::ostringstream a;
      a << v.array;
      jv["array"] = a.str();
      jv["capacity"] = v.capacity;
      jv["offset"] = v.offset;
    }
    violations.push_back(jv);
  }
  j["violations"] = violations;
  json rounds = json::array();
  for (const auto& rr : r.rounds) {
    json config = {{"max_array_length", rr.config.max_array_length}, {"tight", rr.tight}};
    if (!s.deterministic) config["noise"] = rr.noise;
    if (s.plan.pool->cap_flags == CapFlags::per_bucket) {
      config["max_per_bucket"] = rr.config.max_per_bucket;
    } else {
      config["partitions"] = rr.config.partitions;
      config["arrays_per_partition"] = rr.config.arrays_per_partition;
    }
    json round = {{"round", rr.round}, {"seed", rr.seed}, {"end", to_string(rr.end)},
                  {"violations", rr.violations}, {"seconds", rr.seconds}, {"config", config}};
    if (rr.program_seed) round["program_seed"] = *rr.program_seed;
    if (!rr.strategy.empty()) round["strategy"] = rr.strategy;
    if (rr.pct_depth != 0) {
      round["pct_depth"] = rr.pct_depth;
      round["pct_steps"] = rr.pct_steps;
    }
    rounds.push_back(round);
  }
  j["rounds"] = rounds;
  if (!r.replay_line.empty()) j["replay"] = r.replay_line;
  if (r.det) {
    const DeterministicInfo& d = *r.det;
    json jd = {{"strategy", d.strategy}, {"schedules", d.schedules}, {"programs", d.programs},
               {"longest_schedule", d.longest_schedule},
               {"pct_steps", d.pct_steps}, {"trace_file", d.trace_file}, {"replay_divergences", d.replay_divergences}};
    if (d.miss_bound) {
      jd["miss_bound"] = *d.miss_bound;
      jd["miss_bound_depth"] = d.miss_bound_depth;
    }
    if (d.failing_schedule_seed) jd["failing_schedule_seed"] = *d.failing_schedule_seed;
    if (d.replay_matched) jd["replay_matched"] = *d.replay_matched;
    j["deterministic"] = jd;
  }
  if (!t.error.empty()) j["error"] = t.error;
  if (!t.stall_report.empty()) j["stall"] = t.stall_report;
  write_file(path, json_text(j) + "\n", "JSON report");
}

void write_junit(const std::string& path, const StressSettings& s, const StressReport& r) {
  // One test case per oracle (did it hold?) and one for the run itself (stall, thread limit).
  const RunOutcome& t = r.total;
  std::ostringstream cases;
  int failures = 0, tests = 0;
  const std::string replay = r.replay_line.empty() ? std::string{} : "\nreplay: " + r.replay_line;
  for (std::size_t i = 0; i < kOracleCount; ++i) {
    const auto kind = static_cast<OracleKind>(i);
    if (kind == OracleKind::stall) continue;
    ++tests;
    cases << "    <testcase classname=\"poolcheck.stress." << s.plan.pool->name << "\" name=\"" << oracle_name(kind)
          << "\" time=\"0\">";
    std::string text;
    for (const auto& v : t.violations) {
      if (v.oracle == kind) text += to_string(v) + "\n";
    }
    if (!text.empty()) {
      ++failures;
      cases << "\n      <failure message=\"" << xml_text(std::string(oracle_name(kind))) << " violated\">"
            << xml_text(text + replay) << "</failure>\n    ";
    }
    cases << "</testcase>\n";
  }
  ++tests;
  cases << "    <testcase classname=\"poolcheck.stress." << s.plan.pool->name << "\" name=\"run\" time=\"" << t.seconds
        << "\">";
  if (t.end != RunEnd::completed) {  // stalled, thread limit, interrupted: the run did not finish
    ++failures;
    std::string why = t.error + t.stall_report;
    if (t.end == RunEnd::interrupted) why += "interrupted (exit " + std::to_string(exit_code(r)) + ")";
    cases << "\n      <failure message=\"" << xml_text(std::string(to_string(t.end))) << "\">"
          << xml_text(why + replay) << "</failure>\n    ";
  } else if (replay_diverged(r)) {
    ++failures;
    cases << "\n      <failure message=\"replay diverged\">"
          << xml_text(std::to_string(r.det->replay_divergences) + " divergent steps, or a different violation or "
                      "step than recorded" + replay)
          << "</failure>\n    ";
  }
  cases << "</testcase>\n";
  std::ostringstream doc;
  doc << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      << "<testsuites tests=\"" << tests << "\" failures=\"" << failures << "\">\n"
      << "  <testsuite name=\"poolcheck.stress\" tests=\"" << tests << "\" failures=\"" << failures << "\" time=\""
      << t.seconds << "\">\n"
      << cases.str() << "  </testsuite>\n</testsuites>\n";
  write_file(path, doc.str(), "JUnit report");
}

namespace {
void write_reports(const StressSettings& s, const StressReport& r) {
  if (!s.json_path.empty()) write_json(s.json_path, s, r);
  if (!s.junit_path.empty()) write_junit(s.junit_path, s, r);
}
}  // namespace

void write_provisional_reports(const StressSettings& s, const std::string& replay_line, std::uint64_t started) {
  static const char* const kWhat =
      "the process ended during this round without finishing its report (a crash, a sanitizer's report or a "
      "kill): this file was written when the round started";
  try {
    if (!s.json_path.empty()) {
      nlohmann::json j;
      stamp_report(j, s);
      j["result"] = "DIED";
      j["end"] = "died";
      j["what"] = kWhat;
      j["replay"] = replay_line;
      j["started"] = started;
      j["pool"] = std::string(s.plan.pool->name);
      j["scenario"] = std::string(s.plan.scenario->name);
      if (s.plan.mutant != nullptr) j["mutant"] = std::string(s.plan.mutant->name);
      write_file_whole(s.json_path, json_text(j) + "\n", "JSON report");
    }
    if (!s.junit_path.empty()) {
      write_file_whole(s.junit_path,
                 "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites tests=\"1\" failures=\"1\">\n"
                 "  <testsuite name=\"poolcheck.stress\" tests=\"1\" failures=\"1\">\n"
                 "    <testcase classname=\"poolcheck.stress\" name=\"run\">\n      <failure message=\"died\">" +
                     xml_text(std::string(kWhat) + "\nreplay: " + replay_line) +
                     "</failure>\n    </testcase>\n  </testsuite>\n</testsuites>\n",
                 "JUnit report");
    }
  } catch (const std::exception& e) {
    std::cerr << "stress: " << e.what() << "\n";
  }
}

int finish_run(const StressSettings& s, const StressReport& shown) {
  begin_report();  // a second SIGINT/SIGTERM from here on waits for the report
  if (shown.total.end == RunEnd::stalled) {
    // Stuck workers cannot be joined: report and leave without running destructors.
    print_summary(std::cout, s, shown);
    try {
      write_reports(s, shown);
    } catch (const std::exception& e) {
      std::cerr << "stress: " << e.what() << "\n";
    }
    std::cout.flush();
    std::_Exit(1);
  }
  print_summary(std::cout, s, shown);
  try {
    write_reports(s, shown);
  } catch (const std::exception& e) {
    std::cerr << "stress: " << e.what() << "\n";
    return 1;
  }
  const int code = exit_code(shown);
  if (code == 0) return 0;
  // A failed run may have left a corrupt pool behind on purpose (see round_runner.hpp): leave
  // without destructors or leak checks, the report is out.
  std::cout.flush();
  std::cerr.flush();
  std::_Exit(code);
}

}  // namespace poolcheck
