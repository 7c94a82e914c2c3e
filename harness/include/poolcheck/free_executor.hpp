// The free-running executor: one OS thread per program, all released at once, no scheduling but
// the OS's and seeded chaos delays (yields, spins, short sleeps) between ops, for raw contention
// under TSan and ASan at thousands of threads.
//
// Each worker runs its ThreadProgram against the pool, tags every rental, writes and verifies its
// pattern, and consults the oracles at rent, verify, read and give_back. Oracle state is either the
// worker's own (its leases, its log) or relaxed atomics in the array headers and the ledger: the
// checker adds no happens-before edge between workers that the pool does not provide. The only
// synchronisation between workers is the hand-over mailbox, which models the program's own
// hand-off of a buffer (real code synchronises that too). The main thread samples progress and the
// bucket cap, runs the watchdog, and after the join checks the cap exactly.
//
// run_free() must be called from one thread at a time. After RunEnd::stalled, worker threads are
// still stuck in the pool: the caller must write its report and exit the process without
// destroying the pool.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <exception>
#include <thread>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "bufpool/buckets.hpp"
#include "bufpool/sanitizer_build.hpp"
#include "poolcheck/counting_allocator.hpp"
#include "poolcheck/lease_record.hpp"
#include "poolcheck/oracles/aliasing_oracle.hpp"
#include "poolcheck/oracles/bucket_cap_oracle.hpp"
#include "poolcheck/oracles/dirty_read_oracle.hpp"
#include "poolcheck/oracles/exclusivity_oracle.hpp"
#include "poolcheck/oracles/leakage_oracle.hpp"
#include "poolcheck/oracles/size_contract_oracle.hpp"
#include "poolcheck/pool_under_test.hpp"
#include "poolcheck/program.hpp"
#include "poolcheck/run_outcome.hpp"
#include "poolcheck/run_state.hpp"
#include "poolcheck/seeded_random.hpp"
#include "poolcheck/tag_pattern.hpp"
#include "poolcheck/thread_launcher.hpp"
#include "poolcheck/worker_log.hpp"

namespace poolcheck {

struct Progress {
  std::uint64_t ops_done = 0;
  std::uint64_t ops_total = 0;
  std::uint32_t threads_alive = 0;
  std::uint64_t violations = 0;
  double seconds = 0;
};

struct FreeRunConfig {
  std::chrono::milliseconds watchdog{10'000};  // no progress this long: stall
  std::size_t stack_bytes = 0;                 // 0: default_worker_stack_bytes()
  bool stop_on_first_violation = true;
  std::uint64_t chaos_seed = 0;                // chaos delays are drawn from (programs.seed ^ this)
  bool chaos = true;                           // false: no delays (the deterministic executor)
  std::uint64_t (*step_of_violation)() = nullptr;  // deterministic executor: stamps violations with the step
  std::chrono::milliseconds progress_every{250};
  std::function<void(const Progress&)> on_progress;  // called on the main thread
  const std::atomic<bool>* interrupt = nullptr;      // set by a signal handler: stop now
};

namespace detail {

// One lease a worker holds.
template <class T>
struct Held {
  LeaseRecord record;
  std::span<T> span;                   // what rent returned (capacity), or the lease's whole array
  std::optional<bufpool::Lease<T>> lease;  // engaged when rented through lease()
  ArrayHeader* header = nullptr;       // null when the pool is not counted
  std::size_t alloc_bytes = 0;         // the allocation's real size (ledger slot), counted pools
};

// A lease in transit to another thread.
template <class T>
struct Parcel {
  Held<T> held;
  bool clear = false;
  Parcel* next = nullptr;
};

// Chaos after an op: 1 yield, 2 spin, 3 short sleep (lengths drawn from the worker's stream).
void chaos(std::uint32_t kind, SeededRandom& rng) noexcept;

}  // namespace detail

template <PoolUnderTest Pool>
class FreeExecutor {
  using T = typename Pool::value_type;
  using Held = detail::Held<T>;
  using Parcel = detail::Parcel<T>;

 public:
  FreeExecutor(Pool& pool, const PoolFacts& facts, AllocationLedger* ledger)
      : pool_(pool), facts_(facts), ledger_(facts.counted ? ledger : nullptr) {}

