#include "pool_target.hpp"

#include <set>
#include <stdexcept>
#include <utility>

namespace poolcheck {
namespace {

// Set once before parsing, read-only afterwards (see the header).
std::vector<PoolTarget>& table() {
  static std::vector<PoolTarget> targets = bufpool_targets();
  return targets;
}

}  // namespace

std::span<const PoolTarget> pool_targets() { return table(); }

void set_pool_targets(std::vector<PoolTarget> targets) {
  if (targets.empty()) throw std::invalid_argument("poolcheck: stress_main needs at least one pool");
  std::set<std::string> names;
  for (const PoolTarget& t : targets) {
    if (t.name.empty() || t.name.find_first_of(" \t\n") != std::string::npos) {
      throw std::invalid_argument("poolcheck: a pool name must be one non-empty word, not '" + t.name + "'");
    }
    if (!names.insert(t.name).second) throw std::invalid_argument("poolcheck: two pools named '" + t.name + "'");
    if (!t.run_free) throw std::invalid_argument("poolcheck: pool '" + t.name + "' has no free-running round");
  }
  table() = std::move(targets);
}

const PoolTarget* find_pool_target(std::string_view name) noexcept {
  for (const PoolTarget& t : table()) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

std::vector<std::string> pool_target_names() {
  std::vector<std::string> out;
  for (const PoolTarget& t : table()) out.push_back(t.name);
  return out;
}

}  // namespace poolcheck
