// SPDX-License-Identifier: Apache-2.0
// The engine's scheduling: limits per provider and overall, fairness, and bounded queues.
#include <gtest/gtest.h>

#include "engine/engine.hpp"
#include "unit/engine/fake_clock.hpp"
#include "unit/engine/fake_transport.hpp"

namespace promptbench {
namespace {

EngineJob job(std::size_t provider, std::uint64_t tag) {
  EngineJob j;
  j.provider = provider;
  j.request.url = "http://127.0.0.1/p" + std::to_string(provider);
  j.tag = tag;
  return j;
}

std::vector<ProviderLimits> limits(std::initializer_list<int> concurrency) {
  std::vector<ProviderLimits> out;
  for (int c : concurrency) {
    ProviderLimits l;
    l.concurrency = c;
    out.push_back(l);
  }
  return out;
}

std::vector<EngineResult> drain(Engine& engine) {
  std::vector<EngineResult> all;
  for (int guard = 0; guard < 10'000 && !engine.idle(); ++guard) {
    for (auto& r : engine.step(std::chrono::milliseconds(0))) {
      all.push_back(std::move(r));
    }
  }
  return all;
}

TEST(Engine, NeverExceedsTheGlobalLimit) {
  testing::FakeTransport transport;
  transport.finish_per_poll = 1;
  Engine engine(transport, limits({100}), 3);
  for (std::uint64_t t = 0; t < 5; ++t) {
    engine.submit(job(0, t));
  }
  const auto results = drain(engine);
  EXPECT_EQ(results.size(), 5u);
  EXPECT_EQ(transport.max_in_flight, 3u);
}

TEST(Engine, NeverExceedsAProvidersOwnLimit) {
  testing::FakeTransport transport;
  transport.finish_per_poll = 2;
  Engine engine(transport, limits({1, 8}), 16);
  for (std::uint64_t t = 0; t < 6; ++t) {
    engine.submit(job(0, t));
    engine.submit(job(1, 100 + t));
  }
  EXPECT_EQ(drain(engine).size(), 12u);
  EXPECT_EQ(transport.max_in_flight_by_url["http://127.0.0.1/p0"], 1u);
  EXPECT_EQ(transport.max_in_flight_by_url["http://127.0.0.1/p1"], 6u);
}

TEST(Engine, ReturnsEveryTagExactlyOnce) {
  testing::FakeTransport transport;
  transport.finish_per_poll = 7;
  Engine engine(transport, limits({2, 3}), 4);
  std::vector<int> seen(50, 0);
  for (std::uint64_t t = 0; t < 50; ++t) {
    engine.submit(job(t % 2, t));
  }
  for (const auto& r : drain(engine)) {
    ++seen.at(r.tag);
    EXPECT_EQ(r.provider, r.tag % 2);
  }
  for (int count : seen) {
    EXPECT_EQ(count, 1);
  }
}

TEST(Engine, WantsMoreOnlyUntilTwiceTheGlobalLimitIsQueued) {
  testing::FakeTransport transport;
  Engine engine(transport, limits({10}), 4);
  int submitted = 0;
  while (engine.wants_more() && submitted < 100) {
    engine.submit(job(0, static_cast<std::uint64_t>(submitted++)));
  }
  EXPECT_EQ(submitted, 8);
}

TEST(Engine, DropsQueuedJobsAndReportsCancelledOnes) {
  testing::FakeTransport transport;
  transport.finish_per_poll = 0;
  Engine engine(transport, limits({10}), 2);
  for (std::uint64_t t = 0; t < 6; ++t) {
    engine.submit(job(0, t));
  }
  (void)engine.step(std::chrono::milliseconds(0));
  EXPECT_EQ(engine.in_flight(), 2u);
  engine.drop_queued();
  engine.cancel_in_flight();
  EXPECT_EQ(transport.cancelled, 2u);
  EXPECT_EQ(transport.started.size(), 2u);
}

}  // namespace
}  // namespace promptbench

