// The trace format cannot lie: a sound trace round-trips, and every kind of damage (version,
// bounds, counts, truncation, end marker, checksum, bad numbers, control bytes, huge lines) is a
// TraceError naming the file and the line, never bad_alloc, a raw stoull message or a trace that
// loads.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "poolcheck/deterministic/schedule_trace.hpp"

namespace poolcheck::det {
namespace {

ScheduleTrace sample() {
  ScheduleTrace t;
  t.command = "stress --seed 7 --rounds 1 --threads 2 --ops 2 --pool locked --deterministic";
  Violation v;
  v.oracle = OracleKind::exclusivity;
  v.what = "lease 1 of thread 0 found bytes of lease 0 of thread 1";
  v.lease = Tag{0, 1};
  v.other = Tag{1, 0};
  v.offset = 64;
  v.step = 3;
  t.violation = v;
  ProgramSet p;
  p.seed = 7;
  p.threads.resize(2);
  Op rent;
  rent.kind = OpKind::rent;
  rent.size = 100;
  Op back;
  back.kind = OpKind::give_back;
  back.clear = true;
  p.threads[0].ops = {rent, back};
  p.threads[1].ops = {rent};
  t.programs = p;
  t.steps = {{0, 0, PointKind::start},  {1, 0, PointKind::lock},     {1, 1, PointKind::rmw},   {0, 1, PointKind::exit},
             {1, 0, PointKind::unlock}, {1, 1, PointKind::blocked}, {0, 1, PointKind::store}, {1, 0, PointKind::plain}};
  return t;
}

// The text before the checksum line, and the text with a fresh checksum line.
std::string unsealed(const std::string& text) { return text.substr(0, text.rfind("checksum: ")); }
std::string sealed(const std::string& body) {
  char sum[40];
  std::snprintf(sum, sizeof sum, "checksum: %016llx\n", static_cast<unsigned long long>(fnv1a64(body)));
  return body + sum;
}
// `text` with line `prefix...` replaced by `line`, resealed.
std::string with_line(const std::string& prefix, const std::string& line) {
  std::string body = unsealed(format_trace(sample()));
  const auto at = body.find("\n" + prefix);
  EXPECT_NE(at, std::string::npos) << prefix;
  const auto end = body.find('\n', at + 1);
  return sealed(body.replace(at + 1, end - at - 1, line));
}
std::size_t line_of(const std::string& text, const std::string& prefix) {
  const auto at = text.find("\n" + prefix);
  std::size_t n = 2;
  for (std::size_t i = 0; i < at; ++i) n += text[i] == '\n';
  return n;
}

// Loading `text` fails with a TraceError at `line` whose message contains `needle`.
void expect_error(const std::string& text, std::size_t line, const std::string& needle) {
  try {
    load_trace_from_string(text, "t.trace");
    ADD_FAILURE() << "loaded a damaged trace; expected '" << needle << "' at line " << line;
  } catch (const TraceError& e) {
    EXPECT_EQ(e.line(), line) << e.what();
    EXPECT_EQ(e.file(), "t.trace");
    EXPECT_NE(std::string(e.what()).find("t.trace:" + std::to_string(line) + ": "), std::string::npos) << e.what();
    EXPECT_NE(e.problem().find(needle), std::string::npos) << e.what();
    EXPECT_LT(std::string(e.what()).size(), 400u) << e.what();
  } catch (const std::exception& e) {
    ADD_FAILURE() << "not a TraceError: " << e.what();
  }
}

TEST(ScheduleTrace, RoundTripsWithVersionEndMarkerAndChecksum) {
  const std::string text = format_trace(sample());
  EXPECT_EQ(text.rfind("poolcheck-trace 2\n", 0), 0u);
  EXPECT_NE(text.find("\nend\nchecksum: "), std::string::npos);
  const ScheduleTrace back = load_trace_from_string(text, "t.trace");
  EXPECT_EQ(back.command, sample().command);
  ASSERT_TRUE(back.violation && back.programs);
  EXPECT_TRUE(same_finding(*back.violation, *sample().violation));
  EXPECT_EQ(back.programs->threads[0].ops, sample().programs->threads[0].ops);
  EXPECT_TRUE(same_steps(back.steps, sample().steps));
  EXPECT_EQ(format_trace(back), text);
}

TEST(ScheduleTrace, EveryOpKindAndVariantRoundTrips) {
  ScheduleTrace t = sample();
  auto& ops = t.programs->threads[1].ops;
  for (unsigned k = 0; k <= static_cast<unsigned>(kLastOpKind); ++k) {
    Op op;
    op.kind = static_cast<OpKind>(k);
    op.lease = static_cast<std::uint8_t>(k % kLeasesPerThread);
    op.clear = k % 2 == 0;
    ops.push_back(op);
  }
  for (std::uint64_t m = 0; m < kMisuseCount; ++m) ops.push_back(Op{OpKind::misuse, 1, false, false, 0, 0, 0, 0, m});
  for (std::uint64_t m = 0; m < kLeaseMoveCount; ++m) {
    ops.push_back(Op{OpKind::lease_move, 2, false, false, static_cast<std::uint16_t>(m % kLeasesPerThread), 0, 0, 0, m});
  }
  const ScheduleTrace back = load_trace_from_string(format_trace(t), "t.trace");
  ASSERT_TRUE(back.programs);
  EXPECT_EQ(back.programs->threads[1].ops, ops);
  EXPECT_EQ(format_trace(back), format_trace(t));
}

TEST(ScheduleTrace, SavesAndLoadsFiles) {
  const std::string path = "schedule_trace_test.trace";
  save_trace(path, sample());
  EXPECT_EQ(format_trace(load_trace(path)), format_trace(sample()));
  std::remove(path.c_str());
}

TEST(ScheduleTrace, RefusesOtherVersions) {
  std::string text = format_trace(sample());
  expect_error("poolcheck-schedule-trace v1" + text.substr(text.find('\n')), 1, "format version 1");
  expect_error("poolcheck-trace 3" + text.substr(text.find('\n')), 1, "format version '3'");
  expect_error("hello\n", 1, "not a poolcheck schedule trace");
  expect_error("", 1, "truncated");
}

TEST(ScheduleTrace, RefusesBadNumbers) {
  const std::string text = format_trace(sample());
  const std::size_t steps = line_of(text, "steps: ");
  expect_error(with_line("steps: ", "steps: -1"), steps, "step count '-1' is not a decimal number");
  expect_error(with_line("steps: ", "steps: x"), steps, "step count 'x'");
  expect_error(with_line("steps: ", "steps: 04"), steps, "step count '04'");
  expect_error(with_line("steps: ", "steps: 18446744073709551616"), steps, "not a decimal number");
  expect_error(with_line("steps: ", "steps: 0"), steps, "from 1 to");
  expect_error(with_line("steps: ", "steps: 1099511627777"), steps, "from 1 to 1099511627776");
  expect_error(with_line("steps: ", "steps:  4"), steps, "bad steps line");
  expect_error(with_line("violation: ", "violation: exclusivity 1 2 3"), line_of(text, "violation: "), "5 fields");
  expect_error(with_line("violation: ", "violation: nope 1 2 3 4"), line_of(text, "violation: "), "unknown oracle");
  const std::size_t op = line_of(text, "op ");
  expect_error(with_line("op ", "op 12 0 0 0 0 0 0 0 100"), op, "op kind '12'");
  expect_error(with_line("op ", "op 9 0 0 0 0 0 0 0 4"), op, "misuse variant '4'");
  expect_error(with_line("op ", "op 10 0 0 0 0 0 0 0 5"), op, "lease-move variant '5'");
  expect_error(with_line("op ", "op 10 0 0 0 4 0 0 0 1"), op, "other lease index 4");
  expect_error(with_line("op ", "op 0 4 0 0 0 0 0 0 100"), op, "lease index '4'");
  expect_error(with_line("op ", "op 0 0 0 0 0 65536 0 0 100"), op, "range end");
  expect_error(with_line("op ", "op 0 0 0 0 0 0 2 0 100"), op, "hand-over target '2'");
  expect_error(with_line("op ", "op 0 0 0 0 0 0 0 0 2147483649"), op, "size");
  expect_error(with_line("op ", "op 0 0 0 0 0 0 0 4294967296 0"), op, "delay");
  const std::size_t step = line_of(text, "1 0 lock");
  expect_error(with_line("1 0 lock", "2 0 lock"), step, "step thread '2'");
  expect_error(with_line("1 0 lock", "1 0 sleep"), step, "unknown point kind 'sleep'");
  expect_error(with_line("1 0 lock", "1 3 lock"), step, "step point thread '3'");
  // The start step is taken by the launcher, whose index is the thread count.
  EXPECT_NO_THROW(load_trace_from_string(with_line("0 0 start", "0 2 start"), "t.trace"));
}

TEST(ScheduleTrace, BoundsDeclaredSizesBeforeAllocating) {
  const std::string text = format_trace(sample());
  const std::size_t steps = line_of(text, "steps: ");
  const std::size_t programs = line_of(text, "programs: ");
  // Within the hard bound but far beyond the file: refused by the file's size, not allocated.
  expect_error(with_line("steps: ", "steps: 1099511627776"), steps, "truncated or damaged");
  expect_error(with_line("programs: ", "programs: 1 65536"), programs, "truncated or damaged");
  expect_error(with_line("thread: ", "thread: 16777215"), programs + 1, "truncated or damaged");
  // Beyond the hard bounds.
  expect_error(with_line("programs: ", "programs: 1 4294967296"), programs, "from 1 to 65536");
  expect_error(with_line("programs: ", "programs: 1 70000"), programs, "from 1 to 65536");
  expect_error(with_line("thread: ", "thread: 16777216"), programs + 1, "from 0 to 16777215");
  // Impossible.
  expect_error(with_line("programs: ", "programs: 1 0"), programs, "thread count '0'");
}

TEST(ScheduleTrace, CountsMustMatchTheLinesThatFollow) {
  const std::string text = format_trace(sample());
  const std::size_t programs = line_of(text, "programs: ");
  // Three threads declared, two present: the steps line comes where thread 2 should be.
  expect_error(with_line("programs: ", "programs: 7 3"), line_of(text, "steps: "), "expected thread 2 of 3");
  // One op too many declared for thread 0: its next line is a thread line.
  expect_error(with_line("thread: 2", "thread: 3"), programs + 4, "expected an op line");
  // Nine steps declared, eight present.
  expect_error(with_line("steps: ", "steps: 9"), line_of(text, "end"), "the end marker after 8 steps");
  // Seven declared, eight present.
  expect_error(with_line("steps: ", "steps: 7"), line_of(text, "end") - 1, "expected the end marker");
}

TEST(ScheduleTrace, NeedsTheEndMarkerAndTheChecksum) {
  const std::string text = format_trace(sample());
  const std::string body = unsealed(text);
  const std::size_t end = line_of(text, "end");
  // No end marker (checksum recomputed): the checksum line stands where 'end' should be.
  expect_error(sealed(body.substr(0, body.size() - 4)), end, "expected the end marker");
  // No checksum line.
  expect_error(body, end + 1, "truncated");
  // A wrong checksum.
  expect_error(body + "checksum: 0000000000000000\n", end + 1, "wrong checksum");
  // A changed step, its checksum left as it was.
  std::string changed = text;
  changed.replace(changed.find("\n1 1 rmw") + 1, 1, "0");
  expect_error(changed, end + 1, "wrong checksum");
  // Anything after the checksum line.
  expect_error(text + "x\n", end + 2, "text after the checksum line");
}

TEST(ScheduleTrace, EveryTruncationAndEveryChangedByteIsRefused) {
  const std::string text = format_trace(sample());
  for (std::size_t n = 0; n < text.size(); ++n) {
    EXPECT_THROW(load_trace_from_string(text.substr(0, n), "t.trace"), TraceError) << "cut at " << n;
  }
  for (std::size_t i = 0; i < text.size(); ++i) {
    std::string changed = text;
    changed[i] = static_cast<char>(changed[i] ^ 0x01);
    EXPECT_THROW(load_trace_from_string(changed, "t.trace"), TraceError) << "byte " << i << " changed";
  }
}

TEST(ScheduleTrace, EchoesBadLinesEscapedAndShort) {
  const std::string text = format_trace(sample());
  const std::size_t steps = line_of(text, "steps: ");
  for (const std::string& bad : {std::string("steps: \x1b[31mred\x1b[0m"), std::string("steps: ") + std::string(100000, 'x'),
                                  std::string("\x1b]0;title\x07"), std::string(1 << 20, '\x1b')}) {
    try {
      load_trace_from_string(with_line("steps: ", bad), "t.trace");
      ADD_FAILURE() << "loaded";
    } catch (const TraceError& e) {
      const std::string what = e.what();
      EXPECT_EQ(e.line(), steps) << what;
      EXPECT_LT(what.size(), 300u);
      for (const char c : what) ASSERT_TRUE(c >= 0x20 && c < 0x7f) << what;
    }
  }
  try {
    load_trace_from_string(with_line("steps: ", "steps: \x1b[31m"), "t.trace");
  } catch (const TraceError& e) {
    EXPECT_NE(std::string(e.what()).find("\\x1b[31m"), std::string::npos) << e.what();
  }
}

TEST(ScheduleTrace, LoadTraceNamesTheFileAndRefusesWhatIsNotARegularFile) {
  for (const std::string path : {"/nonexistent/poolcheck.trace", "/dev/zero", "/"}) {
    try {
      load_trace(path);
      ADD_FAILURE() << path;
    } catch (const TraceError& e) {
      EXPECT_EQ(std::string(e.what()).rfind(path + ":0: ", 0), 0u) << e.what();
    }
  }
  const std::string path = "schedule_trace_test_cut.trace";
  {
    std::ofstream f(path);
    const std::string text = format_trace(sample());
    f << text.substr(0, text.find("steps: "));
  }
  try {
    load_trace(path);
    ADD_FAILURE() << "a trace cut before steps: loaded";
  } catch (const TraceError& e) {
    EXPECT_NE(e.problem().find("truncated"), std::string::npos) << e.what();
    EXPECT_EQ(std::string(e.what()).rfind(path + ":", 0), 0u) << e.what();
  }
  std::remove(path.c_str());
}

}  // namespace
}  // namespace poolcheck::det
