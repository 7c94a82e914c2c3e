// poolcheck for other people's pools: the one header a user includes to check their own pool.
//
//   poolcheck::stress_main<Adapter>(argc, argv)      a `stress` command for your pool, in one line
//   poolcheck::check_pool<Adapter>({"--duration", "2"})   the same run inside a test; returns the outcome
//   poolcheck::stress_main(argc, argv, pools, name)  the command over a table of pools (bufpool's own
//                                                    `stress` is this over bufpool_targets())
//
// Adapter is a class template over a Sync bundle (poolcheck/det.hpp): your pool with its atomics
// and mutexes taken from Sync, and the few members the concept PoolAdapter
// (user_pool_target.hpp) lists: value_type, rent, give_back, a static facts(config), and a
// constructor from the config and poolcheck's counting allocator. Every flag of `stress --help`
// works: seeds, rounds, duration, threads, every program scenario, --deterministic searches with
// traces and --replay, --repeat, --json and --junit, the watchdog and the crash guard.
//
// A minimal main, for a pool `my::Pool<T, Sync, Allocator>`:
//
//   template <class Sync>
//   using Base = my::Pool<std::byte, Sync, poolcheck::CountingAllocator<std::byte>>;
//   template <class Sync>
//   struct Checked : Base<Sync> {
//     Checked(const poolcheck::PoolConfig& c, poolcheck::CountingAllocator<std::byte> a)
//         : Base<Sync>({c.max_array_length, c.max_per_bucket}, a) {}
//     static poolcheck::PoolFacts facts(const poolcheck::PoolConfig& c) {
//       return {.classes = poolcheck::SizeClasses::geometric(16, std::bit_ceil(c.max_array_length)),
//               .resting_cap = c.max_per_bucket};
//     }
//   };
//   int main(int argc, char** argv) { return poolcheck::stress_main<Checked>(argc, argv); }
//
// Not thread-safe: one stress_main or check_pool at a time per process (a run owns the process's
// worker threads, its signal handlers and the pool table).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pool_target.hpp"
#include "user_pool_target.hpp"

namespace poolcheck {

// The `stress` command (every flag of `stress --help`) over `pools`; replay lines start with `name`.
// Returns the exit code: 0 clean, 1 failure, 2 usage error, 130/143 after SIGINT/SIGTERM; a failed
// run leaves the process at once (std::_Exit) after its report, since it may have left a corrupt
// pool behind on purpose.
int stress_main(int argc, char** argv, std::vector<PoolTarget> pools, std::string name);

// The last path component of argv[0] ("stress" when there is none): the name replay lines use.
std::string program_name_from(const char* argv0);

// A `stress` for one user pool, `--pool pool_name` (the default). Factory: optional, see
// detail::AdapterMaker in user_pool_target.hpp.
template <template <class> class Adapter, class Factory = void>
int stress_main(int argc, char** argv, std::string pool_name = "pool", std::string summary = "the pool under test") {
  std::vector<PoolTarget> pools;
  pools.push_back(adapter_target<Adapter, Factory>(std::move(pool_name), std::move(summary)));
  return stress_main(argc, argv, std::move(pools), program_name_from(argc > 0 ? argv[0] : nullptr));
}

// What check_pool found.
struct CheckResult {
  int exit_code = 0;        // as stress's: 0 clean, 1 failure, 2 usage error
  std::string summary;      // stress's summary (the first violation, the oracles' check counts)
  std::string replay_args;  // failure: the flags that replay it (for check_pool, or your stress_main binary)
  std::string trace_file;   // a failing deterministic schedule: its trace; {"--replay", trace_file} replays it
  std::string error;        // usage error: its one line
  std::optional<Violation> first;  // the first violation found, if any
  bool clean() const noexcept { return exit_code == 0; }
};

// Runs `args` (stress's flags) over `pools` in this process: parses them as stress does, runs the
// campaign, writes --json/--junit when given, and returns instead of exiting. A pool caught
// misbehaving is leaked on purpose (it may free an array twice); a stalled run's workers are left
// running. --repeat and --self-test are refused (they start child processes).
CheckResult run_check(std::vector<PoolTarget> pools, const std::vector<std::string>& args);

// check_pool<Adapter>({"--duration", "2"}): one run of stress's checks against the user's pool.
template <template <class> class Adapter, class Factory = void>
CheckResult check_pool(const std::vector<std::string>& args = {}) {
  std::vector<PoolTarget> pools;
  pools.push_back(adapter_target<Adapter, Factory>("pool", "the pool under test"));
  return run_check(std::move(pools), args);
}

// "exit 1\n<summary>\nreplay: <args>": what a failed test should print.
std::string describe(const CheckResult& result);

}  // namespace poolcheck
