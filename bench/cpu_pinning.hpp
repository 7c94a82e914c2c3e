// Pins the calling thread to one CPU for a scope and restores its previous affinity at the end.
// pool_bench's cross-thread benchmark puts the renting and the giving thread on two different CPUs:
// left to the scheduler, the pair sometimes shares a core or migrates mid-run, and the same binary
// measures the bare hand-off several times slower from one run to the next.
//
// Not thread-safe across threads: each thread pins itself.
#pragma once

#include <pthread.h>
#include <sched.h>

#include <cstddef>
#include <optional>

namespace bench {

// The n-th CPU (0-based) this process may run on, if it has that many.
inline std::optional<int> nth_allowed_cpu(std::size_t n) {
  cpu_set_t allowed;
  if (::sched_getaffinity(0, sizeof allowed, &allowed) != 0) return std::nullopt;
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
    if (CPU_ISSET(cpu, &allowed) && n-- == 0) return cpu;
  }
  return std::nullopt;
}

class ScopedCpuPin {
 public:
  // Pins to `cpu` if it has a value; otherwise does nothing.
  explicit ScopedCpuPin(std::optional<int> cpu) {
    if (!cpu || ::pthread_getaffinity_np(::pthread_self(), sizeof saved_, &saved_) != 0) return;
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(*cpu, &one);
    pinned_ = ::pthread_setaffinity_np(::pthread_self(), sizeof one, &one) == 0;
  }
  ~ScopedCpuPin() {
    if (pinned_) ::pthread_setaffinity_np(::pthread_self(), sizeof saved_, &saved_);
  }
  ScopedCpuPin(const ScopedCpuPin&) = delete;
  ScopedCpuPin& operator=(const ScopedCpuPin&) = delete;

 private:
  cpu_set_t saved_{};
  bool pinned_ = false;
};

}  // namespace bench