  RunOutcome run(const ProgramSet& programs, const FreeRunConfig& config) {
    const auto t0 = std::chrono::steady_clock::now();
    const auto n = static_cast<std::uint32_t>(programs.threads.size());
    // Everything the workers touch lives here, on the heap: after a stall they are still running,
    // so it is kept alive (leaked) rather than destroyed under them.
    auto ctx = std::make_unique<FreeRunContext>(programs, config);
    RunOutcome out = prepare(programs, config);
    const bool started = ctx->launcher.start(
        n, config.stack_bytes != 0 ? config.stack_bytes : default_worker_stack_bytes(),
        [this, c = ctx.get()](std::uint32_t i, bool abort_start) {
          if (abort_start) return;
          Worker w{*this, c->programs.threads[i], i, c->state, c->logs[i], c->config,
                   SeededRandom(c->programs.seed ^ c->config.chaos_seed ^ 0xC4A05ull, i)};
          w.run();
        });
    out.threads_started = ctx->launcher.started();
    if (!started) {
      ctx->launcher.release(/*abort_start=*/true);
      ctx->launcher.join();
      out.end = RunEnd::thread_limit;
      out.error = ctx->launcher.error();
      out.seconds = seconds_since(t0);
      return out;
    }
    ctx->launcher.release();

    WorkerLog main_log;
    const RunEnd end = supervise(ctx->state, n, config, main_log, t0);
    if (end == RunEnd::stalled) {
      out.end = end;
      out.stall_report = ctx->state.stall_report(programs);
      collect_published(ctx->state, out);
      out.seconds = seconds_since(t0);
      ctx->launcher.detach();
      (void)ctx.release();  // stuck workers still use it; this executor and the pool must live on too
      return out;
    }
    ctx->launcher.join();
    finish(ctx->state, ctx->logs, main_log, out, end, t0);
    return out;
  }

  // Runs the programs under a deterministic schedule (see deterministic/schedule.hpp): `run_all`
  // runs body(i) for every thread i, one thread at a time, and returns when all are done (or the
  // schedule aborted them). No chaos: the schedule is the only source of interleaving.
  template <class RunAll>
  RunOutcome run_scheduled(const ProgramSet& programs, const FreeRunConfig& config, RunAll&& run_all) {
    const auto t0 = std::chrono::steady_clock::now();
    const auto n = static_cast<std::uint32_t>(programs.threads.size());
    RunState state(n, programs.total_ops());
    std::vector<WorkerLog> logs(n);
    RunOutcome out = prepare(programs, config);
    out.threads_started = n;
    FreeRunConfig quiet = config;
    quiet.chaos = false;
    run_all([&](std::uint32_t i) {
      Worker w{*this, programs.threads[i], i, state, logs[i], quiet, SeededRandom(programs.seed, i)};
      w.run();
    });
    WorkerLog main_log;
    finish(state, logs, main_log, out, RunEnd::completed, t0);
    return out;
  }

 private:
  // A free run's worker-side state (see run()).
  struct FreeRunContext {
    FreeRunContext(const ProgramSet& p, const FreeRunConfig& c)
        : programs(p), config(c), state(static_cast<std::uint32_t>(p.threads.size()), p.total_ops()),
          logs(p.threads.size()) {}
    const ProgramSet programs;
    const FreeRunConfig config;
    RunState state;
    std::vector<WorkerLog> logs;
    ThreadLauncher launcher;  // last: destroyed (joined) first
  };

  // Per-run settings shared by both drivers: one mailbox per thread, an empty outcome.
  RunOutcome prepare(const ProgramSet& programs, const FreeRunConfig& config) {
    const auto n = static_cast<std::uint32_t>(programs.threads.size());
    config_stop_ = config.stop_on_first_violation;
    step_fn_ = config.step_of_violation;
    mailboxes_ = std::make_unique<std::atomic<Parcel*>[]>(n);
    for (std::uint32_t i = 0; i < n; ++i) mailboxes_[i].store(nullptr, std::memory_order_relaxed);
    RunOutcome out;
    out.threads_requested = n;
    out.ops_total = programs.total_ops();
    return out;
  }

