#include "bufpool/internal/bucket_math.hpp"

#include <gtest/gtest.h>

namespace bufpool::internal {
namespace {

TEST(BucketMath, EveryLengthUpToSixteenMapsToTheFirstBucket) {
  for (std::size_t n = 1; n <= 16; ++n) EXPECT_EQ(bucket_index(n), 0u) << n;
}

TEST(BucketMath, LengthsMapToTheSmallestPowerOfTwoThatHoldsThem) {
  for (std::size_t k = 4; k <= 30; ++k) {
    const std::size_t pow = std::size_t{1} << k;
    EXPECT_EQ(bucket_capacity(bucket_index(pow)), pow) << k;
    EXPECT_EQ(bucket_capacity(bucket_index(pow - 1)), k == 4 ? 16u : pow) << k;
    EXPECT_EQ(bucket_capacity(bucket_index(pow + 1)), pow * 2) << k;
  }
}

TEST(BucketMath, BucketCountRoundsTheMaximumUpAndClampsIt) {
  EXPECT_EQ(bucket_count_for(1), 1u);
  EXPECT_EQ(bucket_count_for(16), 1u);
  EXPECT_EQ(bucket_count_for(17), 2u);
  EXPECT_EQ(bucket_count_for(1024 * 1024), 17u);
  EXPECT_EQ(bucket_count_for(std::size_t{1} << 40), kMaxBucketCount);
}

TEST(BucketMath, OnlyPowersOfTwoWithinThePoolAreBucketCapacities) {
  EXPECT_TRUE(is_bucket_capacity(16, 1));
  EXPECT_FALSE(is_bucket_capacity(8, 3));
  EXPECT_FALSE(is_bucket_capacity(17, 3));
  EXPECT_FALSE(is_bucket_capacity(48, 3));
  EXPECT_TRUE(is_bucket_capacity(64, 3));
  EXPECT_FALSE(is_bucket_capacity(128, 3));
}

}  // namespace
}  // namespace bufpool::internal
