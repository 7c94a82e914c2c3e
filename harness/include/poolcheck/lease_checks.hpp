// The one path every checked rent and give_back takes, whoever drives it: the program executors
// (free-running and deterministic) and CheckedBuffer (workloads and users' handlers) all call
// rent_checked() and give_back_checked(), so a check added here runs everywhere.
//
// rent_checked: rent (or lease) from the pool, then the size contract (an array that breaks it is
// given straight back and never touched), the harness's own counts, the ledger, and the array
// oracles in ArrayOracles order, each on the array's header (counted pools only). A rent the pool
// served from the next bucket is checked against the ledger: its own bucket must have been
// exhausted at some instant of the call (SizeContractOracle::check_fallback).
// give_back_checked: the array oracles' give-back hooks, the ledger, then the pool's give_back,
// then the ledger again once it returned.
// The ledger's exact counts (AllocationLedger::at_rest, out) rest on every rent entering the
// ledger before the pool is called and leaving it after its array is counted as held, and every
// give_back leaving "held" only after the pool's call returned: a path that rents or gives back
// around these functions must keep that order, or the cap and fallback checks lose soundness.
// Exclusivity is the caller's check before give_back: programs verify their tag pattern, a
// CheckedBuffer its shadow copy.
//
// To add an oracle that watches arrays as they change hands: write it with `kind`,
// `kFindingDisownsArray`, `on_rent` and `on_give_back` (see AliasingOracle), and add it to
// ArrayOracles below.
//
// Thread-safety: the functions run on the calling worker's thread with its own WorkerContext; the
// only shared state they touch is the pool, the ledger and the array headers (relaxed atomics).
#pragma once

#include <cstddef>
#include <exception>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <utility>

#include "bufpool/sanitizer_build.hpp"
#include "poolcheck/counting_allocator.hpp"
#include "poolcheck/kept_alive.hpp"
#include "poolcheck/lease_record.hpp"
#include "poolcheck/oracles/aliasing_oracle.hpp"
#include "poolcheck/oracles/leakage_oracle.hpp"
#include "poolcheck/oracles/size_contract_oracle.hpp"
#include "poolcheck/pool_under_test.hpp"
#include "poolcheck/rent_observer.hpp"
#include "poolcheck/workload/worker_context.hpp"

#if BUFPOOL_ASAN
#include <sanitizer/asan_interface.h>
#endif