namespace promptbench {
namespace {

TransferResult answer(int code, std::vector<HttpHeader> headers = {}) {
  HttpResponse response;
  response.status = code;
  response.headers = std::move(headers);
  return response;
}

/// Runs the engine to completion; the fake clock moves only when the engine sleeps.
std::vector<EngineResult> drain_with(Engine& engine, testing::FakeClock& clock) {
  std::vector<EngineResult> all;
  for (int guard = 0; guard < 100'000 && !engine.idle(); ++guard) {
    for (auto& r : engine.step(std::chrono::milliseconds(100))) {
      all.push_back(std::move(r));
    }
    clock.advance(std::chrono::milliseconds(1));
  }
  return all;
}

TEST(EngineRetries, RetriesTransientFailuresUntilTheyAnswer) {
  int calls = 0;
  testing::FakeTransport transport([&](const HttpRequest&) -> TransferResult {
    ++calls;
    if (calls == 1) {
      return answer(500);
    }
    if (calls == 2) {
      return tl::unexpected(RequestError{ErrorKind::network, 0, "reset", false});
    }
    return answer(200);
  });
  testing::FakeClock clock;
  Engine engine(transport, limits({4}), 4, clock, 1);
  engine.submit(job(0, 9));
  const auto results = drain_with(engine, clock);
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].attempts, 3);
  ASSERT_TRUE(results[0].result);
  EXPECT_EQ(results[0].result->status, 200);
}

TEST(EngineRetries, GivesUpAfterTheConfiguredRetriesWithTheLastAnswer) {
  testing::FakeTransport transport([](const HttpRequest&) { return answer(503); });
  testing::FakeClock clock;
  auto providers = limits({4});
  providers[0].retry.max_retries = 2;
  Engine engine(transport, providers, 4, clock, 1);
  engine.submit(job(0, 1));
  const auto results = drain_with(engine, clock);
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].attempts, 3);
  EXPECT_EQ(results[0].result->status, 503);
  EXPECT_EQ(transport.started.size(), 3u);
}

TEST(EngineRetries, DoesNotSpendTheRetryBudgetOn429s) {
  int calls = 0;
  testing::FakeTransport transport([&](const HttpRequest&) {
    return ++calls <= 10 ? answer(429, {{"retry-after", "0", false}}) : answer(200);
  });
  testing::FakeClock clock;
  auto providers = limits({4});
  providers[0].retry.max_retries = 2;
  Engine engine(transport, providers, 4, clock, 1);
  engine.submit(job(0, 1));
  const auto results = drain_with(engine, clock);
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].attempts, 11);
  EXPECT_EQ(results[0].result->status, 200);
}

TEST(EngineRetries, DoesNotRetryOtherClientErrors) {
  testing::FakeTransport transport([](const HttpRequest&) { return answer(400); });
  testing::FakeClock clock;
  Engine engine(transport, limits({4}), 4, clock, 1);
  engine.submit(job(0, 1));
  const auto results = drain_with(engine, clock);
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].attempts, 1);
}

TEST(EngineRetries, WaitsAsLongAsRetryAfterSaysWithoutSleepingForReal) {
  int calls = 0;
  testing::FakeTransport transport([&](const HttpRequest&) {
    return ++calls == 1 ? answer(429, {{"retry-after", "7", false}}) : answer(200);
  });
  testing::FakeClock clock;
  Engine engine(transport, limits({4}), 4, clock, 1);
  engine.submit(job(0, 1));
  const auto start = clock.now();
  const auto results = drain_with(engine, clock);
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].attempts, 2);
  const auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(clock.now() - start);
  EXPECT_GE(waited, std::chrono::milliseconds(7000));
  EXPECT_LT(waited, std::chrono::milliseconds(7500));
}

TEST(EngineRetries, DoesNotRetryRefusedConnectionsBeforeTheEndpointEverAnswered) {
  testing::FakeTransport transport([](const HttpRequest&) -> TransferResult {
    return tl::unexpected(RequestError{ErrorKind::network, 0, "refused", true});
  });
  testing::FakeClock clock;
  Engine engine(transport, limits({4}), 4, clock, 1);
  engine.submit(job(0, 1));
  const auto results = drain_with(engine, clock);
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].attempts, 1);
}