  // Quiescent: leases still in mailboxes come back on this thread, then the exact cap check, then
  // every log merges into `out`.
  void finish(RunState& state, std::vector<WorkerLog>& logs, WorkerLog& main_log, RunOutcome& out, RunEnd end,
              std::chrono::steady_clock::time_point t0) {
    const auto n = static_cast<std::uint32_t>(logs.size());
    for (std::uint32_t i = 0; i < n; ++i) drain_mailbox(i, main_log, state, n);
    if (ledger_ != nullptr) {
      ++main_log.checks[static_cast<std::size_t>(OracleKind::bucket_cap)];
      // This thread may keep one array per bucket in its own slot.
      if (auto v = BucketCapOracle::check(*ledger_, facts_.bucket_count,
                                          facts_.resting_cap + facts_.slots_per_thread, 0, "at quiescence")) {
        main_log.violations.push_back(*v);
      }
    }
    for (auto& log : logs) merge_into(out, log);
    merge_into(out, main_log);
    out.end = end;
    if (end == RunEnd::completed && !out.violations.empty()) out.end = RunEnd::violation;
    out.seconds = seconds_since(t0);
  }


  static double seconds_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  }

  static void collect_published(const RunState& state, RunOutcome& out) {
    out.ops_done = state.ops_done();
    if (auto first = state.first_violation()) out.violations.push_back(*first);
  }

  // Main thread while workers run: progress, sampled cap, watchdog, interrupt.
  RunEnd supervise(RunState& state, std::uint32_t n, const FreeRunConfig& config, WorkerLog& main_log,
                   std::chrono::steady_clock::time_point t0) {
    auto last_change = std::chrono::steady_clock::now();
    auto last_progress = last_change;
    std::uint64_t last_ops = ~0ull;
    RunEnd end = RunEnd::completed;
    for (;;) {
      const bool finished = state.wait_all_finished(std::chrono::milliseconds(20));
      const auto now = std::chrono::steady_clock::now();
      const std::uint32_t alive = state.threads_alive();
      const std::uint64_t ops = state.ops_done();
      if (config.interrupt != nullptr && config.interrupt->load(std::memory_order_relaxed) && end == RunEnd::completed) {
        end = RunEnd::interrupted;
        state.request_stop();
      }
      if (ledger_ != nullptr && alive != 0) {
        ++main_log.checks[static_cast<std::size_t>(OracleKind::bucket_cap)];
        // Sound while running: every thread may hold one slot array and have one in flight.
        if (auto v = BucketCapOracle::check(*ledger_, facts_.bucket_count,
                                            facts_.resting_cap + facts_.slots_per_thread * (n + 1), n,
                                            "while running")) {
          state.record_first(*v);
          main_log.violations.push_back(*v);
          if (config.stop_on_first_violation) state.request_stop();
        }
      }
      if (config.on_progress && (now - last_progress >= config.progress_every || alive == 0)) {
        last_progress = now;
        config.on_progress(Progress{ops, state.ops_total(), alive, state.violation_count(), seconds_since(t0)});
      }
      if (finished) break;
      if (ops != last_ops) {
        last_ops = ops;
        last_change = now;
      } else if (now - last_change >= config.watchdog) {
        state.request_stop();
        return RunEnd::stalled;
      }
    }
    return end;
  }

  struct Worker {
    FreeExecutor& ex;
    const ThreadProgram& program;
    std::uint32_t index;
    RunState& state;
    WorkerLog& log;
    const FreeRunConfig& config;
    SeededRandom chaos_rng;
    std::array<std::optional<Held>, kLeaseSlots> slots{};

    void run() {
      state.on_start(index);
      for (std::uint32_t i = 0; i < program.ops.size(); ++i) {
        if (state.stop_requested()) break;
        const Op& op = program.ops[i];
        state.on_op(index, i, op.kind);
        ex.drain_mailbox(index, log, state, index);
        execute(op, i);
        ++log.ops_done;
        state.on_op_done(index);
        if (op.delay != 0 && config.chaos) detail::chaos(op.delay, chaos_rng);
      }
      for (auto& slot : slots) {
        if (slot) give_back(std::move(*slot), false, "at the end of its program");
        slot.reset();
      }
      ex.drain_mailbox(index, log, state, index);
      state.on_finish(index);
    }

