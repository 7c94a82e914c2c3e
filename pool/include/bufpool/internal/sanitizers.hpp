// AddressSanitizer poisoning, a no-op in builds without ASan (bufpool/sanitizer_build.hpp says
// which sanitizer this build has).
//
// Poisoning is not thread-safe for one region: only the exclusive owner of an array may call these
// on it (the pool poisons when it takes an array back, unpoisons when it hands one out).
#pragma once

#include <cstddef>

#include "bufpool/sanitizer_build.hpp"

#if BUFPOOL_ASAN
#include <sanitizer/asan_interface.h>
#endif

namespace bufpool::internal {

inline constexpr bool kAsan = kAsanBuild;
inline constexpr bool kTsan = kTsanBuild;

// Marks [p, p + bytes) unaddressable (`poison`) or addressable again: under ASan any access to a
// poisoned byte traps. No-op elsewhere. ASan may leave a partial tail granule open when poisoning;
// callers poison whole arrays (16-aligned).
inline void asan_mark(const void* p, std::size_t bytes, bool poison) noexcept {
#if BUFPOOL_ASAN
  if (bytes == 0) return;
  if (poison) {
    __asan_poison_memory_region(p, bytes);
  } else {
    __asan_unpoison_memory_region(p, bytes);
  }
#else
  (void)p;
  (void)bytes;
  (void)poison;
#endif
}
// Whether the byte at p is poisoned (user-poisoned, freed, or a redzone); false without ASan. Reads
// only the shadow, so it may be called on memory the caller does not own.
inline bool asan_is_poisoned(const void* p) noexcept {
#if BUFPOOL_ASAN
  return __asan_address_is_poisoned(p) != 0;
#else
  (void)p;
  return false;
#endif
}
inline void asan_poison(const void* p, std::size_t bytes) noexcept { asan_mark(p, bytes, true); }
inline void asan_unpoison(const void* p, std::size_t bytes) noexcept { asan_mark(p, bytes, false); }

}  // namespace bufpool::internal
