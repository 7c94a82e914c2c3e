#include "poolcheck/deterministic/schedule_trace.hpp"

#include <fstream>
#include <sstream>
#include <stdexcept>

namespace poolcheck::det {
namespace {

constexpr const char* kMagic = "poolcheck-schedule-trace v1";

std::uint64_t tag_field(const std::optional<Tag>& t) { return t ? t->bits() + 1 : 0; }
std::optional<Tag> tag_from(std::uint64_t v) {
  if (v == 0) return std::nullopt;
  return Tag::from_bits(v - 1);
}

PointKind kind_from(const std::string& s, const std::string& where) {
  for (int k = 0; k <= static_cast<int>(PointKind::plain); ++k) {
    if (s == to_string(static_cast<PointKind>(k))) return static_cast<PointKind>(k);
  }
  throw std::runtime_error(where + ": unknown point kind '" + s + "'");
}

}  // namespace

std::vector<std::uint32_t> ScheduleTrace::choices() const {
  std::vector<std::uint32_t> c;
  c.reserve(steps.size());
  for (const Step& s : steps) c.push_back(s.thread);
  return c;
}

void save_trace(const std::string& path, const ScheduleTrace& trace) {
  std::ofstream f(path);
  if (!f) throw std::runtime_error("cannot write schedule trace '" + path + "'");
  f << kMagic << "\n";
  f << "command: " << trace.command << "\n";
  if (trace.violation) {
    const Violation& v = *trace.violation;
    f << "violation: " << oracle_name(v.oracle) << ' ' << tag_field(v.lease) << ' ' << tag_field(v.other) << ' '
      << v.offset << ' ' << v.step << "\n";
    f << "what: " << v.what.substr(0, v.what.find('\n')) << "\n";
  }
  if (trace.programs) {
    f << "programs: " << trace.programs->seed << ' ' << trace.programs->threads.size() << "\n";
    for (const ThreadProgram& t : trace.programs->threads) {
      f << "thread: " << t.ops.size() << "\n";
      for (const Op& op : t.ops) {
        f << "op " << int(op.kind) << ' ' << int(op.lease) << ' ' << int(op.via_lease) << ' ' << int(op.clear) << ' '
          << op.lo << ' ' << op.hi << ' ' << op.target << ' ' << op.delay << ' ' << op.size << "\n";
      }
    }
  }
  f << "steps: " << trace.steps.size() << "\n";
  for (const Step& s : trace.steps) f << s.thread << ' ' << s.at << ' ' << to_string(s.kind) << "\n";
  if (!f) throw std::runtime_error("cannot write schedule trace '" + path + "'");
}

ScheduleTrace load_trace(const std::string& path) {
  std::ifstream f(path);
  if (!f) throw std::runtime_error("cannot read schedule trace '" + path + "'");
  std::string line;
  std::size_t line_no = 1;
  auto where = [&] { return path + ":" + std::to_string(line_no); };
  if (!std::getline(f, line) || line != kMagic) throw std::runtime_error(where() + ": not a poolcheck schedule trace");
  ScheduleTrace trace;
  std::size_t expected_steps = 0;
  while (std::getline(f, line)) {
    ++line_no;
    if (line.rfind("command: ", 0) == 0) {
      trace.command = line.substr(9);
    } else if (line.rfind("violation: ", 0) == 0) {
      std::istringstream in(line.substr(11));
      std::string oracle;
      std::uint64_t lease = 0, other = 0, offset = 0, step = 0;
      if (!(in >> oracle >> lease >> other >> offset >> step)) throw std::runtime_error(where() + ": bad violation line");
      Violation v;
      const auto kind = oracle_from_name(oracle);
      if (!kind) throw std::runtime_error(where() + ": unknown oracle '" + oracle + "'");
      v.oracle = *kind;
      v.lease = tag_from(lease);
      v.other = tag_from(other);
      v.offset = offset;
      v.step = step;
      trace.violation = v;
    } else if (line.rfind("what: ", 0) == 0) {
      if (trace.violation) trace.violation->what = line.substr(6);
    } else if (line.rfind("programs: ", 0) == 0) {
      std::istringstream in(line.substr(10));
      ProgramSet programs;
      std::size_t threads = 0;
      if (!(in >> programs.seed >> threads)) throw std::runtime_error(where() + ": bad programs line");
      trace.programs = std::move(programs);
      trace.programs->threads.reserve(threads);
    } else if (line.rfind("thread: ", 0) == 0) {
      if (!trace.programs) throw std::runtime_error(where() + ": thread before programs");
      trace.programs->threads.emplace_back();
    } else if (line.rfind("op ", 0) == 0) {
      if (!trace.programs || trace.programs->threads.empty()) throw std::runtime_error(where() + ": op before thread");
      std::istringstream in(line.substr(3));
      unsigned kind = 0, index = 0, lease = 0, clear = 0, lo = 0, hi = 0;
      Op op;
      if (!(in >> kind >> index >> lease >> clear >> lo >> hi >> op.target >> op.delay >> op.size) ||
          kind > static_cast<unsigned>(OpKind::give_back) || index >= kLeasesPerThread || lo > 65535 || hi > 65535) {
        throw std::runtime_error(where() + ": bad op line '" + line + "'");
      }
      op.kind = static_cast<OpKind>(kind);
      op.lease = static_cast<std::uint8_t>(index);
      op.via_lease = lease != 0;
      op.clear = clear != 0;
      op.lo = static_cast<std::uint16_t>(lo);
      op.hi = static_cast<std::uint16_t>(hi);
      trace.programs->threads.back().ops.push_back(op);
    } else if (line.rfind("steps: ", 0) == 0) {
      expected_steps = std::stoull(line.substr(7));
      trace.steps.reserve(expected_steps);
    } else if (!line.empty()) {
      std::istringstream in(line);
      Step s{};
      std::string kind;
      if (!(in >> s.thread >> s.at >> kind)) throw std::runtime_error(where() + ": bad step line '" + line + "'");
      s.kind = kind_from(kind, where());
      trace.steps.push_back(s);
    }
  }
  if (trace.command.empty()) throw std::runtime_error(path + ": no command line in the trace");
  if (trace.steps.size() != expected_steps) {
    throw std::runtime_error(path + ": " + std::to_string(trace.steps.size()) + " steps, header says " +
                             std::to_string(expected_steps));
  }
  return trace;
}

}  // namespace poolcheck::det
