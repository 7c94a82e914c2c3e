// `stress merge FILE.json... [--json OUT] [--junit OUT]`: the JSON reports of the shards of one
// campaign (`stress --shard I/N`) combined into one: totals, checks and rents per bucket summed,
// every round once, and every distinct failure once with its replay line and how many shards and
// rounds hit it. Reports of another format or version, other settings, another shard count, a
// shard twice or a shard missing are a usage error (exit 2) naming the file; otherwise exit 0 when
// every shard was clean, 1 when any failed or died.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace poolcheck {

// `argv[0]` is "merge"; `program` names the command in messages ("stress").
int merge_main(int argc, const char* const* argv, const std::string& program);

// A violation's signature for deduplication: oracle, pool, mutant, scenario, bucket (the array's
// capacity, when the violation names an array) and its shape: the text with every word that holds a
// digit (a number, an address, a byte) or is a lone hex byte replaced by '#', so the same bug hit by
// other threads at other ops and offsets is one failure.
std::string violation_shape(std::string_view what);

}  // namespace poolcheck
