// grow: a request does not know its final size (a prompt being tokenised, a response being
// assembled). It starts with a small buffer; when the next chunk does not fit it rents one twice
// as large, copies what it has, gives the small one back and carries on: the ArrayPool version of
// std::vector's growth. At the end the whole content is read back and must equal what was appended
// (FNV-1a and length), on top of every copy being a checked read and a checked write.
#include <algorithm>
#include <array>
#include <numeric>
#include <string>
#include <vector>

#include "request_data.hpp"
#include "single_pool_run.hpp"
#include "poolcheck/workloads/workloads.hpp"

namespace poolcheck {
namespace {

struct Digest {
  std::uint64_t hash = 0xcbf29ce484222325ull;
  std::uint64_t length = 0;
  void add(std::span<const char> s) noexcept {
    for (char c : s) hash = (hash ^ static_cast<unsigned char>(c)) * 0x100000001b3ull;
    length += s.size();
  }
  friend bool operator==(const Digest&, const Digest&) = default;
};

template <class Pool>
RunOutcome grow(const WorkloadParams& p, CountedPool<Pool>& counted) {
  const PoolRef<Pool> ref = counted.ref();
  const std::size_t largest = std::min<std::size_t>(64 * 1024, ref.facts.largest_bucket());
  std::vector<std::uint64_t> grows(p.run.threads);  // slot i written by thread i only
  RunOutcome out = run_workload(run_config(p, p.run.threads, p.ops), [&](WorkerContext& ctx) {
    SeededRandom& rng = ctx.rng();
    for (std::uint32_t request = 0; request < p.ops && !ctx.stop_requested(); ++request) {
      const std::size_t final_size = request_size(rng, 64, largest);
      std::size_t length = std::min<std::size_t>(16 + rng.below(48), final_size);
      auto buffer = CheckedBuffer<Pool>::rent(ctx, ref, length);
      std::size_t used = 0;
      Digest appended;
      std::array<char, 97> chunk;
      while (used < final_size) {
        const std::size_t k = std::min<std::size_t>(1 + rng.below(chunk.size()), final_size - used);
        for (std::size_t j = 0; j < k; ++j) chunk[j] = static_cast<char>('a' + rng.below(26));
        if (used + k > length) {
          // Grow: rent twice as much (or enough), copy, give the small one back.
          const std::size_t bigger = std::max(2 * length, used + k);
          auto next = CheckedBuffer<Pool>::rent(ctx, ref, bigger);
          const auto old = buffer.read(0, used);
          if ((used != 0 && old.empty()) || !next.write(0, old)) return;
          buffer.give_back();
          buffer = std::move(next);
          length = bigger;
          ++grows[ctx.index()];
        }
        if (!buffer.write(used, std::span<const char>(chunk.data(), k))) return;
        appended.add(std::span<const char>(chunk.data(), k));
        used += k;
      }
      const auto all = buffer.read(0, used);
      if (all.empty()) return;
      Digest got;
      got.add(all);
      ctx.count_check(OracleKind::workload);
      if (!(got == appended)) {
        ctx.report(Violation{OracleKind::workload,
                             "a grown buffer of " + std::to_string(used) + " chars does not hold what was appended",
                             buffer.tag(), std::nullopt, all.data(), buffer.capacity(), 0});
        return;
      }
      buffer.give_back();
      ctx.step_done();
    }
  });
  if (out.clean()) {
    const std::uint64_t total = std::accumulate(grows.begin(), grows.end(), std::uint64_t{0});
    out.notes.push_back(std::to_string(out.ops_done) + " requests grew their buffers " + std::to_string(total) +
                        " times (up to " + std::to_string(largest) + " chars); every copy intact");
  }
  return out;
}

}  // namespace

RunOutcome run_grow(const WorkloadParams& p) {
  return run_single_pool<char>(p, [&](auto& counted) { return grow(p, counted); });
}

}  // namespace poolcheck
