// Clang thread-safety annotations (-Wthread-safety), as abseil spells them, under our own prefix.
// They expand to nothing on gcc, which has no such analysis.
#pragma once

#if defined(__clang__)
#define BUFPOOL_TSA(x) __attribute__((x))
#else
#define BUFPOOL_TSA(x)
#endif

#define BUFPOOL_CAPABILITY(name) BUFPOOL_TSA(capability(name))
#define BUFPOOL_SCOPED_CAPABILITY BUFPOOL_TSA(scoped_lockable)
#define BUFPOOL_GUARDED_BY(m) BUFPOOL_TSA(guarded_by(m))
#define BUFPOOL_PT_GUARDED_BY(m) BUFPOOL_TSA(pt_guarded_by(m))
#define BUFPOOL_REQUIRES(...) BUFPOOL_TSA(requires_capability(__VA_ARGS__))
#define BUFPOOL_EXCLUDES(...) BUFPOOL_TSA(locks_excluded(__VA_ARGS__))
#define BUFPOOL_ACQUIRE(...) BUFPOOL_TSA(acquire_capability(__VA_ARGS__))
#define BUFPOOL_RELEASE(...) BUFPOOL_TSA(release_capability(__VA_ARGS__))
#define BUFPOOL_NO_THREAD_SAFETY_ANALYSIS BUFPOOL_TSA(no_thread_safety_analysis)
