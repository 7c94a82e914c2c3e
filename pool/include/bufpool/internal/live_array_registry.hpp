// Checked mode's record of which arrays are live (handed out) and which rest in the pool, with the
// call site of the last hand-out and give_back of each, so a violation names both events.
//
// Thread-safe: 64 shards, each a std::mutex around a hash map, chosen by the array's address.
// The registry holds no lock while calling anything else, and no scheduling point of the
// deterministic executor lies inside its critical sections.
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
  LiveArrayRegistry();
  ~LiveArrayRegistry();
  LiveArrayRegistry(const LiveArrayRegistry&) = delete;
  LiveArrayRegistry& operator=(const LiveArrayRegistry&) = delete;

  // The pool hands `array` out. Reports handed_out_twice if it was already live.
  // Throws std::bad_alloc when the registry cannot grow.
  void on_hand_out(const void* array, std::size_t length);
  // A caller gives `array` back. Returns false (after reporting) for a double give_back or a foreign
  // array: the pool must then ignore the give_back.
  bool on_give_back(const void* array, std::size_t length) noexcept;
  // The pool frees `array`: it is forgotten.
  void on_free(const void* array) noexcept;

 private:
  struct Shards;
  std::unique_ptr<Shards> shards_;
};

// Calls the installed CheckedViolationHandler.
void report_checked_violation(const CheckedViolation& violation);

}  // namespace bufpool::internal
