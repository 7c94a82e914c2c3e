// Which library `malloc` resolves to in this process, and a check that it is the one the binary
// claims to measure. Debian's libmimalloc and libjemalloc export malloc themselves, so linking one
// silently replaces glibc's allocator everywhere; a mislabelled column would be worse than none.
#pragma once

#include <dlfcn.h>

#include <cstdio>
#include <cstring>
#include <string>

#if BENCH_ALLOCATOR_JEMALLOC
#include <jemalloc/jemalloc.h>
#endif

namespace bench {

// The file name of the shared object (or executable) that defines the process's malloc.
inline std::string malloc_library() {
  void* symbol = ::dlsym(RTLD_DEFAULT, "malloc");
  Dl_info info{};
  if (symbol == nullptr || ::dladdr(symbol, &info) == 0 || info.dli_fname == nullptr) return "unknown";
  return info.dli_fname;
}

// What the binary's allocator contender is expected to be, as a substring of malloc_library()
// (mimalloc is called through mi_malloc, so there malloc only tells what the pools sit on).
inline const char* expected_malloc_library() {
#if BENCH_ALLOCATOR_JEMALLOC
  return "libjemalloc";
#elif BENCH_ALLOCATOR_MIMALLOC
  return "libmimalloc";
#else
  return "libc.so";
#endif
}

// jemalloc's own version string, which also proves its library is loaded (an empty string elsewhere).
inline std::string jemalloc_version() {
#if BENCH_ALLOCATOR_JEMALLOC
  const char* v = nullptr;
  std::size_t len = sizeof(v);
  if (mallctl("version", &v, &len, nullptr, 0) == 0 && v != nullptr) return v;
#endif
  return "";
}

// Prints why and returns false when malloc is not the expected library.
inline bool malloc_is_expected() {
  const std::string lib = malloc_library();
  if (lib.find(expected_malloc_library()) != std::string::npos) return true;
  std::fprintf(stderr, "pool_bench: malloc resolves to %s, expected %s; refusing to mislabel the column\n",
               lib.c_str(), expected_malloc_library());
  return false;
}

}  // namespace bench
