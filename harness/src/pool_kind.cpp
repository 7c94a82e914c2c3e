#include "poolcheck/pool_kind.hpp"

namespace poolcheck {

const std::vector<std::string>& pool_kind_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    for (const PoolEntry& p : kPools) out.emplace_back(p.name);
    return out;
  }();
  return names;
}

}  // namespace poolcheck
