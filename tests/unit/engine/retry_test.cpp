// SPDX-License-Identifier: Apache-2.0
// Retry decisions, server-requested delays and full-jitter backoff.
#include <gtest/gtest.h>

#include "engine/engine.hpp"

namespace promptbench {
namespace {

TransferResult status(int code, std::vector<HttpHeader> headers = {}) {
  HttpResponse response;
  response.status = code;
  response.headers = std::move(headers);
  return response;
}

TransferResult failure(ErrorKind kind) {
  return tl::unexpected(RequestError{kind, 0, "x"});
}

TEST(IsRetryable, RetriesTransientFailuresOnly) {
  for (int code : {408, 429, 500, 502, 503, 504}) {
    EXPECT_TRUE(is_retryable(status(code))) << code;
  }
  for (int code : {200, 400, 401, 403, 404, 422, 501}) {
    EXPECT_FALSE(is_retryable(status(code))) << code;
  }
  EXPECT_TRUE(is_retryable(failure(ErrorKind::network)));
  EXPECT_TRUE(is_retryable(failure(ErrorKind::timeout)));
  EXPECT_FALSE(is_retryable(failure(ErrorKind::cancelled)));
  EXPECT_FALSE(is_retryable(failure(ErrorKind::too_large)));
}

TEST(ServerRetryDelay, ReadsSecondsMillisecondsAndHttpDates) {
  const auto now = std::chrono::system_clock::from_time_t(1'445'412'470);  // 07:27:50 GMT
  HttpResponse r;
  r.headers = {{"retry-after", "7", false}};
  EXPECT_EQ(server_retry_delay(r, now), std::chrono::milliseconds(7000));
  r.headers = {{"retry-after", "1.5", false}};
  EXPECT_EQ(server_retry_delay(r, now), std::chrono::milliseconds(1500));
  r.headers = {{"retry-after", "Wed, 21 Oct 2015 07:28:00 GMT", false}};
  EXPECT_EQ(server_retry_delay(r, now), std::chrono::milliseconds(10'000));
  r.headers = {{"retry-after", "Wed, 21 Oct 2015 07:00:00 GMT", false}};
  EXPECT_EQ(server_retry_delay(r, now), std::chrono::milliseconds(0));
  r.headers = {{"retry-after-ms", "250", false}, {"retry-after", "9", false}};
  EXPECT_EQ(server_retry_delay(r, now), std::chrono::milliseconds(250));
  r.headers = {{"retry-after", "soon", false}};
  EXPECT_EQ(server_retry_delay(r, now), std::nullopt);
  r.headers = {};
  EXPECT_EQ(server_retry_delay(r, now), std::nullopt);
}

TEST(BackoffDelay, StaysWithinTheExponentialCeilingAndSpreadsOverIt) {
  RetryPolicy policy;
  policy.base_delay = std::chrono::milliseconds(100);
  policy.max_delay = std::chrono::milliseconds(1000);
  std::mt19937_64 rng(42);
  for (int retry = 1; retry <= 8; ++retry) {
    const std::int64_t ceiling = std::min<std::int64_t>(1000, std::int64_t{100} << (retry - 1));
    std::int64_t largest = 0;
    std::int64_t smallest = ceiling;
    for (int i = 0; i < 2000; ++i) {
      const std::int64_t delay = backoff_delay(policy, retry, rng).count();
      ASSERT_GE(delay, 0);
      ASSERT_LE(delay, ceiling);
      largest = std::max(largest, delay);
      smallest = std::min(smallest, delay);
    }
    // Full jitter: the draws cover the whole range, not just its top.
    EXPECT_GT(largest, ceiling * 9 / 10) << retry;
    EXPECT_LT(smallest, ceiling / 10 + 1) << retry;
  }
}

TEST(BackoffDelay, IsDeterministicForASeed) {
  RetryPolicy policy;
  std::mt19937_64 a(7);
  std::mt19937_64 b(7);
  for (int retry = 1; retry <= 5; ++retry) {
    EXPECT_EQ(backoff_delay(policy, retry, a), backoff_delay(policy, retry, b));
  }
}

}  // namespace
}  // namespace promptbench
