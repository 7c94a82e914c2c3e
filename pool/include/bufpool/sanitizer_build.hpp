// Which sanitizer this build of bufpool has. Part of the contract users see: under AddressSanitizer
// the pools poison resting arrays and a lease's slack (past its size()) so that touching them
// traps, and under ASan and TSan the largest array a pool allocates is 2^40 - 2^20 bytes (above it,
// rent throws std::bad_array_new_length instead of letting the sanitizer's runtime abort).
//
// BUFPOOL_ASAN / BUFPOOL_TSAN are 1 or 0 for #if; kAsanBuild / kTsanBuild are the same as
// constants. gcc defines __SANITIZE_ADDRESS__ / __SANITIZE_THREAD__ and has no __has_feature;
// clang-14 has __has_feature and no __SANITIZE_*__. gcc-12 rejects
// `defined(__has_feature) && __has_feature(x)` in one #if, so __has_feature is wrapped in a macro
// that is 0 where it does not exist (as abseil and folly do).
#pragma once

#if defined(__has_feature)
#define BUFPOOL_HAS_FEATURE(x) __has_feature(x)
#else
#define BUFPOOL_HAS_FEATURE(x) 0
#endif

#if defined(__SANITIZE_ADDRESS__) || BUFPOOL_HAS_FEATURE(address_sanitizer)
#define BUFPOOL_ASAN 1
#else
#define BUFPOOL_ASAN 0
#endif

#if defined(__SANITIZE_THREAD__) || BUFPOOL_HAS_FEATURE(thread_sanitizer)
#define BUFPOOL_TSAN 1
#else
#define BUFPOOL_TSAN 0
#endif

namespace bufpool {

inline constexpr bool kAsanBuild = BUFPOOL_ASAN;
inline constexpr bool kTsanBuild = BUFPOOL_TSAN;

}  // namespace bufpool