TEST(EngineRateLimits, HalvesTheWindowOn429AndRegrowsItOnSuccess) {
  int calls = 0;
  testing::FakeTransport transport([&](const HttpRequest&) {
    return ++calls <= 1 ? answer(429, {{"retry-after", "0", false}}) : answer(200);
  });
  testing::FakeClock clock;
  Engine engine(transport, limits({16}), 16, clock, 1);
  engine.submit(job(0, 1));
  (void)engine.step(std::chrono::milliseconds(0));
  EXPECT_DOUBLE_EQ(engine.window(0), 8.0);
  for (std::uint64_t t = 2; t < 200; ++t) {
    engine.submit(job(0, t));
    (void)drain_with(engine, clock);
  }
  EXPECT_DOUBLE_EQ(engine.window(0), 16.0);
}

TEST(EngineRateLimits, SpacesRequestsToTheRequestsPerMinuteLimit) {
  testing::FakeTransport transport;
  testing::FakeClock clock;
  auto providers = limits({64});
  providers[0].rpm = 600;  // 10 per second after a burst of 10
  Engine engine(transport, providers, 64, clock, 1);
  for (std::uint64_t t = 0; t < 30; ++t) {
    engine.submit(job(0, t));
  }
  const auto start = clock.now();
  EXPECT_EQ(drain_with(engine, clock).size(), 30u);
  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(clock.now() - start);
  EXPECT_GE(took, std::chrono::milliseconds(1900));  // 20 beyond the burst at 100 ms each
  EXPECT_LT(took, std::chrono::milliseconds(2300));
}

TEST(EngineRetries, BacksOffWhereTheProviderSaysSoOnItsOwnBudget) {
  int calls = 0;
  testing::FakeTransport transport([&](const HttpRequest&) {
    return ++calls <= 8 ? answer(529, {{"retry-after", "0", false}}) : answer(200);
  });
  testing::FakeClock clock;
  auto providers = limits({16});
  providers[0].retry.max_retries = 2;
  providers[0].advise = [](const HttpResponse& r) {
    return r.status == 529 ? RetryAdvice::back_off : advice_for_status(r.status);
  };
  Engine engine(transport, providers, 16, clock, 1);
  engine.submit(job(0, 1));
  const auto results = drain_with(engine, clock);
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].attempts, 9);
  EXPECT_EQ(results[0].result->status, 200);
  EXPECT_LT(engine.window(0), 16.0);  // an overloaded endpoint gets fewer requests at once
}

TEST(EngineRetries, RetriesA200TheProviderCallsTransient) {
  int calls = 0;
  testing::FakeTransport transport([&](const HttpRequest&) {
    HttpResponse r;
    r.status = 200;
    r.body = ++calls == 1 ? "event: error" : "ok";
    return TransferResult(r);
  });
  testing::FakeClock clock;
  auto providers = limits({4});
  providers[0].advise = [](const HttpResponse& r) {
    return r.body == "ok" ? RetryAdvice::final : RetryAdvice::retry;
  };
  Engine engine(transport, providers, 4, clock, 1);
  engine.submit(job(0, 1));
  const auto results = drain_with(engine, clock);
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].attempts, 2);
  EXPECT_EQ(results[0].result->body, "ok");
}

std::vector<ProviderLimits> replicated(std::vector<std::string> bases, int concurrency = 16) {
  auto providers = limits({concurrency});
  providers[0].replicas = std::move(bases);
  return providers;
}

EngineJob replica_job(std::uint64_t tag) {
  EngineJob j;
  j.request.url = "http://a:1/v1/chat/completions";
  j.tag = tag;
  return j;
}

