// Compiled against the installed headers of poolcheck::harness and poolcheck::scenarios: a locked
// bufpool checked through CountedPool and CheckedBuffer (correct use is clean, a write past the
// requested length is reported as overflow, the pool accounts for every array at the end), and the
// scenario catalog is there with every pitfall naming the oracle that catches it.
// Exit 0 when all of that holds; otherwise it prints what did not and exits 1.
#include <bufpool/array_pool.hpp>
#include <cstdio>
#include <span>
#include <string_view>

#include "poolcheck/counting_allocator.hpp"
#include "poolcheck/run_state.hpp"
#include "poolcheck/scenario_catalog.hpp"
#include "poolcheck/violation.hpp"
#include "poolcheck/worker_log.hpp"
#include "poolcheck/workload/checked_buffer.hpp"
#include "poolcheck/workload/counted_pool.hpp"
#include "poolcheck/workload/worker_context.hpp"

namespace {

using Pool = bufpool::LockedArrayPool<char, poolcheck::HarnessPolicy>;

int failures = 0;

void expect(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "installed_harness: FAILED: %s\n", what);
    ++failures;
  }
}

std::span<const char> text(std::string_view s) { return {s.data(), s.size()}; }

void check_a_pool() {
  poolcheck::PoolSettings settings;
  settings.max_array_length = 4096;
  settings.max_per_bucket = 4;
  poolcheck::CountedPool<Pool> pool(settings);
  poolcheck::RunState state{1, 0};
  poolcheck::WorkloadLimits limits;
  poolcheck::WorkerLog log;
  poolcheck::WorkerContext ctx{0, 1, 42, state, limits, log};
  {
    auto buf = poolcheck::CheckedBuffer<Pool>::rent(ctx, pool.ref(), 100);
    expect(buf.live() && buf.size() == 100 && buf.capacity() == 128, "a rent of 100 is live, 100 long, 128 deep");
    expect(buf.write(0, text("hello")), "writing inside the requested length is allowed");
    const auto got = buf.read(0, 5);
    expect(std::string_view(got.data(), got.size()) == "hello", "the bytes written read back");
    buf.give_back();
  }
  expect(log.violations.empty(), "correct use reports nothing");
  {
    auto buf = poolcheck::CheckedBuffer<Pool>::rent(ctx, pool.ref(), 100);
    expect(!buf.write(98, text("abcde")), "a write past the requested length is refused");
  }
  expect(log.violations.size() == 1 && log.violations[0].oracle == poolcheck::OracleKind::overflow,
         "the write past the requested length is reported as overflow");
  log.violations.clear();

  poolcheck::RunOutcome out;
  out.rents = log.rents;
  pool.finish(out, poolcheck::HarnessCounts{log.rents, log.give_backs, log.rents_by_bucket});
  expect(out.violations.empty(), "the pool's ledger and statistics agree at the end");
  expect(out.checks[static_cast<std::size_t>(poolcheck::OracleKind::accounting)] == 1,
         "the pool was destroyed and accounted for");
}

void check_the_catalog() {
  const auto catalog = poolcheck::scenario_catalog();
  expect(!catalog.empty(), "the scenario catalog is not empty");
  int pitfalls = 0;
  for (const auto& s : catalog) {
    if (s.kind != poolcheck::ScenarioKind::pitfall) continue;
    ++pitfalls;
    expect(s.expect == poolcheck::Expect::caught && s.run != nullptr, "every pitfall runs and must be caught");
  }
  expect(pitfalls > 0, "the catalog has pitfalls");
  expect(poolcheck::find_scenario("token-stream") != nullptr, "the token-stream workload is found by name");
}

}  // namespace

int main() {
  check_a_pool();
  check_the_catalog();
  if (failures == 0) std::puts("installed_harness: the installed harness and scenarios work");
  return failures == 0 ? 0 : 1;
}
