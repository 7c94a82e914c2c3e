// Thread programs: what each worker thread does, as data, so one seed fixes a whole run and a
// failing run can be replayed, printed and shrunk.
//
// Every op is valid in every state (an op on a lease index that holds nothing does nothing, a rent
// into an index that holds a lease first gives that lease back), so any subsequence of a program is a program: RapidCheck can
// delete ops and threads freely while shrinking.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace poolcheck {

// How many leases one thread may hold at once (nested rentals).
inline constexpr std::uint8_t kLeasesPerThread = 4;

enum class OpKind : std::uint8_t {
  rent,       // rent `size` elements as lease `lease` (through lease() when via_lease)
  write,      // write the lease's tag pattern over [lo, hi) of its requested length
  verify,     // check every range the lease wrote still holds its pattern
  read,       // consume [lo, hi): a correct consumer reads only what it wrote
  hold,       // keep everything for a while (`delay` chaos units)
  hand_over,  // send the lease to thread `target`, who verifies and gives it back
  give_back,  // give the lease back (clearing when `clear`)
  // The rest of the pool's API. Each is valid in every state: what it needs missing (no lease held,
  // a pool without trim or stats), it does nothing.
  trim,        // trim the pool: high pressure when `clear`, else low (pools with trim only)
  stats,       // read stats() while other threads run; check what holds at any instant
  misuse,      // a give_back the contract defines as misuse, on lease `lease`: `size` is a Misuse
  lease_move,  // a move of leases `lease` and `lo` (the other index): `size` is a LeaseMove
  exit,        // this thread ends and a fresh OS thread runs the rest of its program; `clear`:
               // give every lease back first, else they are carried over (as data) to the new thread
};
// The last OpKind: traces and generators range over rent..kLastOpKind.
inline constexpr OpKind kLastOpKind = OpKind::exit;

// What a misuse op does (Op::size). Each is what the contract of bufpool's pools defines: the pool
// must throw, ignore or report exactly as its header says and stay unchanged.
enum class Misuse : std::uint8_t {
  foreign_size,      // give back the held array with a length that is no bucket capacity: throws
                     // std::invalid_argument
  empty,             // give back an empty span (at the held array, if any): nothing happens
  oversize,          // a held over-size array given back with a length the pool cannot take: throws
                     // std::invalid_argument (checked mode: the length of a bucket, a span mismatch
                     // it reports)
  double_give_back,  // give the held array back, then again: checked mode reports it, the ASan build
                     // throws std::invalid_argument; never done where it is undefined (other builds)
};
inline constexpr std::uint64_t kMisuseCount = 4;

// What a lease_move op does (Op::size), on leases rented through lease().
enum class LeaseMove : std::uint8_t {
  move_construct,  // a new Lease move-constructed from lease `lease` (into index `lo` when free)
  move_assign,     // lease `lo` = std::move(lease `lease`): the overwritten lease's array goes back
  swap,            // std::swap of leases `lease` and `lo`
  reset,           // reset() lease `lease` (its array goes back), then reset() again
  self_move,       // lease `lease` = std::move(itself): nothing changes
};
inline constexpr std::uint64_t kLeaseMoveCount = 5;

struct Op {
  OpKind kind = OpKind::hold;
  std::uint8_t lease = 0;        // which of the thread's kLeasesPerThread leases the op acts on
  bool via_lease = false;
  bool clear = false;
  std::uint16_t lo = 0;          // range start, in 1/65536 of the requested length; lease_move: the
                                 // other lease index (taken modulo kLeasesPerThread)
  std::uint16_t hi = 0;          // range end (exclusive), same unit; hi == 0 means the end
  std::uint32_t target = 0;      // hand_over: receiving thread
  std::uint32_t delay = 0;       // chaos after the op: 0 none; see detail::chaos in chaos.cpp
  std::uint64_t size = 0;        // rent: requested elements; misuse: a Misuse; lease_move: a LeaseMove

  friend bool operator==(const Op&, const Op&) = default;
};

struct ThreadProgram {
  std::vector<Op> ops;
  friend bool operator==(const ThreadProgram&, const ThreadProgram&) = default;
};

// Everything a run does. threads.size() is the thread count.
struct ProgramSet {
  std::uint64_t seed = 0;
  std::vector<ThreadProgram> threads;
  std::size_t total_ops() const noexcept;
};

// The shape of generated programs: a scenario is a named shape.
struct ProgramShape {
  std::uint32_t threads = 1024;
  std::uint32_t ops_per_thread = 64;
  std::uint64_t max_array_length = 1024 * 1024;  // the pool's largest bucket (sizes skew to its edges)
  unsigned rent_weight = 20, write_weight = 20, verify_weight = 10, read_weight = 5, hold_weight = 5,
           hand_over_weight = 5, give_back_weight = 15;
  // The rest of the API: modest by default, so the classic ops keep most of a program.
  unsigned trim_weight = 1, stats_weight = 1, misuse_weight = 1, lease_move_weight = 2, exit_weight = 1;
  unsigned high_trim_percent = 25;  // trims at high pressure (every resting array, slots included)
  unsigned exit_give_back_percent = 50;  // exits that give every lease back first
  unsigned clear_percent = 20;      // give_backs that clear
  unsigned lease_percent = 30;      // rents through lease()
  unsigned oversize_percent = 1;    // rents above the largest bucket
  unsigned zero_percent = 2;        // rent(0)
  unsigned chaos_percent = 25;      // ops followed by a chaos delay
  std::uint64_t largest_common_size = 64 * 1024;  // most sizes stay at or below this
  // The pool's class capacities, ascending, when they are not all powers of two (24 * 2^k, or
  // 100, 200, 300, ...): sizes then skew to these edges. Empty: to powers of two, which are the
  // edges of every power-of-two layout (bufpool's 16 * 2^k, 8 * 2^k, ...).
  std::vector<std::uint64_t> size_edges;
};

// Deterministic: the same (seed, shape) gives the same programs on every machine and build.
ProgramSet generate_programs(std::uint64_t seed, const ProgramShape& shape);

// One op as text, e.g. "rent lease 1 size 4097 via lease".
std::string to_string(const Op& op);
// Where an op is, for reports: "op 12 of thread 3 (misuse lease 1 empty span)".
std::string describe_op(std::uint32_t thread, std::uint32_t op_index, const Op& op);
// A whole program set, one line per op, for reports of small (shrunk) programs.
std::string to_string(const ProgramSet& programs);

// A size skewed to bucket edges: 2^k-1, 2^k, 2^k+1 around powers of two up to `largest_common`.
// `r` is a uniform random 64-bit number.
std::uint64_t edge_skewed_size(std::uint64_t r, std::uint64_t largest_common) noexcept;
// The same around the given ascending class capacities (those up to `largest_common`, and at
// least the first): e-1, e, e+1, anywhere below e, or between the class below and e.
std::uint64_t edge_skewed_size(std::uint64_t r, std::uint64_t largest_common, std::span<const std::uint64_t> edges) noexcept;

}  // namespace poolcheck