namespace poolcheck {

// A pool as checked code reaches it: the pool, the facts the oracles need, its ledger (null:
// uncounted). Copied freely; the pool and ledger outlive every copy.
template <PoolUnderTest Pool>
struct PoolRef {
  Pool* pool = nullptr;
  PoolFacts facts;
  AllocationLedger* ledger = nullptr;
};

// A counted pool's facts and ledger must describe one layout: the ledger files arrays by its
// classes, the oracles compute requests' classes from the facts. Throws std::invalid_argument.
template <PoolUnderTest Pool>
void require_same_layout(const PoolRef<Pool>& ref) {
  if (ref.ledger != nullptr && !(ref.ledger->classes == ref.facts.classes)) {
    throw std::invalid_argument("the pool's facts name " + std::to_string(ref.facts.classes.count()) +
                                " size classes up to " + std::to_string(ref.facts.classes.largest()) +
                                "; its ledger was built with " + std::to_string(ref.ledger->classes.count()) +
                                " up to " + std::to_string(ref.ledger->classes.largest()));
  }
}

// One rented array and what the oracles know of it. Owned by one worker at a time.
template <class T>
struct CheckedLease {
  LeaseRecord record;
  std::span<T> span;                       // what rent returned (capacity), or the lease's whole array
  std::optional<bufpool::Lease<T>> lease;  // engaged when rented through lease()
  ArrayHeader* header = nullptr;           // null when uncounted, or shared with another lease
  std::size_t alloc_bytes = 0;             // the allocation's real size (its ledger row), counted pools
  bool fresh = false;                      // allocated for this rent: no lease held it before
};

// The oracles that follow an array through its header, in the order they check at rent.
template <class... Oracles>
struct ArrayOracleList {
  // Runs each rent check until one finds something; the finding is returned. `header` becomes
  // null when the finder says the header is no longer this lease's alone.
  static std::optional<Violation> on_rent(WorkerContext& ctx, ArrayHeader*& header, const LeaseRecord& record) {
    std::optional<Violation> found;
    auto one = [&](auto oracle) {
      using O = decltype(oracle);
      if (found) return;
      ctx.count_check(O::kind);
      found = O::on_rent(*header, record);
      if (found && O::kFindingDisownsArray) header = nullptr;
    };
    (one(Oracles{}), ...);
    return found;
  }
  static void on_give_back(ArrayHeader& header, const LeaseRecord& record, bool clearing) noexcept {
    (Oracles::on_give_back(header, record, clearing), ...);
  }
};
using ArrayOracles = ArrayOracleList<AliasingOracle, LeakageOracle>;

enum class RentVia { rent, lease };

// What a held Lease must show (lease.hpp): span() is exactly [data(), data() + size()), size() is
// the length asked for, capacity() the whole array behind it (>= size()), and under ASan the slack
// past size() traps. `l` is the harness's record of it. Returns what is wrong, or nothing.
template <class T>
std::optional<std::string> lease_contract_problem(const bufpool::Lease<T>& lease, const CheckedLease<T>& l) {
  const std::size_t n = l.record.requested_bytes / sizeof(T);
  auto says = [](const char* what, std::size_t got, std::size_t want) {
    return std::string(what) + " is " + std::to_string(got) + ", not " + std::to_string(want);
  };
  if (lease.size() != n) return says("size()", lease.size(), n);
  if (lease.span().size() != n) return says("span().size()", lease.span().size(), n);
  if (lease.span().data() != lease.data()) return std::string("span() does not start at data()");
  if (lease.empty() != (n == 0)) return std::string("empty() disagrees with size()");
  if (lease.data() != l.span.data()) return std::string("data() is not the array the lease was rented with");
  if (lease.capacity() != l.span.size()) return says("capacity()", lease.capacity(), l.span.size());
  if (lease.capacity() < n) return says("capacity()", lease.capacity(), n);
  if (lease.end() != lease.data() + n) return std::string("end() is not data() + size()");
#if BUFPOOL_ASAN
  // The slack is poisoned by the pool at hand-out (ArrayStorage::hand_out) and stays so until the
  // array is given back: only this lease's holder could open it, and the harness never does.
  const auto* bytes = reinterpret_cast<const unsigned char*>(lease.data());
  if (n != 0 && __asan_address_is_poisoned(bytes + n * sizeof(T) - 1)) {
    return std::string("the last element of span() is poisoned under ASan");
  }
  if (lease.capacity() > n && !__asan_address_is_poisoned(bytes + n * sizeof(T))) {
    return "the slack past size() (" + std::to_string(n) + " of " + std::to_string(lease.capacity()) +
           " elements) is reachable under ASan";
  }
#endif
  return std::nullopt;
}

// What an empty Lease (default, moved-from, reset) must show: no array, no size.
template <class T>
std::optional<std::string> empty_lease_problem(const bufpool::Lease<T>& lease) {
  if (lease.data() != nullptr) return std::string("data() is not null");
  if (lease.size() != 0 || !lease.empty() || !lease.span().empty()) return std::string("its size() is not 0");
  if (lease.capacity() != 0) return "capacity() is " + std::to_string(lease.capacity()) + ", not 0";
  return std::nullopt;
}

namespace detail {
// The ledger's side of one rent call (AllocationLedger::begin_rent/end_rent): entered before the
// pool is called, left on every way out after the lease (if any) counted as held.
class RentInLedger {
 public:
  RentInLedger(AllocationLedger* ledger, const PoolFacts& facts, std::size_t n)
      : ledger_(ledger), row_(AllocationLedger::request_row(facts.classes, n)) {
    if (ledger_ == nullptr || n == 0) {
      ledger_ = nullptr;
      return;
    }
    next_too_ = facts.may_serve_next_bucket && row_ + 1 < facts.classes.count();
    out_before_ = ledger_->begin_rent(row_, next_too_);
  }
  ~RentInLedger() {
    if (ledger_ != nullptr) ledger_->end_rent(row_, next_too_, !row_leased_);
  }
  // The rent's lease took an array of `bytes` (AllocationLedger::on_leased), before the rent ends.
  void lease_took(AllocationLedger& ledger, std::size_t bytes) noexcept {
    const std::size_t row = ledger.row_of(bytes);
    if (ledger_ != nullptr && row == row_ && !row_leased_) {
      ledger.on_rent_became_lease(row);
      row_leased_ = true;
    } else {
      ledger.on_leased(bytes);
    }
  }
  RentInLedger(const RentInLedger&) = delete;
  RentInLedger& operator=(const RentInLedger&) = delete;

