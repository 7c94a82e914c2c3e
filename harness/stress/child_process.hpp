// Runs this program (or another) as a child process and collects its exit and output: the
// self-test and --repeat use fresh processes, so a crash, a sanitizer's abort or a heap a mutant
// corrupted ends one run, not the whole measurement.
#pragma once

#include <string>
#include <vector>

namespace poolcheck {

struct Child {
  int exit_code = -1;  // 128 + signal when killed by one; -1 when it could not be started
  std::string output;  // stdout and stderr, interleaved
  double seconds = 0;
  bool timed_out = false;
};

// args[0] is the executable's path. Blocks until the child exits, or kills it (SIGKILL) after
// `timeout_seconds`: a sanitizer's runtime can deadlock while dying, and a self-test must not hang.
Child run_child(const std::vector<std::string>& args, double timeout_seconds = 600);

// The path of the running executable (/proc/self/exe resolved).
std::string self_path();

}  // namespace poolcheck
