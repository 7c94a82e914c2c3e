// A pool written the way a user writes one, for the tests of the entry points (check_pool_test.cpp,
// user_stress_main.cpp): templated on its Sync bundle, allocating through the allocator it is
// given (or by itself), with a Bug switch for the broken variants the checks must catch.
#pragma once

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstring>
#include <mutex>
#include <span>
#include <stdexcept>
#include <type_traits>
#include <vector>

#include "poolcheck/check.hpp"

namespace user_pool {

enum class Bug { none, ignores_clear, ignores_cap };

// A user's pool: one mutex-guarded stack per power-of-two class from 16 elements, a cap per class.
// Allocator: poolcheck::CountingAllocator, or OwnNew (the pool uses operator new itself).
struct OwnNew {};
template <class Sync, Bug B, class Allocator>
class UserPool {
 public:
  using value_type = std::byte;

  UserPool(const poolcheck::PoolConfig& c, Allocator a = Allocator())
      : largest_(std::bit_ceil(std::max<std::size_t>(16, c.max_array_length))),
        cap_(c.max_per_bucket),
        allocator_(a),
        classes_(static_cast<std::size_t>(std::countr_zero(largest_ / 16)) + 1) {}
  ~UserPool() {
    for (Class& k : classes_) {
      for (std::byte* p : k.resting) free_array(p, capacity(&k - classes_.data()));
    }
  }

  static poolcheck::PoolFacts facts(const poolcheck::PoolConfig& c) {
    poolcheck::PoolFacts f;
    f.largest_bucket = std::bit_ceil(std::max<std::size_t>(16, c.max_array_length));
    f.bucket_count = static_cast<std::size_t>(std::countr_zero(f.largest_bucket / 16)) + 1;
    f.resting_cap = c.max_per_bucket;
    return f;
  }

  std::span<std::byte> rent(std::size_t n) {
    if (n == 0) return {};
    if (n > largest_) return {new_array(n), n};
    const std::size_t c = class_of(n);
    {
      std::lock_guard lock(classes_[c].mutex);
      if (!classes_[c].resting.empty()) {
        std::byte* p = classes_[c].resting.back();
        classes_[c].resting.pop_back();
        return {p, capacity(c)};
      }
    }
    return {new_array(capacity(c)), capacity(c)};
  }

  void give_back(std::span<std::byte> array, bool clear) {
    if (array.empty()) return;
    if (array.size() > largest_) return free_array(array.data(), array.size());
    if (!std::has_single_bit(array.size()) || array.size() < 16) throw std::invalid_argument("not a class size");
    if (clear && B != Bug::ignores_clear) std::memset(array.data(), 0, array.size());
    const std::size_t c = class_of(array.size());
    {
      std::lock_guard lock(classes_[c].mutex);
      if (classes_[c].resting.size() < cap_ || B == Bug::ignores_cap) {
        classes_[c].resting.push_back(array.data());
        return;
      }
    }
    free_array(array.data(), array.size());
  }

 private:
  struct Class {
    typename Sync::mutex mutex;
    std::vector<std::byte*> resting;  // guarded by mutex
  };
  static std::size_t capacity(std::size_t c) { return std::size_t{16} << c; }
  static std::size_t class_of(std::size_t n) {
    return static_cast<std::size_t>(std::bit_width(std::max<std::size_t>(n, 16) - 1)) - 4;
  }
  std::byte* new_array(std::size_t n) {
    if constexpr (std::is_same_v<Allocator, OwnNew>) {
      return new std::byte[n];
    } else {
      return static_cast<std::byte*>(allocator_.allocate(n, alignof(std::max_align_t)));
    }
  }
  void free_array(std::byte* p, std::size_t n) {
    if constexpr (std::is_same_v<Allocator, OwnNew>) {
      delete[] p;
    } else {
      allocator_.deallocate(p, n, alignof(std::max_align_t));
    }
  }

  const std::size_t largest_;
  const std::size_t cap_;
  [[no_unique_address]] Allocator allocator_;
  std::vector<Class> classes_;  // the vector itself never changes after construction
};

template <class Sync>
using Correct = UserPool<Sync, Bug::none, poolcheck::CountingAllocator>;
template <class Sync>
using IgnoresClear = UserPool<Sync, Bug::ignores_clear, poolcheck::CountingAllocator>;
template <class Sync>
using IgnoresCap = UserPool<Sync, Bug::ignores_cap, poolcheck::CountingAllocator>;
template <class Sync>
struct Uncounted : UserPool<Sync, Bug::none, OwnNew> {
  explicit Uncounted(const poolcheck::PoolConfig& c) : UserPool<Sync, Bug::none, OwnNew>(c) {}
};

}  // namespace user_pool
