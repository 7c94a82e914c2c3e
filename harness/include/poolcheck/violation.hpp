// What an oracle reports: which oracle, which leases (thread and op of each), which array, where.
//
// Violations are recorded in per-thread logs (no shared lock) and merged after the workers join.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "poolcheck/tag_pattern.hpp"

namespace poolcheck {

enum class OracleKind : std::uint8_t {
  exclusivity,    // a lease's written range no longer holds its own tag
  aliasing,       // two live leases share an array (checked at rent time)
  leakage,        // after a clearing give_back, the next renter saw the old data
  dirty_read,     // a consumer read what its own lease did not write
  bucket_cap,     // more arrays resting in a bucket than its cap (counted from outside)
  size_contract,  // capacity < requested, not a bucket size, rent(0) not empty, over-size kept
  accounting,     // an array allocated by the pool was never freed (lost), or freed twice
  stats,          // the pool's own statistics disagree with what the harness counted
  pool_error,     // the pool threw where it must not, or crashed a worker's program
  stall,          // no progress for the watchdog's time
  // Checks on the code that uses the pool (workloads in scenarios/, through CheckedBuffer):
  overflow,             // a consumer wrote past the length it requested (a token copied past the end)
  use_after_give_back,  // a consumer touched an array after giving it back
  starvation,           // a consumer held pooled arrays across a long blocking wait
  workload,             // a workload's own result is wrong (a stream's output, its memory bound)
};
inline constexpr std::size_t kOracleCount = 14;

std::string_view oracle_name(OracleKind kind) noexcept;
// False for the checks on consumer code that cannot be the pool's fault (dirty-read, overflow,
// use-after-give-back, starvation): after such a finding the pool is still sound and may be
// destroyed normally. Everything else may implicate the pool.
bool implicates_pool(OracleKind kind) noexcept;
std::optional<OracleKind> oracle_from_name(std::string_view name) noexcept;

struct Violation {
  OracleKind oracle = OracleKind::exclusivity;
  std::string what;                 // one sentence, naming both leases where there are two
  std::optional<Tag> lease;         // the lease that found it
  std::optional<Tag> other;         // the lease whose bytes or array were involved
  const void* array = nullptr;
  std::size_t capacity = 0;         // elements in the array (its bucket)
  std::size_t offset = 0;           // byte offset of the first wrong byte
  std::uint64_t step = 0;           // deterministic executor: the schedule step it was found at (0: n/a)
};

// Same finding (oracle, leases, offset, step), ignoring addresses, which differ from run to run.
bool same_finding(const Violation& a, const Violation& b) noexcept;

// "exclusivity: lease 17 of thread 31 found bytes of lease 9 of thread 12 at byte 4096 of array
//  0x7f.. (bucket 8192)".
std::string to_string(const Violation& v);

}  // namespace poolcheck
