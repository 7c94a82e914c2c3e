// Statistics read while the pool is busy (the `stats` op): only what holds at every instant, since
// PoolStats promises its counters are each exact but not mutually consistent under concurrent use.
//
// Checked at every read, against the pool's own facts:
//   - one bucket row per size class, row b with capacity facts.classes.capacity(b) and cap == the
//     resting cap;
//   - resting <= cap and high_water <= cap in every row.
// Checked between two reads by the same program thread (read-read coherence: two loads of one atomic
// by one thread never go back in its modification order), for the figures both bufpool pools only
// ever increase: hits, thread_local_hits, drops, trimmed, oversize_rents, and each row's drops.
//
// Why none of these can cry wolf against a correct bufpool pool (pool/include/bufpool):
//   - Rows and capacities are fixed at construction (LockedArrayPool: one row per bucket_count_,
//     LockedBucket::capacity_ and cap_ set once in init(); SharedArrayPool: kBuckets rows,
//     bucket_capacity(b), PerCoreStacks::cap() = partitions x arrays_per_partition, immutable).
//   - Locked: resting_.size() and high_water_ are read under the bucket's lock, and put() pushes only
//     while outstanding_ > 0 with resting + outstanding <= cap, so both stay <= cap.
//     Shared: resting() and high_water() sum per-partition mirrors, each written under its
//     partition's lock with a count that never exceeds arrays_per_partition (try_push skips a full
//     partition), so each term and hence the sum is <= the cap, whatever mix of old and new
//     values the relaxed loads see.
//   - Monotone figures: the locked pool bumps hits_, drops_ only with ++ under the lock (never --:
//     cancel_take and uncount_rent touch fresh_ and rents_, which are therefore not checked); the
//     shared pool's hits, thread_local_hits, drops and trimmed are sums of per-thread counters that
//     only their owner increments (CacheCounters::bump), of the retired sum (absorbed under the
//     registry lock that stats() also holds, in the same critical section that removes the cache,
//     so a thread's counters are never counted twice or dropped), of the orphan counters (fetch_add)
//     and of trimmed_ (fetch_add). Every term read later is >= the same term read earlier, so the
//     sum is too. oversize_rents is a fetch_add counter in both pools. give_backs is not checked:
//     the shared pool derives it from the slots' balance (arrays in slots now), which goes down
//     and up as a thread rents and gives back.
// A user's pool may define its figures differently: these checks hold for pools that keep the
// PoolStats contract as bufpool documents it.
//
// Thread-safety: a BusyStatsOracle belongs to one program thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "bufpool/pool_stats.hpp"
#include "poolcheck/pool_under_test.hpp"
#include "poolcheck/program.hpp"
#include "poolcheck/tag_pattern.hpp"
#include "poolcheck/violation.hpp"

namespace poolcheck {

class BusyStatsOracle {
 public:
  // Checks `s`, read now by this oracle's thread, against the facts and this thread's last read.
  // `tag` is the (thread, op index) that read it, `op` the op.
  std::optional<Violation> check(const bufpool::PoolStats& s, const PoolFacts& facts, Tag tag, const Op& op);

 private:
  struct Monotone {
    std::uint64_t hits = 0, thread_local_hits = 0, drops = 0, trimmed = 0, oversize_rents = 0;
    std::uint64_t bucket_drops[64] = {};
  };
  std::optional<Monotone> last_;
};

}  // namespace poolcheck
