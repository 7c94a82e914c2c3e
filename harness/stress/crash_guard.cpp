#include "crash_guard.hpp"

#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstring>

#include <cstdlib>

#include "bufpool/sanitizer_build.hpp"
#include "poolcheck/deterministic/crash_trace.hpp"
#include "poolcheck/deterministic/schedule.hpp"
#include "poolcheck/run_state.hpp"
#include "program_name.hpp"

#if BUFPOOL_ASAN || BUFPOOL_TSAN
#include <sanitizer/common_interface_defs.h>
#define POOLCHECK_SANITIZED 1
#else
#define POOLCHECK_SANITIZED 0
#endif

namespace poolcheck {
namespace {

std::atomic<bool> g_interrupt{false};
std::atomic<int> g_signal{0};
std::atomic<bool> g_reporting{false};
std::atomic<int> g_child{0};
char g_replay[2048] = "";
char g_cleanup[2][4096] = {"", ""};
static_assert(std::atomic<bool>::is_always_lock_free && std::atomic<int>::is_always_lock_free);

// `trace`: the schedule trace a crash in a deterministic schedule wrote (null: none).
void print_replay(const char* why, const char* trace = nullptr) noexcept {
  write_all("\npoolcheck: ");
  write_all(why);
  if (const char* first = first_violation_text(); first[0] != '\0') {
    write_all("; first violation: ");
    write_all(first);
  }
  if (g_replay[0] != '\0') {
    write_all("; replay: ");
    write_all(g_replay);
  }
  if (trace != nullptr) {
    write_all("; schedule trace up to the crash: ");
    write_all(trace);
  }
  write_all("\n");
}

// The end of the summary, on stdout as a normal run prints it, so a script that reads the
// "result:" and "replay:" lines finds them after a crash, a sanitizer's death or a second signal
// too. (The rest of the summary is not async-signal-safe to print.) A deterministic schedule's
// crash names its trace, as a failing schedule's summary does.
void print_result(const char* result, const char* trace = nullptr) noexcept {
  write_all("result: ", 1);
  write_all(result, 1);
  write_all("\n", 1);
  if (trace != nullptr) {
    write_all("schedule trace: ", 1);
    write_all(trace, 1);
    write_all("\nreplay: ", 1);
    write_all(program_name().c_str(), 1);  // set before the guard was installed, never changed after
    write_all(" --replay ", 1);
    write_all(trace, 1);
    write_all("\n", 1);
  } else if (g_replay[0] != '\0') {
    write_all("replay: ", 1);
    write_all(g_replay, 1);
    write_all("\n", 1);
  }
}

// A crash: the schedule's trace so far (when a deterministic schedule is armed), then the lines.
void report_death(const char* why, const char* result) noexcept {
  const char* trace = det::write_crash_trace();
  print_replay(why, trace);
  print_result(result, trace);
}

// POOLCHECK_TEST_CRASH_AT_STEP=N[:SIGNAL] (tests only): the schedule raises SIGNAL (default
// SIGSEGV) at step N of every deterministic schedule, a stand-in for a pool that crashes there.
void read_test_crash() {
  const char* text = std::getenv("POOLCHECK_TEST_CRASH_AT_STEP");
  if (text == nullptr || text[0] == '\0') return;
  char* end = nullptr;
  const unsigned long long step = std::strtoull(text, &end, 10);
  int sig = SIGSEGV;
  if (end != nullptr && *end == ':') sig = static_cast<int>(std::strtol(end + 1, nullptr, 10));
  det::Schedule::crash_at_step_for_tests(step, sig);
}

extern "C" void on_interrupt(int sig) {
  if (g_interrupt.exchange(true)) {  // second signal
    if (g_reporting.load()) return;  // the report is being written: it ends the process
    // Stop now: the summary cannot be printed safely from here, so the result and the replay line
    // are (stdout), with the first violation (stderr); a running child dies with us.
    if (const int child = g_child.load(); child > 0) ::kill(child, SIGKILL);
    for (const char* path : g_cleanup) {
      if (path[0] != '\0') ::unlink(path);
    }
    print_replay("interrupted twice, exiting at once without the report");
    print_result("INTERRUPTED (interrupted twice, report cut short)");
    const int first = g_signal.load();
    ::_exit(128 + (first == 0 ? sig : first));
  }
  g_signal.store(sig);
}

// Installed with SA_RESETHAND: the raise below kills the process with the same signal.
extern "C" void on_crash(int sig) {
  report_death(sig == SIGABRT ? "aborted" : "crashed", sig == SIGABRT ? "FAILED (aborted)" : "FAILED (crashed)");
  std::signal(sig, SIG_DFL);
  std::raise(sig);
}

#if POOLCHECK_SANITIZED
// Under TSan with halt_on_error=1 (and ASan, UBSan) this runs on the reporting thread after the
// sanitizer's report, while other workers may still run: only write(2) of fixed buffers.
void on_sanitizer_death() { report_death("a sanitizer stopped the run", "FAILED (a sanitizer stopped the run)"); }
#endif

}  // namespace

void write_all(const char* s, int fd) noexcept {
  std::size_t n = std::strlen(s);
  while (n > 0) {
    const ssize_t w = ::write(fd, s, n);
    if (w <= 0) return;
    s += w;
    n -= static_cast<std::size_t>(w);
  }
}

void install_crash_guard() {
  struct sigaction sa {};
  sa.sa_handler = &on_interrupt;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
#if POOLCHECK_SANITIZED
  // The sanitizer owns the signals it handles (SIGSEGV, SIGBUS, SIGFPE by default) and calls this
  // before it exits.
  __sanitizer_set_death_callback(&on_sanitizer_death);
#endif
  struct sigaction crash {};
  crash.sa_handler = &on_crash;
  sigemptyset(&crash.sa_mask);
  crash.sa_flags = SA_RESETHAND;
  for (int sig : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT}) {
    // Under a sanitizer only the signals it left alone (SIGABRT and SIGILL unless its
    // handle_abort / handle_sigill options say otherwise): an abort() would otherwise kill the
    // process without a word, and replacing its own handler would lose its report.
    struct sigaction current {};
    if (POOLCHECK_SANITIZED && (sigaction(sig, nullptr, &current) != 0 || current.sa_handler != SIG_DFL)) continue;
    sigaction(sig, &crash, nullptr);
  }
  read_test_crash();
}

void set_crash_replay_line(const std::string& line) {
  const std::size_t n = std::min(line.size(), sizeof g_replay - 1);
  std::memcpy(g_replay, line.data(), n);
  g_replay[n] = '\0';
}

const std::atomic<bool>& interrupt_flag() noexcept { return g_interrupt; }

void begin_report() noexcept { g_reporting.store(true); }

void set_running_child(int pid) noexcept { g_child.store(pid); }

void set_cleanup_path(int slot, const char* path) noexcept {
  char* dst = g_cleanup[slot & 1];
  dst[0] = '\0';  // never half a path while it changes
  if (path == nullptr) return;
  const std::size_t n = std::min(std::strlen(path), sizeof g_cleanup[0] - 1);
  std::memcpy(dst + 1, path + 1, n > 0 ? n - 1 : 0);
  dst[n] = '\0';
  std::atomic_signal_fence(std::memory_order_seq_cst);
  dst[0] = n > 0 ? path[0] : '\0';
}

int interrupt_exit_code() noexcept { return 128 + (g_signal.load() == 0 ? SIGINT : g_signal.load()); }

}  // namespace poolcheck
