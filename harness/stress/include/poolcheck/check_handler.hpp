// poolcheck for other people's request handlers: check_handler runs a user's handler on thousands
// of threads, each serving a stream of requests, against buffers rented from a counted pool and
// handed out as CheckedBuffer, with every consumer-side oracle on:
//   dirty-read            reading bytes the request never wrote (code that assumes rented memory is
//                         zeroed, or reads the whole capacity)
//   overflow              writing past the length asked for
//   use-after-give-back   touching a buffer after giving it back
//   exclusivity           what the handler wrote changed under it (another request has the array)
//   accounting            a buffer rented raw (rent_raw) and never given back
//   starvation            pooled buffers held across a long wait (HandlerContext::wait)
// and the pool's own oracles (aliasing, leakage, caps, accounting) on every rent and give_back.
//
// The handler is any callable `void(poolcheck::HandlerContext<Pool>&)`, called once per request; it
// rents through the context. Production code keeps its logic in a template over its buffer source,
// and the test instantiates it with HandlerContext (examples/handler shows the pattern).
//
// A failure names the round's seed (free-running) or the schedule (HandlerOptions::deterministic);
// setting those in the options replays it. Not thread-safe: one check at a time per process.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>

#include "poolcheck/check.hpp"
#include "poolcheck/deterministic/strategy.hpp"
#include "poolcheck/workload/checked_buffer.hpp"
#include "poolcheck/workload/counted_pool.hpp"
#include "poolcheck/workload/workload_runner.hpp"

namespace poolcheck {

// What a handler sees of one request: buffers to rent, the request's identity and a seeded random
// stream (so a seed fixes every request's input), and a blocking wait. Belongs to its thread.
template <class Pool>
class HandlerContext {
 public:
  using value_type = typename Pool::value_type;
  using Buffer = CheckedBuffer<Pool>;

  HandlerContext(WorkerContext& ctx, PoolRef<Pool> ref) : ctx_(ctx), ref_(ref) {}

  // A buffer of n elements that gives itself back when dropped (RAII, as a Lease).
  Buffer rent(std::size_t n) { return Buffer::rent(ctx_, ref_, n, Ownership::managed); }
  // A buffer rented the way raw code rents: dropping it without give_back() loses the array, and
  // the accounting oracle reports the lost lease.
  Buffer rent_raw(std::size_t n) { return Buffer::rent(ctx_, ref_, n, Ownership::manual); }
  // The request's random stream: request sizes, payloads. Fixed by the run's seed.
  SeededRandom& rng() noexcept { return ctx_.rng(); }
  std::uint32_t thread() const noexcept { return ctx_.index(); }
  std::uint64_t request() const noexcept { return request_; }
  // A blocking wait (for a client, an upstream model). Holding buffers across a wait of at least
  // HandlerOptions::hold_limit is starvation.
  void wait(std::chrono::microseconds d, const char* what) { ctx_.wait(d, what); }
  // The handler's own check failed (its output is wrong): reported as a `workload` violation.
  void fail(const std::string& what) {
    Violation v;
    v.oracle = OracleKind::workload;
    v.what = "request " + std::to_string(request_) + " of thread " + std::to_string(ctx_.index()) + ": " + what;
    ctx_.report(std::move(v));
  }

  void next_request() noexcept { ++request_; }

