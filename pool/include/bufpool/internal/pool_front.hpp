// What both pool flavours do the same way around their buckets: rent(0), over-size requests,
// validating a give_back, clearing, leases. Kept here so the two flavours cannot drift apart.
//
// Thread-safety: stateless helpers; OversizeCounters are relaxed atomics (the over-size path is
// rare and allocates anyway, so a shared read-modify-write there costs nothing that matters).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <stdexcept>

#include "bufpool/internal/array_storage.hpp"
#include "bufpool/lease.hpp"
#include "bufpool/pool_options.hpp"
#include "bufpool/pool_policy.hpp"
#include "bufpool/testing/faults.hpp"
#include "bufpool/pool_stats.hpp"

namespace bufpool::internal {

template <class Policy>
struct OversizeCounters {
  typename Policy::template atomic<std::uint64_t> rents{0};
  typename Policy::template atomic<std::uint64_t> give_backs{0};

  void add_to(PoolStats& s) const {
    const std::uint64_t r = rents.load(std::memory_order_relaxed);
    s.rents += r;
    s.oversize_rents += r;
    s.fresh_allocations += r;
    s.give_backs += give_backs.load(std::memory_order_relaxed);
  }
};

// Zeroes the whole array (clear_array = true). The caller owns the array exclusively.
template <class T>
void zero_array(std::span<T> array) noexcept {
  std::memset(static_cast<void*>(array.data()), 0, array.size_bytes());
}

// A request above the largest bucket: a fresh exact-size array the pool never keeps.
template <class T, class Policy>
std::span<T> rent_oversize(ArrayStorage<T, Policy>& storage, OversizeCounters<Policy>& counters,
                           std::size_t length) {
  T* array = storage.allocate(length);
  try {
    storage.hand_out(array, length, length);
  } catch (...) {
    storage.free(array, length);
    throw;
  }
  // The oversize_uncounted mutant: "not pooled, nothing to count".
  if constexpr (!testing::has_fault<Policy>(testing::Fault::oversize_uncounted)) counters.rents.fetch_add(1, std::memory_order_relaxed);
  return {array, length};
}

// An over-size array coming back: freed (zeroed first if asked: freed memory is reused by malloc).
template <class T, class Policy>
void give_back_oversize(ArrayStorage<T, Policy>& storage, OversizeCounters<Policy>& counters,
                        std::span<T> array, bool clear_array) {
  if (!storage.accept_give_back(array.data(), array.size())) return;
  counters.give_backs.fetch_add(1, std::memory_order_relaxed);
  if (clear_array) storage.clear(array.data(), array.size());
  storage.free(array.data(), array.size());
}

// What prepare_give_back returns when the array is not to be filed in a bucket.
inline constexpr std::size_t kNotPooled = ~std::size_t{0};

// give_back's rare cases, kept out of line so the common one is a straight run of instructions:
// an empty span does nothing, an over-size array is freed, any other size is not this pool's and
// throws std::invalid_argument naming it.
template <class T, class Policy>
[[gnu::noinline, gnu::cold]] void give_back_unusual(ArrayStorage<T, Policy>& storage, OversizeCounters<Policy>& oversize,
                                                   std::span<T> array, bool clear_array, std::size_t largest_bucket) {
  // The empty_span_throws mutant forgets that an empty span is no size at all: it throws below.
  if (array.empty() && !testing::has_fault<Policy>(testing::Fault::empty_span_throws)) return;
  if (array.size() > largest_bucket) {
    give_back_oversize(storage, oversize, array, clear_array);
    return;
  }
  throw std::invalid_argument(not_a_bucket_message(array.size(), largest_bucket));
}

// The part of give_back both flavours share, up to the point of publishing the array: empty and
// over-size arrays are handled here, foreign sizes throw std::invalid_argument, checked mode may
// refuse the array; otherwise the array is cleared if asked, poisoned, and the bucket to file it in
// is returned (kNotPooled when there is nothing more to do).
// Always inlined: it is most of give_back's fast path. It returns a sentinel rather than a
// std::optional because gcc spills an optional result to the stack on every call; the sentinel
// stays in a register.
template <class T, class Policy>
[[gnu::always_inline]] inline std::size_t prepare_give_back(ArrayStorage<T, Policy>& storage, OversizeCounters<Policy>& oversize,
                                                            std::span<T> array, bool clear_array, std::size_t bucket_count,
                                                            std::size_t largest_bucket) {
  const std::size_t length = array.size();
  // The foreign_size_accepted mutant validates only the range and files any other size by the
  // bucket it rounds up to; the oversize_kept mutant clamps an over-size array to the largest
  // bucket (as bucket_count_for clamps a length) instead of freeing it.
  constexpr bool kRangeOnly = testing::has_fault<Policy>(testing::Fault::foreign_size_accepted);
  constexpr bool kClampOversize = testing::has_fault<Policy>(testing::Fault::oversize_kept);
  const bool unusual = kRangeOnly ? (length == 0 || length > largest_bucket) : !is_bucket_capacity(length, bucket_count);
  if (unusual) [[unlikely]] {
    if (!(kClampOversize && length > largest_bucket)) {
      give_back_unusual(storage, oversize, array, clear_array, largest_bucket);
      return kNotPooled;
    }
  }
  if (!storage.accept_give_back(array.data(), length)) return kNotPooled;
  constexpr bool kClearNow =
      !testing::has_fault<Policy>(testing::Fault::ignore_clear) && !testing::has_fault<Policy>(testing::Fault::clear_after_publish);
  // The partial_clear mutant zeroes the smaller bucket's worth, as code that clears "the length it
  // used" instead of the whole array would.
  if (clear_array && kClearNow) storage.clear(array.data(), testing::has_fault<Policy>(testing::Fault::partial_clear) ? length / 2 : length);
  storage.poison_resting(array.data(), length);
  std::size_t b = kRangeOnly ? bucket_index(length) : bucket_index_of_capacity(length);
  if (kClampOversize && length > largest_bucket) b = bucket_count - 1;
  if constexpr (testing::has_fault<Policy>(testing::Fault::off_by_one_bucket)) {
    if (b + 1 < bucket_count) ++b;
  }
  return b;
}

// The clear_after_publish mutant zeroes only here, after the array is back in the pool.
template <class T, class Policy>
void clear_after_publish(std::span<T> array, bool clear_array) noexcept {
  if constexpr (testing::has_fault<Policy>(testing::Fault::clear_after_publish)) {
    if (clear_array) zero_array(array);
  }
}

// A Lease over pool.rent_exact(length), given back through pool.give_back.
template <class T, class Pool>
Lease<T> make_lease(Pool& pool, std::size_t length, bool clear_on_give_back) {
  if (length == 0) return {};
  std::span<T> whole = pool.rent_exact(length);
  auto give_back = [](void* p, std::span<T> w, bool clear) noexcept {
    // Cannot throw: a lease's array is always a bucket capacity or over-size of this pool.
    // The lease_drops_clear mutant: an RAII wrapper that forgets to pass its clear flag on.
    static_cast<Pool*>(p)->give_back(w, clear && !testing::has_fault<typename Pool::policy_type>(testing::Fault::lease_drops_clear));
  };
  // The lease_whole_capacity mutant: the lease's length is the span the pool gave, its capacity.
  constexpr bool kWhole = testing::has_fault<typename Pool::policy_type>(testing::Fault::lease_whole_capacity);
  return Lease<T>(&pool, give_back, whole, kWhole ? whole.size() : length, clear_on_give_back);
}

}  // namespace bufpool::internal
