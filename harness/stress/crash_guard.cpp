#include "crash_guard.hpp"

#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstring>

#include "bufpool/sanitizer_build.hpp"
#include "poolcheck/run_state.hpp"

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

void write_all(const char* s, int fd = 2) noexcept {
  std::size_t n = std::strlen(s);
  while (n > 0) {
    const ssize_t w = ::write(fd, s, n);
    if (w <= 0) return;
    s += w;
    n -= static_cast<std::size_t>(w);
  }
}

void print_replay(const char* why) noexcept {
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
  write_all("\n");
}

// The end of the summary, on stdout as a normal run prints it, so a script that reads the
// "result:" and "replay:" lines finds them after a crash, a sanitizer's death or a second signal
// too. (The rest of the summary is not async-signal-safe to print.)
void print_result(const char* result) noexcept {
  write_all("result: ", 1);
  write_all(result, 1);
  write_all("\n", 1);
  if (g_replay[0] != '\0') {
    write_all("replay: ", 1);
    write_all(g_replay, 1);
    write_all("\n", 1);
  }
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

#if !POOLCHECK_SANITIZED
extern "C" void on_crash(int sig) {
  print_replay(sig == SIGABRT ? "aborted" : "crashed");
  print_result(sig == SIGABRT ? "FAILED (aborted)" : "FAILED (crashed)");
  std::signal(sig, SIG_DFL);
  std::raise(sig);
}
#else
// Under TSan with halt_on_error=1 (and ASan, UBSan) this runs on the reporting thread after the
// sanitizer's report, while other workers may still run: only write(2) of fixed buffers.
void on_sanitizer_death() {
  print_replay("a sanitizer stopped the run");
  print_result("FAILED (a sanitizer stopped the run)");
}
#endif

}  // namespace

void install_crash_guard() {
  struct sigaction sa {};
  sa.sa_handler = &on_interrupt;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
#if POOLCHECK_SANITIZED
  // The sanitizer owns SIGSEGV and friends; it calls this before it exits.
  __sanitizer_set_death_callback(&on_sanitizer_death);
#else
  struct sigaction crash {};
  crash.sa_handler = &on_crash;
  sigemptyset(&crash.sa_mask);
  crash.sa_flags = SA_RESETHAND;
  for (int sig : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT}) sigaction(sig, &crash, nullptr);
#endif
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
