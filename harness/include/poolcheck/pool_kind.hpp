// The pools `stress` and the workloads can build: the two bufpool flavours, plain or checked.
// Pure data; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace poolcheck {

enum class PoolKind { shared, locked, checked_shared, checked_locked };

std::string_view to_string(PoolKind kind) noexcept;
std::optional<PoolKind> pool_kind_from_name(std::string_view name) noexcept;
const std::vector<std::string>& pool_kind_names();

}  // namespace poolcheck
