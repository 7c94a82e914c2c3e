// Checked mode's record of which arrays are live (handed out) and which rest in the pool, with the
// call site of the last hand-out and give_back of each, so a violation names both events.
//
// A give_back must name exactly what was handed out: the same pointer and the same length. The
// record of an array the pool freed after a give_back (its bucket was full, a trim, an over-size
// array) is kept a little longer, in a small ring per shard, so that a second give_back of it is
// still named a double give_back: bounded (kFreedPerShard per shard, ~100 KiB per pool), and an
// array's entry leaves early only when its address is handed out again.
//
// Thread-safe: 64 shards, each a mutex around a hash map and its ring, chosen by the array's
// address. The registry holds no lock while calling anything else and never two shard locks at
// once, and no scheduling point of the deterministic executor lies inside its critical sections.
#pragma once

#include <array>
#include <cstddef>
#include <memory>

#include "bufpool/checked_mode.hpp"

namespace bufpool::internal {

// Where and by which thread an event happened: a few raw return addresses from backtrace().
struct CallSite {
  std::array<void*, 10> frames{};
  int depth = 0;
  std::uint64_t thread = 0;  // a small per-process thread number, 1-based
  static CallSite here() noexcept;
};

class LiveArrayRegistry {
 public:
  // element_size: sizeof(T) of the pool's arrays, to tell whether a pointer lies inside an array.
  explicit LiveArrayRegistry(std::size_t element_size);
  ~LiveArrayRegistry();
  LiveArrayRegistry(const LiveArrayRegistry&) = delete;
  LiveArrayRegistry& operator=(const LiveArrayRegistry&) = delete;

  // The pool hands `array` out. Reports handed_out_twice if it was already live.
  // Throws std::bad_alloc when the registry cannot grow.
  void on_hand_out(const void* array, std::size_t length);
  // A caller gives `array` back. Returns false (after reporting) for a double give_back (also of an
  // array the pool has freed since), a span other than the one handed out (another length, or a
  // pointer into an array), or a foreign array: the pool must then ignore the give_back.
  bool on_give_back(const void* array, std::size_t length) noexcept;
  // The pool frees `array`: it is forgotten, except for a bounded while (see above) when it had been
  // given back.
  void on_free(const void* array) noexcept;

 private:
  struct Shards;
  const std::size_t element_size_;
  std::unique_ptr<Shards> shards_;  // thread-safe: each shard locks itself
};

// Calls the installed CheckedViolationHandler.
void report_checked_violation(const CheckedViolation& violation);

}  // namespace bufpool::internal
