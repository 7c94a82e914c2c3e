// The lower bound for any pool: one cached pointer per thread per power-of-two size and nothing
// else (no counters, no trimming, no sharing between threads). A hit is a thread-local load and
// store; a miss is malloc, and a give_back onto an occupied slot is free. The shared pool's fast
// path does the same plus its bookkeeping, so the ratio between the two is what that costs.
//
// Thread-safe: each thread touches only its own slots. Slots still full at thread exit are freed.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdlib>
#include <new>

namespace bench {

template <class T>
class ThreadLocalSlot {
 public:
  // n must be a power of two; throws std::bad_alloc.
  static T* rent(std::size_t n) {
    T*& slot = slots_.by_size[index(n)];
    if (T* p = slot) [[likely]] {
      slot = nullptr;
      return p;
    }
    return rent_slow(n);
  }

  static void give_back(T* p, std::size_t n) {
    T*& slot = slots_.by_size[index(n)];
    if (slot == nullptr) [[likely]] {
      slot = p;
      return;
    }
    std::free(p);
  }

 private:
  struct Slots {
    T* by_size[65];
  };
  // Frees this thread's slots at its exit. Separate from the slots themselves so that the fast path
  // reads a trivially destructible thread_local (no initialisation guard on every access).
  struct ExitSweep {
    bool armed = false;
    ~ExitSweep() {
      for (T*& p : slots_.by_size) {
        std::free(p);
        p = nullptr;
      }
    }
  };

  [[gnu::noinline]] static T* rent_slow(std::size_t n) {
    thread_local ExitSweep sweep;
    sweep.armed = true;  // odr-use, so the sweep is constructed (and so destroyed) on this thread
    void* p = std::malloc(n * sizeof(T));
    if (p == nullptr) throw std::bad_alloc();
    return static_cast<T*>(p);
  }

  static std::size_t index(std::size_t n) noexcept { return static_cast<std::size_t>(std::bit_width(n)); }

  static inline thread_local constinit Slots slots_{};
};

}  // namespace bench
