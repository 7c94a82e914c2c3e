// Checked mode's public face: the poison byte and how violations are reported.
//
// A pool whose policy has `checked = true` (CheckedPoolPolicy) fills every array it hands out with
// kPoisonByte, keeps resting arrays and a lease's slack ASan-poisoned when built with
// AddressSanitizer, and tracks which arrays are live so that a double give_back (also of an array
// the pool freed after the first, within a bounded memory of recent frees), a give_back of a span
// other than the one handed out (another length, or a pointer into an array), a give_back of an
// array the pool never handed out, or an array handed out twice is reported with the call sites
// (stack frames and thread) of both events involved.
//
// Checked mode's live-array registry uses its own mutexes: under TSan it adds happens-before edges
// between give_back and the next rent of the same array. It is meant for catching consumer bugs;
// hunt the pool's own races with an unchecked pool (the harness does).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace bufpool {

// Every byte of a freshly rented array in checked mode. 0xCB as float/double is a large negative
// number and as text is not ASCII, so code that assumes zeroed memory fails visibly.
inline constexpr unsigned char kPoisonByte = 0xCB;

struct CheckedViolation {
  enum class Kind {
    double_give_back,  // an array given back while it already rested in the pool
    foreign_array,     // an array given back that this pool never handed out
    handed_out_twice,  // the pool handed out an array that was already live (a pool bug)
    span_mismatch,     // a span given back that is not the one handed out: another length, or a
                       // pointer into an array (a.first(512) of a 1024-element array, say)
  };
  Kind kind;
  const void* array;
  std::size_t length;   // elements
  std::string message;  // one paragraph naming both call sites
};

// Called on every violation. The default prints the message to stderr and aborts. A handler that
// returns makes the offending give_back a no-op (the array is not pushed twice). Thread-safe.
using CheckedViolationHandler = void (*)(const CheckedViolation&);

// Installs `handler` (nullptr restores the default) and returns the previous one. Thread-safe.
CheckedViolationHandler set_checked_violation_handler(CheckedViolationHandler handler) noexcept;

}  // namespace bufpool
