// The live progress line on stderr: rewritten in place on a terminal, a plain line every few
// seconds otherwise. Main thread only.
#pragma once

#include <cstdint>

#include "stress_driver.hpp"

namespace poolcheck {

class ProgressPrinter {
 public:
  explicit ProgressPrinter(bool quiet);
  void operator()(const Progress& p, std::uint32_t round);
  void finish();  // clears a line left on the terminal
  void round_started() { last_plain_ = 0; }

 private:
  bool quiet_;
  bool tty_;
  bool dirty_ = false;
  double last_plain_ = 0;
};

// The hooks of a run: progress to `progress`, each round's replay line to the crash guard and to
// the provisional --json/--junit reports, and the crash guard's interrupt flag.
StressHooks progress_hooks(ProgressPrinter& progress, const StressSettings& settings);

}  // namespace poolcheck
