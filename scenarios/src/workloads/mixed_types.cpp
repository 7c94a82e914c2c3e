// mixed-types: one server, three pools of one flavour side by side: char for text, uint8_t for
// image and audio bytes, float for tensors (activations, logits). Each request rents from all three,
// fills them with its own data, consumes and gives back. Each pool has its own counted allocator and
// ledger, so an array that strays from one pool into another (or a float array short of alignment)
// is caught by the size contract and accounting of the pool it belongs to.
#include <cstdint>
#include <string>

#include "request_data.hpp"
#include "poolcheck/workloads/workloads.hpp"

namespace poolcheck {
namespace {

template <class F>
RunOutcome mixed_types(const WorkloadParams& p, F) {
  CountedPool<typename F::template Pool<char>> text(p.pools);
  CountedPool<typename F::template Pool<std::uint8_t>> media(p.pools);
  CountedPool<typename F::template Pool<float>> tensors(p.pools);
  const auto text_ref = text.ref();
  const auto media_ref = media.ref();
  const auto tensor_ref = tensors.ref();
  const std::size_t largest = std::min<std::size_t>(16 * 1024, text_ref.facts.largest_bucket());
  RunOutcome out = run_workload(run_config(p, p.run.threads, p.ops), [&](WorkerContext& ctx) {
    SeededRandom& rng = ctx.rng();
    std::uint64_t sum = 0;
    for (std::uint32_t r = 0; r < p.ops && !ctx.stop_requested(); ++r) {
      auto prompt = CheckedBuffer<typename F::template Pool<char>>::rent(ctx, text_ref, request_size(rng, 1, largest));
      auto image = CheckedBuffer<typename F::template Pool<std::uint8_t>>::rent(ctx, media_ref, request_size(rng, 1, largest));
      auto logits = CheckedBuffer<typename F::template Pool<float>>::rent(ctx, tensor_ref, request_size(rng, 1, largest));
      if (!fill(prompt, rng, prompt.size()) || !fill(image, rng, image.size()) || !fill(logits, rng, logits.size())) return;
      if (!consume(logits, logits.size(), sum) || !consume(image, image.size(), sum) ||
          !consume(prompt, prompt.size(), sum)) {
        return;
      }
      logits.give_back();
      image.give_back(rng.below(4) == 0);  // user media is sensitive now and then
      prompt.give_back();
      ctx.step_done();
    }
  });
  if (out.clean()) {
    out.notes.push_back(std::to_string(out.ops_done) + " requests each used a char, a uint8_t and a float pool");
  }
  add_pool_note(out, text.pool().stats(), "char pool");
  add_pool_note(out, media.pool().stats(), "uint8_t pool");
  add_pool_note(out, tensors.pool().stats(), "float pool");
  // Three pools: the harness's rent count covers all of them, so no per-pool rents comparison.
  text.finish(out);
  media.finish(out);
  tensors.finish(out);
  return out;
}

}  // namespace

RunOutcome run_mixed_types(const WorkloadParams& p) {
  return with_flavour(p, [&](auto flavour) { return mixed_types(p, flavour); });
}

}  // namespace poolcheck