TEST(EngineReplicas, SpreadsRequestsOverTheLeastLoadedReplicas) {
  testing::FakeTransport transport;
  transport.finish_per_poll = 100;
  testing::FakeClock clock;
  Engine engine(transport, replicated({"http://a:1/v1", "http://b:2/v1", "http://c:3/v1"}), 16,
                clock, 1);
  for (std::uint64_t t = 0; t < 9; ++t) {
    engine.submit(replica_job(t));
  }
  EXPECT_EQ(drain_with(engine, clock).size(), 9u);
  EXPECT_EQ(transport.max_in_flight_by_url["http://a:1/v1/chat/completions"], 3u);
  EXPECT_EQ(transport.max_in_flight_by_url["http://b:2/v1/chat/completions"], 3u);
  EXPECT_EQ(transport.max_in_flight_by_url["http://c:3/v1/chat/completions"], 3u);
  const auto traffic = engine.replica_traffic(0);
  ASSERT_EQ(traffic.size(), 3u);
  for (const auto& replica : traffic) {
    EXPECT_EQ(replica.requests, 3u) << replica.base_url;
    EXPECT_EQ(replica.failures, 0u) << replica.base_url;
  }
}

TEST(EngineReplicas, MovesTheRequestsOfADeadReplicaElsewhereAndLeavesItOut) {
  testing::FakeTransport transport([](const HttpRequest& request) -> TransferResult {
    if (request.url.rfind("http://b:2", 0) == 0) {
      return tl::unexpected(RequestError{ErrorKind::network, 0, "refused", true});
    }
    HttpResponse ok;
    ok.status = 200;
    return ok;
  });
  transport.finish_per_poll = 100;
  testing::FakeClock clock;
  auto providers = replicated({"http://a:1/v1", "http://b:2/v1"}, 4);
  providers[0].retry.max_retries = 0;  // a move to another replica is not a retry
  Engine engine(transport, providers, 4, clock, 1);
  for (std::uint64_t t = 0; t < 20; ++t) {
    engine.submit(replica_job(t));
  }
  const auto results = drain_with(engine, clock);
  ASSERT_EQ(results.size(), 20u);
  for (const auto& r : results) {
    ASSERT_TRUE(r.result) << r.result.error().message;
    EXPECT_EQ(r.result->status, 200);
  }
  const auto traffic = engine.replica_traffic(0);
  EXPECT_EQ(traffic[0].requests, 20u);
  EXPECT_GE(traffic[1].failures, 1u);
  EXPECT_EQ(traffic[1].requests, traffic[1].failures);
  EXPECT_LE(traffic[1].requests, 4u);  // left out after the first refusals, not tried per request
}

TEST(EngineReplicas, FailsLikeOneEndpointWhenEveryReplicaIsDown) {
  testing::FakeTransport transport([](const HttpRequest&) -> TransferResult {
    return tl::unexpected(RequestError{ErrorKind::network, 0, "refused", true});
  });
  testing::FakeClock clock;
  Engine engine(transport, replicated({"http://a:1/v1", "http://b:2/v1"}, 4), 4, clock, 1);
  engine.submit(replica_job(1));
  const auto results = drain_with(engine, clock);
  ASSERT_EQ(results.size(), 1u);
  EXPECT_FALSE(results[0].result);
  EXPECT_EQ(results[0].attempts, 2);  // one per replica, then the refusal is reported
}

TEST(EngineRateLimits, WaitsForTheResetWhenTheHeadersSayNothingIsLeft) {
  int calls = 0;
  testing::FakeTransport transport([&](const HttpRequest&) {
    ++calls;
    return answer(200, {{"x-ratelimit-remaining-requests", calls % 2 == 0 ? "0" : "1", false},
                        {"x-ratelimit-reset-requests", "2s", false}});
  });
  testing::FakeClock clock;
  Engine engine(transport, limits({1}), 1, clock, 1);
  for (std::uint64_t t = 0; t < 4; ++t) {
    engine.submit(job(0, t));
  }
  const auto start = clock.now();
  EXPECT_EQ(drain_with(engine, clock).size(), 4u);
  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(clock.now() - start);
  // Answers 2 and 4 say the allowance is spent: the engine waits 2 s before request 3 (and
  // would before a fifth); nothing was answered 429.
  EXPECT_GE(took, std::chrono::milliseconds(2000));
  EXPECT_LT(took, std::chrono::milliseconds(4000));
  EXPECT_EQ(calls, 4);
}

}  // namespace
}  // namespace promptbench
