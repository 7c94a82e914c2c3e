#include "poolcheck/thread_launcher.hpp"

#include <cerrno>
#include <cstring>

#include "bufpool/sanitizer_build.hpp"

namespace poolcheck {

std::size_t default_worker_stack_bytes() noexcept {
  if constexpr (bufpool::kTsanBuild) return std::size_t{1} << 20;
  if constexpr (bufpool::kAsanBuild) return std::size_t{512} << 10;
  return std::size_t{128} << 10;
}

ThreadLauncher::~ThreadLauncher() {
  if (!joined_) {
    if (gate_.load() == 0) release(true);
    join();
  }
}

void* ThreadLauncher::trampoline(void* arg) {
  auto* start = static_cast<Start*>(arg);
  ThreadLauncher* self = start->self;
  // Park until the launcher opens the gate (futex wait through std::atomic::wait).
  int gate = self->gate_.load(std::memory_order_acquire);
  while (gate == 0) {
    self->gate_.wait(0, std::memory_order_acquire);
    gate = self->gate_.load(std::memory_order_acquire);
  }
  self->body_(start->index, gate == 2);
  return nullptr;
}

bool run_on_new_thread(std::size_t stack_bytes, void (*fn)(void*), void* arg) {
  struct Call {
    void (*fn)(void*);
    void* arg;
  } call{fn, arg};
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, stack_bytes != 0 ? stack_bytes : default_worker_stack_bytes());
  pthread_t thread;
  const int rc = pthread_create(
      &thread, &attr,
      [](void* p) -> void* {
        auto* c = static_cast<Call*>(p);
        c->fn(c->arg);
        return nullptr;
      },
      &call);
  pthread_attr_destroy(&attr);
  if (rc != 0) return false;
  pthread_join(thread, nullptr);
  return true;
}

bool ThreadLauncher::start(std::uint32_t count, std::size_t stack_bytes, Body body) {
  body_ = std::move(body);
  threads_.reserve(count);
  starts_.resize(count);  // stable addresses: never resized again
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, stack_bytes);
  for (std::uint32_t i = 0; i < count; ++i) {
    starts_[i] = Start{this, i};
    pthread_t t;
    const int rc = pthread_create(&t, &attr, &ThreadLauncher::trampoline, &starts_[i]);
    if (rc != 0) {
      error_ = "could not start thread " + std::to_string(i + 1) + " of " + std::to_string(count) + ": " +
               std::strerror(rc) + " (started " + std::to_string(i) +
               "; lower --threads, or raise `ulimit -u`, vm.max_map_count or the memory limit)";
      pthread_attr_destroy(&attr);
      return false;
    }
    threads_.push_back(t);
  }
  pthread_attr_destroy(&attr);
  return true;
}

void ThreadLauncher::release(bool abort_start) {
  gate_.store(abort_start ? 2 : 1, std::memory_order_release);
  gate_.notify_all();
}

void ThreadLauncher::detach() {
  for (pthread_t t : threads_) pthread_detach(t);
  joined_ = true;
}

void ThreadLauncher::join() {
  for (pthread_t t : threads_) pthread_join(t, nullptr);
  joined_ = true;
}

}  // namespace poolcheck