 private:
  WorkerContext& ctx_;
  PoolRef<Pool> ref_;
  std::uint64_t request_ = 0;
};

struct HandlerOptions {
  std::uint32_t threads = 1024;
  std::uint32_t requests = 64;  // per thread, per round
  std::uint32_t rounds = 4;     // free-running rounds, each on a fresh pool (round r: seed derived from `seed`)
  std::uint64_t seed = 1;
  PoolConfig config{.max_array_length = 1 << 16, .max_per_bucket = 8};
  std::chrono::milliseconds hold_limit{100};
  std::chrono::milliseconds watchdog{10'000};
  // Deterministic: 4 threads (unless `threads` was lowered) one at a time, `search` random-walk
  // schedules of the seed's requests; schedule_seed replays exactly one.
  bool deterministic = false;
  std::uint32_t search = 100;
  std::optional<std::uint64_t> schedule_seed;
};

// The seed of free-running round r, and the schedule seed of the i-th schedule of a search (as
// stress derives them).
std::uint64_t handler_round_seed(std::uint64_t seed, std::uint32_t round) noexcept;
std::uint64_t handler_schedule_seed(std::uint64_t seed, std::uint32_t i) noexcept;
// The summary of one run for CheckResult (first violation, check counts).
std::string handler_summary(const RunOutcome& out, const std::string& what);

namespace detail {

template <template <class> class Adapter, class Sync, class Handler>
RunOutcome run_handler_round(Handler& handler, const HandlerOptions& o, std::uint64_t seed, const DetWorkload* det) {
  using Pool = Adapter<Sync>;
  static_assert(PoolAdapter<Pool>, "Adapter<Sync> does not meet poolcheck::PoolAdapter");
  CountedPool<Pool, AdapterMaker<Pool, Sync, void>> counted(o.config);
  WorkloadConfig config;
  config.threads = det != nullptr ? std::min<std::uint32_t>(o.threads, 4) : o.threads;
  config.seed = seed;
  config.limits.hold_limit = o.hold_limit;
  config.watchdog = o.watchdog;
  config.det = det;
  const PoolRef<Pool> ref = counted.ref();
  RunOutcome out = run_workload(config, [&](WorkerContext& ctx) {
    HandlerContext<Pool> request(ctx, ref);
    for (std::uint32_t r = 0; r < o.requests && !ctx.stop_requested(); ++r) {
      request.next_request();
      handler(request);
      ctx.step_done();
    }
  });
  counted.finish(out, HarnessCounts{out.rents, out.give_backs, out.rents_by_bucket});
  return out;
}

}  // namespace detail

// Runs `handler` under HandlerOptions against Adapter's pool (poolcheck::BufpoolShared when the
// handler has no pool of its own). Returns the first failing round, or the last clean one.
template <template <class> class Adapter, class Handler>
CheckResult check_handler(Handler handler, const HandlerOptions& o = {}) {
  CheckResult result;
  if (!o.deterministic) {
    for (std::uint32_t round = 0; round < o.rounds; ++round) {
      const std::uint64_t seed = handler_round_seed(o.seed, round);
      RunOutcome out = detail::run_handler_round<Adapter, StdSync>(handler, o, seed, nullptr);
      result.summary = handler_summary(out, "round " + std::to_string(round) + ", seed " + std::to_string(seed));
      if (!out.clean()) {
        result.exit_code = 1;
        if (!out.violations.empty()) result.first = out.violations.front();
        result.replay_args = "HandlerOptions{.rounds = 1, .seed = " + std::to_string(seed) + "}";
        return result;
      }
    }
    return result;
  }
  for (std::uint32_t i = 0; i < (o.schedule_seed ? 1 : o.search); ++i) {
    const std::uint64_t schedule = o.schedule_seed ? *o.schedule_seed : handler_schedule_seed(o.seed, i);
    std::unique_ptr<det::Strategy> strategy = det::make_random_walk(schedule);
    det::ScheduleResult schedule_out;
    const DetWorkload det{strategy.get(), 2'000'000, &schedule_out};
    RunOutcome out = detail::run_handler_round<Adapter, det::Sync>(handler, o, o.seed, &det);
    result.summary = handler_summary(out, "schedule " + std::to_string(schedule) + " of seed " + std::to_string(o.seed));
    if (!out.clean()) {
      result.exit_code = 1;
      if (!out.violations.empty()) result.first = out.violations.front();
      result.replay_args = "HandlerOptions{.seed = " + std::to_string(o.seed) +
                           ", .deterministic = true, .schedule_seed = " + std::to_string(schedule) + "}";
      return result;
    }
  }
  return result;
}

}  // namespace poolcheck
