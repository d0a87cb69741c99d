// SPDX-License-Identifier: Apache-2.0
// The engine's scheduling: limits per provider and overall, fairness, and bounded queues.
#include <gtest/gtest.h>

#include "promptbench/engine.hpp"
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
  Engine engine(transport, {100}, 3);
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
  Engine engine(transport, {1, 8}, 16);
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
  Engine engine(transport, {2, 3}, 4);
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
  Engine engine(transport, {10}, 4);
  int submitted = 0;
  while (engine.wants_more() && submitted < 100) {
    engine.submit(job(0, static_cast<std::uint64_t>(submitted++)));
  }
  EXPECT_EQ(submitted, 8);
}

TEST(Engine, DropsQueuedJobsAndReportsCancelledOnes) {
  testing::FakeTransport transport;
  transport.finish_per_poll = 0;
  Engine engine(transport, {10}, 2);
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
