#include "poolcheck/oracles/busy_stats_oracle.hpp"

#include <string>

namespace poolcheck {

std::optional<Violation> BusyStatsOracle::check(const bufpool::PoolStats& s, const PoolFacts& facts, Tag tag,
                                                const Op& op) {
  auto stats_violation = [&](const std::string& what) {
    Violation v;
    v.oracle = OracleKind::stats;
    v.lease = tag;
    v.what = describe_op(tag.thread, tag.op, op) + ": stats() read while the pool was busy: " + what;
    return v;
  };
  if (s.buckets.size() != facts.classes.count()) {
    return stats_violation("it has " + std::to_string(s.buckets.size()) + " bucket rows; the pool has " +
                                    std::to_string(facts.classes.count()) + " size classes");
  }
  Monotone now;
  for (std::size_t b = 0; b < s.buckets.size(); ++b) {
    const bufpool::BucketStats& row = s.buckets[b];
    const std::string name = "bucket " + std::to_string(b);
    if (row.capacity != facts.classes.capacity(b)) {
      return stats_violation(name + " reports capacity " + std::to_string(row.capacity) + ", not its class's " +
                                      std::to_string(facts.classes.capacity(b)));
    }
    if (row.cap != facts.resting_cap) {
      return stats_violation(name + " (capacity " + std::to_string(row.capacity) + ") reports a cap of " +
                                      std::to_string(row.cap) + "; the pool was built with " +
                                      std::to_string(facts.resting_cap));
    }
    if (row.resting > row.cap) {
      return stats_violation(name + " (capacity " + std::to_string(row.capacity) + ") reports " +
                                      std::to_string(row.resting) + " arrays resting, above its cap of " +
                                      std::to_string(row.cap));
    }
    if (row.high_water > row.cap) {
      return stats_violation(name + " (capacity " + std::to_string(row.capacity) + ") reports a high_water of " +
                                      std::to_string(row.high_water) + ", above its cap of " + std::to_string(row.cap));
    }
    if (b < std::size(now.bucket_drops)) now.bucket_drops[b] = row.drops;
  }
  now.hits = s.hits;
  now.thread_local_hits = s.thread_local_hits;
  now.drops = s.drops;
  now.trimmed = s.trimmed;
  now.oversize_rents = s.oversize_rents;
  if (last_) {
    auto went_down = [&](const char* figure, std::uint64_t before, std::uint64_t after) {
      return stats_violation(std::string(figure) + " went down from " + std::to_string(before) + " to " +
                                      std::to_string(after) + " between two reads by this thread");
    };
    if (now.hits < last_->hits) return went_down("hits", last_->hits, now.hits);
    if (now.thread_local_hits < last_->thread_local_hits) {
      return went_down("thread_local_hits", last_->thread_local_hits, now.thread_local_hits);
    }
    if (now.drops < last_->drops) return went_down("drops", last_->drops, now.drops);
    if (now.trimmed < last_->trimmed) return went_down("trimmed", last_->trimmed, now.trimmed);
    if (now.oversize_rents < last_->oversize_rents) {
      return went_down("oversize_rents", last_->oversize_rents, now.oversize_rents);
    }
    for (std::size_t b = 0; b < std::size(now.bucket_drops); ++b) {
      if (now.bucket_drops[b] < last_->bucket_drops[b]) {
        const std::string figure = "bucket " + std::to_string(b) + "'s drops";
        return went_down(figure.c_str(), last_->bucket_drops[b], now.bucket_drops[b]);
      }
    }
  }
  last_ = now;
  return std::nullopt;
}

}  // namespace poolcheck
