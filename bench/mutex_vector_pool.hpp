// The pool a hurried engineer writes first: one std::mutex and one std::vector of resting arrays
// per power-of-two size, at most kCap each, malloc behind it. bench/ measures the real pools against
// it to show what the per-core partitions and thread-local slots buy.
//
// Thread-safe: every call takes the one mutex.
#pragma once

#include <array>
#include <bit>
#include <cstddef>
#include <cstdlib>
#include <mutex>
#include <new>
#include <vector>

namespace bench {

template <class T>
class MutexVectorPool {
 public:
  static constexpr std::size_t kCap = 50;  // the locked pool's default per bucket, for a like-for-like cap

  MutexVectorPool() {
    for (auto& list : resting_) list.reserve(kCap);  // push_back below the cap never allocates
  }
  MutexVectorPool(const MutexVectorPool&) = delete;
  MutexVectorPool& operator=(const MutexVectorPool&) = delete;
  ~MutexVectorPool() {
    for (auto& list : resting_) {
      for (T* p : list) std::free(p);
    }
  }

  // n must be a power of two (bench/ rents only those); throws std::bad_alloc.
  T* rent(std::size_t n) {
    {
      std::lock_guard lock(mu_);
      auto& list = resting_[index(n)];
      if (!list.empty()) {
        T* p = list.back();
        list.pop_back();
        return p;
      }
    }
    void* p = std::malloc(n * sizeof(T));
    if (p == nullptr) throw std::bad_alloc();
    return static_cast<T*>(p);
  }

  void give_back(T* p, std::size_t n) {
    {
      std::lock_guard lock(mu_);
      auto& list = resting_[index(n)];
      if (list.size() < kCap) {
        list.push_back(p);
        return;
      }
    }
    std::free(p);
  }

 private:
  static std::size_t index(std::size_t n) noexcept { return static_cast<std::size_t>(std::bit_width(n)); }

  std::mutex mu_;
  std::array<std::vector<T*>, 65> resting_;  // guarded by mu_
};

}  // namespace bench
