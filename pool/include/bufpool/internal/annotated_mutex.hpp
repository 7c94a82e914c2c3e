// A mutex of the policy's type, annotated as a capability so clang checks every GUARDED_BY member.
//
// libstdc++'s std::mutex carries no thread-safety attributes, so the pool wraps whatever mutex type
// its policy names (std::mutex in production, a scheduler-aware mutex in the deterministic
// executor) in this class and locks it only through MutexLock.
#pragma once

#include "bufpool/internal/thread_annotations.hpp"

namespace bufpool::internal {

// Thread-safe: it is a mutex.
template <class RawMutex>
class BUFPOOL_CAPABILITY("mutex") AnnotatedMutex {
 public:
  void lock() BUFPOOL_ACQUIRE() { raw_.lock(); }
  void unlock() BUFPOOL_RELEASE() { raw_.unlock(); }

 private:
  RawMutex raw_;
};

// Scoped lock. `Enabled = false` exists only for the "no lock" mutant (a fault switched into the
// real pool code): the analysis is told the lock is held, which is exactly the mutant's lie.
template <class RawMutex, bool Enabled = true>
class BUFPOOL_SCOPED_CAPABILITY MutexLock {
 public:
  explicit MutexLock(AnnotatedMutex<RawMutex>& mu) BUFPOOL_ACQUIRE(mu) : mu_(mu) {
    if constexpr (Enabled) mu_.lock();
  }
  ~MutexLock() BUFPOOL_RELEASE() {
    if constexpr (Enabled) mu_.unlock();
  }
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

 private:
  AnnotatedMutex<RawMutex>& mu_;
};

}  // namespace bufpool::internal
