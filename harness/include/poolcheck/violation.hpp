// What an oracle reports: which oracle, which leases (thread and op of each), which array, where.
//
// Violations are recorded in per-thread logs (no shared lock) and merged after the workers join.
#pragma once

#include <cstddef>
#include <cstdint>
#include <iterator>
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

// Every oracle's name (as reports and --list print it) and whether a finding may implicate the
// pool: false for the checks on consumer code that cannot be the pool's fault (after such a
// finding the pool is still sound and may be destroyed normally). One row per OracleKind, in
// order; adding an oracle kind is one enum value and one row.
struct OracleInfo {
  OracleKind kind;
  std::string_view name;
  bool implicates_pool;
};
inline constexpr OracleInfo kOracles[] = {
    {OracleKind::exclusivity, "exclusivity", true},
    {OracleKind::aliasing, "aliasing", true},
    {OracleKind::leakage, "leakage", true},
    {OracleKind::dirty_read, "dirty-read", false},
    {OracleKind::bucket_cap, "bucket-cap", true},
    {OracleKind::size_contract, "size-contract", true},
    {OracleKind::accounting, "accounting", true},
    {OracleKind::stats, "stats", true},
    {OracleKind::pool_error, "pool-error", true},
    {OracleKind::stall, "stall", true},
    {OracleKind::overflow, "overflow", false},
    {OracleKind::use_after_give_back, "use-after-give-back", false},
    {OracleKind::starvation, "starvation", false},
    {OracleKind::workload, "workload", true},
};
inline constexpr std::size_t kOracleCount = std::size(kOracles);
static_assert([] {
  for (std::size_t i = 0; i < kOracleCount; ++i) {
    if (static_cast<std::size_t>(kOracles[i].kind) != i) return false;
  }
  return true;
}(), "kOracles must list every OracleKind once, in enum order");

constexpr std::string_view oracle_name(OracleKind kind) noexcept { return kOracles[static_cast<std::size_t>(kind)].name; }
constexpr bool implicates_pool(OracleKind kind) noexcept {
  return kOracles[static_cast<std::size_t>(kind)].implicates_pool;
}
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
