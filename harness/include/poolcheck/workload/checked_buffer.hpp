// A rented array as consumer code sees it, with every access checked: the checked span that
// workloads (scenarios/) and users' own request handlers are written against.
//
// Renting runs the pool-side oracles (size contract, aliasing, leakage); then
//   write(at, src)  refuses and reports `overflow` past the requested length (a token copied past
//                   the end), and `use-after-give-back` once the buffer was given back;
//   read(at, n)     reports `dirty-read` for elements the lease never wrote or past the requested
//                   length (code that assumes rented memory is zeroed, or reads the whole capacity),
//                   and `exclusivity` when what it wrote changed under it;
//   give_back()     verifies, then returns the array (clearing when asked);
// and dropping a live buffer gives it back (managed), or, for a buffer rented the way raw code
// rents (Ownership::manual), reports the lost lease under `accounting`: the array never returns.
// Nothing is written or read once a check failed, so a buggy consumer cannot corrupt the process
// it is being checked in. Every element written is mirrored in a private shadow copy, which is
// what exclusivity compares against (workload data is arbitrary, not a tag pattern).
//
// Thread-safety: a CheckedBuffer belongs to the thread whose WorkerContext rented it; it may be
// moved to another thread only through the program's own synchronisation (as real code would),
// and is then checked against that thread's context.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstring>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>

#include "bufpool/buckets.hpp"
#include "bufpool/sanitizer_build.hpp"
#include "poolcheck/counting_allocator.hpp"
#include "poolcheck/lease_record.hpp"
#include "poolcheck/oracles/aliasing_oracle.hpp"
#include "poolcheck/oracles/dirty_read_oracle.hpp"
#include "poolcheck/oracles/leakage_oracle.hpp"
#include "poolcheck/oracles/size_contract_oracle.hpp"
#include "poolcheck/pool_under_test.hpp"
#include "poolcheck/workload/worker_context.hpp"

namespace poolcheck {

// A pool as workloads reach it: the pool, the facts the oracles need, its ledger (null: uncounted).
template <PoolUnderTest Pool>
struct PoolRef {
  Pool* pool = nullptr;
  PoolFacts facts;
  AllocationLedger* ledger = nullptr;
};

enum class Ownership {
  managed,  // gives itself back when dropped (RAII, as with bufpool::Lease)
  lease,    // rented through the pool's own lease() (RAII by the pool's Lease); rent() otherwise
  manual,   // raw rent/give_back: dropping it without give_back loses the array
};

// "the first byte where a and b differ", for reports.
std::size_t first_difference(const std::byte* a, const std::byte* b, std::size_t n) noexcept;
// Violation texts shared by every CheckedBuffer instantiation (checked_buffer.cpp).
Violation overflow_violation(const LeaseRecord& r, std::size_t begin, std::size_t end);
Violation stale_access_violation(Tag tag, const void* array, std::size_t capacity, const char* what);
Violation changed_violation(const LeaseRecord& r, std::size_t offset, std::byte wrote, const char* when);
Violation lost_lease_violation(const LeaseRecord& r);

template <PoolUnderTest Pool>
class CheckedBuffer {
 public:
  using T = typename Pool::value_type;

  CheckedBuffer() = default;
  CheckedBuffer(const CheckedBuffer&) = delete;
  CheckedBuffer& operator=(const CheckedBuffer&) = delete;
  CheckedBuffer(CheckedBuffer&& o) noexcept { *this = std::move(o); }
  CheckedBuffer& operator=(CheckedBuffer&& o) noexcept {
    if (this != &o) {
      end_of_life();
      ctx_ = std::exchange(o.ctx_, nullptr);
      ref_ = o.ref_;
      ownership_ = o.ownership_;
      state_ = std::exchange(o.state_, State::empty);
      record_ = std::move(o.record_);
      span_ = o.span_;
      lease_ = std::move(o.lease_);
      o.lease_.reset();
      header_ = std::exchange(o.header_, nullptr);
      alloc_bytes_ = o.alloc_bytes_;
      shadow_ = std::move(o.shadow_);
      since_ = o.since_;
      fresh_ = o.fresh_;
    }
    return *this;
  }
  ~CheckedBuffer() { end_of_life(); }

