// long-holder: a few threads hold their leases for the whole run (a KV cache, a long generation)
// while the others churn through short requests of the same bucket. Not a bug, a cost: the held
// arrays are out of the pool, so churners may find the bucket empty and allocate.
//
// Reported (starvation): how long the holders kept their arrays, and the share of churn rents that
// were fresh allocations meanwhile. The holders stay busy (they verify their data between short
// pauses), so the starvation oracle, which flags arrays held across one long blocking wait, stays
// quiet; the holds-across-wait pitfall is the buggy version.
#include <algorithm>
#include <string>

#include "poolcheck/deterministic/det_atomic.hpp"
#include "request_data.hpp"
#include "single_pool_run.hpp"
#include "poolcheck/workloads/workloads.hpp"

namespace poolcheck {
namespace {

template <class Pool>
RunOutcome long_holder(const WorkloadParams& p, CountedPool<Pool>& counted) {
  const PoolRef<Pool> ref = counted.ref();
  const std::size_t n = std::min<std::size_t>(2048, ref.facts.largest_bucket());
  const std::uint32_t holders = p.run.threads < 2 ? 0 : std::max<std::uint32_t>(1, p.run.threads / 8);
  const std::uint32_t churners = p.run.threads - holders;
  constexpr std::size_t kHeldEach = 2;
  // The holders' stop signal: the harness's own synchronisation (no pool state is ordered by it).
  // A DetAtomic: under the deterministic executor each read and decrement is a scheduling point.
  det::DetAtomic<std::uint32_t> churners_left{churners};
  struct Counts {
    std::uint64_t rents = 0, fresh = 0;
  };
  std::vector<Counts> counts(p.run.threads);  // slot i written by thread i only
  RunOutcome out = run_workload(run_config(p, churners, p.ops), [&](WorkerContext& ctx) {
    std::uint64_t sum = 0;
    if (ctx.index() < holders) {
      std::vector<CheckedBuffer<Pool>> held;
      for (std::size_t k = 0; k < kHeldEach; ++k) {
        held.push_back(CheckedBuffer<Pool>::rent(ctx, ref, n));
        if (!fill(held.back(), ctx.rng(), n)) return;
      }
      while (churners_left.load(std::memory_order_acquire) != 0 && !ctx.stop_requested()) {
        for (auto& b : held) {
          if (!b.verify("while held")) return;
        }
        ctx.wait(std::chrono::microseconds(500), "between decode steps");
      }
      for (auto& b : held) {
        if (!consume(b, n, sum)) return;
        b.give_back();
      }
      return;
    }
    Counts& c = counts[ctx.index()];
    for (std::uint32_t i = 0; i < p.ops && !ctx.stop_requested(); ++i) {
      auto b = CheckedBuffer<Pool>::rent(ctx, ref, n);
      ++c.rents;
      c.fresh += b.fresh();
      if (!fill(b, ctx.rng(), n) || !consume(b, n, sum)) break;
      b.give_back();
      ctx.step_done();
    }
    churners_left.fetch_sub(1, std::memory_order_release);
  });
  Counts churn;
  for (const auto& c : counts) churn.rents += c.rents, churn.fresh += c.fresh;
  if (out.clean()) {
    char held_for[32];
    std::snprintf(held_for, sizeof held_for, "%.1f", out.longest_hold_ms);
    out.notes.push_back("starvation: " + std::to_string(holders) + " holders kept " +
                        std::to_string(holders * kHeldEach) + " arrays of " + std::to_string(n) + " for up to " +
                        held_for + " ms; meanwhile " + percent_text(churn.fresh, churn.rents) + " of " +
                        std::to_string(churn.rents) + " churn rents were fresh allocations");
  }
  return out;
}

}  // namespace

RunOutcome run_long_holder(const WorkloadParams& p) {
  return run_single_pool<std::byte>(p, [&](auto& counted) { return long_holder(p, counted); });
}

}  // namespace poolcheck
