// A user's pool whose size classes are not bufpool's 16 * 2^k, checked through the free-running
// executor: a test-local pool (one mutex-protected stack and cap per class, arrays from
// CountingAllocator<T>) with classes 24 * 2^k, 8 * 2^k or an arbitrary list runs clean over many
// threads and seeds, and a broken variant of it is reported by the oracle that names its bug.
#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <algorithm>
#include <cstring>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "bufpool/buckets.hpp"
#include "bufpool/pool_stats.hpp"
#include "poolcheck/kept_alive.hpp"
#include "poolcheck/counting_allocator.hpp"
#include "poolcheck/free_executor.hpp"
#include "poolcheck/oracles/accounting_oracle.hpp"
#include "poolcheck/size_classes.hpp"

namespace poolcheck {
namespace {

enum class Bug {
  none,
  files_in_next_class,  // give_back files an array in the stack of the class above its own
  bufpool_sized,        // rent returns bufpool's 16 * 2^k capacity instead of its class's
  ignores_cap,          // give_back keeps every array
};

// One stack per class under its own mutex, at most `cap` arrays resting per class (checked and
// pushed under that mutex); over-size requests get an exact array that is freed on give_back. The
// correct pool also reports stats(): one row per class (its capacity, cap, resting, high-water and
// drops, each read under the class's mutex), so the `stats` op checks its rows against the layout.
template <class T, Bug kBug = Bug::none>
class ClassStackPool {
 public:
  using value_type = T;

  ClassStackPool(const SizeClasses& classes, std::size_t cap, CountingAllocator<T> allocator)
      : classes_(classes), cap_(cap), allocator_(allocator), stacks_(classes.count()) {}
  ~ClassStackPool() {
    for (std::size_t c = 0; c < stacks_.size(); ++c) {
      for (T* p : stacks_[c].arrays) allocator_.deallocate(p, classes_.capacity(c));
    }
  }
  ClassStackPool(const ClassStackPool&) = delete;
  ClassStackPool& operator=(const ClassStackPool&) = delete;

  std::span<T> rent(std::size_t n) {
    if (n == 0) return {};
    const std::size_t c = classes_.class_of(n);
    if (c == classes_.count()) return {allocator_.allocate(n), n};
    std::size_t capacity = classes_.capacity(c);
    if constexpr (kBug == Bug::bufpool_sized) capacity = bufpool::bucket_capacity(bufpool::bucket_index(n));
    Stack& stack = stacks_[c];
    {
      std::lock_guard lock(stack.mu);
      if (!stack.arrays.empty()) {
        T* p = stack.arrays.back();
        stack.arrays.pop_back();
        return {p, capacity};
      }
    }
    return {allocator_.allocate(capacity), capacity};
  }

  void give_back(std::span<T> array, bool clear) {
    if (array.empty()) return;
    if (array.size() > classes_.largest()) {
      allocator_.deallocate(array.data(), array.size());
      return;
    }
    if (!classes_.is_capacity(array.size())) throw std::invalid_argument("not a class capacity");
    if (clear) std::memset(static_cast<void*>(array.data()), 0, array.size_bytes());
    std::size_t c = classes_.class_of(array.size());
    if constexpr (kBug == Bug::files_in_next_class) {
      if (c + 1 < classes_.count()) ++c;
    }
    Stack& stack = stacks_[c];
    {
      std::lock_guard lock(stack.mu);
      if (kBug == Bug::ignores_cap || stack.arrays.size() < cap_) {
        stack.arrays.push_back(array.data());
        stack.high_water = std::max(stack.high_water, stack.arrays.size());
        return;
      }
      ++stack.drops;
    }
    allocator_.deallocate(array.data(), array.size());
  }

  bufpool::PoolStats stats() const
    requires(kBug == Bug::none)
  {
    bufpool::PoolStats s;
    for (std::size_t c = 0; c < stacks_.size(); ++c) {
      Stack& stack = stacks_[c];
      std::lock_guard lock(stack.mu);
      bufpool::BucketStats row;
      row.capacity = classes_.capacity(c);
      row.cap = cap_;
      row.resting = stack.arrays.size();
      row.high_water = stack.high_water;
      row.drops = stack.drops;
      s.drops += stack.drops;
      s.buckets.push_back(row);
    }
    return s;
  }

