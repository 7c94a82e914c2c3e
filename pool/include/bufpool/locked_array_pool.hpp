// LockedArrayPool<T>: the analogue of .NET's ArrayPool<T>.Create(maxArrayLength, maxArraysPerBucket).
//
// One LockedBucket (a mutex, a quota of max_arrays_per_bucket arrays, a LIFO of resting ones) per
// power of two from 16 elements to max_array_length rounded up. rent(n) takes from bucket(n); when
// that bucket's quota is exhausted it tries the next larger bucket once, then allocates a fresh
// array of bucket(n)'s size. give_back pushes onto its bucket, or frees the array when the bucket
// has no quota outstanding (it is full). Arrays are allocated lazily, on first demand.
//
// Thread-safe: every member function may be called from any thread at once, except the
// destructor, which needs all other calls to have returned. Arrays still rented out when the pool
// is destroyed must not be given back to it.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <type_traits>

#include "bufpool/internal/array_storage.hpp"
#include "bufpool/internal/bucket_math.hpp"
#include "bufpool/internal/locked_bucket.hpp"
#include "bufpool/internal/pool_front.hpp"
#include "bufpool/lease.hpp"
#include "bufpool/pool_options.hpp"
#include "bufpool/pool_policy.hpp"
#include "bufpool/testing/faults.hpp"
#include "bufpool/pool_stats.hpp"

namespace bufpool {

template <class T, class Policy = DefaultPoolPolicy>
class LockedArrayPool {
  static_assert(std::is_trivially_copyable_v<T>, "pooled arrays hold trivially copyable elements");

 public:
  using value_type = T;
  using policy_type = Policy;
  using allocator_type = typename Policy::allocator;

  // Throws std::invalid_argument when a field of `options` is zero.
  explicit LockedArrayPool(PoolOptions options = {}, allocator_type allocator = {})
      : options_((internal::validate(options), options)),
        bucket_count_(internal::bucket_count_for(options.max_array_length)),
        buckets_(std::make_unique<Bucket[]>(bucket_count_)),
        storage_(std::move(allocator)) {
    for (std::size_t b = 0; b < bucket_count_; ++b) {
      buckets_[b].init(internal::bucket_capacity(b), options.max_arrays_per_bucket);
    }
  }

  ~LockedArrayPool() {
    for (std::size_t b = 0; b < bucket_count_; ++b) {
      buckets_[b].drain([this](T* a, std::size_t n) { storage_.free(a, n); });
    }
  }

  LockedArrayPool(const LockedArrayPool&) = delete;
  LockedArrayPool& operator=(const LockedArrayPool&) = delete;

  // An array of at least minimum_length elements; size() is the bucket capacity (or exactly
  // minimum_length above the largest bucket). Contents are whatever the last user left. rent(0) is
  // empty. Throws std::bad_alloc (std::bad_array_new_length for impossible sizes) when no array can
  // be allocated; the pool is unchanged then.
  std::span<T> rent(std::size_t minimum_length) { return rent_impl(minimum_length, false); }

  // Returns an array rent() gave out. clear_array zeroes it before anyone else can rent it. An empty
  // span does nothing; an over-size array is freed; a full bucket frees the array. Throws
  // std::invalid_argument (naming the size) when array.size() is not a bucket capacity of this
  // pool; nothing changes then.
  void give_back(std::span<T> array, bool clear_array = false) {
    const auto b = internal::prepare_give_back(storage_, oversize_, array, clear_array, bucket_count_, largest_bucket());
    if (b == internal::kNotPooled) return;
    const bool kept = buckets_[b].put(array.data());
    internal::clear_after_publish<T, Policy>(array, clear_array);
    if (!kept) storage_.free(array.data(), array.size());
  }

  // A lease of exactly `length` elements, given back (zeroed if clear_on_give_back) when it ends.
  Lease<T> lease(std::size_t length, bool clear_on_give_back = false) {
    return internal::make_lease<T>(*this, length, clear_on_give_back);
  }

