// A rented array as consumer code sees it, with every access checked: the checked span that
// workloads (scenarios/) and users' own request handlers are written against.
//
// Renting and giving back take the one checked path of lease_checks.hpp (size contract, aliasing,
// leakage, the ledger); then
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

#include "poolcheck/kept_alive.hpp"
#include "poolcheck/lease_checks.hpp"
#include "poolcheck/oracles/dirty_read_oracle.hpp"
#include "poolcheck/workload/worker_context.hpp"

namespace poolcheck {

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
      held_ = std::move(o.held_);
      o.held_.lease.reset();
      o.held_.header = nullptr;
      shadow_ = std::move(o.shadow_);
      since_ = o.since_;
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
  std::size_t size() const noexcept { return held_.record.requested_bytes / sizeof(T); }  // what was asked
  std::size_t capacity() const noexcept { return held_.record.capacity; }                 // what the pool gave
  Tag tag() const noexcept { return held_.record.tag; }
  // The pool could not serve this rent from its stock: the array was allocated for it (counted
  // pools only: an array nobody ever gave back).
  bool fresh() const noexcept { return held_.fresh; }

  // Copies src to elements [at, at + src.size()).
  bool write(std::size_t at, std::span<const T> src) {
    if (!usable("wrote to")) return false;
    const std::size_t b = at * sizeof(T), e = (at + src.size()) * sizeof(T);
    ctx_->count_check(OracleKind::overflow);
    if (e > held_.record.requested_bytes) return ctx_->report(overflow_violation(held_.record, b, e));
    if (b == e) return true;
    std::memcpy(held_.record.bytes.data() + b, src.data(), e - b);
    std::memcpy(shadow_.get() + b, src.data(), e - b);
    held_.record.written.add(b, e);
    return true;
  }
  bool write(std::size_t at, const T& value) { return write(at, std::span<const T>(&value, 1)); }

  // Elements [at, at + n) for reading, after the dirty-read and exclusivity checks; an empty span
  // when a check failed.
  std::span<const T> read(std::size_t at, std::size_t n) {
    if (!usable("read from")) return {};
    const std::size_t b = at * sizeof(T), e = (at + n) * sizeof(T);
    ctx_->count_check(OracleKind::dirty_read);
    if (auto v = DirtyReadOracle::check_read(held_.record, b, e)) {
      ctx_->report(*v);
      return {};
    }
    if (!unchanged(b, e, "when read")) return {};
    return std::span<const T>(held_.span.data() + at, n);
  }

  // Everything this lease wrote still holds what it wrote.
  bool verify(const char* when = "at verify") {
    if (!usable("verified")) return false;
    for (auto [b, e] : held_.record.written.ranges()) {
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
      ctx_->report(stale_access_violation(held_.record.tag, held_.record.bytes.data(), held_.record.capacity, what));
    }
    return false;
  }

  bool unchanged(std::size_t b, std::size_t e, const char* when) {
    ctx_->count_check(OracleKind::exclusivity);
    if (b >= e || std::memcmp(held_.record.bytes.data() + b, shadow_.get() + b, e - b) == 0) return true;
    const std::size_t at = b + first_difference(held_.record.bytes.data() + b, shadow_.get() + b, e - b);
    return ctx_->report(changed_violation(held_.record, at, shadow_[at], when));
  }

  void take(std::size_t n) {
    auto l = rent_checked(*ctx_, ref_, n, ctx_->next_tag(),
                          ownership_ == Ownership::lease ? RentVia::lease : RentVia::rent);
    if (!l) return;
    held_ = std::move(*l);
    shadow_ = std::make_unique_for_overwrite<std::byte[]>(held_.record.requested_bytes);
    state_ = State::live;
    since_ = std::chrono::steady_clock::now();
    ctx_->on_lease_taken(held_.span.size_bytes());
  }

  void release(bool clear) {
    const std::size_t bytes = held_.span.size_bytes();
    give_back_checked(*ctx_, ref_, std::move(held_), clear);
    held_.header = nullptr;
    state_ = State::returned;
    ctx_->on_lease_ended(bytes, since_);
  }

  void end_of_life() noexcept {
    if (state_ != State::live) return;
    if (ownership_ == Ownership::manual) {
      // Raw code that forgot give_back: the array is gone for good (as it would be in production).
      ctx_->count_check(OracleKind::accounting);
      try {
        ctx_->report(lost_lease_violation(held_.record));
      } catch (...) {
      }
      ctx_->on_lease_ended(held_.span.size_bytes(), since_);
      // Lost on purpose, and reported: kept reachable so LeakSanitizer reports only real leaks.
      keep_alive(held_.span.data());
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
  CheckedLease<T> held_;                  // the array and what the oracles know of it
  std::unique_ptr<std::byte[]> shadow_;  // what this lease wrote, byte for byte
  std::chrono::steady_clock::time_point since_{};
};

}  // namespace poolcheck
