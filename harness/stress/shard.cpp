#include "shard.hpp"

#include <charconv>
#include <optional>

#include "poolcheck/deterministic/schedule_trace.hpp"

namespace poolcheck {
namespace {

// Decimal digits only, no sign, no leading zero (as every other number of the command line).
std::optional<std::uint64_t> decimal(std::string_view text) {
  if (text.empty() || text.size() > 19 || (text.size() > 1 && text[0] == '0')) return std::nullopt;
  if (text.find_first_not_of("0123456789") != std::string_view::npos) return std::nullopt;
  std::uint64_t value = 0;
  std::from_chars(text.data(), text.data() + text.size(), value);
  return value;
}

std::string quoted(std::string_view text) { return "'" + det::escaped_excerpt(text, 40) + "'"; }

}  // namespace

std::variant<Shard, std::string> parse_shard(std::string_view text, ShardLookup lookup) {
  const std::string form = "expected I/N or auto/N with 0 <= I < N <= " + std::to_string(kMaxShards);
  const auto slash = text.find('/');
  if (slash == std::string_view::npos) return quoted(text) + " is not a shard (" + form + ")";
  const auto count = decimal(text.substr(slash + 1));
  if (!count || *count == 0 || *count > kMaxShards) {
    return quoted(text) + " has no valid shard count N (" + form + ")";
  }
  std::string_view index_text = text.substr(0, slash);
  std::string from;
  if (index_text == "auto") {
    for (const char* name : kShardIndexVariables) {
      if (const char* value = lookup(name); value != nullptr && value[0] != '\0') {
        index_text = value;
        from = std::string(" (from ") + name + ")";
        break;
      }
    }
    if (from.empty()) {
      return "auto/" + std::to_string(*count) +
             ": none of JOB_COMPLETION_INDEX, SLURM_ARRAY_TASK_ID, POOLCHECK_SHARD_INDEX is set";
    }
  }
  const auto index = decimal(index_text);
  if (!index || *index >= *count) {
    return "shard index " + quoted(index_text) + from + " is not a number below " + std::to_string(*count) +
           " (" + form + ")";
  }
  return Shard{static_cast<std::uint32_t>(*index), static_cast<std::uint32_t>(*count)};
}

std::string to_string(const Shard& s) { return std::to_string(s.index) + "/" + std::to_string(s.count); }

}  // namespace poolcheck
