// Catches, on one thread, the checked-mode violations that a misuse op provokes on purpose: a
// double give_back or a span mismatch is reported by a checked pool through its process-wide
// violation handler (bufpool/checked_mode.hpp), whose default aborts.
//
// The first capture installs a handler once per process; it records a violation reported on a
// thread that has a capture armed, and passes every other one to the handler installed before
// (the default: print and abort). A handler that returns makes the offending give_back a no-op,
// which is what the contract says a checked pool does after reporting. Code that installs its own
// handler afterwards replaces this one: misuse ops then see no report.
//
// Thread-safety: a capture belongs to the thread that made it (a thread_local pointer says which);
// the handler runs on the thread whose give_back found the violation.
#pragma once

#include <vector>

#include "bufpool/checked_mode.hpp"

namespace poolcheck {

class CheckedViolationCapture {
 public:
  CheckedViolationCapture();  // arms capture on this thread (installs the handler the first time)
  ~CheckedViolationCapture();
  CheckedViolationCapture(const CheckedViolationCapture&) = delete;
  CheckedViolationCapture& operator=(const CheckedViolationCapture&) = delete;

  const std::vector<bufpool::CheckedViolation::Kind>& seen() const noexcept { return seen_; }
  bool saw(bufpool::CheckedViolation::Kind kind) const noexcept;

 private:
  static void handler(const bufpool::CheckedViolation& v);
  std::vector<bufpool::CheckedViolation::Kind> seen_;
  CheckedViolationCapture* outer_ = nullptr;  // a capture armed further up this thread's stack
};

}  // namespace poolcheck
