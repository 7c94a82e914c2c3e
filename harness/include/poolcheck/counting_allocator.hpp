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
#include "bufpool/sanitizer_build.hpp"

namespace poolcheck {

// One more than the pool's buckets: the last counts over-size arrays.
inline constexpr std::size_t kLedgerRows = bufpool::kMaxBucketCount + 1;

// Counts of everything a pool allocated and freed, per bucket (by element capacity).
struct AllocationLedger {
  explicit AllocationLedger(std::size_t bytes_per_element) : element_size(bytes_per_element) {
    for (auto& o : out) o.store(kOutBias, std::memory_order_relaxed);
  }

  const std::size_t element_size;
  std::atomic<std::uint64_t> allocations{0};
  std::atomic<std::uint64_t> frees{0};
  std::atomic<std::int64_t> live[kLedgerRows]{};  // arrays allocated and not yet freed
  std::atomic<std::uint64_t> allocated[kLedgerRows]{};  // arrays ever allocated, per row
  std::atomic<std::uint64_t> freed[kLedgerRows]{};      // arrays ever freed, per row
  std::atomic<std::uint64_t> foreign_frees{0};     // deallocate of memory this ledger never gave out
  // Arrays not held by any lease: +1 when allocated, -1 when freed (by the allocator), -1 when a
  // lease takes one, +1 just before a lease gives one back (by the harness). Each change is one
  // atomic add, so at every instant this is exactly resting + in flight, and in flight is at most
  // one array per thread inside a pool call. See BucketCapOracle.
  std::atomic<std::int64_t> unleased[kLedgerRows]{};


  // --- Exact counts: what rests, and what may be out of the pool ---------------------------------
  //
  // Two more words per row, changed by the harness around every pool call (lease_checks.hpp):
  //   held    arrays of the row a lease took and whose give_back has not returned yet;
  //   renting rent calls in flight that may take an array of the row (a request of the row, and,
  //           for a pool that serves an exhausted bucket from the next, of the row below).
  // `at_rest[b]` = live - held - renting, one word: at every instant it is at most what the pool
  // rests in the bucket (partitions and slots), and equal when no call is in flight. An array
  // counts as live and not held only from the end of the give_back that put it back (after the
  // put) until the lease that next takes it, and every rent that may pop or allocate one meanwhile
  // is subtracted from its start to its end, so an array between the pool and a lease is never
  // counted as resting. Hence `at_rest > cap` proves the pool rests more than its cap at that
  // instant: exact at quiescence, and while running short of the truth only by the calls mid-way
  // (a give_back whose array is already back, a rent that has not taken one yet).
  // `out[b]` = held + renting, one word whose high half counts every increase: a rent that asked
  // for bucket b and got b + 1 reads it before and after, and the most arrays of b that can have
  // been out of the pool in between is `count(before) + increases in between` (see
  // SizeContractOracle::check_fallback).
  //
  // Ordering: the instants these arguments speak of are the pool's own (its lock order). Each
  // change is one read-modify-write of one word, acquire-release in every build but TSan's, so the
  // word's order is consistent with the pool's happens-before. Under TSan (whose ordered atomics
  // would be happens-before edges that hide the pool's races) they are relaxed; TSan runs on
  // x86-64, where a locked read-modify-write is a full barrier and TSan's atomics are calls the
  // compiler cannot move across the pool's, so the order is the real-time one there too.
  static constexpr std::memory_order kExactOrder =
      bufpool::kTsanBuild ? std::memory_order_relaxed : std::memory_order_acq_rel;
  static constexpr std::memory_order kExactLoad =
      bufpool::kTsanBuild ? std::memory_order_relaxed : std::memory_order_acquire;
  static constexpr std::uint64_t kOutBias = std::uint64_t{1} << 31;  // keeps the low half from borrowing
  static constexpr std::uint64_t kOutIncrease = (std::uint64_t{1} << 32) + 1;
  std::atomic<std::int64_t> at_rest[kLedgerRows]{};
  std::atomic<std::uint64_t> out[kLedgerRows];

  static std::int64_t out_count(std::uint64_t word) noexcept {
    return static_cast<std::int64_t>(word & 0xFFFF'FFFFull) - static_cast<std::int64_t>(kOutBias);
  }
  static std::uint32_t out_increases(std::uint64_t word) noexcept { return static_cast<std::uint32_t>(word >> 32); }

  // A rent asking for row `row` starts (`next_too`: it may be served from row + 1). Returns the
  // `out` word of `row` after this rent entered it.
  std::uint64_t begin_rent(std::size_t row, bool next_too) noexcept {
    if (next_too) enter(row + 1);
    return enter(row);
  }
  // The same rent ended, after on_leased of the array it got (if any).
  void end_rent(std::size_t row, bool next_too) noexcept {
    leave(row);
    if (next_too) leave(row + 1);
  }
  // A lease takes an array of `bytes` (before the rent that got it ends).
  void on_leased(std::size_t bytes) noexcept {
    const std::size_t row = row_of(bytes);
    unleased[row].fetch_sub(1, std::memory_order_relaxed);
    enter(row);
  }
  // A lease is about to give an array of `bytes` back.
  void on_returning(std::size_t bytes) noexcept { unleased[row_of(bytes)].fetch_add(1, std::memory_order_relaxed); }
  // The give_back of that array returned normally (it rests, or the pool freed it).
  void on_returned(std::size_t bytes) noexcept { leave(row_of(bytes)); }

  // The ledger row of an array of `bytes`: its bucket, or the over-size row.
  std::size_t row_of(std::size_t bytes) const noexcept;
  std::int64_t live_total() const noexcept;

 private:
  std::uint64_t enter(std::size_t row) noexcept {
    at_rest[row].fetch_sub(1, kExactOrder);
    return out[row].fetch_add(kOutIncrease, kExactOrder) + kOutIncrease;
  }
  void leave(std::size_t row) noexcept {
    out[row].fetch_sub(1, kExactOrder);
    at_rest[row].fetch_add(1, kExactOrder);
  }
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
