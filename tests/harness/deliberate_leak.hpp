// Tests that run a pitfall or a mutant in-process end with a pool kept alive on purpose: once a
// check failed, CountedPool::finish and the executors leak the pool instead of destroying it (a
// pool caught sharing or losing arrays may free one twice), and a lost lease is lost for good.
// Allocations made inside a DeliberateLeak scope are exactly those, so LeakSanitizer is told to
// ignore them; every other allocation of the test is still leak-checked. LeakSanitizer's switch is
// per thread: allocations of worker threads are still checked, so multi-threaded runs that lose an
// array on purpose belong in a child process (stress_e2e.py), not in a gtest.
#pragma once

#include "bufpool/sanitizer_build.hpp"

#if BUFPOOL_ASAN
#include <sanitizer/lsan_interface.h>
#endif

namespace poolcheck::testing {

class DeliberateLeak {
 public:
  DeliberateLeak() noexcept {
#if BUFPOOL_ASAN
    __lsan_disable();
#endif
  }
  ~DeliberateLeak() {
#if BUFPOOL_ASAN
    __lsan_enable();
#endif
  }
  DeliberateLeak(const DeliberateLeak&) = delete;
  DeliberateLeak& operator=(const DeliberateLeak&) = delete;
};

}  // namespace poolcheck::testing
