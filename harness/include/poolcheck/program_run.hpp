// What both program executors share: one thread's program run op by op against the pool through
// the lease-check protocol (lease_checks.hpp), the hand-overs between threads, and the checks of
// quiescence after every thread finished. The free-running executor drives it on real threads at
// full contention (free_executor.hpp), the deterministic one under a schedule (det_executor.hpp).
//
// Each worker tags every rental, writes and verifies its pattern, reads through the dirty-read
// oracle, and verifies exclusivity once before each give_back (also of a lease handed to it).
// Oracle state is the worker's own (its leases, its log) or relaxed atomics in the array headers
// and the ledger: the checker adds no happens-before edge between workers that the pool does not
// provide, except the hand-over mailbox, which models the program's own hand-off.
//
// Thread-safety: run_thread(i) is called by thread i only; finish() by one thread after all of
// them returned.
#pragma once

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <new>
#include <optional>
#include <utility>
#include <vector>

#include "poolcheck/hand_over_mailbox.hpp"
#include "poolcheck/lease_checks.hpp"
#include "poolcheck/oracles/bucket_cap_oracle.hpp"
#include "poolcheck/oracles/dirty_read_oracle.hpp"
#include "poolcheck/oracles/exclusivity_oracle.hpp"
#include "poolcheck/program.hpp"
#include "poolcheck/quiescent_checkpoints.hpp"
#include "poolcheck/run_outcome.hpp"
#include "poolcheck/run_state.hpp"
#include "poolcheck/seeded_random.hpp"
#include "poolcheck/tag_pattern.hpp"
#include "poolcheck/worker_log.hpp"
#include "poolcheck/workload/worker_context.hpp"

namespace poolcheck {

namespace detail {
// Chaos after an op: 1 yield, 2 spin, 3 short sleep (lengths drawn from the worker's stream).
void chaos(std::uint32_t kind, SeededRandom& rng) noexcept;
}  // namespace detail

// `Atomic`: the atomic type of the hand-over mailboxes (det::DetAtomic under a schedule, so a
// hand-over is interleaved like any other shared access).
template <PoolUnderTest Pool, template <class> class Atomic = std::atomic>
class ProgramRun {
  using T = typename Pool::value_type;
  using Lease = CheckedLease<T>;

 public:
  ProgramRun(const PoolRef<Pool>& ref, std::uint32_t threads) : ref_(ref), mailboxes_(threads) {}

  const PoolRef<Pool>& pool() const noexcept { return ref_; }

  // Runs `program` as thread ctx.index(). `chaos`: the stream of chaos delays after ops, or null
  // for none (under a schedule, the schedule is the only source of interleaving). `checkpoint`,
  // if set, is called between ops and between the closing give_backs, where no pool frame is on
  // the stack: the deterministic executor's Schedule::checkpoint, which may throw to unwind the
  // thread after the schedule aborted (never from inside the pool, whose paths may be noexcept).
  // `quiescent`, if set, parks this thread at the free-running executor's quiescent checkpoints
  // between ops (quiescent_checkpoints.hpp); it leaves them before its closing give_backs.
  void run_thread(WorkerContext& ctx, const ThreadProgram& program, RunState& state, SeededRandom* chaos,
                  void (*checkpoint)() = nullptr, QuiescentCheckpoints* quiescent = nullptr) {
    Worker{*this, ctx, program, state, chaos, checkpoint, quiescent}.run();
  }

  // At quiescence, on the calling thread: leases still in mailboxes come back, then the exact cap
  // check. `ctx` is this thread's context (its log merges with the workers').
  void finish(WorkerContext& ctx, std::uint32_t threads) {
    for (std::uint32_t i = 0; i < threads; ++i) receive_hand_overs(ctx, i);
    if (ref_.ledger != nullptr) {
      ctx.count_check(OracleKind::bucket_cap);
      // This thread may keep one array per bucket in its own slot.
      if (auto v = BucketCapOracle::check(*ref_.ledger, ref_.facts.bucket_count,
                                          ref_.facts.resting_cap + ref_.facts.slots_per_thread, "at quiescence")) {
        ctx.log().violations.push_back(*v);
      }
    }
  }

 private:
  struct Worker {
    ProgramRun& run_;
    WorkerContext& ctx;
    const ThreadProgram& program;
    RunState& state;
    SeededRandom* chaos;
    void (*checkpoint)();
    QuiescentCheckpoints* quiescent;
    std::array<std::optional<Lease>, kLeasesPerThread> leases{};

    void run() {
      try {
        run_program();
      } catch (...) {
        abandon_leases();
        throw;
      }
    }