  // Rents `n` elements. An empty buffer comes back for rent(0) and when an oracle refused the
  // array (the violation is already reported).
  static CheckedBuffer rent(WorkerContext& ctx, const PoolRef<Pool>& ref, std::size_t n,
                            Ownership ownership = Ownership::managed) {
    CheckedBuffer b;
    b.ctx_ = &ctx;
    b.ref_ = ref;
    b.ownership_ = ownership;
    b.take(n);
    return b;
  }

  bool live() const noexcept { return state_ == State::live; }
  std::size_t size() const noexcept { return record_.requested_bytes / sizeof(T); }  // what was asked
  std::size_t capacity() const noexcept { return record_.capacity; }                 // what the pool gave
  Tag tag() const noexcept { return record_.tag; }
  // The pool could not serve this rent from its stock: the array was allocated for it (counted
  // pools only: an array nobody ever gave back).
  bool fresh() const noexcept { return fresh_; }

  // Copies src to elements [at, at + src.size()).
  bool write(std::size_t at, std::span<const T> src) {
    if (!usable("wrote to")) return false;
    const std::size_t b = at * sizeof(T), e = (at + src.size()) * sizeof(T);
    ctx_->count_check(OracleKind::overflow);
    if (e > record_.requested_bytes) return ctx_->report(overflow_violation(record_, b, e));
    if (b == e) return true;
    std::memcpy(record_.bytes.data() + b, src.data(), e - b);
    std::memcpy(shadow_.get() + b, src.data(), e - b);
    record_.written.add(b, e);
    return true;
  }
  bool write(std::size_t at, const T& value) { return write(at, std::span<const T>(&value, 1)); }

  // Elements [at, at + n) for reading, after the dirty-read and exclusivity checks; an empty span
  // when a check failed.
  std::span<const T> read(std::size_t at, std::size_t n) {
    if (!usable("read from")) return {};
    const std::size_t b = at * sizeof(T), e = (at + n) * sizeof(T);
    ctx_->count_check(OracleKind::dirty_read);
    if (auto v = DirtyReadOracle::check_read(record_, b, e)) {
      ctx_->report(*v);
      return {};
    }
    if (!unchanged(b, e, "when read")) return {};
    return std::span<const T>(span_.data() + at, n);
  }

  // Everything this lease wrote still holds what it wrote.
  bool verify(const char* when = "at verify") {
    if (!usable("verified")) return false;
    for (auto [b, e] : record_.written.ranges()) {
      if (!unchanged(b, e, when)) return false;
    }
    return true;
  }

  // Verifies, then returns the array to the pool (zeroed by the pool when `clear`). Afterwards the
  // buffer is spent: any further access is a use after give_back.
  void give_back(bool clear = false) {
    if (!usable("gave back")) return;
    verify("at give_back");
    release(clear);
  }

 private:
  enum class State { empty, live, returned };

  bool usable(const char* what) {
    if (state_ == State::live) return true;
    if (state_ == State::returned && ctx_ != nullptr) {
      ctx_->count_check(OracleKind::use_after_give_back);
      ctx_->report(stale_access_violation(record_.tag, record_.bytes.data(), record_.capacity, what));
    }
    return false;
  }

  bool unchanged(std::size_t b, std::size_t e, const char* when) {
    ctx_->count_check(OracleKind::exclusivity);
    if (b >= e || std::memcmp(record_.bytes.data() + b, shadow_.get() + b, e - b) == 0) return true;
    const std::size_t at = b + first_difference(record_.bytes.data() + b, shadow_.get() + b, e - b);
    return ctx_->report(changed_violation(record_, at, shadow_[at], when));
  }

