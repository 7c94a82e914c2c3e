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
// The rest of the pool's API runs as ops too: trim (pools with trim), stats (read while busy, see
// oracles/busy_stats_oracle.hpp), misuse (misuse_checks.hpp), lease moves (each followed by a check
// of the Lease contract of every lease involved; an array a move gives back goes through the same
// give-back bookkeeping as a give_back) and exit (with run_exits_on_fresh_threads, the rest of the
// program runs on a fresh OS thread once the previous one has ended, its thread-local destructors,
// the pool's thread-exit path, included; without, an exit stays on the same thread). A program
// with an exit op runs every part on a thread of its own; the thread that called run_thread only
// starts and joins them.
//
// Thread-safety: run_thread(i) is called for program i by one thread at a time (a program split by
// exit ops runs its parts one after the other, each on its own thread, joined before the next);
// finish() by one thread after all of them returned.
#pragma once

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <exception>
#include <functional>
#include <new>
#include <string>
#include <optional>
#include <utility>
#include <vector>

#include "poolcheck/hand_over_mailbox.hpp"
#include "poolcheck/kept_alive.hpp"
#include "poolcheck/lease_checks.hpp"
#include "poolcheck/misuse_checks.hpp"
#include "poolcheck/oracles/bucket_cap_oracle.hpp"
#include "poolcheck/oracles/busy_stats_oracle.hpp"
#include "poolcheck/oracles/dirty_read_oracle.hpp"
#include "poolcheck/oracles/exclusivity_oracle.hpp"
#include "poolcheck/program.hpp"
#include "poolcheck/quiescent_checkpoints.hpp"
#include "poolcheck/run_outcome.hpp"
#include "poolcheck/run_state.hpp"
#include "poolcheck/seeded_random.hpp"
#include "poolcheck/tag_pattern.hpp"
#include "poolcheck/thread_launcher.hpp"
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
  ProgramRun(const PoolRef<Pool>& ref, std::uint32_t threads) : ref_(ref), mailboxes_(threads) {
    require_same_layout(ref_);
  }

  const PoolRef<Pool>& pool() const noexcept { return ref_; }

  // `stop` is called at a thread's next checkpoint once a finding that implicates the pool was
  // published, before the checkpoint itself: the deterministic executor's Schedule::stop_at_finding,
  // which ends the schedule there, so the checkpoint unwinds every thread and their leases are
  // abandoned. A pool that corrupted the heap (the no-lock mutant's racing stacks) would otherwise
  // make the steps after the finding depend on the process's heap layout, and a replay of the trace
  // diverge there.
  void stop_at_a_pool_finding(void (*stop)()) noexcept { stop_at_pool_finding_ = stop; }

  // From now on, a program's exit op ends its OS thread: the rest of the program runs on a new
  // thread with `stack_bytes` of stack (0: the default), started after the old one has ended.
  // `hand_off`, if set, is called on the thread that starts a part and returns what the new thread
  // calls first (the deterministic executor: it takes over the starter's schedule slot). Call
  // before any run_thread. Without it, exit ops do not change threads.
  void run_exits_on_fresh_threads(std::size_t stack_bytes,
                                  std::function<std::function<void()>()> hand_off = nullptr) {
    fresh_threads_ = true;
    fresh_stack_bytes_ = stack_bytes;
    hand_off_ = std::move(hand_off);
  }

  // Runs `program` as thread ctx.index(). `chaos`: the stream of chaos delays after ops, or null
  // for none (under a schedule, the schedule is the only source of interleaving). `checkpoint`,
  // if set, is called between ops and between the closing give_backs, where no pool frame is on
  // the stack: the deterministic executor's Schedule::checkpoint, which may throw to unwind the
  // thread after the schedule aborted (never from inside the pool, whose paths may be noexcept).
  // `quiescent`, if set, parks this thread at the free-running executor's quiescent checkpoints
  // between ops (quiescent_checkpoints.hpp); it leaves them before its closing give_backs.
  void run_thread(WorkerContext& ctx, const ThreadProgram& program, RunState& state, SeededRandom* chaos,
                  void (*checkpoint)() = nullptr, QuiescentCheckpoints* quiescent = nullptr) {
    Worker{*this, ctx, program, state, chaos, checkpoint, quiescent, {}, 0, false, {}, {quiescent}}.run();
  }

  // At quiescence, on the calling thread: leases still in mailboxes come back, then the exact cap
  // check. `ctx` is this thread's context (its log merges with the workers').
  void finish(WorkerContext& ctx, std::uint32_t threads) {
    for (std::uint32_t i = 0; i < threads; ++i) receive_hand_overs(ctx, i);
    if (ref_.ledger != nullptr) {
      ctx.count_check(OracleKind::bucket_cap);
      // This thread may keep one array per bucket in its own slot.
      if (auto v = BucketCapOracle::check(*ref_.ledger, ref_.facts.resting_cap + ref_.facts.slots_per_thread,
                                          "at quiescence")) {
        ctx.log().violations.push_back(*v);
      }
    }
  }

 private:
  struct Worker {
    using PoolLease = typename decltype(Lease::lease)::value_type;

    ProgramRun& run_;
    WorkerContext& ctx;
    const ThreadProgram& program;
    RunState& state;
    SeededRandom* chaos;
    void (*checkpoint)();
    QuiescentCheckpoints* quiescent;
    std::array<std::optional<Lease>, kLeasesPerThread> leases{};
    std::uint32_t next = 0;      // the next op of the program to run
    bool fresh_threads = false;  // exit ops hand the rest of the program to a fresh OS thread
    BusyStatsOracle stats_oracle;
    // Leaves the quiescent checkpoints once: after the program's last op (whichever OS thread runs
    // it), or when an exception unwinds the worker.
    struct LeaveCheckpoints {
      QuiescentCheckpoints* q;
      void now() {
        if (q != nullptr) std::exchange(q, nullptr)->leave();
      }
      ~LeaveCheckpoints() { now(); }
    } leave_checkpoints;

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
      for (auto& l : leases) abandon(l);
    }

    // Forgets a lease without giving it back (its array is the pool's or lost; the run has failed).
    // What is forgotten stays reachable (kept_alive.hpp): a leak on purpose, not one to report.
    static void abandon(std::optional<Lease>& l) noexcept {
      if (l && l->lease) {
        // Moved into an object never deleted: its destructor never runs (if the allocation fails,
        // the array is given back after all: a possible false alias beats std::terminate here).
        keep_alive(new (std::nothrow) PoolLease(std::move(*l->lease)));
      } else if (l) {
        keep_alive(l->span.data());
      }
      l.reset();
    }

    void run_program() {
      state.on_start(ctx.index());
      fresh_threads = run_.fresh_threads_ &&
                      std::any_of(program.ops.begin(), program.ops.end(), [](const Op& op) { return op.kind == OpKind::exit; });
      bool more = true;
      while (more) more = fresh_threads ? run_part_on_fresh_thread() : run_part();
      state.on_finish(ctx.index());
    }

    // One part of the program on a thread of its own, joined (thread-locals destroyed) before the
    // next part starts. When the system refuses the thread, the part runs here instead.
    bool run_part_on_fresh_thread() {
      struct Call {
        Worker* worker;
        std::function<void()> adopt;
        bool more = false;
        std::exception_ptr error;
      } call{this, run_.hand_off_ ? run_.hand_off_() : std::function<void()>{}, false, nullptr};
      const bool ran = run_on_new_thread(run_.fresh_stack_bytes_, [](void* p) {
        auto* c = static_cast<Call*>(p);
        if (c->adopt) c->adopt();
        try {
          c->more = c->worker->run_part();
        } catch (...) {
          c->error = std::current_exception();
        }
      }, &call);
      if (!ran) return run_part();
      if (call.error) std::rethrow_exception(call.error);
      return call.more;
    }

    // Between ops, where only the program's own frames are on the stack.
    void checkpoint_here() {
      if (run_.stop_at_pool_finding_ != nullptr && state.violation_count() != 0) {
        const auto found = state.first_violation();
        if (found && implicates_pool(found->oracle)) run_.stop_at_pool_finding_();
      }
      if (checkpoint != nullptr) checkpoint();
    }

    // Runs ops from `next` to the end of the program, then gives back what it holds; or stops
    // after an exit op when the rest is to run on a fresh thread (returns true then).
    bool run_part() {
      const std::uint32_t index = ctx.index();
      while (next < program.ops.size()) {
        if (quiescent != nullptr) quiescent->before_op(next);
        checkpoint_here();
        if (state.stop_requested()) break;
        const std::uint32_t i = next++;
        const Op& op = program.ops[i];
        state.on_op(index, i, op.kind);
        run_.receive_hand_overs(ctx, index);
        execute(op, i);
        ctx.step_done();
        if (op.delay != 0 && chaos != nullptr) detail::chaos(op.delay, *chaos);
        if (op.kind == OpKind::exit && fresh_threads) return true;
      }
      leave_checkpoints.now();
      for (auto& l : leases) {
        checkpoint_here();
        if (l) run_.give_back(ctx, std::move(*l), false, "at the end of its program");
        l.reset();
      }
      checkpoint_here();
      run_.receive_hand_overs(ctx, index);
      return false;
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
        case OpKind::trim:
          trim(op, op_index);
          break;
        case OpKind::stats:
          read_stats(op, op_index);
          break;
        case OpKind::misuse:
          misuse(op, op_index);
          break;
        case OpKind::lease_move:
          lease_move(op, op_index);
          break;
        case OpKind::exit:
          if (op.clear) {
            for (auto& l : leases) {
              if (l) run_.give_back(ctx, std::move(*l), false, "before its thread exits");
              l.reset();
            }
          }
          break;
      }
    }

    void report_op(OracleKind kind, const Op& op, std::uint32_t op_index, const std::string& what) {
      ctx.report(Violation{kind, describe_op(ctx.index(), op_index, op) + ": " + what, Tag{ctx.index(), op_index},
                           std::nullopt, nullptr, 0, 0});
    }

    // Trims a pool that can, at the op's pressure; its arrays' fate is checked by the ledger, the
    // caps and, at the end, the statistics and the accounting.
    void trim(const Op& op, std::uint32_t op_index) {
      if constexpr (TrimmingPool<Pool>) {
        try {
          static_cast<void>(run_.ref_.pool->trim(op.clear ? bufpool::TrimPressure::high : bufpool::TrimPressure::low));
        } catch (const std::exception& e) {
          report_op(OracleKind::pool_error, op, op_index, std::string("trim threw ") + e.what());
        }
      } else {
        (void)op;
        (void)op_index;
      }
    }

    void read_stats(const Op& op, std::uint32_t op_index) {
      if constexpr (PoolWithStats<Pool>) {
        ctx.count_check(OracleKind::stats);
        bufpool::PoolStats s;
        try {
          s = run_.ref_.pool->stats();
        } catch (const std::exception& e) {
          report_op(OracleKind::pool_error, op, op_index, std::string("stats() threw ") + e.what());
          return;
        }
        if (auto v = stats_oracle.check(s, run_.ref_.facts, Tag{ctx.index(), op_index}, op)) ctx.report(*v);
      } else {
        (void)op;
        (void)op_index;
      }
    }

    // See misuse_checks.hpp. The held lease is verified afterwards: a pool that refused the span
    // as the contract says did not touch it.
    void misuse(const Op& op, std::uint32_t op_index) {
      if constexpr (misuse_defined<Pool>()) {
        using Ends = MisuseExpectation::Ends;
        using Kind = bufpool::CheckedViolation::Kind;
        auto& held = leases[op.lease];
        const PoolFacts& facts = run_.ref_.facts;
        const Tag tag{ctx.index(), op_index};
        const std::string where = describe_op(ctx.index(), op_index, op);
        auto part_of = [&](std::size_t m) {
          return "a span of " + std::to_string(m) + " elements of a held array of " + std::to_string(held->span.size());
        };
        bool taken = false;
        switch (static_cast<Misuse>(op.size)) {
          case Misuse::foreign_size:
            if (held && held->span.size() <= facts.largest_bucket()) {
              if (const std::size_t m = foreign_length(held->span.size(), facts.classes); m != 0) {
                taken = misused_give_back(ctx, run_.ref_, held->span.first(m),
                                          {Ends::throws_invalid_argument, Kind::span_mismatch, OracleKind::size_contract},
                                          tag, where, part_of(m) + " (no bucket capacity)");
              }
            }
            break;
          case Misuse::empty:
            misused_give_back(ctx, run_.ref_, held ? held->span.first(0) : std::span<T>{}, {Ends::nothing, Kind::double_give_back, OracleKind::pool_error}, tag, where,
                              "an empty span");
            break;
          case Misuse::oversize:
            if (held && held->span.size() > facts.largest_bucket()) {
              if (const std::size_t m = foreign_length(held->span.size(), facts.classes); m != 0) {
                taken = misused_give_back(ctx, run_.ref_, held->span.first(m),
                                          {Ends::throws_invalid_argument, Kind::span_mismatch, OracleKind::size_contract},
                                          tag, where, part_of(m) + " (over-size, given back with no bucket capacity)");
              }
              if (!taken && pool_is_checked<Pool>()) {
                taken = misused_give_back(ctx, run_.ref_, held->span.first(facts.largest_bucket()),
                                          {Ends::reported, Kind::span_mismatch, OracleKind::size_contract}, tag, where,
                                          part_of(facts.largest_bucket()) +
                                              " (over-size, given back as the largest bucket)");
              }
            }
            break;
          case Misuse::double_give_back:
            double_give_back(held, tag, where);
            break;
        }
        if (taken) {
          abandon(held);
        } else if (held) {
          run_.check_exclusive(ctx, *held, "after a misused give_back");
        }
      } else {
        (void)op;
        (void)op_index;
      }
    }

    // Gives the held array back, then again: only where that is defined (double_give_back_defined)
    // and where no other thread can have rented the array in between, so that a second give_back
    // the pool takes is the pool's bug, never the harness's:
    //   - a run of one thread: no other thread calls the pool;
    //   - a pool with thread-local slots (facts.slots_per_thread) and an array of a bucket: the
    //     first give_back puts it in this thread's own slot (SharedArrayPool::give_back), which only
    //     this thread takes from, and this thread's next call to the pool is the second give_back,
    //     whose check (accept_give_back) runs before anything else. A trim(high) by another thread
    //     only marks the slot for this thread to empty at its next call, after that check. The one
    //     exception is a thread whose cache could not be allocated (std::bad_alloc in
    //     ThreadCacheList::add), which bypasses the slots; the process is then out of memory.
    void double_give_back(std::optional<Lease>& held, Tag tag, const std::string& where) {
      if constexpr (double_give_back_defined<Pool>()) {
        using Ends = MisuseExpectation::Ends;
        using Kind = bufpool::CheckedViolation::Kind;
        if (!held) return;
        const PoolFacts& facts = run_.ref_.facts;
        const std::span<T> array = held->span;
        const bool alone = state.thread_count() == 1;
        const bool own_slot = facts.slots_per_thread > 0 && array.size() <= facts.largest_bucket();
        if (!alone && !own_slot) return;
        const auto taken_before = ctx.log().give_backs;
        run_.give_back(ctx, std::move(*held), false, "before a double give_back");
        held.reset();
        if (ctx.log().give_backs == taken_before) return;  // the first one failed (reported): no second
        const MisuseExpectation expect =
            pool_is_checked<Pool>() ? MisuseExpectation{Ends::reported, Kind::double_give_back, OracleKind::pool_error}
                                    : MisuseExpectation{Ends::throws_invalid_argument, Kind::double_give_back,
                                                        OracleKind::pool_error};
        misused_give_back(ctx, run_.ref_, array, expect, tag, where,
                          "an array of " + std::to_string(array.size()) + " elements it had just given back");
      } else {
        (void)held;
        (void)tag;
        (void)where;
      }
    }

    // Lease moves (leases rented through lease()); see LeaseMove. After each, every lease involved
    // must show what the contract says: a moved-from or reset lease is empty, a lease that received
    // another's array shows that array, its size, capacity and clear flag.
    void lease_move(const Op& op, std::uint32_t op_index) {
      const auto a = op.lease;
      const auto b = static_cast<std::uint8_t>(op.lo % kLeasesPerThread);
      auto& A = leases[a];
      auto& B = leases[b];
      const bool a_leased = A && A->lease;
      const bool b_leased = B && B->lease;
      auto fail = [&](const std::string& what) {
        report_op(OracleKind::size_contract, op, op_index, what);
      };
      auto expect_empty = [&](const PoolLease& l, const char* which) {
        if (auto problem = empty_lease_problem(l)) fail(std::string(which) + " is not empty: " + *problem);
      };
      auto expect_held = [&](const Lease& l, bool clears, const char* which) {
        ctx.count_check(OracleKind::size_contract);
        if (auto problem = lease_contract_problem(*l.lease, l)) {
          fail(std::string(which) + " breaks the Lease contract: " + *problem);
        } else if (l.lease->clears_on_give_back() != clears) {
          fail(std::string(which) + " changed its clear_on_give_back flag");
        }
      };
      switch (static_cast<LeaseMove>(op.size)) {
        case LeaseMove::move_construct: {
          if (!a_leased) break;
          const bool clears = A->lease->clears_on_give_back();
          if (a != b && !B) {
            B.emplace(std::move(*A));  // CheckedLease's move: its Lease is move-constructed
            expect_empty(*A->lease, "the moved-from lease");
            A.reset();
            expect_held(*B, clears, "the move-constructed lease");
          } else {
            PoolLease moved(std::move(*A->lease));
            expect_empty(*A->lease, "the moved-from lease");
            *A->lease = std::move(moved);  // back, over an empty lease: nothing goes back
            expect_empty(moved, "the lease moved back from");
            expect_held(*A, clears, "the lease moved back");
          }
          break;
        }
        case LeaseMove::move_assign: {
          if (!a_leased || a == b) break;
          const bool clears = A->lease->clears_on_give_back();
          if (B && !b_leased) {
            run_.give_back(ctx, std::move(*B), false, "before a lease is moved over its index");
            B.reset();
          }
          if (!B) {
            B.emplace();
            B->lease.emplace();
          } else {
            // Over a live lease: operator= gives its array back. The harness's side of that
            // give_back comes first, while the array is still this thread's.
            run_.check_exclusive(ctx, *B, "before a lease is moved over it");
            before_give_back(run_.ref_, *B, B->lease->clears_on_give_back());
          }
          const bool gives_back = B->lease->data() != nullptr;
          *B->lease = std::move(*A->lease);
          if (gives_back) {
            after_give_back(run_.ref_, *B);  // B's fields still describe the array it gave back
            ++ctx.log().give_backs;
          }
          take_fields(*B, *A);
          expect_empty(*A->lease, "the moved-from lease");
          A.reset();
          expect_held(*B, clears, "the move-assigned lease");
          break;
        }
        case LeaseMove::swap: {
          if (a == b || (!A && !B)) break;
          if (a_leased && b_leased) {
            const bool a_clears = A->lease->clears_on_give_back(), b_clears = B->lease->clears_on_give_back();
            std::swap(*A->lease, *B->lease);
            swap_fields(*A, *B);
            expect_held(*A, b_clears, "a swapped lease");
            expect_held(*B, a_clears, "a swapped lease");
          } else {
            std::swap(A, B);
            if (A && A->lease) expect_held(*A, A->lease->clears_on_give_back(), "a swapped lease");
            if (B && B->lease) expect_held(*B, B->lease->clears_on_give_back(), "a swapped lease");
          }
          break;
        }
        case LeaseMove::reset: {
          if (!a_leased) break;
          run_.check_exclusive(ctx, *A, "before reset()");
          before_give_back(run_.ref_, *A, A->lease->clears_on_give_back());
          A->lease->reset();
          after_give_back(run_.ref_, *A);
          ++ctx.log().give_backs;
          expect_empty(*A->lease, "a reset lease");
          A->lease->reset();  // safe twice: nothing more goes back
          expect_empty(*A->lease, "a lease reset twice");
          A.reset();
          break;
        }
        case LeaseMove::self_move: {
          if (!a_leased) break;
          const bool clears = A->lease->clears_on_give_back();
          PoolLease& self = *A->lease;
          PoolLease* alias = &self;  // through a pointer: the self-move is the point
          self = std::move(*alias);
          expect_held(*A, clears, "a self-moved lease");
          break;
        }
      }
    }

    // Everything of a CheckedLease but its Lease, from `from` to `to`.
    static void take_fields(Lease& to, Lease& from) {
      to.record = std::move(from.record);
      to.span = from.span;
      to.header = from.header;
      to.alloc_bytes = from.alloc_bytes;
      to.fresh = from.fresh;
    }
    static void swap_fields(Lease& x, Lease& y) {
      std::swap(x.record, y.record);
      std::swap(x.span, y.span);
      std::swap(x.header, y.header);
      std::swap(x.alloc_bytes, y.alloc_bytes);
      std::swap(x.fresh, y.fresh);
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
  // Set before the workers start, read-only after.
  void (*stop_at_pool_finding_)() = nullptr;
  bool fresh_threads_ = false;
  std::size_t fresh_stack_bytes_ = 0;
  std::function<std::function<void()>()> hand_off_;
};

}  // namespace poolcheck