 private:
  struct Stack {
    std::mutex mu;
    std::vector<T*> arrays;  // guarded by mu; its own memory is the default allocator's, not counted
    std::size_t high_water = 0;  // guarded by mu
    std::uint64_t drops = 0;     // guarded by mu
  };
  const SizeClasses classes_;
  const std::size_t cap_;
  CountingAllocator<T> allocator_;
  mutable std::vector<Stack> stacks_;
};

static_assert(PoolWithStats<ClassStackPool<std::byte>>);
static_assert(!PoolWithStats<ClassStackPool<std::byte, Bug::ignores_cap>>);

// Generated programs whose rents are moved, half of them, onto the layout's own class edges
// (capacity - 1, capacity, capacity + 1), where a bufpool-shaped assumption would show.
ProgramSet programs_for(const SizeClasses& classes, std::uint64_t seed, std::uint32_t threads, std::uint32_t ops) {
  ProgramShape s;
  s.threads = threads;
  s.ops_per_thread = ops;
  s.max_array_length = classes.largest();
  s.largest_common_size = classes.largest();
  s.oversize_percent = 3;
  ProgramSet programs = generate_programs(seed, s);
  std::uint64_t x = seed * 0x9E3779B97F4A7C15ull + 1;
  for (ThreadProgram& t : programs.threads) {
    for (Op& op : t.ops) {
      if (op.kind != OpKind::rent || op.size == 0 || op.size > classes.largest()) continue;
      x = x * 6364136223846793005ull + 1442695040888963407ull;
      const std::uint64_t r = x >> 33;
      if (r % 2 == 0) continue;
      const std::size_t c = (r / 2) % classes.count();
      const std::size_t edge = classes.capacity(c) + (r / 128) % 3 - 1;  // capacity - 1, + 0, + 1
      op.size = edge == 0 ? 1 : std::min<std::size_t>(edge, classes.largest());
    }
  }
  return programs;
}

struct LayoutRun {
  RunOutcome outcome;
  std::optional<Violation> accounting;  // after destroying a pool that ran clean
  std::string first() const {
    if (!outcome.violations.empty()) return to_string(outcome.violations.front());
    return accounting ? to_string(*accounting) : std::string("clean");
  }
};

template <class T, Bug kBug = Bug::none>
LayoutRun run_layout(const SizeClasses& classes, std::uint64_t seed, std::uint32_t threads = 64,
                     std::uint32_t ops = 200, std::size_t cap = 2) {
  auto ledger = std::make_unique<AllocationLedger>(sizeof(T), classes);
  auto pool = std::make_unique<ClassStackPool<T, kBug>>(classes, cap, CountingAllocator<T>(ledger.get()));
  FreeExecutor<ClassStackPool<T, kBug>> executor(*pool, PoolFacts{classes, cap, 0, true, false}, ledger.get());
  FreeRunConfig config;
  config.checkpoint_every = 4;
  LayoutRun r;
  r.outcome = executor.run(programs_for(classes, seed, threads, ops), config);
  if (r.outcome.violations.empty()) {
    pool.reset();
    r.accounting = AccountingOracle::check_after_destroy(*ledger);
  } else {
    // A pool caught filing arrays wrongly may free one with the wrong length: kept, never destroyed,
    // and reachable, so LeakSanitizer does not report it.
    keep_alive(pool.release());
    keep_alive(ledger.release());
  }
  return r;
}

template <class T>
void expect_clean_over_seeds(const SizeClasses& classes) {
  for (std::uint64_t seed = 1; seed <= 6; ++seed) {
    const LayoutRun r = run_layout<T>(classes, seed);
    ASSERT_TRUE(r.outcome.clean() && !r.accounting) << "seed " << seed << ": " << r.first();
    const auto& checks = r.outcome.checks;
    EXPECT_GT(checks[static_cast<std::size_t>(OracleKind::size_contract)], 0u);
    EXPECT_GT(checks[static_cast<std::size_t>(OracleKind::bucket_cap)], 0u);
    EXPECT_GT(checks[static_cast<std::size_t>(OracleKind::aliasing)], 0u);
    EXPECT_GT(checks[static_cast<std::size_t>(OracleKind::stats)], 0u) << "rows checked against the layout";
    // Rents landed in the layout's classes (by the pool's own capacities) and over-size.
    std::size_t classes_used = 0;
    for (std::size_t c = 0; c < classes.count(); ++c) classes_used += r.outcome.rents_by_bucket[c] != 0;
    EXPECT_GT(classes_used, classes.count() / 2) << "seed " << seed;
    EXPECT_GT(r.outcome.rents_by_bucket[kOverSizeRow], 0u) << "seed " << seed;
    EXPECT_TRUE(r.outcome.classes == classes);
  }
}

TEST(ForeignLayout, ClassesOf24TimesPowersOfTwoRunClean) {
  expect_clean_over_seeds<std::uint32_t>(SizeClasses::geometric(24, 24 << 10));
}

TEST(ForeignLayout, ClassesOf8TimesPowersOfTwoRunClean) {
  expect_clean_over_seeds<std::byte>(SizeClasses::geometric(8, 8 << 12));
}

TEST(ForeignLayout, AnArbitraryListOfClassesRunsClean) {
  expect_clean_over_seeds<std::uint16_t>(SizeClasses{100, 1000, 1500, 10000});
}

// The cap is exact for a foreign layout too: many threads, caps of 1, a checkpoint every 4 ops.
TEST(ForeignLayout, TightCapsAtManyThreadsRunClean) {
  const SizeClasses classes = SizeClasses::geometric(24, 24 << 4);
  for (std::uint64_t seed = 1; seed <= 3; ++seed) {
    const LayoutRun r = run_layout<std::uint32_t>(classes, seed, 512, 16, 1);
    ASSERT_TRUE(r.outcome.clean() && !r.accounting) << "seed " << seed << ": " << r.first();
  }
}

TEST(ForeignLayout, AnArrayFiledInTheWrongClassIsReportedBySizeContract) {
  const SizeClasses classes = SizeClasses::geometric(24, 24 << 10);
  std::optional<Violation> found;
  for (std::uint64_t seed = 1; seed <= 10 && !found; ++seed) {
    const LayoutRun r = run_layout<std::uint32_t, Bug::files_in_next_class>(classes, seed);
    if (!r.outcome.violations.empty()) found = r.outcome.violations.front();
  }
  ASSERT_TRUE(found.has_value()) << "never caught in 10 seeds";
  EXPECT_EQ(found->oracle, OracleKind::size_contract) << to_string(*found);
  EXPECT_NE(found->what.find("over an allocation of only"), std::string::npos) << found->what;
}

TEST(ForeignLayout, ABufpoolSizedArrayForAClassRequestIsReportedBySizeContract) {
  const SizeClasses classes = SizeClasses::geometric(24, 24 << 10);
  const LayoutRun r = run_layout<std::uint32_t, Bug::bufpool_sized>(classes, 1);
  ASSERT_FALSE(r.outcome.violations.empty()) << r.first();
  const Violation& v = r.outcome.violations.front();
  EXPECT_EQ(v.oracle, OracleKind::size_contract) << to_string(v);
  EXPECT_NE(v.what.find("its size class holds"), std::string::npos) << v.what;
}

TEST(ForeignLayout, APoolRestingAboveItsCapIsReportedByBucketCapNamingItsClass) {
  const SizeClasses classes = SizeClasses::geometric(24, 24 << 10);
  const LayoutRun r = run_layout<std::uint32_t, Bug::ignores_cap>(classes, 1);
  ASSERT_FALSE(r.outcome.violations.empty()) << r.first();
  const Violation& v = r.outcome.violations.front();
  EXPECT_EQ(v.oracle, OracleKind::bucket_cap) << to_string(v);
  EXPECT_TRUE(classes.is_capacity(v.capacity)) << v.capacity;
  EXPECT_NE(v.what.find("arrays of " + std::to_string(v.capacity) + " elements"), std::string::npos) << v.what;
}

TEST(ForeignLayout, AFactsLayoutOtherThanTheLedgersIsRefused) {
  const SizeClasses classes = SizeClasses::geometric(24, 24 << 10);
  AllocationLedger ledger(sizeof(std::uint32_t), classes);
  ClassStackPool<std::uint32_t> pool(classes, 2, CountingAllocator<std::uint32_t>(&ledger));
  EXPECT_THROW(FreeExecutor<ClassStackPool<std::uint32_t>>(
                   pool, PoolFacts{SizeClasses::bufpool(1 << 15), 2, 0, true, false}, &ledger),
               std::invalid_argument);
}

}  // namespace
}  // namespace poolcheck
