// The size classes of the pool under test: the ascending capacities (in elements) of the arrays it
// keeps, one per class. The harness never assumes bufpool's 16 * 2^k: every ledger row, bucket
// name, size-contract expectation and misuse length comes from the pool's own SizeClasses.
//
// A request of n elements belongs to the smallest class whose capacity is >= n (n == 0 to class 0,
// as bufpool's bucket_index does); a request above the largest class is over-size (class_of(n) ==
// count()). Lookups run on every checked rent and give_back, so they stay cheap: a layout whose
// capacities are consecutive powers of two (bufpool's, or geometric(8, ..., 2)) is looked up with
// one bit_width, any other with a binary search over at most kMaxSizeClasses capacities.
//
// A value type; immutable after construction, so thread-safe to share and copy.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <span>

namespace poolcheck {

// Most classes a pool under test may have (bufpool has at most 27).
inline constexpr std::size_t kMaxSizeClasses = 64;

class SizeClasses {
 public:
  // No classes: every non-empty request is over-size.
  SizeClasses() = default;
  // The given capacities: non-empty, non-zero, strictly ascending, at most kMaxSizeClasses.
  // Throws std::invalid_argument naming what is wrong.
  explicit SizeClasses(std::span<const std::size_t> capacities);
  SizeClasses(std::initializer_list<std::size_t> capacities)
      : SizeClasses(std::span<const std::size_t>(capacities.begin(), capacities.size())) {}

  // smallest, smallest * factor, ... up to largest, which must be on that progression (factor >= 2).
  static SizeClasses geometric(std::size_t smallest, std::size_t largest, std::size_t factor = 2);
  // bufpool's buckets: 16 * 2^k up to `largest_bucket` (itself one of them, at most
  // bufpool::kMaxBucketLength): capacity(c) == bufpool::bucket_capacity(c).
  static SizeClasses bufpool(std::size_t largest_bucket);

  std::size_t count() const noexcept { return count_; }
  std::size_t capacity(std::size_t c) const noexcept { return capacities_[c]; }
  std::size_t smallest() const noexcept { return count_ == 0 ? 0 : capacities_[0]; }
  std::size_t largest() const noexcept { return count_ == 0 ? 0 : capacities_[count_ - 1]; }
  std::span<const std::size_t> capacities() const noexcept { return {capacities_.data(), count_}; }

  // The class of a request of n elements: the smallest with capacity >= n; count() when over-size.
  std::size_t class_of(std::size_t n) const noexcept;
  // Whether n is exactly the capacity of a class.
  bool is_capacity(std::size_t n) const noexcept {
    const std::size_t c = class_of(n);
    return n != 0 && c < count_ && capacities_[c] == n;
  }
  // Whether `prefix`'s classes are this layout's first classes (bufpool layouts of different
  // largest buckets extend each other).
  bool extends(const SizeClasses& prefix) const noexcept;

  bool operator==(const SizeClasses& other) const noexcept;

 private:
  std::array<std::size_t, kMaxSizeClasses> capacities_{};
  std::size_t count_ = 0;
  // Set when the capacities are smallest * 2^c with smallest a power of two: class_of is bit math.
  bool power_of_two_steps_ = false;
  unsigned smallest_log2_ = 0;
};

}  // namespace poolcheck
