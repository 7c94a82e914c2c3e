// Sanitizer detection and AddressSanitizer poisoning, portable across gcc and clang.
//
// gcc defines __SANITIZE_ADDRESS__ / __SANITIZE_THREAD__ and has no __has_feature; clang-14 has
// __has_feature and no __SANITIZE_*__. gcc-12 rejects `defined(__has_feature) && __has_feature(x)`
// in one #if, so __has_feature is wrapped in a macro that is 0 where it does not exist (as abseil
// and folly do).
//
// Poisoning is not thread-safe for one region: only the exclusive owner of an array may call these
// on it (the pool poisons when it takes an array back, unpoisons when it hands one out).
#pragma once

#include <cstddef>

#if defined(__has_feature)
#define BUFPOOL_HAS_FEATURE(x) __has_feature(x)
#else
#define BUFPOOL_HAS_FEATURE(x) 0
#endif

#if defined(__SANITIZE_ADDRESS__) || BUFPOOL_HAS_FEATURE(address_sanitizer)
#define BUFPOOL_ASAN 1
#include <sanitizer/asan_interface.h>
#else
#define BUFPOOL_ASAN 0
#endif

#if defined(__SANITIZE_THREAD__) || BUFPOOL_HAS_FEATURE(thread_sanitizer)
#define BUFPOOL_TSAN 1
#else
#define BUFPOOL_TSAN 0
#endif

namespace bufpool::internal {

inline constexpr bool kAsan = BUFPOOL_ASAN;
inline constexpr bool kTsan = BUFPOOL_TSAN;

// Marks [p, p + bytes) unaddressable: any access traps under ASan. No-op elsewhere.
// ASan may leave a partial tail granule open; callers poison whole arrays (16-aligned).
inline void asan_poison(const void* p, std::size_t bytes) noexcept {
#if BUFPOOL_ASAN
  if (bytes != 0) __asan_poison_memory_region(p, bytes);
#else
  (void)p;
  (void)bytes;
#endif
}

// Marks [p, p + bytes) addressable again. No-op without ASan.
inline void asan_unpoison(const void* p, std::size_t bytes) noexcept {
#if BUFPOOL_ASAN
  if (bytes != 0) __asan_unpoison_memory_region(p, bytes);
#else
  (void)p;
  (void)bytes;
#endif
}

}  // namespace bufpool::internal
