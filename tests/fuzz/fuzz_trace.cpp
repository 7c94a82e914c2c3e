// libFuzzer target: the schedule-trace loader (`stress --replay FILE`) on arbitrary bytes.
// Properties: it returns a trace or throws TraceError (no other exception, no crash, no allocation
// beyond a small multiple of the input: libFuzzer's -rss_limit_mb and -malloc_limit_mb catch one);
// the error's text is one short printable line; a loaded trace survives format -> load unchanged.
// The same bytes with their checksum line recomputed are tried too, so mutations reach the checks
// the checksum would otherwise stop first.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "poolcheck/deterministic/schedule_trace.hpp"

namespace {

using namespace poolcheck::det;

[[noreturn]] void broken(const char* what, std::string_view detail) {
  std::fprintf(stderr, "fuzz_trace: %s: %.*s\n", what, static_cast<int>(std::min<std::size_t>(detail.size(), 2000)),
               detail.data());
  std::abort();
}

void check_error(const TraceError& e) {
  const std::string_view w = e.what();
  if (w.size() > 1000) broken("error message longer than 1000 bytes", w);
  for (const char c : w) {
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f) broken("unescaped byte in error", w);
  }
}

void load(std::string_view text) {
  ScheduleTrace trace;
  try {
    trace = load_trace_from_string(text, "fuzz.trace");
  } catch (const TraceError& e) {
    check_error(e);
    return;
  }
  const std::string again = format_trace(trace);
  try {
    const ScheduleTrace back = load_trace_from_string(again, "again.trace");
    if (format_trace(back) != again) broken("format -> load -> format changed the trace", again);
  } catch (const TraceError& e) {
    broken("a formatted trace does not load", e.what());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  load(text);
  // Resealed: everything up to the last "checksum: " line (or all of it), then the right checksum.
  const std::size_t at = text.rfind("\nchecksum: ");
  std::string sealed(at == std::string_view::npos ? text : text.substr(0, at + 1));
  char sum[40];
  std::snprintf(sum, sizeof sum, "checksum: %016llx\n", static_cast<unsigned long long>(fnv1a64(sealed)));
  sealed += sum;
  load(sealed);
  return 0;
}
