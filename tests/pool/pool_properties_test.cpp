// Properties: for any single-thread sequence of rents and give-backs (sizes skewed to bucket edges),
// each pool does exactly what a small model of its rules predicts (which size, which array, what
// the array holds, every counter), never keeps more than its caps, and the allocator, counted from
// outside the pool, agrees: every array allocated is live, resting or freed.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <map>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "bufpool/array_pool.hpp"
#include "generators.hpp"
#include "pool/test_support.hpp"

namespace bufpool {
namespace {

using poolcheck::gen::PoolOp;
using testing::AllocationLog;
using testing::CountedPolicy;
using testing::CountingAllocator;
using testing::PinnedCorePolicy;

using Array = std::span<std::byte>;
using LockedPool = LockedArrayPool<std::byte, CountedPolicy>;
using SharedPool = SharedArrayPool<std::byte, PinnedCorePolicy>;

// The model's own bucket math, written the slow obvious way so it does not share the pool's bugs.
std::size_t model_capacity(std::size_t n) {
  std::size_t c = 16;
  while (c < n) c *= 2;
  return c;
}
std::size_t model_index(std::size_t n) {
  std::size_t i = 0;
  for (std::size_t c = 16; c < n; c *= 2) ++i;
  return i;
}

// Counters every model keeps, compared with PoolStats.
struct ModelCounters {
  std::uint64_t rents = 0, hits = 0, thread_local_hits = 0, fresh = 0, oversize = 0, give_backs = 0, drops = 0;
  std::uint64_t freed = 0;  // arrays the allocator must have seen freed
};

// What a model expects of one rent: the size, and the array (null: a fresh one, any new address).
struct Expected {
  std::size_t size;
  const std::byte* array;
};

// .NET's ConfigurableArrayPool: per bucket a quota of `cap` arrays out at once and a LIFO of resting
// ones; an exhausted bucket tries the next one once, then allocates the original bucket's size.
class LockedModel {
 public:
  LockedModel(std::size_t max_length, std::size_t cap) : cap_(cap) {
    largest_ = model_capacity(std::max<std::size_t>(max_length, 16));
    buckets_.resize(model_index(largest_) + 1);
  }

  Expected rent(std::size_t n) {
    ++c.rents;
    if (n > largest_) {
      ++c.oversize;
      ++c.fresh;
      return {n, nullptr};
    }
    const std::size_t b = model_index(n);
    for (std::size_t candidate : {b, b + 1}) {
      if (candidate >= buckets_.size()) break;
      Bucket& bucket = buckets_[candidate];
      if (bucket.outstanding == cap_) continue;
      ++bucket.outstanding;
      const std::size_t size = std::size_t{16} << candidate;
      if (bucket.resting.empty()) {
        ++c.fresh;
        return {size, nullptr};
      }
      const std::byte* array = bucket.resting.back();
      bucket.resting.pop_back();
      ++c.hits;
      return {size, array};
    }
    ++c.fresh;
    return {std::size_t{16} << b, nullptr};
  }

  // Returns true when the pool keeps the array.
  bool give_back(const std::byte* array, std::size_t size) {
    ++c.give_backs;
    if (size > largest_) {
      ++c.freed;
      return false;
    }
    Bucket& bucket = buckets_[model_index(size)];
    if (bucket.outstanding == 0) {
      ++c.drops;
      ++c.freed;
      return false;
    }
    --bucket.outstanding;
    bucket.resting.push_back(array);
    return true;
  }

  std::size_t resting(std::size_t b) const { return buckets_[b].resting.size(); }
  std::size_t resting_thread_local(std::size_t) const { return 0; }
  std::size_t bucket_count() const { return buckets_.size(); }

  ModelCounters c;

