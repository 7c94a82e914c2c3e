// Lookups every registry shares (pools, strategies, scenarios, mutants: any table whose rows have a
// `name`): the row of a name, and the names as CLI11's IsMember and usage messages want them.
// Pure functions; thread-safe.
#pragma once

#include <iterator>
#include <string>
#include <string_view>
#include <vector>

namespace poolcheck {

// The row named `name`, or null.
template <class Rows>
constexpr auto find_by_name(const Rows& rows, std::string_view name) noexcept -> decltype(&*std::begin(rows)) {
  for (const auto& row : rows) {
    if (row.name == name) return &row;
  }
  return nullptr;
}

template <class Rows>
std::vector<std::string> names_of(const Rows& rows) {
  std::vector<std::string> out;
  for (const auto& row : rows) out.emplace_back(row.name);
  return out;
}

}  // namespace poolcheck
