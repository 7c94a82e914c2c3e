// The hand-over of a lease from one worker to another: one lock-free mailbox (a Treiber list) per
// thread. It models the program's own hand-off of a buffer (real code synchronises that too), so it
// is the only synchronisation between workers the checker adds: a release push, an acquire take.
//
// `Atomic` is std::atomic for real threads and det::DetAtomic under the deterministic executor:
// there every send and receive is a scheduling point, so a schedule can switch threads between a
// sender's read of the head and its publishing CAS, or between two sends and a receive, exactly
// where a real run could.
//
// Thread-safe: any thread may send to any mailbox; only its owner (or the main thread at
// quiescence) receives from it.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <type_traits>
#include <utility>

#include "poolcheck/lease_checks.hpp"

namespace poolcheck {

template <class T, template <class> class Atomic = std::atomic>
class HandOverMailboxes {
 public:
  // A lease in transit, and whether its receiver gives it back clearing.
  struct HandOver {
    CheckedLease<T> lease;
    bool clear = false;
    HandOver* next = nullptr;
  };

  explicit HandOverMailboxes(std::uint32_t threads) : boxes_(std::make_unique<Box[]>(threads)) {
    for (std::uint32_t i = 0; i < threads; ++i) boxes_[i].head.store(nullptr, std::memory_order_relaxed);
  }

  void send(std::uint32_t target, CheckedLease<T>&& lease, bool clear) {
    auto* h = new HandOver{std::move(lease), clear, nullptr};
    auto& box = boxes_[target].head;
    HandOver* head = box.load(std::memory_order_relaxed);
    do {
      h->next = head;
      // release: the receiver must see the lease's record (the program's own hand-off edge).
    } while (!box.compare_exchange_weak(head, h, std::memory_order_release, std::memory_order_relaxed));
  }

  // Takes everything in mailbox `index` and calls each(HandOver&) for it, newest first.
  template <class Each>
  void receive(std::uint32_t index, Each&& each) {
    auto& box = boxes_[index].head;
    // On real threads an empty box is read, not exchanged: every op receives, and a
    // read-modify-write per op would take the box's cache line from its senders each time. Under
    // a schedule the exchange stays one scheduling point, as the schedules recorded so far have it.
    if constexpr (std::is_same_v<Atomic<HandOver*>, std::atomic<HandOver*>>) {
      if (box.load(std::memory_order_relaxed) == nullptr) return;
    }
    HandOver* p = box.exchange(nullptr, std::memory_order_acquire);
    while (p != nullptr) {
      std::unique_ptr<HandOver> h(p);
      p = p->next;
      each(*h);
    }
  }

 private:
  // A cache line per box: a send to one thread does not disturb the others' reads of theirs.
  struct alignas(64) Box {
    Atomic<HandOver*> head;
  };
  std::unique_ptr<Box[]> boxes_;
};

}  // namespace poolcheck
