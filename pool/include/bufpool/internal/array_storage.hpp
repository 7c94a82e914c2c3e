// The lowest layer of both pools: allocating and freeing arrays of T through the policy's
// allocator, with the alignment rule, the size limit and the sanitizer/checked-mode hand-over.
//
// Alignment: at least alignof(std::max_align_t), and 64 bytes (a cache line) for arrays of 64 bytes
// or more, so two arrays never share a line and SIMD code may assume alignment.
//
// Thread-safety: as thread-safe as the allocator (which ArrayAllocator requires to be); the
// hand_out/take_back hooks must be called only by the array's exclusive owner.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <new>
#include <optional>
#include <span>
#include <stdexcept>
#include <utility>

#include "bufpool/checked_mode.hpp"
#include "bufpool/internal/live_array_registry.hpp"
#include "bufpool/internal/sanitizers.hpp"
#include "bufpool/pool_policy.hpp"
#include "bufpool/testing/faults.hpp"

namespace bufpool::internal {

// Largest array the pool asks its allocator for. Under ASan and TSan the runtime aborts instead of
// throwing (its operator new never throws) when a request reaches 2^40 bytes *after* it adds its
// own redzone and alignment padding, so the pool refuses first, leaving 1 MiB for that padding: a
// limit of exactly 2^40 would let rent(2^40 bytes) reach the runtime and abort. TSan's allocator
// has the same ceiling, so the limit applies under both, and an impossible request (2^50 bytes,
// say) throws std::bad_array_new_length under either instead of ending the process.
inline constexpr std::size_t kMaxArrayBytes =
    (kAsan || kTsan) ? (std::size_t{1} << 40) - (std::size_t{1} << 20)
                     : static_cast<std::size_t>(std::numeric_limits<std::ptrdiff_t>::max());

// What an unchecked ASan build throws for a give_back of an array that rests in the pool.
[[noreturn, gnu::cold, gnu::noinline]] inline void throw_double_give_back(const void* array, std::size_t length) {
  char text[256];
  std::snprintf(text, sizeof text,
                "bufpool: double give_back of array %p of %zu elements: it already rests in the pool (or was "
                "freed); the pool is unchanged",
                array, length);
  throw std::invalid_argument(text);
}

template <class T, class Policy>
class ArrayStorage {
 public:
  using Allocator = typename Policy::allocator;
  static_assert(ArrayAllocator<Allocator>, "Policy::allocator must model bufpool::ArrayAllocator");

  explicit ArrayStorage(Allocator allocator) : allocator_(std::move(allocator)) {
    if constexpr (Policy::checked) live_.emplace(sizeof(T));
  }

  static constexpr std::size_t alignment_for(std::size_t bytes) noexcept {
    return std::max(alignof(T), bytes >= 64 ? std::size_t{64} : alignof(std::max_align_t));
  }

  // A new array of `length` elements, contents indeterminate. Throws std::bad_array_new_length
  // above kMaxArrayBytes and whatever the allocator throws (std::bad_alloc).
  T* allocate(std::size_t length) {
    if (length > kMaxArrayBytes / sizeof(T)) throw std::bad_array_new_length();
    const std::size_t bytes = length * sizeof(T);
    // T is trivially copyable, hence an implicit-lifetime type: the storage holds Ts once used.
    return static_cast<T*>(allocator_.allocate(bytes, alignment_for(bytes)));
  }

  // Frees an array this storage allocated. The array must not be in use by anyone.
  void free(T* array, std::size_t length) noexcept {
    const std::size_t bytes = length * sizeof(T);
    if constexpr (Policy::checked) live_->on_free(array);
    if constexpr (testing::has_fault<Policy>(testing::Fault::lose_array)) return;  // mutant: the array leaks
    asan_unpoison(array, bytes);  // the allocator may touch its own memory
    allocator_.deallocate(array, bytes, alignment_for(bytes));
  }

  // The pool hands `array` (capacity elements) to a caller who asked for `length`. Opens exactly
  // [0, length) to ASan; in checked mode fills the whole array with kPoisonByte and records it live.
  void hand_out(T* array, std::size_t capacity, std::size_t length) {
    if constexpr (Policy::checked) live_->on_hand_out(array, capacity);
    asan_unpoison(array, capacity * sizeof(T));
    if constexpr (Policy::checked) std::memset(static_cast<void*>(array), kPoisonByte, capacity * sizeof(T));
    if (length < capacity) poison_slack(array, capacity, length);
  }

  // A caller gives `array` back. Returns false when checked mode refuses it (already reported).
  //
  // Unchecked, under ASan: an array resting in the pool is poisoned and a live one is not (its first
  // element is always open, a lease's too), so a poisoned first byte means a double give_back, or a
  // give_back of an over-size array already freed. Filed again, the array would rest twice; the
  // bucket may then free one copy while the other rests, and the next rent would unpoison and hand
  // out freed memory with ASan silent. So it throws std::invalid_argument, before anything changes:
  // the contract's answer to a give_back the pool can tell is wrong (a foreign size), which the
  // caller, or the harness that reports a throwing give_back, sees without losing the process. An
  // abort would be ASan's way, but ASan has nothing to report yet: no bad access has happened.
  // A Lease never gives back twice, so its noexcept give_back never meets this. Best effort: a
  // second give_back after another thread rented the array again is not seen.
  bool accept_give_back(const T* array, std::size_t capacity) {
    if constexpr (Policy::checked) {
      return live_->on_give_back(array, capacity);
    } else if constexpr (kAsan) {
      if (asan_is_poisoned(array)) [[unlikely]] throw_double_give_back(array, capacity);
    }
    (void)array;
    (void)capacity;
    return true;
  }

  // give_back(clear_array = true): zeroes the whole capacity. A lease's slack is still poisoned
  // under ASan, so it is opened first; the caller still owns the array exclusively.
  static void clear(T* array, std::size_t capacity) noexcept {
    asan_unpoison(array, capacity * sizeof(T));
    std::memset(static_cast<void*>(array), 0, capacity * sizeof(T));
  }

  // Poisons the whole array before it is published back to the pool (resting arrays trap).
  static void poison_resting(const T* array, std::size_t capacity) noexcept {
    asan_poison(array, capacity * sizeof(T));
  }

  Allocator& allocator() noexcept { return allocator_; }

 private:
  // The slack past a lease's length traps under ASan, byte-exact: ASan's shadow can say "the first
  // k bytes of this granule are addressable", and the slack runs to the array's end, which is
  // granule-aligned (arrays are >= 16-aligned and >= 16 bytes long, a power of two).
  static void poison_slack(const T* array, std::size_t capacity, std::size_t length) noexcept {
    asan_poison(array + length, (capacity - length) * sizeof(T));
  }

  Allocator allocator_;
  // Present only in checked mode. Thread-safe itself.
  std::optional<LiveArrayRegistry> live_;
};

}  // namespace bufpool::internal