  void take(std::size_t n) {
    const Tag tag = ctx_->next_tag();
    Pool& pool = *ref_.pool;
    try {
      if constexpr (LeasingPool<Pool>) {
        if (ownership_ == Ownership::lease) {
          lease_.emplace(pool.lease(n, false));
          span_ = std::span<T>(lease_->data(), lease_->capacity());
        } else {
          span_ = pool.rent(n);
        }
      } else {
        span_ = pool.rent(n);
      }
    } catch (const std::exception& e) {
      ctx_->report(Violation{OracleKind::pool_error, tag.to_string() + ": rent(" + std::to_string(n) + ") threw " +
                                                         e.what(),
                             tag, std::nullopt, nullptr, 0, 0});
      return;
    }
    record_.tag = tag;
    record_.bytes = std::as_writable_bytes(span_);
    record_.requested_bytes = n * sizeof(T);
    record_.readable_bytes = (lease_ && bufpool::kAsanBuild) ? record_.requested_bytes : span_.size_bytes();
    record_.capacity = span_.size();
    const bool counted = ref_.ledger != nullptr;
    if (counted && !span_.empty()) header_ = CountingAllocator::header_of(span_.data());
    ctx_->count_check(OracleKind::size_contract);
    if (auto v = SizeContractOracle::check_rent(tag, n, span_.data(), span_.size(), sizeof(T),
                                                ref_.facts.largest_bucket, ref_.facts.may_serve_next_bucket, header_,
                                                counted)) {
      ctx_->report(*v);
      // Never write to an array that may be smaller than claimed; give it straight back so the
      // accounting oracle does not report a loss the harness caused.
      try {
        if (lease_) {
          lease_->reset();
        } else if (!span_.empty()) {
          pool.give_back(span_, false);
        }
      } catch (const std::exception&) {
      }
      lease_.reset();
      return;
    }
    if (span_.empty()) return;
    WorkerLog& log = ctx_->log();
    ++log.rents;
    ++log.rents_by_bucket[n > ref_.facts.largest_bucket ? kLedgerSlots - 1 : bufpool::bucket_index(n)];
    if (header_ != nullptr) {
      alloc_bytes_ = header_->bytes.load(std::memory_order_relaxed);
      fresh_ = header_->last_owner.load(std::memory_order_relaxed) == 0;
      ref_.ledger->on_leased(alloc_bytes_);
      ctx_->count_check(OracleKind::aliasing);
      if (auto v = AliasingOracle::on_rent(*header_, record_)) {
        ctx_->report(*v);
        header_ = nullptr;  // shared with another lease: stop touching its header
      } else {
        ctx_->count_check(OracleKind::leakage);
        if (auto leak = LeakageOracle::on_rent(*header_, record_)) ctx_->report(*leak);
      }
    }
    shadow_ = std::make_unique_for_overwrite<std::byte[]>(record_.requested_bytes);
    state_ = State::live;
    since_ = std::chrono::steady_clock::now();
    ctx_->on_lease_taken(span_.size_bytes());
  }

  void release(bool clear) {
    if (header_ != nullptr) {
      LeakageOracle::before_give_back(*header_, record_, clear);
      AliasingOracle::on_give_back(*header_, record_);
    }
    if (ref_.ledger != nullptr && alloc_bytes_ != 0) ref_.ledger->on_returning(alloc_bytes_);
    try {
      if (lease_) {
        lease_->clear_on_give_back(clear);
        lease_->reset();
      } else {
        ref_.pool->give_back(span_, clear);
      }
      ++ctx_->log().give_backs;
    } catch (const std::exception& e) {
      ctx_->report(Violation{OracleKind::pool_error, record_.tag.to_string() + ": give_back threw " + e.what(),
                             record_.tag, std::nullopt, span_.data(), span_.size(), 0});
    }
    lease_.reset();
    state_ = State::returned;
    ctx_->on_lease_ended(span_.size_bytes(), since_);
  }

  void end_of_life() noexcept {
    if (state_ != State::live) return;
    if (ownership_ == Ownership::manual) {
      // Raw code that forgot give_back: the array is gone for good (as it would be in production).
      ctx_->count_check(OracleKind::accounting);
      try {
        ctx_->report(lost_lease_violation(record_));
      } catch (...) {
      }
      ctx_->on_lease_ended(span_.size_bytes(), since_);
      state_ = State::empty;
      return;
    }
    try {
      release(false);
    } catch (...) {
    }
  }

  WorkerContext* ctx_ = nullptr;
  PoolRef<Pool> ref_{};
  Ownership ownership_ = Ownership::managed;
  State state_ = State::empty;
  LeaseRecord record_;
  std::span<T> span_;
  std::optional<bufpool::Lease<T>> lease_;
  ArrayHeader* header_ = nullptr;  // null when uncounted or shared with another lease
  std::size_t alloc_bytes_ = 0;
  std::unique_ptr<std::byte[]> shadow_;  // what this lease wrote, byte for byte
  std::chrono::steady_clock::time_point since_{};
  bool fresh_ = false;
};

}  // namespace poolcheck
