// Makes sure the replay line survives whatever ends the process: SIGINT/SIGTERM set a flag the
// run polls (a clean stop with a summary); a crash signal or a sanitizer's abort prints the current
// replay line with async-signal-safe write(2) before the process dies.
#pragma once

#include <atomic>
#include <string>

namespace poolcheck {

// Writes all of `text` to `fd` with write(2): async-signal-safe, for signal handlers and sanitizer
// callbacks. Gives up silently on a write error (nothing more can be done from there).
void write_all(const char* text, int fd = 2) noexcept;

// Installs the handlers. Call once, from main, before any worker starts.
void install_crash_guard();

// The line printed if the process dies now. Main thread only, between rounds.
void set_crash_replay_line(const std::string& line);

// Set by SIGINT/SIGTERM; the exit code to use then (130 or 143).
const std::atomic<bool>& interrupt_flag() noexcept;
int interrupt_exit_code() noexcept;

// A second SIGINT/SIGTERM normally ends the process at once, printing (async-signal-safely) the
// first violation and the replay line, with "result: INTERRUPTED" on stdout. After begin_report()
// it is only noted: the report (summary, JSON, JUnit) being written is finished first.
void begin_report() noexcept;

// A child process the second signal must kill before the process exits (0: none), and up to two
// temporary files it must remove ("" or nullptr: none). Main thread only.
void set_running_child(int pid) noexcept;
void set_cleanup_path(int slot, const char* path) noexcept;

}  // namespace poolcheck
