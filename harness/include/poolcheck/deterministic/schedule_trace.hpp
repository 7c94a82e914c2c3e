// A failing schedule as a file: the command that produced it, the first violation (to prove a
// replay hits the same one at the same step) and every step (chosen thread, thread at the point,
// kind of point). `stress --replay FILE` reads it back.
//
// The format (version 2), one item per '\n'-terminated line, in this order:
//
//   poolcheck-trace 2                      the version line; anything else is refused
//   command: stress --seed ...             the recorded command (printable ASCII, <= 4096 bytes)
//   violation: ORACLE LEASE OTHER OFFSET STEP   optional, then  what: TEXT  (<= 4096 bytes)
//   programs: SEED THREADS                 optional, then THREADS times:  thread: OPS  and OPS lines
//   op KIND LEASE VIA CLEAR LO HI TARGET DELAY SIZE
//   steps: N                               then N lines  THREAD AT KIND
//   end                                    the end marker
//   checksum: 0123456789abcdef             FNV-1a 64 of every byte before this line, 16 hex digits
//
// The trace cannot lie: every number is plain decimal (no sign, no leading zeros, no wrap) and
// bounded by what `stress` itself can produce (its CLI's limits, stress_cli.cpp):
//   THREADS in 1..kMaxTraceThreads (65536, --threads' bound, Tag::kMaxThreads);
//   OPS in 0..kMaxTraceOps (2^24 - 1, --ops' bound; a shrunk program may keep an empty thread);
//   N in 1..kMaxTraceSteps (2^40, --max-steps' bound); a step's chosen thread and an op's target
//   are below THREADS, the thread at a step's point at most THREADS (the launcher's start step),
//   both at most 65536 without programs; SIZE <= kMaxTraceRentSize (2^31: --max-array-length
//   <= 2^30 plus over-size rents of up to a quarter more); LO, HI <= 65535; LEASE < 4;
//   KIND an OpKind (0..kLastOpKind); for a misuse op SIZE is a Misuse (< kMisuseCount), for a
//   lease_move op a LeaseMove (< kLeaseMoveCount) and LO the other lease index (< 4);
//   the whole file <= kMaxTraceBytes (1 GiB).
// Every declared count is also checked against the bytes left in the file (each line it announces
// takes at least its shortest form) before anything is reserved, so a header cannot make the loader
// allocate more than the file's own size. A file with a wrong version, a bad line, a count that
// disagrees with the lines that follow, no end marker or a wrong checksum is refused with a
// TraceError naming the file and line; text from the file is echoed escaped and cut to 80 bytes.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "poolcheck/deterministic/schedule.hpp"
#include "poolcheck/program.hpp"
#include "poolcheck/violation.hpp"

namespace poolcheck::det {

inline constexpr int kTraceVersion = 2;
inline constexpr std::uint64_t kMaxTraceThreads = 1u << 16;
inline constexpr std::uint64_t kMaxTraceOps = (1u << 24) - 1;
inline constexpr std::uint64_t kMaxTraceSteps = std::uint64_t{1} << 40;
inline constexpr std::uint64_t kMaxTraceRentSize = std::uint64_t{1} << 31;
inline constexpr std::uint64_t kMaxTraceBytes = std::uint64_t{1} << 30;
inline constexpr std::size_t kMaxTraceTextBytes = 4096;  // the command and what lines
inline constexpr std::size_t kTraceCommandLine = 2;      // the line number of the command

struct ScheduleTrace {
  std::string command;                 // stress flags that rebuild the pool (and the programs, from the seed)
  std::optional<Violation> violation;  // the first one found (oracle, leases, offset, step)
  std::vector<Step> steps;
  // The programs themselves, op by op: a replay runs these rather than regenerating them from the
  // seed, so programs that never came from a seed (RapidCheck's shrunk ones) replay too.
  std::optional<ProgramSet> programs;

  std::vector<std::uint32_t> choices() const;
};

// A damaged or foreign trace: what() is "FILE:LINE: what is wrong" (line 0: the file as a whole;
// FILE escaped as escaped_excerpt does).
class TraceError : public std::runtime_error {
 public:
  TraceError(std::string file, std::size_t line, const std::string& problem);
  const std::string& file() const noexcept { return file_; }
  std::size_t line() const noexcept { return line_; }
  const std::string& problem() const noexcept { return problem_; }

 private:
  std::string file_;
  std::size_t line_;
  std::string problem_;
};

// FNV-1a 64 of `bytes` (the trace's checksum).
std::uint64_t fnv1a64(std::string_view bytes) noexcept;
// `text` made safe to print: control and non-ASCII bytes as \xNN, backslash doubled, cut to about
// `limit` bytes with "..." after.
std::string escaped_excerpt(std::string_view text, std::size_t limit = 80);

// The whole file, checksum included. Throws std::runtime_error naming the path on I/O failure.
std::string format_trace(const ScheduleTrace& trace);
void save_trace(const std::string& path, const ScheduleTrace& trace);
// Throws TraceError (naming the path and line) when the file cannot be read or is not a sound
// version-2 trace; never allocates more than a small multiple of the file's size.
ScheduleTrace load_trace(const std::string& path);
// The same for bytes already in memory; `name` stands for the file in messages.
ScheduleTrace load_trace_from_string(std::string_view text, const std::string& name);

}  // namespace poolcheck::det
