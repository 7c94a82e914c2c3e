#include "poolcheck/pool_kind.hpp"

#include "poolcheck/registry_names.hpp"

namespace poolcheck {

const std::vector<std::string>& pool_kind_names() {
  static const std::vector<std::string> names = names_of(kPools);
  return names;
}

}  // namespace poolcheck