    void execute(const Op& op, std::uint32_t op_index) {
      auto& slot = slots[op.slot];
      switch (op.kind) {
        case OpKind::rent:
          if (slot) {
            give_back(std::move(*slot), false, "before renting again");
            slot.reset();
          }
          slot = ex.rent(op, Tag{index, op_index}, log, state);
          break;
        case OpKind::write:
          if (slot) {
            auto [b, e] = byte_range(*slot, op);
            write_pattern(slot->record.bytes, b, e, slot->record.tag);
            slot->record.written.add(b, e);
          }
          break;
        case OpKind::verify:
          if (slot) ex.check_exclusive(*slot, "at verify", log, state);
          break;
        case OpKind::read:
          if (slot) read(*slot, op);
          break;
        case OpKind::hold:
          if (config.chaos) detail::chaos(op.delay, chaos_rng);
          break;
        case OpKind::hand_over:
          if (slot && op.target != index && op.target < state.thread_count()) {
            ex.send(op.target, std::move(*slot), op.clear);
            slot.reset();
            ++log.hand_overs;
          }
          break;
        case OpKind::give_back:
          if (slot) {
            give_back(std::move(*slot), op.clear, "at give_back");
            slot.reset();
          }
          break;
      }
    }

    // A correct consumer: reads the part of [lo, hi) it wrote, through the dirty-read oracle.
    void read(Held& h, const Op& op) {
      auto [b, e] = byte_range(h, op);
      for (auto [wb, we] : h.record.written.ranges()) {
        const std::size_t rb = std::max(b, wb), re = std::min(e, we);
        if (rb >= re) continue;
        ++log.checks[static_cast<std::size_t>(OracleKind::dirty_read)];
        if (auto v = DirtyReadOracle::check_read(h.record, rb, re)) ex.report(*v, log, state);
        return;
      }
    }

    void give_back(Held&& h, bool clear, const char* when) { ex.give_back(std::move(h), clear, when, log, state); }

    static std::pair<std::size_t, std::size_t> byte_range(const Held& h, const Op& op) {
      const std::size_t len = h.record.requested_bytes;
      const std::size_t b = len * op.lo / 65536;
      const std::size_t e = op.hi == 0 ? len : len * op.hi / 65536;
      return {b, std::max(b, e)};
    }
  };

  void report(Violation v, WorkerLog& log, RunState& state) {
    if (step_fn_ != nullptr) v.step = step_fn_();
    log.violations.push_back(v);
    state.record_first(v);
    if (config_stop_) state.request_stop();
  }

