// burst: a batch of requests lands at once. Every thread rents at the same instant (a barrier opens
// them together), fills and verifies its buffers while all are out, then every thread gives back at
// the same instant. The pool sees its worst contention twice per round: everyone popping an empty
// bucket, then everyone pushing into a full one.
#include <string>

#include "poolcheck/deterministic/det_barrier.hpp"
#include "request_data.hpp"
#include "single_pool_run.hpp"
#include "poolcheck/workloads/workloads.hpp"

namespace poolcheck {
namespace {

template <class Pool>
RunOutcome burst(const WorkloadParams& p, CountedPool<Pool>& counted) {
  const PoolRef<Pool> ref = counted.ref();
  const std::size_t largest = std::min<std::size_t>(8 * 1024, ref.facts.largest_bucket());
  constexpr std::size_t kPerThread = 2;
  const std::uint32_t rounds = std::max<std::uint32_t>(1, p.ops / kPerThread);
  // The instant everyone rents and the instant everyone gives back: the workload's own
  // synchronisation, as a batch scheduler would provide. A stopping thread drops out of it. A
  // DetBarrier: under the deterministic executor the schedule picks the order of arrival.
  det::DetBarrier gate(static_cast<std::ptrdiff_t>(p.run.threads));
  RunOutcome out = run_workload(run_config(p, p.run.threads, rounds), [&](WorkerContext& ctx) {
    std::uint64_t sum = 0;
    auto together = [&] {
      if (ctx.stop_requested()) {
        gate.arrive_and_drop();
        return false;
      }
      gate.arrive_and_wait();
      return true;
    };
    std::vector<CheckedBuffer<Pool>> held;
    for (std::uint32_t r = 0; r < rounds; ++r) {
      if (!together()) return;
      for (std::size_t k = 0; k < kPerThread; ++k) held.push_back(CheckedBuffer<Pool>::rent(ctx, ref, request_size(ctx.rng(), 1, largest)));
      bool ok = true;
      for (auto& b : held) ok = ok && fill(b, ctx.rng(), b.size()) && consume(b, b.size(), sum);
      if (!together()) return;  // after a failed check the stop flag is set: this drops out
      for (auto& b : held) b.give_back();
      held.clear();
      ctx.step_done();
      if (!ok) {
        gate.arrive_and_drop();
        return;
      }
    }
    gate.arrive_and_drop();
  });
  if (out.clean()) {
    out.notes.push_back(std::to_string(rounds) + " bursts of " + std::to_string(p.run.threads * kPerThread) +
                        " rents at one instant, then as many give_backs");
  }
  return out;
}

}  // namespace

RunOutcome run_burst(const WorkloadParams& p) {
  return run_single_pool<std::byte>(p, [&](auto& counted) { return burst(p, counted); });
}

}  // namespace poolcheck
