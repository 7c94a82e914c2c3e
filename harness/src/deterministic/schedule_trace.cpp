#include "poolcheck/deterministic/schedule_trace.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <algorithm>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <ostream>
#include <sstream>

namespace poolcheck::det {
namespace {

constexpr std::string_view kVersionLine = "poolcheck-trace 2";
constexpr std::string_view kVersionPrefix = "poolcheck-trace ";
constexpr std::string_view kVersion1Line = "poolcheck-schedule-trace v1";
constexpr std::string_view kEndLine = "end";
constexpr std::string_view kChecksumPrefix = "checksum: ";

// The shortest form of each line a count announces, with its '\n': a count is at most the bytes
// left in the file / its shortest line.
constexpr std::uint64_t kShortestThreadLine = sizeof("thread: 0");         // 10
constexpr std::uint64_t kShortestOpLine = sizeof("op 0 0 0 0 0 0 0 0 0");  // 21
constexpr std::uint64_t kShortestStepLine = sizeof("0 0 rmw");             // 8

// Largest value of a lease/other field: Tag bits (16 bits of thread, 24 of op) + 1.
constexpr std::uint64_t kMaxTagField = std::uint64_t{1} << 40;

std::uint64_t tag_field(const std::optional<Tag>& t) { return t ? t->bits() + 1 : 0; }
std::optional<Tag> tag_from(std::uint64_t v) {
  if (v == 0) return std::nullopt;
  return Tag::from_bits(v - 1);
}

std::string hex16(std::uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

// Reads a trace line by line, each failure a TraceError at the current line.
class Reader {
 public:
  Reader(std::string_view text, const std::string& name) : text_(text), name_(name) {}

  [[noreturn]] void fail(const std::string& problem) const { throw TraceError(name_, line_no_, problem); }

  [[noreturn]] void fail_at_next_line(const std::string& problem) const {
    throw TraceError(name_, line_no_ + 1, problem);
  }

  bool at_end() const noexcept { return pos_ == text_.size(); }
  std::size_t offset() const noexcept { return pos_; }
  // Bytes not yet read.
  std::uint64_t room() const noexcept { return text_.size() - pos_; }

  // A count of `count` lines of at least `shortest` bytes each must fit in the bytes left.
  void fits(std::uint64_t count, std::uint64_t shortest, const std::string& what) const {
    if (count > room() / shortest) {
      fail("truncated or damaged: " + what + ", so at least " + std::to_string(count * shortest) +
           " more bytes, but the file has " + std::to_string(room()) + " left");
    }
  }

  // The next line without its '\n'; `expected` names it for a file that ends before it.
  std::string_view next(const char* expected) {
    ++line_no_;
    if (at_end()) fail(std::string("truncated: the file ends where ") + expected + " should be");
    const std::size_t nl = text_.find('\n', pos_);
    if (nl == std::string_view::npos) {
      fail(std::string("truncated: the last line has no newline (") + expected + " expected): '" +
           escaped_excerpt(text_.substr(pos_)) + "'");
    }
    const std::string_view line = text_.substr(pos_, nl - pos_);
    pos_ = nl + 1;
    for (const char c : line) {
      const auto b = static_cast<unsigned char>(c);
      if (b < 0x20 || b >= 0x7f) fail("control or non-ASCII byte in the line: '" + escaped_excerpt(line) + "'");
    }
    return line;
  }

  // Undoes the last next() (the line was not the optional item looked for).
  void push_back(std::string_view line) noexcept {
    pos_ -= line.size() + 1;
    --line_no_;
  }

  // A plain decimal number in [lo, hi]: digits only, no sign, no leading zero, no wrap.
  std::uint64_t number(std::string_view token, const char* what, std::uint64_t lo, std::uint64_t hi) const {
    std::uint64_t v = 0;
    const bool plain = !token.empty() && token.size() <= 20 && (token.size() == 1 || token[0] != '0') &&
                       token.find_first_not_of("0123456789") == std::string_view::npos;
    const auto [end, ec] = plain ? std::from_chars(token.data(), token.data() + token.size(), v)
                                 : std::from_chars_result{token.data(), std::errc::invalid_argument};
    if (!plain || ec != std::errc{} || end != token.data() + token.size() || v < lo || v > hi) {
      fail(std::string(what) + " '" + escaped_excerpt(token) + "' is not a decimal number from " + std::to_string(lo) +
           " to " + std::to_string(hi));
    }
    return v;
  }

  // The fields of `body`, separated by single spaces; exactly `count` of them.
  std::vector<std::string_view> fields(std::string_view body, std::size_t count, const char* what) const {
    std::vector<std::string_view> out;
    std::size_t start = 0;
    while (out.size() <= count) {
      const std::size_t sp = body.find(' ', start);
      out.push_back(body.substr(start, sp == std::string_view::npos ? std::string_view::npos : sp - start));
      if (sp == std::string_view::npos) break;
      start = sp + 1;
    }
    if (out.size() != count) {
      fail(std::string("bad ") + what + " line (" + std::to_string(count) + " fields expected): '" +
           escaped_excerpt(body) + "'");
    }
    return out;
  }

  std::size_t line_no() const noexcept { return line_no_; }

 private:
  std::string_view text_;
  const std::string& name_;
  std::size_t pos_ = 0;
  std::size_t line_no_ = 0;
};

bool starts_with(std::string_view line, std::string_view prefix) { return line.substr(0, prefix.size()) == prefix; }

PointKind kind_from(const Reader& r, std::string_view s) {
  for (int k = 0; k <= static_cast<int>(PointKind::yield); ++k) {
    if (s == to_string(static_cast<PointKind>(k))) return static_cast<PointKind>(k);
  }
  r.fail("unknown point kind '" + escaped_excerpt(s) + "'");
}

void read_version(Reader& r) {
  const std::string_view line = r.next("the version line 'poolcheck-trace 2'");
  if (line == kVersionLine) return;
  if (line == kVersion1Line) {
    r.fail("trace format version 1 ('" + std::string(kVersion1Line) + "'); this stress reads format version " +
           std::to_string(kTraceVersion) + " only: record the trace again with stress --deterministic");
  }
  if (starts_with(line, kVersionPrefix)) {
    r.fail("trace format version '" + escaped_excerpt(line.substr(kVersionPrefix.size())) +
           "'; this stress reads format version " + std::to_string(kTraceVersion) + " only");
  }
  r.fail("not a poolcheck schedule trace (the first line must be '" + std::string(kVersionLine) + "', not '" +
         escaped_excerpt(line) + "')");
}

void read_violation(Reader& r, ScheduleTrace& trace) {
  std::string_view line = r.next("the violation or programs or steps line");
  if (!starts_with(line, "violation: ")) {
    r.push_back(line);
    return;
  }
  const auto f = r.fields(line.substr(11), 5, "violation");
  const auto kind = oracle_from_name(f[0]);
  if (!kind) r.fail("unknown oracle '" + escaped_excerpt(f[0]) + "'");
  Violation v;
  v.oracle = *kind;
  v.lease = tag_from(r.number(f[1], "lease", 0, kMaxTagField));
  v.other = tag_from(r.number(f[2], "other lease", 0, kMaxTagField));
  v.offset = r.number(f[3], "offset", 0, UINT64_MAX);
  v.step = r.number(f[4], "step", 0, kMaxTraceSteps);
  line = r.next("the what line");
  if (!starts_with(line, "what: ")) r.fail("expected 'what: ...' after the violation line, not '" + escaped_excerpt(line) + "'");
  if (line.size() - 6 > kMaxTraceTextBytes) r.fail("what line longer than " + std::to_string(kMaxTraceTextBytes) + " bytes");
  v.what = std::string(line.substr(6));
  trace.violation = std::move(v);
}

Op read_op(Reader& r, std::uint64_t threads) {
  const std::string_view line = r.next("an op line");
  if (!starts_with(line, "op ")) r.fail("expected an op line ('op ...'), not '" + escaped_excerpt(line) + "'");
  const auto f = r.fields(line.substr(3), 9, "op");
  Op op;
  op.kind = static_cast<OpKind>(r.number(f[0], "op kind", 0, static_cast<std::uint64_t>(kLastOpKind)));
  op.lease = static_cast<std::uint8_t>(r.number(f[1], "lease index", 0, kLeasesPerThread - 1));
  op.via_lease = r.number(f[2], "via-lease flag", 0, 1) != 0;
  op.clear = r.number(f[3], "clear flag", 0, 1) != 0;
  op.lo = static_cast<std::uint16_t>(r.number(f[4], "range start", 0, 65535));
  op.hi = static_cast<std::uint16_t>(r.number(f[5], "range end", 0, 65535));
  op.target = static_cast<std::uint32_t>(r.number(f[6], "hand-over target", 0, threads - 1));
  op.delay = static_cast<std::uint32_t>(r.number(f[7], "delay", 0, UINT32_MAX));
  // The size field is a variant for misuse and lease_move ops: range-checked against theirs.
  if (op.kind == OpKind::misuse) {
    op.size = r.number(f[8], "misuse variant", 0, kMisuseCount - 1);
  } else if (op.kind == OpKind::lease_move) {
    op.size = r.number(f[8], "lease-move variant", 0, kLeaseMoveCount - 1);
    if (op.lo >= kLeasesPerThread) r.fail("lease-move's other lease index " + std::to_string(op.lo) + " is not below " +
                                          std::to_string(kLeasesPerThread));
  } else {
    op.size = r.number(f[8], "size", 0, kMaxTraceRentSize);
  }
  return op;
}

void read_programs(Reader& r, ScheduleTrace& trace) {
  const std::string_view line = r.next("the programs or steps line");
  if (!starts_with(line, "programs: ")) {
    r.push_back(line);
    return;
  }
  const auto f = r.fields(line.substr(10), 2, "programs");
  ProgramSet programs;
  programs.seed = r.number(f[0], "program seed", 0, UINT64_MAX);
  const std::uint64_t threads = r.number(f[1], "thread count", 1, kMaxTraceThreads);
  r.fits(threads, kShortestThreadLine, "programs of " + std::to_string(threads) + " threads");
  programs.threads.resize(threads);
  for (ThreadProgram& t : programs.threads) {
    const std::string_view tl = r.next("a thread line");
    if (!starts_with(tl, "thread: ")) {
      r.fail("expected thread " + std::to_string(&t - programs.threads.data()) + " of " + std::to_string(threads) +
             " ('thread: OPS'), not '" + escaped_excerpt(tl) + "'");
    }
    const std::uint64_t ops = r.number(r.fields(tl.substr(8), 1, "thread")[0], "op count", 0, kMaxTraceOps);
    r.fits(ops, kShortestOpLine, "a thread of " + std::to_string(ops) + " ops");
    t.ops.reserve(ops);
    for (std::uint64_t i = 0; i < ops; ++i) t.ops.push_back(read_op(r, threads));
  }
  trace.programs = std::move(programs);
}

void read_steps(Reader& r, ScheduleTrace& trace) {
  const std::string_view line = r.next("the steps line");
  if (!starts_with(line, "steps: ")) r.fail("expected 'steps: N', not '" + escaped_excerpt(line) + "'");
  const std::uint64_t n = r.number(r.fields(line.substr(7), 1, "steps")[0], "step count", 1, kMaxTraceSteps);
  r.fits(n, kShortestStepLine, std::to_string(n) + " steps");
  const std::uint64_t threads = trace.programs ? trace.programs->threads.size() : kMaxTraceThreads;
  trace.steps.reserve(n);
  for (std::uint64_t i = 0; i < n; ++i) {
    const std::string_view sl = r.next("a step line");
    if (sl == kEndLine) {
      r.fail("the end marker after " + std::to_string(i) + " steps; the steps line says " + std::to_string(n));
    }
    const auto f = r.fields(sl, 3, "step");
    Step s{};
    s.thread = static_cast<std::uint32_t>(r.number(f[0], "step thread", 0, threads - 1));
    // The thread at the point; THREADS itself at step 0, which the launcher takes (schedule.cpp).
    s.at = static_cast<std::uint32_t>(r.number(f[1], "step point thread", 0, threads));
    s.kind = kind_from(r, f[2]);
    trace.steps.push_back(s);
  }
}

}  // namespace

TraceError::TraceError(std::string file, std::size_t line, const std::string& problem)
    : std::runtime_error(escaped_excerpt(file, 200) + ":" + std::to_string(line) + ": " + problem),
      file_(std::move(file)),
      line_(line),
      problem_(problem) {}

std::uint64_t fnv1a64(std::string_view bytes) noexcept {
  std::uint64_t h = 0xcbf29ce484222325ull;
  for (const char c : bytes) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ull;
  }
  return h;
}

std::string escaped_excerpt(std::string_view text, std::size_t limit) {
  std::string out;
  for (const char c : text) {
    if (out.size() >= limit) {
      out += "...";
      break;
    }
    const auto b = static_cast<unsigned char>(c);
    if (b == '\\') {
      out += "\\\\";
    } else if (b < 0x20 || b >= 0x7f) {
      char buf[5];
      std::snprintf(buf, sizeof buf, "\\x%02x", b);
      out += buf;
    } else {
      out += c;
    }
  }
  return out;
}

std::vector<std::uint32_t> ScheduleTrace::choices() const {
  std::vector<std::uint32_t> c;
  c.reserve(steps.size());
  for (const Step& s : steps) c.push_back(s.thread);
  return c;
}

namespace {

// Writes to a stream and hashes what it wrote, allocating nothing: save_trace runs after a mutant
// may have corrupted the heap, and must not disturb it more than the stream itself does.
class HashingOut {
 public:
  explicit HashingOut(std::ostream& out) : out_(out) {}
  HashingOut& operator<<(std::string_view text) {
    out_.write(text.data(), static_cast<std::streamsize>(text.size()));
    for (const char c : text) hash_ = (hash_ ^ static_cast<unsigned char>(c)) * 0x100000001b3ull;
    return *this;
  }
  HashingOut& operator<<(char c) { return *this << std::string_view(&c, 1); }
  HashingOut& operator<<(std::uint64_t v) {
    char buf[24] = {};  // zeroed: gcc 12 at -O3 (ci/pool_only.sh) cannot see to_chars fill it, and warns
    const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
    (void)ec;
    return *this << std::string_view(buf, static_cast<std::size_t>(end - buf));
  }
  // Text a trace line may hold: printable ASCII (anything else as '?'), at most `limit` bytes, up to
  // the first newline.
  void text(std::string_view t, std::size_t limit) {
    t = t.substr(0, std::min(t.find('\n'), limit));
    for (const char c : t) *this << (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f ? '?' : c);
  }
  void checksum() {
    char buf[40];
    std::snprintf(buf, sizeof buf, "checksum: %016llx\n", static_cast<unsigned long long>(hash_));
    out_ << buf;
  }