  std::optional<Held> rent(const Op& op, Tag tag, WorkerLog& log, RunState& state) {
    const std::size_t n = static_cast<std::size_t>(op.size);
    Held h;
    try {
      if constexpr (LeasingPool<Pool>) {
        if (op.via_lease) {
          bufpool::Lease<T> lease = pool_.lease(n, op.clear);
          h.span = std::span<T>(lease.data(), lease.capacity());
          h.lease.emplace(std::move(lease));
        } else {
          h.span = pool_.rent(n);
        }
      } else {
        h.span = pool_.rent(n);
      }
    } catch (const std::exception& e) {
      report(Violation{OracleKind::pool_error, tag.to_string() + ": rent(" + std::to_string(n) + ") threw " + e.what(),
                       tag, std::nullopt, nullptr, 0, 0},
             log, state);
      return std::nullopt;
    }
    const bool via_lease = h.lease.has_value();
    const std::size_t size = h.span.size();
    h.record.tag = tag;
    h.record.bytes = std::as_writable_bytes(h.span);
    h.record.requested_bytes = n * sizeof(T);
    h.record.readable_bytes = (via_lease && bufpool::kAsanBuild) ? h.record.requested_bytes : h.span.size_bytes();
    h.record.capacity = size;
    if (ledger_ != nullptr && size != 0) h.header = CountingAllocator::header_of(h.span.data());

    ++log.checks[static_cast<std::size_t>(OracleKind::size_contract)];
    if (auto v = SizeContractOracle::check_rent(tag, n, h.span.data(), size, sizeof(T), facts_.largest_bucket,
                                                facts_.may_serve_next_bucket, h.header, ledger_ != nullptr)) {
      report(*v, log, state);
      // The array cannot be trusted (it may be smaller than claimed): never write to it; give it
      // straight back so the accounting oracle does not report a loss the harness caused.
      try {
        if (h.lease) {
          h.lease->reset();
        } else if (size != 0) {
          pool_.give_back(h.span, false);
        }
      } catch (const std::exception&) {
      }
      return std::nullopt;
    }
    if (size == 0) return std::nullopt;
    ++log.rents;
    ++log.rents_by_bucket[n > facts_.largest_bucket ? kLedgerSlots - 1 : bufpool::bucket_index(n)];
    if (h.header != nullptr) {
      h.alloc_bytes = h.header->bytes.load(std::memory_order_relaxed);
      ledger_->on_leased(h.alloc_bytes);
      ++log.checks[static_cast<std::size_t>(OracleKind::aliasing)];
      if (auto v = AliasingOracle::on_rent(*h.header, h.record)) {
        report(*v, log, state);
        h.header = nullptr;  // shared with another lease: stop touching its header
      } else {
        ++log.checks[static_cast<std::size_t>(OracleKind::leakage)];
        if (auto leak = LeakageOracle::on_rent(*h.header, h.record)) report(*leak, log, state);
      }
    }
    return h;
  }

  void check_exclusive(const Held& h, const char* when, WorkerLog& log, RunState& state) {
    ++log.checks[static_cast<std::size_t>(OracleKind::exclusivity)];
    if (auto v = ExclusivityOracle::check(h.record, when)) report(*v, log, state);
  }

  void give_back(Held&& h, bool clear, const char* when, WorkerLog& log, RunState& state) {
    check_exclusive(h, when, log, state);
    if (h.header != nullptr) {
      LeakageOracle::before_give_back(*h.header, h.record, clear || (h.lease && h.lease->clears_on_give_back()));
      AliasingOracle::on_give_back(*h.header, h.record);
      ledger_->on_returning(h.alloc_bytes);
    } else if (ledger_ != nullptr && h.alloc_bytes != 0) {
      ledger_->on_returning(h.alloc_bytes);
    }
    try {
      if (h.lease) {
        if (clear) h.lease->clear_on_give_back(true);
        h.lease->reset();
      } else {
        pool_.give_back(h.span, clear);
      }
      ++log.give_backs;
    } catch (const std::exception& e) {
      report(Violation{OracleKind::pool_error, h.record.tag.to_string() + ": give_back threw " + e.what(), h.record.tag,
                       std::nullopt, h.span.data(), h.span.size(), 0},
             log, state);
    }
  }

  void send(std::uint32_t target, Held&& h, bool clear) {
    auto* parcel = new Parcel{std::move(h), clear, nullptr};
    auto& box = mailboxes_[target];
    Parcel* head = box.load(std::memory_order_relaxed);
    do {
      parcel->next = head;
      // release: the receiver must see the lease's record (the program's own hand-off edge).
    } while (!box.compare_exchange_weak(head, parcel, std::memory_order_release, std::memory_order_relaxed));
  }

  void drain_mailbox(std::uint32_t box_index, WorkerLog& log, RunState& state, std::uint32_t receiver) {
    Parcel* p = mailboxes_[box_index].exchange(nullptr, std::memory_order_acquire);
    (void)receiver;
    while (p != nullptr) {
      std::unique_ptr<Parcel> parcel(p);
      p = p->next;
      check_exclusive(parcel->held, "after a hand-over", log, state);
      give_back(std::move(parcel->held), parcel->clear, "after a hand-over", log, state);
    }
  }

  Pool& pool_;
  const PoolFacts facts_;
  AllocationLedger* const ledger_;
  std::unique_ptr<std::atomic<Parcel*>[]> mailboxes_;
  bool config_stop_ = true;                // from FreeRunConfig, set by run() before any worker starts
  std::uint64_t (*step_fn_)() = nullptr;  // likewise
};

}  // namespace poolcheck
