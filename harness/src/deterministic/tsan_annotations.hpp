// TSan's dynamic annotations, declared here (the runtime defines them; there is no public header),
// and no-ops in builds without TSan.
#pragma once

#include "bufpool/sanitizer_build.hpp"

#if BUFPOOL_TSAN
extern "C" {
void AnnotateIgnoreSyncBegin(const char* file, int line);
void AnnotateIgnoreSyncEnd(const char* file, int line);
void AnnotateIgnoreReadsBegin(const char* file, int line);
void AnnotateIgnoreReadsEnd(const char* file, int line);
void AnnotateIgnoreWritesBegin(const char* file, int line);
void AnnotateIgnoreWritesEnd(const char* file, int line);
}
#endif

namespace poolcheck::det {

// While alive, TSan records no happens-before edge from this thread's synchronisation: used around
// the schedule's hand-off, whose semaphores would otherwise hide the races it serialises.
// (User-provided constructor and destructor in every build, so a guard is never "unused".)
struct IgnoreSync {
  IgnoreSync() {
#if BUFPOOL_TSAN
    AnnotateIgnoreSyncBegin(__FILE__, __LINE__);
#endif
  }
  ~IgnoreSync() {
#if BUFPOOL_TSAN
    AnnotateIgnoreSyncEnd(__FILE__, __LINE__);
#endif
  }
  IgnoreSync(const IgnoreSync&) = delete;
  IgnoreSync& operator=(const IgnoreSync&) = delete;
};

// While alive, TSan ignores this thread's plain reads and writes: used for the schedule's own state
// (trace, strategy), which only the token holder touches, the token being a lock TSan cannot see.
struct IgnoreAccesses {
  IgnoreAccesses() {
#if BUFPOOL_TSAN
    AnnotateIgnoreReadsBegin(__FILE__, __LINE__);
    AnnotateIgnoreWritesBegin(__FILE__, __LINE__);
#endif
  }
  ~IgnoreAccesses() {
#if BUFPOOL_TSAN
    AnnotateIgnoreWritesEnd(__FILE__, __LINE__);
    AnnotateIgnoreReadsEnd(__FILE__, __LINE__);
#endif
  }
  IgnoreAccesses(const IgnoreAccesses&) = delete;
  IgnoreAccesses& operator=(const IgnoreAccesses&) = delete;
};

}  // namespace poolcheck::det