 private:
  std::ostream& out_;
  std::uint64_t hash_ = 0xcbf29ce484222325ull;
};

// Everything before the steps: version, command, violation, programs.
void write_head(HashingOut& f, const ScheduleTrace& trace) {
  using U = std::uint64_t;
  f << kVersionLine << '\n';
  f << "command: ";
  f.text(trace.command, kMaxTraceTextBytes);
  f << '\n';
  if (trace.violation) {
    const Violation& v = *trace.violation;
    f << "violation: " << oracle_name(v.oracle) << ' ' << tag_field(v.lease) << ' ' << tag_field(v.other) << ' '
      << U{v.offset} << ' ' << U{v.step} << '\n';
    f << "what: ";
    const std::string what = v.what.substr(0, v.what.find('\n'));
    f.text(what, kMaxTraceTextBytes);
    f << '\n';
  }
  if (trace.programs) {
    f << "programs: " << U{trace.programs->seed} << ' ' << U{trace.programs->threads.size()} << '\n';
    for (const ThreadProgram& t : trace.programs->threads) {
      f << "thread: " << U{t.ops.size()} << '\n';
      for (const Op& op : t.ops) {
        f << "op " << U{static_cast<std::uint8_t>(op.kind)} << ' ' << U{op.lease} << ' ' << U{op.via_lease} << ' '
          << U{op.clear} << ' ' << U{op.lo} << ' ' << U{op.hi} << ' ' << U{op.target} << ' ' << U{op.delay} << ' '
          << U{op.size} << '\n';
      }
    }
  }
}

void write_trace(std::ostream& os, const ScheduleTrace& trace) {
  using U = std::uint64_t;
  HashingOut f(os);
  write_head(f, trace);
  f << "steps: " << U{trace.steps.size()} << '\n';
  for (const Step& st : trace.steps) f << U{st.thread} << ' ' << U{st.at} << ' ' << to_string(st.kind) << '\n';
  f << kEndLine << '\n';
  f.checksum();
}

}  // namespace

std::string format_trace_head(const ScheduleTrace& trace) {
  std::ostringstream out;
  HashingOut f(out);
  write_head(f, trace);
  return std::move(out).str();
}

std::string format_trace(const ScheduleTrace& trace) {
  std::ostringstream out;
  write_trace(out, trace);
  return std::move(out).str();
}

void save_trace(const std::string& path, const ScheduleTrace& trace) {
  std::ofstream f(path, std::ios::binary);
  if (!f) throw std::runtime_error("cannot write schedule trace '" + path + "': " + std::strerror(errno));
  write_trace(f, trace);
  f.close();
  if (!f) throw std::runtime_error("cannot write schedule trace '" + path + "'");
}

ScheduleTrace load_trace(const std::string& path) {
  // The file's real size first: a device or a huge file is refused before anything is read.
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) throw TraceError(path, 0, std::string("cannot read: ") + std::strerror(errno));
  if (!S_ISREG(st.st_mode)) throw TraceError(path, 0, "not a regular file");
  if (static_cast<std::uint64_t>(st.st_size) > kMaxTraceBytes) {
    throw TraceError(path, 0, std::to_string(st.st_size) + " bytes, more than a trace may have (" +
                                  std::to_string(kMaxTraceBytes) + ")");
  }
  std::ifstream f(path, std::ios::binary);
  if (!f) throw TraceError(path, 0, std::string("cannot read: ") + std::strerror(errno));
  std::string text(static_cast<std::size_t>(st.st_size), '\0');
  f.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<std::size_t>(f.gcount()));
  if (f.bad()) throw TraceError(path, 0, "read error");
  return load_trace_from_string(text, path);
}