 private:
  struct Bucket {
    std::size_t outstanding = 0;
    std::vector<const std::byte*> resting;
  };
  std::size_t cap_;
  std::size_t largest_ = 16;
  std::vector<Bucket> buckets_;
};

// .NET's TlsOverPerCoreLockedStacksArrayPool for one thread pinned to core 0: one slot per bucket,
// then partitions filled in order from 0. A pop starts at the partition the bucket's last pop found
// an array in (partition 0 when there is none) and goes round; it takes a second array from the
// same partition into the (empty) slot when there is one.
class SharedModel {
 public:
  SharedModel(std::size_t partitions, std::size_t per_partition)
      : per_partition_(per_partition), buckets_(27, Bucket{nullptr, std::vector<Stack>(partitions), 0}) {}

  Expected rent(std::size_t n) {
    ++c.rents;
    const std::size_t b = model_index(n);
    const std::size_t size = std::size_t{16} << b;
    Bucket& bucket = buckets_[b];
    if (bucket.slot != nullptr) {
      ++c.hits;
      ++c.thread_local_hits;
      return {size, std::exchange(bucket.slot, nullptr)};
    }
    const std::size_t count = bucket.partitions.size();
    for (std::size_t i = 0; i < count; ++i) {
      const std::size_t at = (bucket.pop_start + i) % count;
      Stack& p = bucket.partitions[at];
      if (p.empty()) continue;
      const std::byte* array = p.back();
      p.pop_back();
      if (!p.empty()) {
        bucket.slot = p.back();
        p.pop_back();
      }
      bucket.pop_start = at;
      ++c.hits;
      return {size, array};
    }
    bucket.pop_start = 0;
    ++c.fresh;
    return {size, nullptr};
  }

  bool give_back(const std::byte* array, std::size_t size) {
    ++c.give_backs;
    Bucket& bucket = buckets_[model_index(size)];
    const std::byte* spill = std::exchange(bucket.slot, array);
    if (spill == nullptr) return true;
    for (Stack& p : bucket.partitions) {
      if (p.size() == per_partition_) continue;
      p.push_back(spill);
      return true;
    }
    ++c.drops;
    ++c.freed;
    return true;  // the array given back is kept (in the slot); the spilled one was freed
  }

  std::size_t resting(std::size_t b) const {
    std::size_t n = 0;
    for (const Stack& p : buckets_[b].partitions) n += p.size();
    return n;
  }
  std::size_t resting_thread_local(std::size_t b) const { return buckets_[b].slot != nullptr ? 1 : 0; }
  std::size_t bucket_count() const { return buckets_.size(); }

  ModelCounters c;

