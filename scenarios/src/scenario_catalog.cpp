#include "poolcheck/scenario_catalog.hpp"

#include <array>

namespace poolcheck {
namespace {

void mixed(ProgramShape&) {}

void cross_thread(ProgramShape& s) {
  s.hand_over_weight = 25;
  s.give_back_weight = 5;
}

void clear_sensitive(ProgramShape& s) {
  s.clear_percent = 100;
  s.write_weight = 30;
}

void burst(ProgramShape& s) {
  s.rent_weight = 40;
  s.give_back_weight = 5;
  s.hold_weight = 10;
  s.chaos_percent = 5;
}

void small_buffers(ProgramShape& s) { s.largest_common_size = 256; }

void large_buffers(ProgramShape& s) {
  s.largest_common_size = s.max_array_length;
  s.oversize_percent = 5;
}

constexpr std::array kCatalog = {
    Scenario{"mixed", "every op kind, sizes skewed to bucket edges, 1% over-size, some clearing and hand-overs", &mixed},
    Scenario{"cross-thread", "rent on one thread, hand over, verify and give back on another", &cross_thread},
    Scenario{"clear-sensitive", "every give_back clears: no other request may ever see a byte of them", &clear_sensitive},
    Scenario{"burst", "threads rent many buffers at once and hold them, draining the buckets", &burst},
    Scenario{"small-buffers", "token-sized buffers (<= 256 elements): the thread-local fast path", &small_buffers},
    Scenario{"large-buffers", "sizes up to the largest bucket and 5% over-size (the large-object case)", &large_buffers},
};

}  // namespace

std::span<const Scenario> scenario_catalog() noexcept { return kCatalog; }

const Scenario* find_scenario(std::string_view name) noexcept {
  for (const Scenario& s : kCatalog) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

}  // namespace poolcheck
