// Makes sure the replay line survives whatever ends the process: SIGINT/SIGTERM set a flag the
// run polls (a clean stop with a summary); a crash signal or a sanitizer's abort prints the current
// replay line with async-signal-safe write(2) before the process dies.
#pragma once

#include <atomic>
#include <string>

namespace poolcheck {

// Installs the handlers. Call once, from main, before any worker starts.
void install_crash_guard();

// The line printed if the process dies now. Main thread only, between rounds.
void set_crash_replay_line(const std::string& line);

// Set by SIGINT/SIGTERM; the exit code to use then (130 or 143).
const std::atomic<bool>& interrupt_flag() noexcept;
int interrupt_exit_code() noexcept;

}  // namespace poolcheck
