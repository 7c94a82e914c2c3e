// Starts many OS threads with small stacks, holds them at a start barrier, then releases them
// together, so thousands of workers hit the pool at the same instant.
//
// std::thread cannot choose its stack size, so this uses pthread_create with an explicit stack.
// Creation failure (EAGAIN: thread or map limit) is reported with the number reached; threads
// already started are released and told to stop, never left blocked.
//
// Not thread-safe: one launcher, driven by one (main) thread.
#pragma once

#include <pthread.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace poolcheck {

// A stack size that works for the build: TSan needs about 1 MiB (SANITIZERS.md), ASan's frames are
// larger, release workers need little.
std::size_t default_worker_stack_bytes() noexcept;

// Runs fn(arg) on a new thread with a stack of `stack_bytes` (0: default_worker_stack_bytes()) and
// waits until that thread has ended, its thread-local destructors included. Returns false, having
// run nothing, when the system refused the thread. For the `exit` op: a program's next part runs
// on a fresh thread after the previous one exited.
bool run_on_new_thread(std::size_t stack_bytes, void (*fn)(void*), void* arg);

class ThreadLauncher {
 public:
  // body(i) runs on thread i after the barrier opens; `abort_start` is true when the launch failed
  // and the body should return at once.
  using Body = std::function<void(std::uint32_t index, bool abort_start)>;

  ThreadLauncher() = default;
  ThreadLauncher(const ThreadLauncher&) = delete;
  ThreadLauncher& operator=(const ThreadLauncher&) = delete;
  ~ThreadLauncher();  // joins whatever is still joinable

  // Creates `count` threads parked at the barrier. Returns false (with error()) when the system
  // refused one; started() tells how many exist.
  bool start(std::uint32_t count, std::size_t stack_bytes, Body body);
  // Opens the barrier. After a failed start, the parked threads see abort_start = true.
  void release(bool abort_start = false);
  void join();
  // Gives up on joining (the threads are stuck): they are detached and the launcher forgets them.
  // The Body and everything it references must then outlive them.
  void detach();

  std::uint32_t started() const noexcept { return static_cast<std::uint32_t>(threads_.size()); }
  const std::string& error() const noexcept { return error_; }

 private:
  struct Start {
    ThreadLauncher* self;
    std::uint32_t index;
  };
  static void* trampoline(void* arg);

  Body body_;
  std::vector<pthread_t> threads_;
  std::vector<Start> starts_;
  std::atomic<int> gate_{0};  // 0 closed, 1 open, 2 open with abort
  bool joined_ = false;
  std::string error_;
};

}  // namespace poolcheck