ScheduleTrace load_trace_from_string(std::string_view text, const std::string& name) {
  if (text.size() > kMaxTraceBytes) {
    throw TraceError(name, 0, std::to_string(text.size()) + " bytes, more than a trace may have (" +
                                  std::to_string(kMaxTraceBytes) + ")");
  }
  Reader r(text, name);
  read_version(r);
  ScheduleTrace trace;
  const std::string_view command = r.next("the command line");
  if (!starts_with(command, "command: ")) r.fail("expected 'command: stress ...', not '" + escaped_excerpt(command) + "'");
  if (command.size() - 9 > kMaxTraceTextBytes) {
    r.fail("command line longer than " + std::to_string(kMaxTraceTextBytes) + " bytes");
  }
  trace.command = std::string(command.substr(9));
  read_violation(r, trace);
  read_programs(r, trace);
  read_steps(r, trace);
  const std::string_view end = r.next("the end marker 'end'");
  if (end != kEndLine) {
    r.fail("expected the end marker 'end' after " + std::to_string(trace.steps.size()) + " steps, not '" +
           escaped_excerpt(end) + "'");
  }
  const std::size_t summed = r.offset();
  const std::string_view sum = r.next("the checksum line");
  if (!starts_with(sum, kChecksumPrefix)) r.fail("expected 'checksum: <16 hex digits>', not '" + escaped_excerpt(sum) + "'");
  const std::string want = hex16(fnv1a64(text.substr(0, summed)));
  if (sum.substr(kChecksumPrefix.size()) != want) {
    r.fail("wrong checksum '" + escaped_excerpt(sum.substr(kChecksumPrefix.size())) + "' (the content hashes to " +
           want + "): the file was changed or damaged");
  }
  if (!r.at_end()) r.fail_at_next_line("text after the checksum line");
  return trace;
}

}  // namespace poolcheck::det
