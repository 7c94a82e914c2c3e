// `stress --self-test`: proves in this build that the harness bites and never cries wolf. Every
// mutant pool, every workload and every buggy-consumer pitfall runs in a child `stress` process, so a
// sanitizer's abort or a crash is a result, not the end of the test; the correct pools run too and
// must come back clean. Prints the kill matrix's column for this build (release, asan or tsan).
#pragma once

#include <string>

#include "stress_settings.hpp"

namespace poolcheck {

struct SelfTestOptions {
  std::string self;        // path of this stress binary
  double seconds_per_case = 10;
  std::uint32_t threads = 64;
  std::string json_path;   // optional: the column as JSON, for ci/kill_matrix.py
  std::string junit_path;  // optional: one JUnit test case per row
};

// Returns the exit code: 0 when every mutant expected to be caught in this build was caught and no
// correct pool was flagged, 1 otherwise, 130/143 when SIGINT/SIGTERM stopped it (the running child
// is stopped, no further child starts, the rows so far are reported and written). Installs the
// crash guard's signal handling itself.
int run_self_test(const SelfTestOptions& options);

// "release", "asan" or "tsan": which sanitizer this binary was built with.
const char* build_flavour() noexcept;

}  // namespace poolcheck
