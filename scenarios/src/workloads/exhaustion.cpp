// exhaustion: rents arrive faster than give_backs. Every thread rents a batch of buffers of one
// bucket and holds them all before giving them back, so together they want more arrays than the
// pool may keep: the bucket drains, rents fall back to fresh arrays, give_backs beyond the cap are
// dropped. Then every thread settles into one rent at a time, and the pool must recover.
//
// Reported: the fresh-allocation rate while draining and while recovering (from the arrays'
// headers: a fresh array was never given back by anyone). Checked beyond the oracles (caps at
// quiescence, accounting): once everything came back, the next rent of that bucket is served
// from the pool, not allocated.
#include <algorithm>
#include <string>

#include "request_data.hpp"
#include "single_pool_run.hpp"
#include "poolcheck/workloads/workloads.hpp"

namespace poolcheck {
namespace {

struct PhaseCounts {
  std::uint64_t rents = 0, fresh = 0;
};
struct ThreadCounts {
  PhaseCounts drain, recover;
};

template <class Pool>
RunOutcome exhaustion(const WorkloadParams& p, CountedPool<Pool>& counted) {
  const PoolRef<Pool> ref = counted.ref();
  const std::size_t n = std::min<std::size_t>(4096, ref.facts.largest_bucket());
  const std::size_t bucket_cap = ref.facts.resting_cap + ref.facts.slots_per_thread * p.run.threads;
  // Enough per thread that all threads together hold more than the bucket may keep.
  const std::size_t batch = std::clamp<std::size_t>(2 * bucket_cap / p.run.threads + 2, 2, 256);
  const std::uint32_t drain_rounds = std::max<std::uint32_t>(1, p.ops / 2 / static_cast<std::uint32_t>(batch));
  const std::uint32_t recover_ops = std::max<std::uint32_t>(1, p.ops / 2);
  std::vector<ThreadCounts> counts(p.run.threads);  // slot i written by thread i only
  const std::uint64_t steps_each = drain_rounds * batch + recover_ops;
  RunOutcome out = run_workload(run_config(p, p.run.threads, steps_each), [&](WorkerContext& ctx) {
    ThreadCounts& c = counts[ctx.index()];
    std::uint64_t sum = 0;
    std::vector<CheckedBuffer<Pool>> held;
    held.reserve(batch);
    for (std::uint32_t r = 0; r < drain_rounds && !ctx.stop_requested(); ++r) {
      for (std::size_t k = 0; k < batch && !ctx.stop_requested(); ++k) {
        held.push_back(CheckedBuffer<Pool>::rent(ctx, ref, n));
        ++c.drain.rents;
        c.drain.fresh += held.back().fresh();
        if (!fill(held.back(), ctx.rng(), n)) return;
        ctx.step_done();
      }
      for (auto& b : held) {
        if (!consume(b, n, sum)) return;
        b.give_back();
      }
      held.clear();
    }
    for (std::uint32_t i = 0; i < recover_ops && !ctx.stop_requested(); ++i) {
      auto b = CheckedBuffer<Pool>::rent(ctx, ref, n);
      ++c.recover.rents;
      c.recover.fresh += b.fresh();
      if (!fill(b, ctx.rng(), n) || !consume(b, n, sum)) return;
      b.give_back();
      ctx.step_done();
    }
  });
  PhaseCounts drain, recover;
  for (const auto& c : counts) {
    drain.rents += c.drain.rents, drain.fresh += c.drain.fresh;
    recover.rents += c.recover.rents, recover.fresh += c.recover.fresh;
  }
  if (out.clean()) {
    out.notes.push_back(std::to_string(p.run.threads) + " threads held " + std::to_string(batch) + " arrays of " +
                        std::to_string(n) + " each (the bucket keeps at most " + std::to_string(bucket_cap) +
                        "): while draining " + percent_text(drain.fresh, drain.rents) + " of " +
                        std::to_string(drain.rents) + " rents were fresh allocations; while recovering " +
                        percent_text(recover.fresh, recover.rents) + " of " + std::to_string(recover.rents));
    // Quiescent: every lease is back, so the bucket holds arrays and must serve this rent.
    ++out.checks[static_cast<std::size_t>(OracleKind::workload)];
    AllocationLedger& ledger = counted.ledger();
    const auto before = ledger.allocations.load(std::memory_order_relaxed);
    const auto resting = ledger.exact[ledger.row_of_request(n)].at_rest.load(std::memory_order_relaxed);
    auto probe = counted.pool().rent(n);
    const bool recovered = ledger.allocations.load(std::memory_order_relaxed) == before;
    counted.pool().give_back(probe, false);
    if (!recovered) {
      out.violations.push_back(Violation{OracleKind::workload,
                                         "after the drain every lease came back and " + std::to_string(resting) +
                                             " arrays of " + std::to_string(n) +
                                             " rest in the pool, yet the next rent got a fresh array: the pool did "
                                             "not recover",
                                         std::nullopt, std::nullopt, nullptr, 0, 0});
    }
  }
  return out;
}

}  // namespace

RunOutcome run_exhaustion(const WorkloadParams& p) {
  // The recovery probe: one rent and give_back of its own after a clean run.
  return run_single_pool<std::byte>(p, [&](auto& counted) { return exhaustion(p, counted); }, HarnessCounts{1, 1, std::nullopt});
}

}  // namespace poolcheck
