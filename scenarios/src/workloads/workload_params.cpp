#include "poolcheck/workloads/workload_params.hpp"

#include <cstdio>

namespace poolcheck {

std::string percent_text(std::uint64_t part, std::uint64_t whole) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f%%", whole == 0 ? 0.0 : 100.0 * double(part) / double(whole));
  return text;
}

void add_pool_note(RunOutcome& out, const bufpool::PoolStats& s, const char* pool_name) {
  out.fresh_allocations += s.fresh_allocations;
  out.notes.push_back(std::string(pool_name) + ": rents " + std::to_string(s.rents) + ", served from the pool " +
                      std::to_string(s.hits) + ", fresh allocations " + std::to_string(s.fresh_allocations) + " (" +
                      percent_text(s.fresh_allocations, s.rents) + "), dropped at the cap " + std::to_string(s.drops));
}

}  // namespace poolcheck