  // The most arrays of the requested bucket out of the pool at any instant since this rent began
  // (this rent included): the count then, plus every increase since (AllocationLedger::out).
  std::int64_t most_out_so_far() const noexcept {
    const std::uint64_t now = ledger_->exact[row_].out.load(AllocationLedger::kExactLoad);
    const std::uint32_t increases =
        AllocationLedger::out_increases(now) - AllocationLedger::out_increases(out_before_);
    return AllocationLedger::out_count(out_before_) + increases;
  }

 private:
  AllocationLedger* ledger_;
  std::size_t row_;
  bool next_too_ = false;
  bool row_leased_ = false;  // lease_took moved the rent's own row from renting to held
  std::uint64_t out_before_ = 0;
};

// Gives back an array the harness must not use, without checks or counts.
template <PoolUnderTest Pool>
void give_back_unchecked(Pool& pool, CheckedLease<typename Pool::value_type>& l) noexcept {
  try {
    if (l.lease) {
      l.lease->reset();
    } else if (!l.span.empty()) {
      pool.give_back(l.span, false);
    }
  } catch (const std::exception&) {
    // Refused (its own array, with the size the pool claimed for it): nobody frees it. The rent
    // was reported; kept reachable (kept_alive.hpp) so LeakSanitizer reports only unreported leaks.
    keep_alive(l.span.data());
  }
  l.lease.reset();
}
}  // namespace detail

// Rents `n` elements for the lease `tag`, through the pool's lease() when `via` says so (asking it
// to clear on give_back when `lease_clears`). Empty when the pool threw, broke the size contract
// (both reported) or returned nothing (rent(0)).
template <PoolUnderTest Pool>
std::optional<CheckedLease<typename Pool::value_type>> rent_checked(WorkerContext& ctx, const PoolRef<Pool>& ref,
                                                                    std::size_t n, Tag tag, RentVia via,
                                                                    bool lease_clears = false) {
  using T = typename Pool::value_type;
  CheckedLease<T> l;
  detail::RentInLedger in_ledger(ref.ledger, ref.facts, n);
  try {
    if constexpr (LeasingPool<Pool>) {
      if (via == RentVia::lease) {
        bufpool::Lease<T> lease = ref.pool->lease(n, lease_clears);
        l.span = std::span<T>(lease.data(), lease.capacity());
        l.lease.emplace(std::move(lease));
      } else {
        l.span = ref.pool->rent(n);
      }
    } else {
      l.span = ref.pool->rent(n);
    }
  } catch (const std::exception& e) {
    ctx.report(Violation{OracleKind::pool_error, tag.to_string() + ": rent(" + std::to_string(n) + ") threw " + e.what(),
                         tag, std::nullopt, nullptr, 0, 0});
    return std::nullopt;
  }
  const std::size_t size = l.span.size();
  l.record.tag = tag;
  l.record.bytes = std::as_writable_bytes(l.span);
  l.record.requested_bytes = n * sizeof(T);
  // A lease's slack is poisoned under ASan: only the requested length may be read.
  l.record.readable_bytes = (l.lease && bufpool::kAsanBuild) ? l.record.requested_bytes : l.span.size_bytes();
  l.record.capacity = size;
  const bool counted = ref.ledger != nullptr;
  if (counted && size != 0) l.header = CountingArrayAllocator::header_of(l.span.data());

  ctx.count_check(OracleKind::size_contract);
  if (auto v = SizeContractOracle::check_rent(tag, n, l.span.data(), size, sizeof(T), ref.facts.classes,
                                              ref.facts.may_serve_next_bucket, l.header, counted)) {
    ctx.report(*v);
    // The array may be smaller than claimed: never write to it, and give it straight back so the
    // accounting oracle does not report a loss the harness caused.
    detail::give_back_unchecked(*ref.pool, l);
    return std::nullopt;
  }
  if (l.lease) {
    ctx.count_check(OracleKind::size_contract);
    if (auto problem = lease_contract_problem(*l.lease, l)) {
      ctx.report(Violation{OracleKind::size_contract,
                           tag.to_string() + ": lease(" + std::to_string(n) + ") breaks the Lease contract: " + *problem,
                           tag, std::nullopt, l.span.data(), size, 0});
      detail::give_back_unchecked(*ref.pool, l);
      return std::nullopt;
    }
  }
  if (size == 0) return std::nullopt;
  const std::size_t requested_row = AllocationLedger::request_row(ref.facts.classes, n);
  if (counted && ref.facts.may_serve_next_bucket && requested_row != kOverSizeRow &&
      size > ref.facts.classes.capacity(requested_row)) {
    ctx.count_check(OracleKind::size_contract);
    if (auto v = SizeContractOracle::check_fallback(tag, n, size, in_ledger.most_out_so_far(), ref.facts.resting_cap)) {
      v->array = l.span.data();
      ctx.report(*v);
    }
  }
  WorkerLog& log = ctx.log();
  ++log.rents;
  ++log.rents_by_bucket[requested_row];
  if (l.header != nullptr) {
    l.alloc_bytes = l.header->bytes.load(std::memory_order_relaxed);
    const std::uint64_t gave_back = l.header->last_owner.load(std::memory_order_relaxed);
    l.fresh = gave_back == 0;
    if (const RentObserver observe = rent_observer()) observe(tag, gave_back);
    in_ledger.lease_took(*ref.ledger, l.alloc_bytes);
    if (auto v = ArrayOracles::on_rent(ctx, l.header, l.record)) ctx.report(*v);
  }
  return l;
}

// The harness's side of a give_back, before the array goes back (after it, another thread may rent
// it): the array oracles' give-back hooks. `clearing`: the pool will zero it. The ledger changes
// only after the call returned (after_give_back).
// give_back_checked calls it; so does a lease move that gives an array back (a move-assign over a
// live lease, a reset), which then calls after_give_back once the pool's call returned and counts
// the give_back itself (++ctx.log().give_backs).
template <PoolUnderTest Pool>
void before_give_back(const PoolRef<Pool>& /*ref*/, CheckedLease<typename Pool::value_type>& l, bool clearing) noexcept {
  if (l.header != nullptr) ArrayOracles::on_give_back(*l.header, l.record, clearing);
}

// The ledger's side of a give_back that returned normally: the array is no longer out of the pool
// (it rests, or the pool freed it). Only then: until the call returns, the ledger's exact counts
// must still count it as out (see the top of this file).
template <PoolUnderTest Pool>
void after_give_back(const PoolRef<Pool>& ref, const CheckedLease<typename Pool::value_type>& l) noexcept {
  if (ref.ledger != nullptr && l.alloc_bytes != 0) ref.ledger->on_returned(l.alloc_bytes);
}

// Gives the lease back (zeroed by the pool when `clear`, or when its Lease was asked to clear).
// A throwing give_back is reported. Call after the caller's own exclusivity check.
template <PoolUnderTest Pool>
void give_back_checked(WorkerContext& ctx, const PoolRef<Pool>& ref, CheckedLease<typename Pool::value_type>&& l,
                       bool clear) {
  before_give_back(ref, l, clear || (l.lease && l.lease->clears_on_give_back()));
  try {
    if (l.lease) {
      if (clear) l.lease->clear_on_give_back(true);
      l.lease->reset();
    } else {
      ref.pool->give_back(l.span, clear);
    }
    // Only a give_back that returned normally took the array: one that threw leaves it out.
    after_give_back(ref, l);
    ++ctx.log().give_backs;
  } catch (const std::exception& e) {
    ctx.report(Violation{OracleKind::pool_error, l.record.tag.to_string() + ": give_back threw " + e.what(),
                         l.record.tag, std::nullopt, l.span.data(), l.span.size(), 0});
    // The pool refused the array it handed out, so nobody frees it: a leak the report names, kept
    // reachable (kept_alive.hpp) so LeakSanitizer reports only leaks nobody reported.
    keep_alive(l.span.data());
  }
  l.lease.reset();
}

}  // namespace poolcheck