    // An exception out of the program (the deterministic executor's ScheduleAborted, thrown at a
    // checkpoint after its schedule aborted): the leases this thread holds are abandoned, never
    // given back. A give_back by the lease's destructor would skip the oracles' give-back
    // bookkeeping (the array's header would still name this lease, and its next renter would be
    // reported as an alias of it), and the pool is leaked by the caller anyway.
    void abandon_leases() noexcept {
      using PoolLease = typename decltype(Lease::lease)::value_type;
      for (auto& l : leases) {
        // Moved into an object never deleted: its destructor never runs (if the allocation fails,
        // the array is given back after all: a possible false alias beats std::terminate here).
        if (l && l->lease) static_cast<void>(new (std::nothrow) PoolLease(std::move(*l->lease)));
        l.reset();
      }
    }

    void run_program() {
      const std::uint32_t index = ctx.index();
      state.on_start(index);
      // Leaves the quiescent checkpoints once: after the last op, or on the way out of an exception.
      struct LeaveCheckpoints {
        QuiescentCheckpoints* q;
        void now() {
          if (q != nullptr) std::exchange(q, nullptr)->leave();
        }
        ~LeaveCheckpoints() { now(); }
      } leave_checkpoints{quiescent};
      for (std::uint32_t i = 0; i < program.ops.size(); ++i) {
        if (quiescent != nullptr) quiescent->before_op(i);
        if (checkpoint != nullptr) checkpoint();
        if (state.stop_requested()) break;
        const Op& op = program.ops[i];
        state.on_op(index, i, op.kind);
        run_.receive_hand_overs(ctx, index);
        execute(op, i);
        ctx.step_done();
        if (op.delay != 0 && chaos != nullptr) detail::chaos(op.delay, *chaos);
      }
      leave_checkpoints.now();
      for (auto& l : leases) {
        if (checkpoint != nullptr) checkpoint();
        if (l) run_.give_back(ctx, std::move(*l), false, "at the end of its program");
        l.reset();
      }
      if (checkpoint != nullptr) checkpoint();
      run_.receive_hand_overs(ctx, index);
      state.on_finish(index);
    }

    void execute(const Op& op, std::uint32_t op_index) {
      auto& held = leases[op.lease];
      switch (op.kind) {
        case OpKind::rent:
          if (held) {
            run_.give_back(ctx, std::move(*held), false, "before renting again");
            held.reset();
          }
          held = rent_checked(ctx, run_.ref_, static_cast<std::size_t>(op.size), Tag{ctx.index(), op_index},
                              op.via_lease ? RentVia::lease : RentVia::rent, op.clear);
          break;
        case OpKind::write:
          if (held) {
            auto [b, e] = byte_range(*held, op);
            write_pattern(held->record.bytes, b, e, held->record.tag);
            held->record.written.add(b, e);
          }
          break;
        case OpKind::verify:
          if (held) run_.check_exclusive(ctx, *held, "at verify");
          break;
        case OpKind::read:
          if (held) read(*held, op);
          break;
        case OpKind::hold:
          if (chaos != nullptr) detail::chaos(op.delay, *chaos);
          break;
        case OpKind::hand_over:
          if (held && op.target != ctx.index() && op.target < state.thread_count()) {
            run_.mailboxes_.send(op.target, std::move(*held), op.clear);
            held.reset();
            ++ctx.log().hand_overs;
          }
          break;
        case OpKind::give_back:
          if (held) {
            run_.give_back(ctx, std::move(*held), op.clear, "at give_back");
            held.reset();
          }
          break;
      }
    }

    // A correct consumer: reads the part of [lo, hi) it wrote, through the dirty-read oracle.
    void read(const Lease& l, const Op& op) {
      auto [b, e] = byte_range(l, op);
      for (auto [wb, we] : l.record.written.ranges()) {
        const std::size_t rb = std::max(b, wb), re = std::min(e, we);
        if (rb >= re) continue;
        ctx.count_check(OracleKind::dirty_read);
        if (auto v = DirtyReadOracle::check_read(l.record, rb, re)) ctx.report(*v);
        return;
      }
    }

    static std::pair<std::size_t, std::size_t> byte_range(const Lease& l, const Op& op) {
      const std::size_t len = l.record.requested_bytes;
      const std::size_t b = len * op.lo / 65536;
      const std::size_t e = op.hi == 0 ? len : len * op.hi / 65536;
      return {b, std::max(b, e)};
    }
  };

  void check_exclusive(WorkerContext& ctx, const Lease& l, const char* when) {
    ctx.count_check(OracleKind::exclusivity);
    if (auto v = ExclusivityOracle::check(l.record, when)) ctx.report(*v);
  }

  void give_back(WorkerContext& ctx, Lease&& l, bool clear, const char* when) {
    check_exclusive(ctx, l, when);
    give_back_checked(ctx, ref_, std::move(l), clear);
  }

  void receive_hand_overs(WorkerContext& ctx, std::uint32_t box) {
    mailboxes_.receive(box, [&](typename HandOverMailboxes<T, Atomic>::HandOver& h) {
      give_back(ctx, std::move(h.lease), h.clear, "after a hand-over");
    });
  }

  const PoolRef<Pool> ref_;
  HandOverMailboxes<T, Atomic> mailboxes_;
};

}  // namespace poolcheck
