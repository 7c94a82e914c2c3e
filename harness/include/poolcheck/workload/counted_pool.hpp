// A pool of either bufpool flavour (or a mutant of one) built over the harness's
// CountingArrayAllocator, its ledger built first with the layout its family predicts (checked
// against the pool once built), with the facts the oracles need and the checks only the end of a
// run allows: the exact bucket cap and no over-size array resting (at quiescence), the pool's
// statistics against its allocator, and, once the pool is destroyed, accounting (every array it
// allocated was freed exactly once).
//
// Not thread-safe itself: built, finished and destroyed by the thread that runs the workload; the
// pool inside is as thread-safe as its flavour.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>

#include "bufpool/pool_options.hpp"
#include "bufpool/pool_stats.hpp"
#include "poolcheck/counting_allocator.hpp"
#include "poolcheck/kept_alive.hpp"
#include "poolcheck/oracles/accounting_oracle.hpp"
#include "poolcheck/oracles/bucket_cap_oracle.hpp"
#include "poolcheck/pool_kind.hpp"
#include "poolcheck/pool_under_test.hpp"
#include "poolcheck/run_outcome.hpp"
#include "poolcheck/workload/checked_buffer.hpp"

namespace poolcheck {

// What the harness itself did with one pool: non-empty rents, and give_backs the pool took.
struct HarnessCounts {
  std::uint64_t rents = 0;
  std::uint64_t give_backs = 0;
  // The same rents by the bucket they asked for (last: over-size), when every rent was counted so.
  std::optional<std::array<std::uint64_t, kLedgerRows>> rents_by_bucket;
};

// At quiescence (no call in flight, every lease given back), the pool's own statistics must agree
// with what its allocator saw and with its caps, and, when the harness counted the pool's rents
// and give_backs itself (`harness`), with those counts: the totals and every per-bucket figure
// (rents, fresh arrays, drops, arrays resting in the shared stacks and slots together, over-size
// rents, and drops plus trimmed against the arrays freed). The ledger must count only arrays the
// pool allocated for rents: an array the harness makes itself (say, a foreign array a misuse op
// gives back) belongs on a ledger of its own, or the per-bucket figures cannot match.
std::optional<Violation> check_pool_stats(const bufpool::PoolStats& s, std::optional<HarnessCounts> harness,
                                          const AllocationLedger& ledger);

// At quiescence: the exact cap (plus one thread-local slot for the finishing thread), and no
// over-size array resting in the pool. Adds the checks it ran to `out`.
void check_quiescent_ledger(const AllocationLedger& ledger, const PoolFacts& facts, RunOutcome& out);

// `Maker` builds the pool over the counting allocator and says what the oracles must know of it:
// `Maker::layout(settings)` (the size classes, before the pool exists: the ledger is built first),
// `Maker::template make<Pool>(settings, CountingArrayAllocator)` and `Maker::facts(pool)` or
// `Maker::facts(pool, settings)`. bufpool's families are makers (pool_kind.hpp); a user's pool gets
// one from poolcheck/check.hpp. A pool that does not allocate through the counting allocator
// (facts().counted false) gets no statistics or accounting check: its ledger saw nothing.
template <PoolUnderTest Pool, class Maker = FamilyOfPool<Pool>>
class CountedPool {
 public:
  using T = typename Pool::value_type;

  explicit CountedPool(const PoolSettings& s)
      : ledger_(std::make_unique<AllocationLedger>(sizeof(T), Maker::layout(s))),
        pool_(Maker::template make<Pool>(s, CountingArrayAllocator(ledger_.get()))),
        facts_(facts_of(*pool_, s)) {
    if (!(facts_.classes == ledger_->classes)) {
      throw std::logic_error("CountedPool: the pool's buckets are not the layout its ledger was built with");
    }
  }
  CountedPool(const CountedPool&) = delete;
  CountedPool& operator=(const CountedPool&) = delete;

  Pool& pool() noexcept { return *pool_; }
  const PoolFacts& facts() const noexcept { return facts_; }
  AllocationLedger& ledger() noexcept { return *ledger_; }
  PoolRef<Pool> ref() noexcept { return PoolRef<Pool>{pool_.get(), facts_, ledger_.get()}; }

  // The end of a run (all workers joined): quiescent checks, then destroy and account. A pool
  // caught misbehaving (any finding that may implicate it), or one stalled workers may still be
  // inside, is leaked with its ledger instead: it may free an array twice, and the process exits
  // after the report. After findings against the consumer only, the pool is sound: it is
  // destroyed and accounted as usual.
  // `harness`: rents and give_backs the workload made with this pool, when it is the only pool of
  // the run.
  void finish(RunOutcome& out, std::optional<HarnessCounts> harness = std::nullopt) {
    if (pool_ == nullptr) return;
    note_layout(out, facts_.classes);
    if (out.end == RunEnd::stalled || out.end == RunEnd::thread_limit) return leak();
    if (out.violations.empty() && out.end == RunEnd::completed && facts_.counted) {
      check_quiescent_ledger(*ledger_, facts_, out);
      if constexpr (PoolWithStats<Pool>) {
        ++out.checks[static_cast<std::size_t>(OracleKind::stats)];
        if (auto v = check_pool_stats(pool_->stats(), harness, *ledger_)) out.violations.push_back(*v);
      }
    }
    if (!out.violations.empty()) {
      if (out.end == RunEnd::completed) out.end = RunEnd::violation;
      const bool suspect = std::any_of(out.violations.begin(), out.violations.end(),
                                       [](const Violation& v) { return implicates_pool(v.oracle); });
      if (suspect) return leak();
    }
    pool_.reset();
    if (!facts_.counted) return;
    ++out.checks[static_cast<std::size_t>(OracleKind::accounting)];
    if (auto v = AccountingOracle::check_after_destroy(*ledger_)) {
      out.violations.push_back(*v);
      if (out.end == RunEnd::completed) out.end = RunEnd::violation;
    }
  }

 private:
  static PoolFacts facts_of(const Pool& pool, const PoolSettings& s) {
    if constexpr (requires { Maker::facts(pool, s); }) {
      return Maker::facts(pool, s);
    } else {
      return Maker::facts(pool);
    }
  }
  // Never freed, but kept reachable (kept_alive.hpp), so LeakSanitizer in a process that goes on
  // (a check_pool inside a test) reports only real leaks.
  void leak() noexcept {
    keep_alive(pool_.release());
    keep_alive(ledger_.release());
  }

  std::unique_ptr<AllocationLedger> ledger_;  // the pool's allocator points into it: outlives the pool
  std::unique_ptr<Pool> pool_;
  PoolFacts facts_{};
};

}  // namespace poolcheck
