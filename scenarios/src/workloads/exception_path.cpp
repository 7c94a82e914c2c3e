// exception-path: request processing throws midway (a malformed prompt, a cancelled client, a
// tokenizer error) while the request holds pooled buffers. A correct handler holds them in RAII
// leases (bufpool::Lease through the pool's lease(), or a managed CheckedBuffer), so unwinding gives
// every one back; after each request the thread must hold nothing.
//
// The forgot-give-back pitfall is the classic handler that rents raw, gives back at the end of its
// happy path, and lets the exception skip that line: the lease is dropped and the array is lost to
// the pool (caught by accounting, naming the lease).
#include <stdexcept>
#include <string>

#include "request_data.hpp"
#include "poolcheck/workloads/workloads.hpp"

namespace poolcheck {
namespace {

struct RequestFailed : std::runtime_error {
  using std::runtime_error::runtime_error;
};

template <class F>
RunOutcome exception_path(const WorkloadParams& p, bool forgot_give_back, F) {
  using Pool = typename F::template Pool<std::byte>;
  CountedPool<Pool> counted(p.pools);
  const PoolRef<Pool> ref = counted.ref();
  const std::size_t largest = std::min<std::size_t>(32 * 1024, ref.facts.largest_bucket);
  std::vector<std::uint64_t> thrown(p.run.threads);  // slot i written by thread i only
  const WorkloadConfig config = run_config(p, p.run.threads, p.ops);
  RunOutcome out = run_workload(config, [&](WorkerContext& ctx) {
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
  if (out.end == RunEnd::completed && out.violations.empty()) {
    std::uint64_t total = 0;
    for (auto t : thrown) total += t;
    out.notes.push_back(std::to_string(total) + " of " + std::to_string(out.ops_done) +
                        " requests threw halfway; every lease came back");
  }
  add_pool_note(out, counted.pool().stats());
  counted.finish(out, HarnessCounts{out.rents, out.give_backs});
  return out;
}

}  // namespace

RunOutcome run_exception_path(const WorkloadParams& p, bool forgot_give_back) {
  return with_flavour(p.pool, [&](auto flavour) { return exception_path(p, forgot_give_back, flavour); });
}

}  // namespace poolcheck
