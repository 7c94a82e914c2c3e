// What `--pool NAME` can name: one row per pool this `stress` was built for. bufpool's own
// `stress` has bufpool's four pools (bufpool_targets.cpp); a user's `stress`, built with
// poolcheck::stress_main (poolcheck/check.hpp), has theirs. Every driver (free-running,
// deterministic, reports, replay lines, the command line) reaches the pool through its row, so
// bufpool's pools and a user's run through one path.
//
// The table is set once, before parsing (set_pool_targets), and read-only afterwards: thread-safe
// to read from any thread after that.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "bufpool/pool_stats.hpp"
#include "poolcheck/deterministic/schedule.hpp"
#include "poolcheck/deterministic/strategy.hpp"
#include "poolcheck/pool_kind.hpp"
#include "poolcheck/program.hpp"
#include "poolcheck/run_outcome.hpp"

namespace poolcheck {

struct StressSettings;
struct StressHooks;

// Which of stress's cap flags a pool reads. Every pool reads --max-array-length.
//   per_bucket   --max-per-bucket: at most that many arrays rest in each bucket (bufpool's locked pool,
//                and every user's pool)
//   partitioned  --partitions x --arrays-per-partition per bucket, plus one thread-local slot per
//                thread (bufpool's shared pool)
enum class CapFlags : std::uint8_t { per_bucket, partitioned };

// One free-running round of `programs` against a fresh pool (stress_driver.cpp's loop calls it).
using FreeRound = std::function<RunOutcome(const StressSettings&, const ProgramSet&, const StressHooks&,
                                           std::uint32_t round, bufpool::PoolStats& stats_out)>;
// One deterministic schedule of `programs` against a fresh pool built on det types.
using DetRound = std::function<RunOutcome(const StressSettings&, const ProgramSet&, det::Strategy&,
                                          det::ScheduleResult& schedule_out, bufpool::PoolStats& stats_out,
                                          const std::atomic<bool>* interrupt)>;

struct PoolTarget {
  std::string name;     // --pool NAME
  std::string summary;  // the --list text
  CapFlags cap_flags = CapFlags::per_bucket;
  bool over_size_reachable = true;  // programs rent above the largest bucket (false when that is > 1 GiB)
  // The size classes a configuration gives: programs rent up to the largest (and over-size just
  // above it), and at the edges of classes whose capacities are not powers of two. Empty:
  // bufpool's, --max-array-length rounded up to 16 * 2^k.
  std::function<SizeClasses(const PoolSettings&)> layout;
  bool checked = false;             // a checked-mode pool (mutants need an unchecked one)
  // bufpool's registry row when the pool is one of bufpool's: mutants and workloads (which build
  // bufpool pools by kind) exist only for those. Null for a user's pool.
  const PoolEntry* bufpool = nullptr;
  // With settings.noise, run_free runs the pool's det-types build (the one run_det schedules)
  // free-running, with point noise armed (point_noise.hpp).
  FreeRound run_free;
  DetRound run_det;  // empty: this pool cannot run under a schedule, nor with point noise
  // Oracles that cannot run on this pool, each with the reason ("aliasing: the pool does not
  // allocate through poolcheck's counting allocator"); printed before a run.
  std::vector<std::string> oracles_off;
};

// The pools of this `stress`. Before set_pool_targets, bufpool's four.
std::span<const PoolTarget> pool_targets();
// Replaces the table (not empty, names unique and non-empty, every row with run_free). Call once,
// before parsing the command line and before any other thread runs. Throws std::invalid_argument.
void set_pool_targets(std::vector<PoolTarget> targets);
const PoolTarget* find_pool_target(std::string_view name) noexcept;
std::vector<std::string> pool_target_names();

// bufpool's pools (shared, locked, checked-shared, checked-locked), each running its mutants too.
std::vector<PoolTarget> bufpool_targets();

}  // namespace poolcheck
