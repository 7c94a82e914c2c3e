// The production pools' mutex: glibc's adaptive pthread mutex, which spins briefly on a held lock
// before it sleeps in the kernel.
//
// Why not std::mutex: its glibc mutex goes to futex_wait the moment a lock is taken, and the pools'
// critical sections are a handful of instructions. When two cores meet on one partition (an array
// rented on one thread and given back on another), every collision would cost a sleep and a
// wake-up in the kernel, far longer than waiting out the holder. pthread's adaptive
// type (PTHREAD_MUTEX_ADAPTIVE_NP) spins up to glibc.pthread.mutex_spin_count times, then blocks as
// std::mutex does. Elsewhere (no glibc extension) it is std::mutex.
//
// Thread-safe: it is a mutex. ThreadSanitizer intercepts pthread_mutex_lock/unlock as it does for
// std::mutex, so lock edges stay visible to it.
#pragma once

#include <pthread.h>

#include <mutex>

namespace bufpool::internal {

#ifdef PTHREAD_ADAPTIVE_MUTEX_INITIALIZER_NP
class AdaptiveMutex {
 public:
  AdaptiveMutex() noexcept = default;
  ~AdaptiveMutex() { ::pthread_mutex_destroy(&m_); }
  AdaptiveMutex(const AdaptiveMutex&) = delete;
  AdaptiveMutex& operator=(const AdaptiveMutex&) = delete;

  // pthread_mutex_lock on a valid, non-robust mutex fails only for deadlock or recursion, which
  // the adaptive type does not detect: nothing to report.
  void lock() noexcept { ::pthread_mutex_lock(&m_); }
  bool try_lock() noexcept { return ::pthread_mutex_trylock(&m_) == 0; }
  void unlock() noexcept { ::pthread_mutex_unlock(&m_); }

 private:
  pthread_mutex_t m_ = PTHREAD_ADAPTIVE_MUTEX_INITIALIZER_NP;
};
#else
using AdaptiveMutex = std::mutex;
#endif

}  // namespace bufpool::internal