  // A snapshot of the counters and of what rests in each bucket. Thread-safe; takes each bucket's
  // lock in turn, never two at once.
  PoolStats stats() const {
    PoolStats s;
    s.buckets.reserve(bucket_count_);
    for (std::size_t b = 0; b < bucket_count_; ++b) s.buckets.push_back(buckets_[b].stats(s));
    oversize_.add_to(s);
    return s;
  }

  const PoolOptions& options() const noexcept { return options_; }
  std::size_t bucket_count() const noexcept { return bucket_count_; }
  std::size_t largest_bucket() const noexcept { return internal::bucket_capacity(bucket_count_ - 1); }
  allocator_type& allocator() noexcept { return storage_.allocator(); }

 private:
  template <class U, class Pool>
  friend Lease<U> internal::make_lease(Pool& pool, std::size_t length, bool clear_on_give_back);

  // Like rent, but under ASan only [0, length) is addressable: the slack traps. For lease() only:
  // a caller of rent() may use the whole capacity, so its slack must stay open.
  std::span<T> rent_exact(std::size_t length) { return rent_impl(length, true); }

  using Bucket = internal::LockedBucket<T, Policy>;

  std::span<T> rent_impl(std::size_t length, bool exact) {
    if (length == 0) return {};
    // The round_up_exact mutant writes the bucket of n without the "- 1": an exact capacity rounds
    // up to the next bucket.
    const std::size_t b = testing::has_fault<Policy>(testing::Fault::round_up_exact)
                              ? static_cast<std::size_t>(std::bit_width(length | (internal::kMinBucketLength - 1))) - 4
                              : internal::bucket_index(length);
    if (b >= bucket_count_) return internal::rent_oversize(storage_, oversize_, length);
    if constexpr (testing::has_fault<Policy>(testing::Fault::racy_stats)) ++racy_rents_;  // mutant: a plain shared counter

    std::size_t served = b;
    auto taken = buckets_[b].take(/*primary=*/true);
    if (!taken.granted && b + 1 < bucket_count_) {
      taken = buckets_[b + 1].take(/*primary=*/false);
      served = b + 1;
    }
    T* array = taken.array;
    // A rent that throws returns no array, so it must not stay counted: take() counts it in
    // bucket b up front, and stats() promises rents == hits + fresh_allocations at quiescence, so
    // every failure below undoes that count before rethrowing.
    try {
      if (!taken.granted) {
        // Both buckets exhausted: a fresh array of the original bucket's size (.NET's rule). The
        // fresh_wrong_bucket mutant counts it in the bucket tried last (the next one up).
        const std::size_t counted_in = testing::has_fault<Policy>(testing::Fault::fresh_wrong_bucket) ? served : b;
        served = b;
        array = storage_.allocate(buckets_[b].capacity());
        buckets_[counted_in].count_overflow_fresh();
      } else if (array == nullptr) {
        try {
          array = storage_.allocate(buckets_[served].capacity());
        } catch (...) {
          buckets_[served].cancel_take();
          throw;
        }
      }
    } catch (...) {
      buckets_[b].uncount_rent();
      throw;
    }
    const std::size_t capacity = buckets_[served].capacity();
    try {
      storage_.hand_out(array, capacity, exact ? length : capacity);
    } catch (...) {  // checked mode's registry could not grow: the array goes back untouched
      storage_.poison_resting(array, capacity);
      if (!buckets_[served].put(array)) storage_.free(array, capacity);
      throw;
    }
    return {array, capacity};
  }

  const PoolOptions options_;
  const std::size_t bucket_count_;
  // Each bucket is thread-safe on its own (see LockedBucket).
  const std::unique_ptr<Bucket[]> buckets_;
  // Thread-safe (allocator contract; checked mode's registry locks itself).
  internal::ArrayStorage<T, Policy> storage_;
  // Relaxed atomics: counters only, no ordering needed.
  internal::OversizeCounters<Policy> oversize_;
  // racy_stats mutant only: deliberately unsynchronised, for TSan to find.
  std::uint64_t racy_rents_ = 0;
};

}  // namespace bufpool
