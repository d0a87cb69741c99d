// SPDX-License-Identifier: Apache-2.0
// Token buckets: burst of one second's worth, steady refill, debt for large requests.
#include <gtest/gtest.h>

#include "engine/engine.hpp"

namespace promptbench {
namespace {

using std::chrono::milliseconds;

TEST(TokenBucket, UnlimitedNeverWaits) {
  TokenBucket bucket;
  const auto now = Clock::time_point{};
  bucket.take(1e9, now);
  EXPECT_EQ(bucket.wait_for(1e9, now), milliseconds(0));
}

TEST(TokenBucket, AllowsOneSecondOfBurstThenRefillsSteadily) {
  const auto start = Clock::time_point{} + std::chrono::hours(1);
  TokenBucket bucket(600, start);  // 10 per second
  for (int i = 0; i < 10; ++i) {
    ASSERT_EQ(bucket.wait_for(1, start), milliseconds(0)) << i;
    bucket.take(1, start);
  }
  EXPECT_EQ(bucket.wait_for(1, start), milliseconds(100));
  EXPECT_EQ(bucket.wait_for(1, start + milliseconds(100)), milliseconds(0));
}

TEST(TokenBucket, LargeRequestsWaitForAFullBucketAndLeaveADebt) {
  const auto start = Clock::time_point{} + std::chrono::hours(1);
  TokenBucket bucket(6000, start);  // 100 per second, capacity 100
  EXPECT_EQ(bucket.wait_for(500, start), milliseconds(0));
  bucket.take(500, start);  // 400 in debt
  EXPECT_EQ(bucket.wait_for(1, start), milliseconds(4010));
  bucket.adjust(400);  // the request really cost 100: the bucket is empty, not in debt
  EXPECT_EQ(bucket.wait_for(1, start), milliseconds(10));
}

}  // namespace
}  // namespace promptbench
