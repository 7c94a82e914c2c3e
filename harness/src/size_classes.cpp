#include "poolcheck/size_classes.hpp"

#include <algorithm>
#include <bit>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "bufpool/buckets.hpp"

namespace poolcheck {

SizeClasses::SizeClasses(std::span<const std::size_t> capacities) {
  if (capacities.empty()) throw std::invalid_argument("SizeClasses: no classes given");
  if (capacities.size() > kMaxSizeClasses) {
    throw std::invalid_argument("SizeClasses: " + std::to_string(capacities.size()) + " classes, more than the " +
                                std::to_string(kMaxSizeClasses) + " a pool under test may have");
  }
  for (std::size_t c = 0; c < capacities.size(); ++c) {
    if (capacities[c] == 0) throw std::invalid_argument("SizeClasses: class " + std::to_string(c) + " has capacity 0");
    if (c > 0 && capacities[c] <= capacities[c - 1]) {
      throw std::invalid_argument("SizeClasses: capacities must ascend, but class " + std::to_string(c) + " (" +
                                  std::to_string(capacities[c]) + ") is not above class " + std::to_string(c - 1) +
                                  " (" + std::to_string(capacities[c - 1]) + ")");
    }
    capacities_[c] = capacities[c];
  }
  count_ = capacities.size();
  power_of_two_steps_ = std::has_single_bit(capacities_[0]);
  for (std::size_t c = 1; c < count_ && power_of_two_steps_; ++c) {
    power_of_two_steps_ = capacities_[c] == capacities_[c - 1] * 2;
  }
  smallest_log2_ = static_cast<unsigned>(std::countr_zero(capacities_[0]));
}

SizeClasses SizeClasses::geometric(std::size_t smallest, std::size_t largest, std::size_t factor) {
  if (smallest == 0) throw std::invalid_argument("SizeClasses::geometric: the smallest capacity is 0");
  if (factor < 2) {
    throw std::invalid_argument("SizeClasses::geometric: factor " + std::to_string(factor) + " is below 2");
  }
  if (largest < smallest) {
    throw std::invalid_argument("SizeClasses::geometric: largest " + std::to_string(largest) + " is below smallest " +
                                std::to_string(smallest));
  }
  std::vector<std::size_t> capacities{smallest};
  while (capacities.back() < largest) {
    if (capacities.size() == kMaxSizeClasses) {
      throw std::invalid_argument("SizeClasses::geometric: more than " + std::to_string(kMaxSizeClasses) +
                                  " classes from " + std::to_string(smallest) + " to " + std::to_string(largest));
    }
    if (capacities.back() > std::numeric_limits<std::size_t>::max() / factor) break;
    capacities.push_back(capacities.back() * factor);
  }
  if (capacities.back() != largest) {
    throw std::invalid_argument("SizeClasses::geometric: largest " + std::to_string(largest) + " is not " +
                                std::to_string(smallest) + " times a power of " + std::to_string(factor));
  }
  return SizeClasses(capacities);
}

SizeClasses SizeClasses::bufpool(std::size_t largest_bucket) {
  if (largest_bucket < ::bufpool::kMinBucketLength || largest_bucket > ::bufpool::kMaxBucketLength ||
      !std::has_single_bit(largest_bucket)) {
    throw std::invalid_argument("SizeClasses::bufpool: " + std::to_string(largest_bucket) +
                                " is no bufpool bucket capacity (16 * 2^k up to 2^30)");
  }
  return geometric(::bufpool::kMinBucketLength, largest_bucket, 2);
}

std::size_t SizeClasses::class_of(std::size_t n) const noexcept {
  if (count_ == 0) return 0;
  if (n <= capacities_[0]) return 0;
  if (power_of_two_steps_) {
    // n > smallest >= 1: the class is the exponent of the power of two at or above n, less the
    // smallest's (bufpool's bucket_index with its 16 generalised).
    const auto c = static_cast<std::size_t>(std::bit_width(n - 1)) - smallest_log2_;
    return std::min(c, count_);
  }
  const auto* end = capacities_.data() + count_;
  return static_cast<std::size_t>(std::lower_bound(capacities_.data(), end, n) - capacities_.data());
}

bool SizeClasses::extends(const SizeClasses& prefix) const noexcept {
  return prefix.count_ <= count_ && std::equal(prefix.capacities_.data(), prefix.capacities_.data() + prefix.count_,
                                               capacities_.data());
}

bool SizeClasses::operator==(const SizeClasses& other) const noexcept {
  return count_ == other.count_ && extends(other);
}

}  // namespace poolcheck
