// Quiescent checkpoints of the free-running executor: every `every` ops, each worker parks at a
// barrier between two ops (its pool calls returned, no lease of its own mid-hand-over), and the
// last to arrive runs a check while all the others wait. At that instant no rent or give_back is
// in flight anywhere (a worker that finished its program has left the barrier and may still be
// giving back its last leases: the check stays sound then, as it is at any instant, and is exact
// whenever none did), so the ledger's resting count equals what the pool rests: the cap is
// checked exactly while the run is still going, not only at its end.
//
// The barrier (spin_park_barrier.hpp: waiters spin before they sleep when each worker can have a
// core) is an edge between all workers (TSan sees it): a race between an op before a
// checkpoint and one after it is hidden from TSan; races within a stretch of `every` ops are not.
//
// Thread-safety: before_op and leave are called by the workers, each on its own thread; the check
// runs on the last arriving worker with every other participant parked.
#pragma once

#include <atomic>
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <utility>

#include "poolcheck/spin_park_barrier.hpp"

namespace poolcheck {

// Ops between quiescent checkpoints by default: one in the middle of a round of stress's default
// 64 ops: every worker waits at each for the slowest, so each checkpoint costs the round throughput.
inline constexpr std::uint32_t kDefaultCheckpointEvery = 32;
// The default setting: every kDefaultCheckpointEvery ops, or further apart in long programs, so
// that none parks more than kMostDefaultCheckpoints times. A checkpoint's cost is the wait for the
// slowest worker, not the ops between checkpoints: at 32 ops apart in a long program it would cost
// more than the checks it interrupts, while a few per program still check the cap mid-run.
inline constexpr std::uint32_t kAutoCheckpointEvery = ~std::uint32_t{0};
inline constexpr std::uint32_t kMostDefaultCheckpoints = 16;

// The ops between checkpoints for `setting` (kAutoCheckpointEvery, 0 for never, or an explicit
// count, used as given) when the longest program has `longest_program` ops.
constexpr std::uint32_t checkpoint_interval(std::uint32_t setting, std::size_t longest_program) noexcept {
  if (setting != kAutoCheckpointEvery) return setting;
  const std::size_t spread = (longest_program + kMostDefaultCheckpoints) / (kMostDefaultCheckpoints + 1);
  return spread > kDefaultCheckpointEvery ? static_cast<std::uint32_t>(std::min<std::size_t>(spread, ~std::uint32_t{0} - 1))
                                          : kDefaultCheckpointEvery;
}
static_assert(checkpoint_interval(kAutoCheckpointEvery, 64) == kDefaultCheckpointEvery);
static_assert(checkpoint_interval(4, 100000) == 4);

class QuiescentCheckpoints {
 public:
  // `check(op)`: runs at the checkpoint before op `op` of every thread still running.
  QuiescentCheckpoints(std::uint32_t threads, std::uint32_t every, std::function<void(std::uint32_t op)> check)
      : every_(every), check_(std::move(check)) {
    if (every_ != 0) barrier_.emplace(threads, Completion{this});
  }

  std::uint32_t every() const noexcept { return every_; }

  // A worker is about to run op `op` of its program (between ops, no pool call in flight).
  void before_op(std::uint32_t op) {
    if (every_ == 0 || op == 0 || op % every_ != 0) return;
    parked_.fetch_add(1, std::memory_order_relaxed);  // read by the completion, after every arrival
    barrier_->arrive_and_wait();
  }
  // The worker runs no more ops (its program ended, or the run stops): it stops taking part.
  void leave() {
    if (every_ != 0) barrier_->arrive_and_drop();
  }

 private:
  struct Completion {
    QuiescentCheckpoints* self;
    void operator()() noexcept {
      // Phase k completes the checkpoint before op (k + 1) x every of each thread that took part.
      ++self->phase_;
      // A phase every participant left without parking (their programs ended) is no checkpoint.
      if (self->parked_.exchange(0, std::memory_order_relaxed) == 0) return;
      try {
        self->check_(self->phase_ * self->every_);
      } catch (...) {  // a check that cannot allocate its report must not end the process
      }
    }
  };

  const std::uint32_t every_;
  const std::function<void(std::uint32_t)> check_;
  std::uint32_t phase_ = 0;  // written only by the completion, which runs alone
  std::atomic<std::uint32_t> parked_{0};  // workers parked in the current phase (not those that left)
  std::optional<SpinParkBarrier<Completion>> barrier_;
};

}  // namespace poolcheck
