// The `misuse` op: give_backs that bufpool's contract defines as wrong, each checked to end exactly
// as the pool's header says, with the pool unchanged (locked_array_pool.hpp, shared_array_pool.hpp,
// pool_front.hpp's give_back_unusual, array_storage.hpp's accept_give_back, checked_mode.hpp):
//   - a span whose length is no bucket capacity (at or below the largest bucket): throws
//     std::invalid_argument, in every mode (the capacity test comes before checked mode's);
//   - an empty span: does nothing;
//   - an over-size array given back with a length the pool cannot take: a non-capacity length
//     throws std::invalid_argument; in checked mode the length of the largest bucket (a capacity,
//     but not what was handed out) is a span mismatch the pool reports and ignores;
//   - a second give_back of an array that rests in the pool: checked mode reports a double
//     give_back and ignores it; an unchecked pool built with ASan throws std::invalid_argument.
// A pool outside bufpool is tried only when it declares refuses_foreign_lengths
// (pool_under_test.hpp), and then only with the first three, its checked-mode cases left out.
// Only what the contract defines is tried: a foreign length is always shorter than the array (the
// span stays inside memory the harness owns), and a double give_back is never made where it is
// undefined (double_give_back_defined) or where another thread could have rented the array in
// between (program_run.hpp says when that cannot happen).
//
// A pool that takes a span it must refuse is reported (size_contract for a length, pool_error
// otherwise) and keeps the array: the caller disowns it (never gives it back again), the run has
// failed. A pool that refuses in the wrong way (another exception, a report instead of a throw)
// is reported as pool_error; it did not take the array.
//
// Thread-safety: runs on the calling worker's thread; the only shared state is the pool.
#pragma once

#include <cstddef>
#include <exception>
#include <span>
#include <stdexcept>
#include <string>

#include "bufpool/checked_mode.hpp"
#include "poolcheck/checked_violation_capture.hpp"
#include "poolcheck/lease_checks.hpp"
#include "poolcheck/program.hpp"
#include "poolcheck/size_classes.hpp"

namespace poolcheck {

// How the contract says a misused give_back ends.
struct MisuseExpectation {
  enum class Ends { nothing, throws_invalid_argument, reported } ends = Ends::nothing;
  bufpool::CheckedViolation::Kind reported_as = bufpool::CheckedViolation::Kind::double_give_back;
  OracleKind oracle = OracleKind::pool_error;  // what a pool that takes the span is reported as
};

// Gives `span` back (never clearing) and checks it ends as `expect` says. `op` names the op,
// `what` the span ("a span of 15 elements of a 16-element array"). Returns true when the pool took
// an array it had to refuse (the caller no longer owns it).
template <PoolUnderTest Pool>
bool misused_give_back(WorkerContext& ctx, const PoolRef<Pool>& ref, std::span<typename Pool::value_type> span,
                       const MisuseExpectation& expect, Tag tag, const std::string& op, const std::string& what) {
  using Ends = MisuseExpectation::Ends;
  ctx.count_check(expect.oracle);
  CheckedViolationCapture capture;
  bool invalid_argument = false;
  std::string other;
  try {
    ref.pool->give_back(span, false);
  } catch (const std::invalid_argument&) {
    invalid_argument = true;
  } catch (const std::exception& e) {
    other = e.what();
  }
  auto report = [&](OracleKind kind, const std::string& text) {
    ctx.report(Violation{kind, op + ": give_back of " + what + " " + text, tag, std::nullopt, span.data(), span.size(), 0});
  };
  if (!other.empty()) {
    report(OracleKind::pool_error, "threw something other than std::invalid_argument: " + other);
    return false;
  }
  const bool reported = !capture.seen().empty();
  switch (expect.ends) {
    case Ends::nothing:
      if (invalid_argument || reported) {
        report(OracleKind::pool_error, invalid_argument ? "threw std::invalid_argument; the contract says it does nothing"
                                                        : "was reported as a checked-mode violation; the contract says it does nothing");
      }
      return false;
    case Ends::throws_invalid_argument:
      if (invalid_argument) return false;
      if (reported) {
        report(OracleKind::pool_error, "was reported as a checked-mode violation instead of throwing std::invalid_argument");
        return false;
      }
      report(expect.oracle, "was accepted; the contract says it throws std::invalid_argument and changes nothing");
      return true;
    case Ends::reported:
      if (capture.saw(expect.reported_as) && !invalid_argument) return false;
      if (invalid_argument || reported) {
        report(OracleKind::pool_error, "was refused in another way than the checked-mode report the contract names");
        return false;
      }
      report(expect.oracle, "was accepted; checked mode must report it and change nothing");
      return true;
  }
  return false;
}

// A length >= 1, below `capacity` and at most the largest bucket, that is no bucket capacity (one
// less than a power of two >= 16 is none), or 0 when there is none (an array of fewer than 3).
inline std::size_t foreign_length(std::size_t capacity, const SizeClasses& classes) noexcept {
  const std::size_t largest = classes.largest();
  const std::size_t top = capacity < largest ? capacity : largest + 1;
  for (std::size_t m = top - 1; m >= 1 && m + 2 >= top && top >= 2; --m) {
    if (!classes.is_capacity(m)) return m;
  }
  return 0;
}

}  // namespace poolcheck
