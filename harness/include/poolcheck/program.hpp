// Thread programs: what each worker thread does, as data, so one seed fixes a whole run and a
// failing run can be replayed, printed and shrunk.
//
// Every op is valid in every state (an op on a lease index that holds nothing does nothing, a rent
// into an index that holds a lease first gives that lease back), so any subsequence of a program is a program: RapidCheck can
// delete ops and threads freely while shrinking.
#pragma once

#include <cstddef>
#include <cstdint>
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
};

struct Op {
  OpKind kind = OpKind::hold;
  std::uint8_t lease = 0;        // which of the thread's kLeasesPerThread leases the op acts on
  bool via_lease = false;
  bool clear = false;
  std::uint16_t lo = 0;          // range start, in 1/65536 of the requested length
  std::uint16_t hi = 0;          // range end (exclusive), same unit; hi == 0 means the end
  std::uint32_t target = 0;      // hand_over: receiving thread
  std::uint32_t delay = 0;       // chaos after the op: 0 none; see detail::chaos in chaos.cpp
  std::uint64_t size = 0;        // rent: requested elements

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
  unsigned clear_percent = 20;      // give_backs that clear
  unsigned lease_percent = 30;      // rents through lease()
  unsigned oversize_percent = 1;    // rents above the largest bucket
  unsigned zero_percent = 2;        // rent(0)
  unsigned chaos_percent = 25;      // ops followed by a chaos delay
  std::uint64_t largest_common_size = 64 * 1024;  // most sizes stay at or below this
};

// Deterministic: the same (seed, shape) gives the same programs on every machine and build.
ProgramSet generate_programs(std::uint64_t seed, const ProgramShape& shape);

// One op as text, e.g. "rent lease 1 size 4097 via lease".
std::string to_string(const Op& op);
// A whole program set, one line per op, for reports of small (shrunk) programs.
std::string to_string(const ProgramSet& programs);

// A size skewed to bucket edges: 2^k-1, 2^k, 2^k+1 around powers of two up to `largest_common`.
// `r` is a uniform random 64-bit number.
std::uint64_t edge_skewed_size(std::uint64_t r, std::uint64_t largest_common) noexcept;

}  // namespace poolcheck
