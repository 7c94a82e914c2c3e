// The oracles that count from outside the pool: bucket cap and accounting.
#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "poolcheck/counting_allocator.hpp"
#include "poolcheck/oracles/accounting_oracle.hpp"
#include "poolcheck/oracles/bucket_cap_oracle.hpp"

namespace poolcheck {
namespace {

struct Ledgered {
  AllocationLedger ledger{1};
  CountingAllocator allocator{&ledger};
  std::vector<void*> arrays;
  void* allocate(std::size_t bytes) {
    arrays.push_back(allocator.allocate(bytes, 64));
    return arrays.back();
  }
  void free(void* p, std::size_t bytes) {
    allocator.deallocate(p, bytes, 64);
    arrays.erase(std::find(arrays.begin(), arrays.end(), p));
  }
  ~Ledgered() {
    for (void* p : arrays) allocator.deallocate(p, CountingAllocator::header_of(p)->bytes, 64);
  }
};

TEST(BucketCapOracle, FiresOnlyAboveTheCapPlusWhatMayBeInFlight) {
  Ledgered l;
  for (int i = 0; i < 6; ++i) l.allocate(16);  // six arrays of bucket 0, none leased: resting
  EXPECT_FALSE(BucketCapOracle::check(l.ledger, 3, 6, 0, "at quiescence"));
  EXPECT_FALSE(BucketCapOracle::check(l.ledger, 3, 4, 2, "while running")) << "two may be in flight";
  const auto v = BucketCapOracle::check(l.ledger, 3, 5, 0, "at quiescence");
  ASSERT_TRUE(v);
  EXPECT_EQ(v->oracle, OracleKind::bucket_cap);
  EXPECT_EQ(v->capacity, 16u);
}

TEST(BucketCapOracle, LeasedArraysDoNotCountAsResting) {
  Ledgered l;
  for (int i = 0; i < 6; ++i) l.allocate(32);
  for (int i = 0; i < 3; ++i) l.ledger.on_leased(32);
  EXPECT_FALSE(BucketCapOracle::check(l.ledger, 3, 3, 0, "at quiescence"));
  l.ledger.on_returning(32);
  EXPECT_TRUE(BucketCapOracle::check(l.ledger, 3, 3, 0, "at quiescence"));
}

TEST(AccountingOracle, AllFreedIsCleanAndALostArrayIsReportedByBucket) {
  Ledgered clean;
  clean.free(clean.allocate(64), 64);
  EXPECT_FALSE(AccountingOracle::check_after_destroy(clean.ledger));

  Ledgered lost;
  lost.allocate(64);
  const auto v = AccountingOracle::check_after_destroy(lost.ledger);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->oracle, OracleKind::accounting);
  EXPECT_NE(v->what.find("1 of 64 elements"), std::string::npos) << v->what;
}

TEST(AccountingOracle, FreeingForeignMemoryIsReported) {
  Ledgered l;
  alignas(64) static std::byte foreign[128];
  l.allocator.deallocate(foreign + 64, 64, 64);
  const auto v = AccountingOracle::check_after_destroy(l.ledger);
  ASSERT_TRUE(v);
  EXPECT_NE(v->what.find("never allocated"), std::string::npos);
}

}  // namespace
}  // namespace poolcheck
