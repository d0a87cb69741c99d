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

TEST(AdviceFor, RetriesTransientFailuresOnly) {
  for (int code : {408, 500, 502, 503, 504}) {
    EXPECT_EQ(advice_for(status(code), {}), RetryAdvice::retry) << code;
  }
  EXPECT_EQ(advice_for(status(429), {}), RetryAdvice::back_off);
  for (int code : {200, 400, 401, 403, 404, 422, 501, 529}) {
    EXPECT_EQ(advice_for(status(code), {}), RetryAdvice::final) << code;
  }
  EXPECT_EQ(advice_for(failure(ErrorKind::network), {}), RetryAdvice::retry);
  EXPECT_EQ(advice_for(failure(ErrorKind::timeout), {}), RetryAdvice::retry);
  EXPECT_EQ(advice_for(failure(ErrorKind::cancelled), {}), RetryAdvice::final);
  EXPECT_EQ(advice_for(failure(ErrorKind::too_large), {}), RetryAdvice::final);
}

TEST(AdviceFor, AsksTheProviderAboutAnswersOnly) {
  const AdviseFn overloaded = [](const HttpResponse& r) {
    return r.status == 529 ? RetryAdvice::back_off : RetryAdvice::final;
  };
  EXPECT_EQ(advice_for(status(529), overloaded), RetryAdvice::back_off);
  EXPECT_EQ(advice_for(status(500), overloaded), RetryAdvice::final);
  EXPECT_EQ(advice_for(failure(ErrorKind::network), overloaded), RetryAdvice::retry);
}

TEST(RateLimitHeaders, ReadsOpenAiRemainingAndResetDurations) {
  HttpResponse r;
  r.headers = {{"x-ratelimit-remaining-requests", "0", false},
               {"x-ratelimit-reset-requests", "1m2.5s", false},
               {"x-ratelimit-remaining-tokens", "1500", false},
               {"x-ratelimit-reset-tokens", "250ms", false}};
  const RateLimitHint hint = read_rate_limit_headers(r, std::chrono::system_clock::now());
  EXPECT_EQ(hint.requests_remaining, 0.0);
  EXPECT_EQ(hint.requests_reset, std::chrono::milliseconds(62'500));
  EXPECT_EQ(hint.tokens_remaining, 1500.0);
  EXPECT_EQ(hint.tokens_reset, std::chrono::milliseconds(250));
}

TEST(RateLimitHeaders, ReadsAnthropicResetTimesAndTheScarcestTokenAllowance) {
  const auto now = std::chrono::system_clock::from_time_t(1'764'669'600);  // 2025-12-02T10:00:00Z
  HttpResponse r;
  r.headers = {{"anthropic-ratelimit-requests-remaining", "3", false},
               {"anthropic-ratelimit-requests-reset", "2025-12-02T10:00:01.250Z", false},
               {"anthropic-ratelimit-tokens-remaining", "90000", false},
               {"anthropic-ratelimit-tokens-reset", "2025-12-02T10:00:30Z", false},
               {"anthropic-ratelimit-output-tokens-remaining", "200", false},
               {"anthropic-ratelimit-output-tokens-reset", "2025-12-02T11:00:05+01:00", false}};
  const RateLimitHint hint = read_rate_limit_headers(r, now);
  EXPECT_EQ(hint.requests_remaining, 3.0);
  EXPECT_EQ(hint.requests_reset, std::chrono::milliseconds(1250));
  EXPECT_EQ(hint.tokens_remaining, 200.0);
  EXPECT_EQ(hint.tokens_reset, std::chrono::milliseconds(5000));
}

TEST(RateLimitHeaders, IgnoresWhatItCannotRead) {
  HttpResponse r;
  r.headers = {{"x-ratelimit-remaining-requests", "many", false},
               {"anthropic-ratelimit-requests-remaining", "2", false},
               {"anthropic-ratelimit-requests-reset", "tomorrow", false}};
  const RateLimitHint hint = read_rate_limit_headers(r, std::chrono::system_clock::now());
  EXPECT_EQ(hint.requests_remaining, 2.0);
  EXPECT_FALSE(hint.requests_reset);
  EXPECT_TRUE(RateLimitHint{}.empty());
  EXPECT_FALSE(parse_reset_duration("1x"));
  EXPECT_FALSE(parse_reset_duration(""));
  EXPECT_EQ(parse_reset_duration("6m0s"), std::chrono::milliseconds(360'000));
  EXPECT_EQ(parse_reset_duration("1h"), std::chrono::milliseconds(3'600'000));
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
