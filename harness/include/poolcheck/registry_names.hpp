// The names of a registry's rows (pools, strategies, scenarios, mutants: any table whose rows have a
// `name`), as CLI11's IsMember and usage messages want them. Pure function; thread-safe.
#pragma once

#include <string>
#include <vector>

namespace poolcheck {

template <class Rows>
std::vector<std::string> names_of(const Rows& rows) {
  std::vector<std::string> out;
  for (const auto& row : rows) out.emplace_back(row.name);
  return out;
}

}  // namespace poolcheck
