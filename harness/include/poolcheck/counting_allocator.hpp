// The allocator the harness gives a pool, so arrays are counted from outside the pool: a pool that
// miscounts itself (ignores its cap, loses an array, files one in the wrong bucket) is still caught.
//
// Each allocation carries a 64-byte header just below the array with its size and the oracles'
// per-array state (current owner, whether the last give_back cleared it). Header fields are relaxed
// atomics: oracles read and write them from any thread without adding a happens-before edge the
// pool does not already provide (TSan must still see the pool's own races).
//
// Thread-safe: the ledger is relaxed atomics; an allocator is a pointer to a ledger, freely copied.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "bufpool/buckets.hpp"
#include "bufpool/pool_policy.hpp"

namespace poolcheck {

// One more than the pool's buckets: the last counts over-size arrays.
inline constexpr std::size_t kLedgerRows = bufpool::kMaxBucketCount + 1;

// Counts of everything a pool allocated and freed, per bucket (by element capacity).
struct AllocationLedger {
  explicit AllocationLedger(std::size_t bytes_per_element) : element_size(bytes_per_element) {}

  const std::size_t element_size;
  std::atomic<std::uint64_t> allocations{0};
  std::atomic<std::uint64_t> frees{0};
  std::atomic<std::int64_t> live[kLedgerRows]{};  // arrays allocated and not yet freed
  std::atomic<std::uint64_t> foreign_frees{0};     // deallocate of memory this ledger never gave out
  // Arrays not held by any lease: +1 when allocated, -1 when freed (by the allocator), -1 when a
  // lease takes one, +1 just before a lease gives one back (by the harness). Each change is one
  // atomic add, so at every instant this is exactly resting + in flight, and in flight is at most
  // one array per thread inside a pool call. See BucketCapOracle.
  std::atomic<std::int64_t> unleased[kLedgerRows]{};

  void on_leased(std::size_t bytes) noexcept { unleased[row_of(bytes)].fetch_sub(1, std::memory_order_relaxed); }
  void on_returning(std::size_t bytes) noexcept { unleased[row_of(bytes)].fetch_add(1, std::memory_order_relaxed); }

  // The ledger row of an array of `bytes`: its bucket, or the over-size row.
  std::size_t row_of(std::size_t bytes) const noexcept;
  std::int64_t live_total() const noexcept;
};

// State the oracles keep beside each array (see the file comment).
struct ArrayHeader {
  static constexpr std::uint64_t kMagic = 0x706f6f6c63686b21ull;  // "poolchk!"
  std::atomic<std::uint64_t> magic{0};
  std::atomic<std::uint64_t> bytes{0};
  std::atomic<std::uint64_t> owner{0};         // tag bits + 1 of the live lease holding it; 0: none
  std::atomic<std::uint64_t> cleared_by{0};    // tag bits + 1 of the last clearing give_back; 0: not cleared
  std::atomic<std::uint64_t> last_owner{0};    // tag bits + 1 of the last lease that gave it back
};
inline constexpr std::size_t kHeaderBytes = 64;

// Every byte of a fresh allocation: malloc's leftovers differ from run to run, and a deterministic
// replay must not read them (they would change which word an oracle reports). Allocations above
// 64 MiB get it in their first and last 64 KiB only: the rest are fresh mmap pages, zero on every run.
inline constexpr unsigned char kFreshByte = 0xFA;
static_assert(sizeof(ArrayHeader) <= kHeaderBytes);

class CountingAllocator {
 public:
  CountingAllocator() = default;  // unusable until given a ledger; pools always receive one
  explicit CountingAllocator(AllocationLedger* ledger) noexcept : ledger_(ledger) {}

  void* allocate(std::size_t bytes, std::size_t alignment);
  void deallocate(void* p, std::size_t bytes, std::size_t alignment) noexcept;

  // The header of an array this allocator handed out, or null when `array` is not the start of one
  // (a pool handing out an interior or foreign pointer). Never reads outside a live allocation of
  // ours when the pool is correct.
  static ArrayHeader* header_of(const void* array) noexcept;

  AllocationLedger* ledger() const noexcept { return ledger_; }

 private:
  AllocationLedger* ledger_ = nullptr;
};

static_assert(bufpool::ArrayAllocator<CountingAllocator>);

// The policy of every pool the harness builds: production types, counted allocations.
struct HarnessPolicy : bufpool::DefaultPoolPolicy {
  using allocator = CountingAllocator;
};
struct CheckedHarnessPolicy : HarnessPolicy {
  static constexpr bool checked = true;
};

}  // namespace poolcheck
