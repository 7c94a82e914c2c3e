// The allocators the harness gives a pool, so arrays are counted from outside the pool: a pool that
// miscounts itself (ignores its cap, loses an array, files one in the wrong class) is still caught.
// Two shapes over one ledger and one header scheme:
//   CountingArrayAllocator     bufpool's ArrayAllocator: allocate(bytes, alignment), untyped;
//   CountingAllocator<T>       the std::allocator requirements (allocate(n) -> T*), for a user's
//                              pool that takes a std::allocator<T>-style allocator.
//
// The ledger files each array by its length in the pool's SizeClasses (known before the pool is
// built: the ledger comes first and the pool's allocator points into it). For the counts to be
// exact, a pool must follow these rules:
//   1. Each pooled array is one allocate call of exactly its class's capacity (elements of the
//      ledger's element size; a typed allocator's T must be that size).
//   2. The pool hands out exactly the pointer allocate returned: never an interior pointer, never
//      memory it obtained any other way (the array's header sits just below that pointer).
//   3. give_back / free deallocates with the same length (n, or bytes) it allocated with.
//   4. Arrays are never shared between pools: one ledger counts one pool.
//   5. An over-size array (a request above the largest class) is allocated with its requested
//      length; it counts in the over-size row, as does any allocation whose length is no class
//      capacity.
//   6. The pool's own bookkeeping (nodes, vectors of pointers) does not allocate through these
//      allocators; a rebound CountingAllocator<U> of another element size refuses to allocate.
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
#include <limits>
#include <new>
#include <stdexcept>
#include <string>
#include <type_traits>

#include "bufpool/pool_policy.hpp"
#include "bufpool/sanitizer_build.hpp"
#include "poolcheck/size_classes.hpp"

namespace poolcheck {

// One row per size class a pool may have, and a last row for over-size arrays. Rows from the
// pool's classes().count() up to the last stay zero.
inline constexpr std::size_t kLedgerRows = kMaxSizeClasses + 1;
inline constexpr std::size_t kOverSizeRow = kLedgerRows - 1;

// Counts of everything a pool allocated and freed, per size class (by element capacity).
struct AllocationLedger {
  // `layout`: the classes of the pool this ledger counts (PoolFacts::classes must be the same).
  AllocationLedger(std::size_t bytes_per_element, const SizeClasses& layout)
      : element_size(bytes_per_element), classes(layout) {
    if (element_size == 0) throw std::invalid_argument("AllocationLedger: element size 0");
  }

  const std::size_t element_size;
  const SizeClasses classes;
  std::atomic<std::uint64_t> allocations{0};
  std::atomic<std::uint64_t> frees{0};
  std::atomic<std::int64_t> live[kLedgerRows]{};  // arrays allocated and not yet freed
  std::atomic<std::uint64_t> allocated[kLedgerRows]{};  // arrays ever allocated, per row
  std::atomic<std::uint64_t> freed[kLedgerRows]{};      // arrays ever freed, per row
  std::atomic<std::uint64_t> foreign_frees{0};     // deallocate of memory this ledger never gave out

  // --- Exact counts: what rests, and what may be out of the pool ---------------------------------
  //
  // Two more words per row, changed by the harness around every pool call (lease_checks.hpp):
  //   held    arrays of the row a lease took and whose give_back has not returned yet;
  //   renting rent calls in flight that may take an array of the row (a request of the row, and,
  //           for a pool that serves an exhausted bucket from the next, of the row below).
  // `exact[b].at_rest` = live - held - renting, one word: at every instant it is at most what the pool
  // rests in the bucket (partitions and slots), and equal when no call is in flight. An array
  // counts as live and not held only from the end of the give_back that put it back (after the
  // put) until the lease that next takes it, and every rent that may pop or allocate one meanwhile
  // is subtracted from its start to its end, so an array between the pool and a lease is never
  // counted as resting. Hence `at_rest > cap` proves the pool rests more than its cap at that
  // instant: exact at quiescence, and while running short of the truth only by the calls mid-way
  // (a give_back whose array is already back, a rent that has not taken one yet).
  // `exact[b].out` = held + renting, one word whose high half counts every increase: a rent that asked
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
  // Both words of a row on one cache line of their own: every rent and give_back changes both, and
  // with threads on several cores each line that crosses between them is most of the cost.
  struct alignas(64) ExactRow {
    std::atomic<std::int64_t> at_rest{0};
    std::atomic<std::uint64_t> out{kOutBias};
  };
  ExactRow exact[kLedgerRows];

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
  // The same rent ended, after on_leased of the array it got (if any). `row_still_renting`: false
  // when on_rent_became_lease already moved the rent's own row from renting to held.
  void end_rent(std::size_t row, bool next_too, bool row_still_renting = true) noexcept {
    if (row_still_renting) leave(row);
    if (next_too) leave(row + 1);
  }
  // A rent of `row` took an array of that same row: on_leased and the leaving of the rent's row in
  // one step. The row's renting count becomes its held count in one read-modify-write, so `at_rest`
  // does not change and `out` counts one more increase (as the two steps would at their end).
  void on_rent_became_lease(std::size_t row) noexcept {
    exact[row].out.fetch_add(kOutIncrease - 1, kExactOrder);
  }
  // A lease takes an array of `bytes` (before the rent that got it ends).
  void on_leased(std::size_t bytes) noexcept {
    enter(row_of(bytes));
  }
  // The give_back of that array returned normally (it rests, or the pool freed it).
  void on_returned(std::size_t bytes) noexcept { leave(row_of(bytes)); }

