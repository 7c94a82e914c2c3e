// A pool written the way a user writes one, with its own size classes, for the tests of the entry points (check_pool_test.cpp,
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

enum class Bug { none, ignores_clear, ignores_cap, accepts_foreign_length };

// A user's pool with a layout unlike bufpool's: size classes 24 * 2^k (24, 48, 96, ...) up to the
// first one >= max_array_length, one mutex-guarded stack per class, a cap per class.
// Allocator: poolcheck::CountingAllocator<std::byte> (std::allocator-shaped), or OwnNew (the pool
// uses operator new itself).
struct OwnNew {};

template <class Sync, Bug B, class Allocator>
class UserPool {
 public:
  using value_type = std::byte;
  static constexpr std::size_t kSmallest = 24;
  // give_back throws std::invalid_argument for a length that is no class size (and keeps nothing).
  static constexpr bool refuses_foreign_lengths = true;

  explicit UserPool(const poolcheck::PoolConfig& c, Allocator a = Allocator())
      : count_(class_count(c.max_array_length)), cap_(c.max_per_bucket), allocator_(a), classes_(count_) {}
  ~UserPool() {
    for (std::size_t c = 0; c < count_; ++c) {
      for (std::byte* p : classes_[c].resting) free_array(p, capacity(c));
    }
  }
  UserPool(const UserPool&) = delete;
  UserPool& operator=(const UserPool&) = delete;

  static poolcheck::PoolFacts facts(const poolcheck::PoolConfig& c) {
    return {.classes = poolcheck::SizeClasses::geometric(kSmallest, capacity(class_count(c.max_array_length) - 1)),
            .resting_cap = c.max_per_bucket};
  }

  std::span<std::byte> rent(std::size_t n) {
    if (n == 0) return {};
    if (n > capacity(count_ - 1)) return {new_array(n), n};
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
    if (array.size() > capacity(count_ - 1)) return free_array(array.data(), array.size());
    const std::size_t c = class_of(array.size());
    if (capacity(c) != array.size() && B != Bug::accepts_foreign_length) throw std::invalid_argument("not a class size");
    if (clear && B != Bug::ignores_clear) std::memset(array.data(), 0, array.size());
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
  static constexpr std::size_t capacity(std::size_t c) { return kSmallest << c; }
  static std::size_t class_of(std::size_t n) {
    std::size_t c = 0;
    while (capacity(c) < n) ++c;
    return c;
  }
  static std::size_t class_count(std::size_t max_array_length) { return class_of(std::max<std::size_t>(max_array_length, 1)) + 1; }
  std::byte* new_array(std::size_t n) {
    if constexpr (std::is_same_v<Allocator, OwnNew>) {
      return new std::byte[n];
    } else {
      return allocator_.allocate(n);
    }
  }
  void free_array(std::byte* p, std::size_t n) {
    if constexpr (std::is_same_v<Allocator, OwnNew>) {
      delete[] p;
    } else {
      allocator_.deallocate(p, n);
    }
  }

  const std::size_t count_;  // classes; immutable
  const std::size_t cap_;    // immutable
  [[no_unique_address]] Allocator allocator_;  // thread-safe, as allocators are
  std::vector<Class> classes_;  // the vector itself never changes after construction
};

template <class Sync>
using Correct = UserPool<Sync, Bug::none, poolcheck::CountingAllocator<std::byte>>;
template <class Sync>
using IgnoresClear = UserPool<Sync, Bug::ignores_clear, poolcheck::CountingAllocator<std::byte>>;
template <class Sync>
using IgnoresCap = UserPool<Sync, Bug::ignores_cap, poolcheck::CountingAllocator<std::byte>>;
template <class Sync>
using AcceptsForeignLength = UserPool<Sync, Bug::accepts_foreign_length, poolcheck::CountingAllocator<std::byte>>;
template <class Sync>
struct Uncounted : UserPool<Sync, Bug::none, OwnNew> {
  explicit Uncounted(const poolcheck::PoolConfig& c) : UserPool<Sync, Bug::none, OwnNew>(c) {}
};

}  // namespace user_pool
