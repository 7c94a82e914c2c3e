// Runs this program (or another) as a child process and collects its exit and output: the
// self-test and --repeat use fresh processes, so a crash, a sanitizer's abort or a heap a mutant
// corrupted ends one run, not the whole measurement.
#pragma once

#include <atomic>
#include <string>
#include <vector>

namespace poolcheck {

struct Child {
  int exit_code = -1;  // 128 + signal when killed by one; -1 when it could not be started
  std::string output;  // stdout and stderr, interleaved
  double seconds = 0;
  bool timed_out = false;
  bool interrupted = false;  // `stop` was set while it ran: it was stopped (see run_child)
};

// args[0] is the executable's path. Blocks until the child exits, or kills it (SIGKILL) after
// `timeout_seconds`: a sanitizer's runtime can deadlock while dying, and a self-test must not hang.
// When `stop` becomes true while the child runs, the child gets SIGTERM and, if it has not exited
// after `grace_seconds`, SIGKILL. Its output file is always removed; the crash guard knows the
// child and the file while it runs, so a second signal to this process kills and removes them.
Child run_child(const std::vector<std::string>& args, double timeout_seconds = 600,
                const std::atomic<bool>* stop = nullptr, double grace_seconds = 5);

// The path of the running executable (/proc/self/exe resolved).
std::string self_path();

}  // namespace poolcheck
