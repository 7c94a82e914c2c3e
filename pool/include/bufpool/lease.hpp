// Lease<T>: an array rented from a pool, given back when the lease ends.
//
// span() is exactly the length asked for, never the bucket's larger capacity: code that writes
// span().size() elements or copies span() elsewhere cannot touch the slack a previous renter left
// (the "leased array" anti-pattern of .NET's ArrayPool). The lease gives the array back in its
// destructor, so it comes back on every path, stack unwinding included. Move-only.
//
// Not thread-safe: one lease is used by one thread at a time; it may be moved to another thread
// and given back there.
#pragma once

#include <cstddef>
#include <span>
#include <utility>

namespace bufpool {

template <class T>
class Lease;

namespace internal {
// Builds every non-empty Lease (pool_front.hpp): pools' lease() calls it.
template <class T, class Pool>
Lease<T> make_lease(Pool& pool, std::size_t length, bool clear_on_give_back);
}  // namespace internal

template <class T>
class Lease {
 public:
  // An empty lease: no array, nothing to give back. Non-empty leases come from a pool's lease().
  Lease() noexcept = default;

  Lease(Lease&& other) noexcept { swap(other); }
  Lease& operator=(Lease&& other) noexcept {
    if (this != &other) {
      reset();
      swap(other);
    }
    return *this;
  }
  Lease(const Lease&) = delete;
  Lease& operator=(const Lease&) = delete;
  ~Lease() { reset(); }

  // Exactly the requested length.
  std::span<T> span() const noexcept { return whole_.first(length_); }
  T* data() const noexcept { return whole_.data(); }
  std::size_t size() const noexcept { return length_; }
  bool empty() const noexcept { return length_ == 0; }
  T& operator[](std::size_t i) const noexcept { return whole_[i]; }
  T* begin() const noexcept { return whole_.data(); }
  T* end() const noexcept { return whole_.data() + length_; }

  // The bucket capacity behind the lease (>= size()). For diagnostics; do not index past size().
  std::size_t capacity() const noexcept { return whole_.size(); }

  // Zero the whole array when it is given back (for requests that carry sensitive data).
  void clear_on_give_back(bool clear) noexcept { clear_ = clear; }
  bool clears_on_give_back() const noexcept { return clear_; }

  // Gives the array back now; the lease becomes empty. Safe to call twice.
  void reset() noexcept {
    if (give_back_ != nullptr) {
      auto fn = std::exchange(give_back_, nullptr);
      fn(std::exchange(pool_, nullptr), std::exchange(whole_, {}), clear_);
    }
    length_ = 0;
  }

 private:
  void swap(Lease& other) noexcept {
    std::swap(pool_, other.pool_);
    std::swap(give_back_, other.give_back_);
    std::swap(whole_, other.whole_);
    std::swap(length_, other.length_);
    std::swap(clear_, other.clear_);
  }

  // Gives `whole` back to `pool`. Must not throw: it runs in destructors.
  using GiveBackFn = void (*)(void* pool, std::span<T> whole, bool clear) noexcept;

  template <class U, class Pool>
  friend Lease<U> internal::make_lease(Pool& pool, std::size_t length, bool clear_on_give_back);

  Lease(void* pool, GiveBackFn give_back, std::span<T> whole, std::size_t length,
        bool clear_on_give_back) noexcept
      : pool_(pool), give_back_(give_back), whole_(whole), length_(length), clear_(clear_on_give_back) {}

  void* pool_ = nullptr;
  GiveBackFn give_back_ = nullptr;  // null: nothing to give back (empty or moved-from lease)
  std::span<T> whole_;
  std::size_t length_ = 0;
  bool clear_ = false;
};

}  // namespace bufpool
