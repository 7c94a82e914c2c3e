// exception-path: request processing throws midway (a malformed prompt, a cancelled client, a
// tokenizer error) while the request holds pooled buffers. A correct handler holds them in RAII
// leases (bufpool::Lease through the pool's lease(), or a managed CheckedBuffer), so unwinding gives
// every one back; after each request the thread must hold nothing.
//
// The forgot-give-back pitfall is the classic handler that rents raw, gives back at the end of its
// happy path, and lets the exception skip that line: the lease is dropped and the array is lost to
// the pool (caught by accounting, naming the lease).
#include <numeric>
#include <stdexcept>
#include <string>

#include "request_data.hpp"
#include "single_pool_run.hpp"
#include "poolcheck/workloads/workloads.hpp"

namespace poolcheck {
namespace {

struct RequestFailed : std::runtime_error {
  using std::runtime_error::runtime_error;
};

template <class Pool>
RunOutcome exception_path(const WorkloadParams& p, bool forgot_give_back, CountedPool<Pool>& counted) {
  const PoolRef<Pool> ref = counted.ref();
  const std::size_t largest = std::min<std::size_t>(32 * 1024, ref.facts.largest_bucket());
  std::vector<std::uint64_t> thrown(p.run.threads);  // slot i written by thread i only
  RunOutcome out = run_workload(run_config(p, p.run.threads, p.ops), [&](WorkerContext& ctx) {
    SeededRandom& rng = ctx.rng();
    std::uint64_t sum = 0;
    const Ownership ownership = forgot_give_back ? Ownership::manual : Ownership::lease;
    // One request: an input and an output buffer; a third of requests fail halfway.
    auto handle = [&](std::uint32_t request) {
      auto input = CheckedBuffer<Pool>::rent(ctx, ref, request_size(rng, 1, largest), ownership);
      if (!fill(input, rng, input.size())) return;
      auto output = CheckedBuffer<Pool>::rent(ctx, ref, request_size(rng, 1, largest), Ownership::managed);
      if (!fill(output, rng, output.size() / 2)) return;
      if (rng.below(3) == 0) throw RequestFailed("request " + std::to_string(request) + " failed halfway");
      if (!fill(output, rng, output.size()) || !consume(output, output.size(), sum) ||
          !consume(input, input.size(), sum)) {
        return;
      }
      output.give_back();
      input.give_back();
    };
    for (std::uint32_t r = 0; r < p.ops && !ctx.stop_requested(); ++r) {
      try {
        handle(r);
      } catch (const RequestFailed&) {
        ++thrown[ctx.index()];
      }
      ctx.count_check(OracleKind::accounting);
      if (ctx.live_leases() != 0 && !ctx.stop_requested()) {
        ctx.report(Violation{OracleKind::accounting,
                             "thread " + std::to_string(ctx.index()) + " still holds " +
                                 std::to_string(ctx.live_leases()) + " leases after its request ended",
                             std::nullopt, std::nullopt, nullptr, 0, 0});
        return;
      }
      ctx.step_done();
    }
  });
  if (out.clean()) {
    const std::uint64_t total = std::accumulate(thrown.begin(), thrown.end(), std::uint64_t{0});
    out.notes.push_back(std::to_string(total) + " of " + std::to_string(out.ops_done) +
                        " requests threw halfway; every lease came back");
  }
  return out;
}

}  // namespace

RunOutcome run_exception_path(const WorkloadParams& p, bool forgot_give_back) {
  return run_single_pool<std::byte>(p, [&](auto& counted) { return exception_path(p, forgot_give_back, counted); });
}

}  // namespace poolcheck
