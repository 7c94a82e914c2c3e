#include "poolcheck/pool_kind.hpp"

namespace poolcheck {

const std::vector<std::string>& pool_kind_names() {
  static const std::vector<std::string> names = {"shared", "locked", "checked-shared", "checked-locked"};
  return names;
}

std::string_view to_string(PoolKind kind) noexcept { return pool_kind_names()[static_cast<std::size_t>(kind)]; }

std::optional<PoolKind> pool_kind_from_name(std::string_view name) noexcept {
  const auto& names = pool_kind_names();
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (names[i] == name) return static_cast<PoolKind>(i);
  }
  return std::nullopt;
}

}  // namespace poolcheck
