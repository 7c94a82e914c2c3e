// A barrier whose waiters spin for a while before they sleep, when every participant can have a
// core of its own. std::barrier puts a waiter to sleep on a futex almost at once, and waking it
// costs tens of microseconds on a virtual machine: at two threads a quiescent checkpoint every 32
// ops then costs more than the ops between them. With more participants than cores a spinning
// waiter would take the core the late arriver needs, so the waiters sleep at once (as std::barrier's).
//
// Semantics are std::barrier's: arrive_and_wait, arrive_and_drop (leaves for good), and a
// completion run by the last arriver of each phase before any waiter is released. Each phase is an
// acquire-release edge between all participants.
//
// Thread-safety: every participant calls arrive_and_wait or arrive_and_drop once per phase, from
// its own thread; `completion` runs on one thread at a time.
#pragma once

#include <atomic>
#include <cstdint>
#include <thread>
#include <utility>

namespace poolcheck {

template <class Completion>
class SpinParkBarrier {
 public:
  SpinParkBarrier(std::uint32_t participants, Completion completion)
      : participants_(participants),
        pending_(participants),
        spin_(participants <= std::max(1u, std::thread::hardware_concurrency())),
        completion_(std::move(completion)) {}

  void arrive_and_wait() {
    const std::uint32_t phase = phase_.load(std::memory_order_acquire);
    if (arrive()) return;
    if (spin_) {
      for (int i = 0; i < kSpins; ++i) {
        if (phase_.load(std::memory_order_acquire) != phase) return;
        pause();
      }
    }
    while (phase_.load(std::memory_order_acquire) == phase) phase_.wait(phase, std::memory_order_acquire);
  }

  // Arrives for this phase and takes no part in later ones.
  void arrive_and_drop() {
    // Before this arrival: the last arriver of the phase reads participants_ after every arrival.
    participants_.fetch_sub(1, std::memory_order_relaxed);
    arrive();
  }

 private:
  // One arrival; the last of the phase runs the completion, opens the next phase and returns true.
  bool arrive() {
    if (pending_.fetch_sub(1, std::memory_order_acq_rel) != 1) return false;
    pending_.store(participants_.load(std::memory_order_relaxed), std::memory_order_relaxed);
    completion_();
    phase_.fetch_add(1, std::memory_order_release);
    phase_.notify_all();
    return true;
  }

  static void pause() noexcept {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
  }

  // About 20-50 us of pause instructions: longer than a checkpoint's stretch of ops at a few
  // threads, far shorter than a scheduler tick.
  static constexpr int kSpins = 1 << 14;

  std::atomic<std::uint32_t> participants_;  // participants of the next phases
  std::atomic<std::uint32_t> pending_;       // arrivals the current phase still waits for
  std::atomic<std::uint32_t> phase_{0};
  const bool spin_;
  Completion completion_;
};

}  // namespace poolcheck
