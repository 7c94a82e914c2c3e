// over-size: some requests exceed the largest bucket (a long context, a big image: .NET's Large
// Object Heap case). The pool must hand out exactly what was asked and free such arrays on
// give_back, never keep them: a pool that rests them grows without bound. Mixed with ordinary
// requests so the buckets stay busy too.
//
// Checked: the size contract at every rent (an over-size array is exactly the requested size) and,
// at quiescence, that no over-size array rests in the pool (CountedPool::finish). The shared
// flavour's buckets reach 2^30 elements, so its over-size arrays are above 1 GiB: a few threads
// make one or two such rents each, so the run stays inside the machine's memory.
#include <algorithm>
#include <numeric>
#include <string>

#include "request_data.hpp"
#include "single_pool_run.hpp"
#include "poolcheck/workloads/workloads.hpp"

namespace poolcheck {
namespace {

template <class Pool>
RunOutcome over_size(const WorkloadParams& p, CountedPool<Pool>& counted) {
  const PoolRef<Pool> ref = counted.ref();
  const std::size_t largest = ref.facts.largest_bucket();
  const bool huge = largest > (std::size_t{1} << 24);  // each over-size rent costs more than 16 MiB
  const std::uint32_t big_threads = huge ? std::min<std::uint32_t>(p.run.threads, 2) : p.run.threads;
  const std::uint32_t big_rents = huge ? std::min<std::uint32_t>(p.ops, 2) : std::max<std::uint32_t>(1, p.ops / 4);
  std::vector<std::uint64_t> oversize(p.run.threads);  // slot i written by thread i only
  RunOutcome out = run_workload(run_config(p, p.run.threads, p.ops), [&](WorkerContext& ctx) {
    SeededRandom& rng = ctx.rng();
    std::uint64_t sum = 0;
    std::uint32_t big_left = ctx.index() < big_threads ? big_rents : 0;
    for (std::uint32_t r = 0; r < p.ops && !ctx.stop_requested(); ++r) {
      const bool big = big_left != 0 && (r % 2 == 1 || p.ops - r <= big_left);
      const std::size_t n = big ? largest + 1 + static_cast<std::size_t>(rng.below(4096))
                                : request_size(rng, 1, std::min<std::size_t>(largest, 16 * 1024));
      auto b = CheckedBuffer<Pool>::rent(ctx, ref, n);
      // Huge arrays: the head and the tail are enough to prove the array is the caller's alone.
      const std::size_t head = std::min<std::size_t>(n, 4096);
      if (!fill(b, rng, head) || !consume(b, head, sum)) return;
      if (big) {
        if (!b.write(n - 1, std::byte{0x5A}) || b.read(n - 1, 1).empty()) return;
        --big_left;
        ++oversize[ctx.index()];
      }
      // A huge array goes back uncleared: zeroing a GiB is the one step that outlasts the watchdog
      // under TSan (its memset interceptor writes shadow for every word), and clearing an
      // over-size array takes the same path at the locked flavour's sizes.
      b.give_back(!(big && huge) && rng.below(8) == 0);
      ctx.step_done();
    }
  });
  if (out.clean()) {
    const std::uint64_t total = std::accumulate(oversize.begin(), oversize.end(), std::uint64_t{0});
    out.notes.push_back(std::to_string(total) + " over-size rents (above the largest bucket of " +
                        std::to_string(largest) + " elements), each exactly its size and freed on give_back");
  }
  return out;
}

}  // namespace

RunOutcome run_over_size(const WorkloadParams& p) {
  return run_single_pool<std::byte>(p, [&](auto& counted) { return over_size(p, counted); });
}

}  // namespace poolcheck