 private:
  using Stack = std::vector<const std::byte*>;
  struct Bucket {
    const std::byte* slot;
    std::vector<Stack> partitions;
    std::size_t pop_start = 0;
  };
  std::size_t per_partition_;
  std::vector<Bucket> buckets_;
};

bool all_bytes_are(Array a, std::byte value) {
  return std::all_of(a.begin(), a.end(), [value](std::byte b) { return b == value; });
}

// Runs `program` on `pool` and `model` side by side and asserts, after every step, that the pool
// did what the model predicts: the size and array of each rent, the bytes the array holds (what
// its last user left, zeros after a clearing give_back), every counter, what rests in each bucket,
// and what the allocator saw.
template <class Pool, class Model>
void check_against_model(Pool& pool, Model& model, AllocationLog& log, const std::vector<PoolOp>& program) {
  std::vector<Array> live;
  std::map<const std::byte*, std::byte> content;  // resting array -> the byte filling it
  std::uint8_t next_fill = 1;
  for (const PoolOp& op : program) {
    if (op.kind == PoolOp::Kind::rent) {
      const Array a = pool.rent(op.size);
      if (op.size == 0) {
        RC_ASSERT(a.empty());
        continue;
      }
      const Expected e = model.rent(op.size);
      RC_ASSERT(a.size() == e.size);
      if (e.array != nullptr) {
        RC_ASSERT(a.data() == e.array);
        const auto it = content.find(a.data());
        RC_ASSERT(it != content.end());
        RC_ASSERT(all_bytes_are(a, it->second));  // rent never zeroes; a clear did
        content.erase(it);
      } else {
        for (Array other : live) RC_ASSERT(other.data() != a.data());
        RC_ASSERT(content.count(a.data()) == 0u);  // "fresh" must not be a resting array
      }
      const auto fill = static_cast<std::byte>(next_fill);
      next_fill = static_cast<std::uint8_t>(next_fill % 250 + 1);  // never 0: zeros mean "cleared"
      std::fill(a.begin(), a.end(), fill);
      live.push_back(a);
    } else {
      if (live.empty()) continue;
      const std::size_t i = op.pick % live.size();
      const Array a = live[i];
      live.erase(live.begin() + static_cast<std::ptrdiff_t>(i));
      const std::byte left = a[0];
      pool.give_back(a, op.clear);
      if (model.give_back(a.data(), a.size())) content[a.data()] = op.clear ? std::byte{0} : left;
      // The shared model's slot may have pushed out an older array that was freed: forget it.
      for (auto it = content.begin(); it != content.end();) {
        it = log.is_live(it->first) ? std::next(it) : content.erase(it);
      }
    }
    const PoolStats s = pool.stats();
    RC_ASSERT(s.rents == model.c.rents);
    RC_ASSERT(s.hits == model.c.hits);
    RC_ASSERT(s.thread_local_hits == model.c.thread_local_hits);
    RC_ASSERT(s.fresh_allocations == model.c.fresh);
    RC_ASSERT(s.oversize_rents == model.c.oversize);
    RC_ASSERT(s.give_backs == model.c.give_backs);
    RC_ASSERT(s.drops == model.c.drops);
    RC_ASSERT(s.buckets.size() == model.bucket_count());
    for (std::size_t b = 0; b < s.buckets.size(); ++b) {
      RC_ASSERT(s.buckets[b].resting == model.resting(b));
      RC_ASSERT(s.buckets[b].resting_thread_local == model.resting_thread_local(b));
    }
    RC_ASSERT(log.allocation_count() == model.c.fresh);
    RC_ASSERT(log.free_count() == model.c.freed);
  }
  for (Array a : live) pool.give_back(a);
}

// Runs `program` and asserts, after every step, the rules that need no model: sizes, exclusivity,
// caps, statistics adding up, and the allocator's books balancing.
template <class Pool>
void check_invariants(Pool& pool, AllocationLog& log, const std::vector<PoolOp>& program, std::size_t largest) {
  std::vector<Array> live;
  std::uint64_t rents = 0;
  for (const PoolOp& op : program) {
    if (op.kind == PoolOp::Kind::rent) {
      const Array a = pool.rent(op.size);
      if (op.size == 0) {
        RC_ASSERT(a.empty());
        continue;
      }
      ++rents;
      RC_ASSERT(a.size() >= op.size);
      if (op.size > largest) {
        RC_ASSERT(a.size() == op.size);  // over-size: exact
      } else {
        // A bucket capacity: a power of two from 16 up to the largest bucket.
        RC_ASSERT(a.size() >= 16u);
        RC_ASSERT((a.size() & (a.size() - 1)) == 0u);
        RC_ASSERT(a.size() <= largest);
      }
      // Two live rentals never share a byte.
      for (Array other : live) {
        RC_ASSERT(a.data() + a.size() <= other.data() || other.data() + other.size() <= a.data());
      }
      live.push_back(a);
    } else {
      if (live.empty()) continue;
      const std::size_t i = op.pick % live.size();
      pool.give_back(live[i], op.clear);
      live.erase(live.begin() + static_cast<std::ptrdiff_t>(i));
    }
    const PoolStats s = pool.stats();
    for (const BucketStats& b : s.buckets) {
      RC_ASSERT(b.resting <= b.cap);
      RC_ASSERT(b.high_water <= b.cap);
      RC_ASSERT(b.resting_thread_local <= 1u);  // one slot per bucket, one thread
    }
    RC_ASSERT(s.rents == rents);
    RC_ASSERT(s.hits + s.fresh_allocations == s.rents);
    // The allocator's books: allocated == freed + resting + live.
    RC_ASSERT(log.allocation_count() == log.free_count() + testing::resting_arrays(s) + live.size());
    RC_ASSERT(log.live_count() == testing::resting_arrays(s) + live.size());
  }
  for (Array a : live) pool.give_back(a);
}

rc::Gen<std::size_t> locked_max_length() {
  // Small maxima make over-size requests cheap; 1 << 16 covers deep bucket ranges.
  return rc::gen::elementOf(std::vector<std::size_t>{1, 16, 100, 1024, std::size_t{1} << 16});
}

RC_GTEST_PROP(LockedPool, ServesEveryRentAsTheDotNetModelPredicts, ()) {
  const std::size_t max_length = *locked_max_length();
  const std::size_t cap = *rc::gen::inRange<std::size_t>(1, 5);
  const auto program = *poolcheck::gen::pool_program(max_length, 14);
  AllocationLog log;
  {
    LockedPool pool(PoolOptions{max_length, cap}, CountingAllocator(&log));
    LockedModel model(max_length, cap);
    check_against_model(pool, model, log, program);
  }
  RC_ASSERT(log.live_count() == 0u);
  RC_ASSERT(log.bad_free_count() == 0u);
}

RC_GTEST_PROP(LockedPool, NeverKeepsMoreThanCapAndAccountsForEveryArray, ()) {
  const std::size_t max_length = *locked_max_length();
  const std::size_t cap = *rc::gen::inRange<std::size_t>(1, 5);
  const auto program = *poolcheck::gen::pool_program(max_length, 14);
  AllocationLog log;
  {
    LockedPool pool(PoolOptions{max_length, cap}, CountingAllocator(&log));
    check_invariants(pool, log, program, pool.largest_bucket());
    // Everything given back: what stays allocated is what rests, at most `cap` per bucket.
    RC_ASSERT(log.live_count() <= pool.bucket_count() * cap);
  }
  RC_ASSERT(log.live_count() == 0u);
  RC_ASSERT(log.bad_free_count() == 0u);
}

RC_GTEST_PROP(SharedPool, ServesEveryRentAsTheModelPredicts, ()) {
  const std::size_t partitions = *rc::gen::inRange<std::size_t>(1, 4);
  const std::size_t per_partition = *rc::gen::inRange<std::size_t>(1, 4);
  // Over-size for the shared pool means more than 2^30 elements: sizes stay below 2^15 here.
  const auto program = *poolcheck::gen::pool_program(std::size_t{1} << 14, 14);
  AllocationLog log;
  {
    SharedPool pool(testing::small_shared(partitions, per_partition), CountingAllocator(&log));
    SharedModel model(partitions, per_partition);
    check_against_model(pool, model, log, program);
  }
  RC_ASSERT(log.live_count() == 0u);
  RC_ASSERT(log.bad_free_count() == 0u);
}

RC_GTEST_PROP(SharedPool, NeverKeepsMoreThanCapAndAccountsForEveryArray, ()) {
  const std::size_t partitions = *rc::gen::inRange<std::size_t>(1, 4);
  const std::size_t per_partition = *rc::gen::inRange<std::size_t>(1, 4);
  const auto program = *poolcheck::gen::pool_program(std::size_t{1} << 14, 14);
  AllocationLog log;
  {
    SharedArrayPool<std::byte, CountedPolicy> pool(testing::small_shared(partitions, per_partition),
                                                   CountingAllocator(&log));
    check_invariants(pool, log, program, pool.largest_bucket());
    // Everything given back: per bucket at most the partitions' cap plus this thread's slot.
    const PoolStats s = pool.stats();
    for (const BucketStats& b : s.buckets) RC_ASSERT(b.resting + b.resting_thread_local <= partitions * per_partition + 1);
  }
  RC_ASSERT(log.live_count() == 0u);
  RC_ASSERT(log.bad_free_count() == 0u);
}

RC_GTEST_PROP(Lease, SpanIsAlwaysExactlyTheRequestedLength, ()) {
  const auto sizes = *rc::gen::container<std::vector<std::size_t>>(poolcheck::gen::edge_size(2048, 13));
  LockedArrayPool<float> locked(PoolOptions{2048, 2});
  SharedArrayPool<float> shared(testing::small_shared());
  for (std::size_t n : sizes) {
    auto a = locked.lease(n);
    auto b = shared.lease(n);
    RC_ASSERT(a.span().size() == n);
    RC_ASSERT(b.span().size() == n);
    RC_ASSERT(a.capacity() >= n);
    RC_ASSERT(b.capacity() >= n);
    RC_ASSERT(a.empty() == (n == 0));
  }
}

// The generators every property here relies on: each draw is one of the kinds edge_size()
// documents, and over many draws each kind turns up often (a kind that silently disappeared would
// leave the properties above blind to its bugs). Sampled at RapidCheck's nominal size (100),
// where the ranges are fully spread, with fixed seeds: the figures are deterministic.
TEST(EdgeSizes, DrawEveryDocumentedKindAndNothingElse) {
  constexpr unsigned kMaxExponent = 12;
  constexpr std::size_t kDraws = 4000;
  constexpr int kNominalSize = 100;
  const auto pow = [](unsigned k) { return std::size_t{1} << k; };
  for (const std::size_t max_length : {std::size_t{16}, std::size_t{100}, std::size_t{1000}, std::size_t{4095}, std::size_t{4096}}) {
    SCOPED_TRACE("max_length " + std::to_string(max_length));
    std::map<std::string, std::size_t> seen;
    rc::Random random(20261124 + max_length);
    const auto edge = poolcheck::gen::edge_size(max_length, kMaxExponent);
    for (std::size_t i = 0; i < kDraws; ++i) {
      const std::size_t n = edge(random.split(), kNominalSize).value();
      bool documented = n == 0 || (n >= 1 && n <= 64) || (n > max_length && n <= 2 * max_length);
      for (unsigned k = 1; k <= kMaxExponent; ++k) documented = documented || n == pow(k) - 1;
      for (unsigned k = 4; k <= kMaxExponent; ++k) documented = documented || n == pow(k) || n == pow(k) + 1;
      ASSERT_TRUE(documented) << n << " is no edge kind";
      // Kinds counted only where the small uniform range (1..64) cannot explain them.
      if (n == 0) ++seen["zero"];
      if (n == max_length + 1) ++seen["just above max_length"];
      if (n > max_length + 1) ++seen["further above max_length"];
      for (unsigned k = 7; k <= kMaxExponent; ++k) {
        if (n == pow(k) - 1) ++seen["2^k - 1"];
        if (n == pow(k)) ++seen["2^k"];
        if (n == pow(k) + 1) ++seen["2^k + 1"];
      }
    }
    // Expected counts are >= 140 each (weights 1, 1, 1 and 3 * 6/12, 3 * 6/9, 3 * 6/9 of 14);
    // a branch that vanished leaves at most a handful of coincidences from the ranges.
    for (const char* kind : {"zero", "just above max_length", "2^k - 1", "2^k", "2^k + 1"}) {
      EXPECT_GE(seen[kind], 40u) << kind;
    }
    if (max_length > 16) {
      EXPECT_GE(seen["further above max_length"], 40u);
    }

    // bucket_edge_size: never 0, never above max_length, and it reaches the largest bucket of a
    // pool with max_array_length == max_length (2^j + 1 lies there when 2^j < max_length).
    const auto in_bucket = poolcheck::gen::bucket_edge_size(max_length, kMaxExponent);
    const std::size_t largest = bucket_index(max_length);
    std::size_t in_largest = 0;
    std::size_t exact_powers = 0;
    for (std::size_t i = 0; i < kDraws; ++i) {
      const std::size_t n = in_bucket(random.split(), kNominalSize).value();
      ASSERT_GE(n, 1u);
      ASSERT_LE(n, max_length);
      in_largest += bucket_index(n) == largest;
      exact_powers += n > 64 && (n & (n - 1)) == 0;
    }
    EXPECT_GE(in_largest, 20u) << "the largest bucket is reached";
    if (max_length >= 128) {
      EXPECT_GE(exact_powers, 40u) << "exact powers of two above the uniform range";
    }
  }
}

}  // namespace
}  // namespace bufpool
