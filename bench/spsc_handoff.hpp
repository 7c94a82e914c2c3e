// A single-producer single-consumer ring of values (spans): how pool_bench's cross-thread benchmark moves
// each rented array from the renting thread to the thread that gives it back. Every contender goes
// through the same ring, so its cost is common to all and the differences are the allocators'.
//
// Thread-safe for exactly one producer thread (push, wait_drained) and one consumer (pop_then).
// Release/acquire on the indices carry the array's contents with it, as a real hand-off would (an
// index read from a cached copy was itself read with acquire, which covers every cell up to it).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <thread>

namespace bench {

// Waits with pause instructions first and yields after a while: with 2 cores and 2 spinning threads
// any third runnable thread (the OS, a stray job) would otherwise stall the pair for a whole slice.
class SpinWait {
 public:
  void once() noexcept {
    if (++spins_ < kSpinsBeforeYield) {
#if defined(__x86_64__) || defined(__i386__)
      __builtin_ia32_pause();
#endif
    } else {
      std::this_thread::yield();
    }
  }

 private:
  static constexpr unsigned kSpinsBeforeYield = 1024;
  unsigned spins_ = 0;
};

template <class T, std::size_t N = 64>
class SpscHandoff {
  static_assert((N & (N - 1)) == 0, "N must be a power of two");

 public:
  // Producer: waits while the ring is full.
  void push(T p) noexcept {
    const std::uint64_t h = head_.load(std::memory_order_relaxed);
    if (h - tail_seen_ == N) {
      for (SpinWait w; h - (tail_seen_ = tail_.load(std::memory_order_acquire)) == N;) w.once();
    }
    ring_[h & (N - 1)] = p;
    head_.store(h + 1, std::memory_order_release);
  }

  // Consumer: waits for the next value, calls f(p), and only then frees the ring cell, so that
  // wait_drained() returns after the last f has finished.
  template <class F>
  void pop_then(F&& f) {
    const std::uint64_t t = tail_.load(std::memory_order_relaxed);
    if (head_seen_ == t) {
      for (SpinWait w; (head_seen_ = head_.load(std::memory_order_acquire)) == t;) w.once();
    }
    f(ring_[t & (N - 1)]);
    tail_.store(t + 1, std::memory_order_release);
  }

  // Producer: waits until the consumer has handled everything pushed.
  void wait_drained() const noexcept {
    const std::uint64_t h = head_.load(std::memory_order_relaxed);
    for (SpinWait w; tail_.load(std::memory_order_acquire) != h;) w.once();
  }

 private:
  // Each side keeps the last value it read of the other side's index and reads the shared one again
  // only when that copy says full (producer) or empty (consumer). Reading it on every call moves
  // its cache line between the cores once per array, which makes the ring alone cost more than
  // the allocators it is there to compare.
  alignas(64) std::atomic<std::uint64_t> head_{0};  // written by the producer only
  std::uint64_t tail_seen_ = 0;                     // producer only: tail_ when last read
  alignas(64) std::atomic<std::uint64_t> tail_{0};  // written by the consumer only
  std::uint64_t head_seen_ = 0;                     // consumer only: head_ when last read
  alignas(64) T ring_[N]{};
};

}  // namespace bench