  // The ledger row of an array of `bytes`: the class whose capacity is exactly bytes /
  // element_size, or the over-size row for any other length (rule 5 in the file comment).
  std::size_t row_of(std::size_t bytes) const noexcept;
  // The ledger row of a request of n elements: its class, or the over-size row.
  std::size_t row_of_request(std::size_t n) const noexcept { return request_row(classes, n); }
  static std::size_t request_row(const SizeClasses& layout, std::size_t n) noexcept {
    const std::size_t c = layout.class_of(n);
    return c < layout.count() ? c : kOverSizeRow;
  }
  std::int64_t live_total() const noexcept;

 private:
  std::uint64_t enter(std::size_t row) noexcept {
    exact[row].at_rest.fetch_sub(1, kExactOrder);
    return exact[row].out.fetch_add(kOutIncrease, kExactOrder) + kOutIncrease;
  }
  void leave(std::size_t row) noexcept {
    exact[row].out.fetch_sub(1, kExactOrder);
    exact[row].at_rest.fetch_add(1, kExactOrder);
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

class CountingArrayAllocator {
 public:
  CountingArrayAllocator() = default;  // unusable until given a ledger; pools always receive one
  explicit CountingArrayAllocator(AllocationLedger* ledger) noexcept : ledger_(ledger) {}

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

static_assert(bufpool::ArrayAllocator<CountingArrayAllocator>);

// The same counting for a pool written against the std::allocator requirements: allocate(n) is
// one array of n elements of T, with the same header and the same ledger rows. The allocator is a
// pointer to the ledger: containers carry it along on copy, move and swap, and two compare equal
// exactly when they count into the same ledger (either may free what the other allocated).
template <class T>
class CountingAllocator {
 public:
  using value_type = T;
  using size_type = std::size_t;
  using difference_type = std::ptrdiff_t;
  using propagate_on_container_copy_assignment = std::true_type;
  using propagate_on_container_move_assignment = std::true_type;
  using propagate_on_container_swap = std::true_type;
  using is_always_equal = std::false_type;
  template <class U>
  struct rebind {
    using other = CountingAllocator<U>;
  };

  explicit CountingAllocator(AllocationLedger* ledger) noexcept : ledger_(ledger) {}
  template <class U>
  CountingAllocator(const CountingAllocator<U>& other) noexcept : ledger_(other.ledger()) {}  // NOLINT: rebind

  // Throws std::bad_array_new_length when n elements do not fit a size_t of bytes, and
  // std::invalid_argument when T is not the ledger's element size (rule 6 of the file comment: the
  // ledger files arrays by their length in its elements).
  T* allocate(std::size_t n) {
    if (sizeof(T) != ledger_->element_size) {
      throw std::invalid_argument("CountingAllocator: an element of " + std::to_string(sizeof(T)) +
                                  " bytes, but the ledger counts elements of " + std::to_string(ledger_->element_size));
    }
    if (n > std::numeric_limits<std::size_t>::max() / 2 / sizeof(T)) throw std::bad_array_new_length();
    return static_cast<T*>(CountingArrayAllocator(ledger_).allocate(n * sizeof(T), alignof(T)));
  }
  void deallocate(T* p, std::size_t n) noexcept {
    CountingArrayAllocator(ledger_).deallocate(p, n * sizeof(T), alignof(T));
  }

  AllocationLedger* ledger() const noexcept { return ledger_; }

  template <class U>
  bool operator==(const CountingAllocator<U>& other) const noexcept {
    return ledger_ == other.ledger();
  }

 private:
  AllocationLedger* ledger_;
};

// The policy of every pool the harness builds: production types, counted allocations.
struct HarnessPolicy : bufpool::DefaultPoolPolicy {
  using allocator = CountingArrayAllocator;
};
struct CheckedHarnessPolicy : HarnessPolicy {
  static constexpr bool checked = true;
};

}  // namespace poolcheck
