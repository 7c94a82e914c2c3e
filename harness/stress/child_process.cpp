#include "child_process.hpp"

#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <thread>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "crash_guard.hpp"

extern char** environ;

namespace poolcheck {

Child run_child(const std::vector<std::string>& args, double timeout_seconds, const std::atomic<bool>* stop,
                double grace_seconds) {
  char path[] = "/tmp/poolcheck-child-XXXXXX";
  const int fd = ::mkstemp(path);
  Child child;
  if (fd < 0) return child;
  set_cleanup_path(0, path);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fd, 1);
  posix_spawn_file_actions_adddup2(&actions, fd, 2);
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  const auto t0 = std::chrono::steady_clock::now();
  pid_t pid = 0;
  if (posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ) == 0) {
    set_running_child(pid);
    int status = 0;
    const auto after = [](double seconds) {
      return std::chrono::duration_cast<std::chrono::steady_clock::duration>(std::chrono::duration<double>(seconds));
    };
    auto deadline = t0 + after(timeout_seconds);
    while (::waitpid(pid, &status, WNOHANG) == 0) {
      if (stop != nullptr && stop->load() && !child.interrupted) {
        child.interrupted = true;
        ::kill(pid, SIGTERM);
        deadline = std::min(deadline, std::chrono::steady_clock::now() + after(grace_seconds));
      }
      if (std::chrono::steady_clock::now() > deadline) {
        ::kill(pid, SIGKILL);
        ::waitpid(pid, &status, 0);
        child.timed_out = !child.interrupted;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    child.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    set_running_child(0);
  }
  child.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  posix_spawn_file_actions_destroy(&actions);
  ::close(fd);
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  child.output = text.str();
  ::unlink(path);
  set_cleanup_path(0, nullptr);
  return child;
}

std::string self_path() {
  char exe[4096];
  const ssize_t n = ::readlink("/proc/self/exe", exe, sizeof exe - 1);
  return n > 0 ? std::string(exe, static_cast<std::size_t>(n)) : std::string("/proc/self/exe");
}

}  // namespace poolcheck
