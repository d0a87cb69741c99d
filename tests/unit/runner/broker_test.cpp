// SPDX-License-Identifier: Apache-2.0
// The broker's single flight: identical requests in flight are sent once, repeats are not.
#include <gtest/gtest.h>

#include "runner/broker.hpp"
#include "unit/engine/fake_clock.hpp"
#include "unit/engine/fake_transport.hpp"
#include "unit/temp_dir.hpp"

namespace promptbench {
namespace {

using testing::FakeClock;
using testing::FakeTransport;

HttpRequest request_for(const std::string& prompt) {
  HttpRequest request;
  request.method = "POST";
  request.url = "http://127.0.0.1:1/v1/chat/completions";
  request.body = nlohmann::json{{"messages", {{{"role", "user"}, {"content", prompt}}}}}.dump();
  return request;
}

TransferResult answer_with_body(const HttpRequest& request) {
  HttpResponse response;
  response.status = 200;
  response.body = request.body;
  return response;
}

Ticket model_ticket(std::size_t case_index) {
  return Ticket{Ticket::Kind::model, case_index, 0, 0};
}

class Broker : public ::testing::Test {
 protected:
  RequestBroker make(ResponseCache* cache) {
    RequestBroker::Endpoint endpoint;
    endpoint.limits.concurrency = 8;
    return RequestBroker(m_transport, {endpoint}, 8, m_clock, 0, cache);
  }

  /// Steps until the broker is idle (bounded), collecting every reply; like the run, it
  /// remembers each answer it could read (`remember_answers`).
  std::vector<Reply> drain(RequestBroker& broker, bool remember_answers = true) {
    std::vector<Reply> all;
    for (int turn = 0; turn < 100 && !broker.idle(); ++turn) {
      for (Reply& reply : broker.step(std::chrono::milliseconds(0))) {
        if (remember_answers && reply.result) {
          broker.remember(reply);
        }
        all.push_back(std::move(reply));
      }
    }
    EXPECT_TRUE(broker.idle());
    return all;
  }

  testing::ScratchDir m_dir;
  FakeClock m_clock;
  FakeTransport m_transport{answer_with_body};
};

TEST_F(Broker, IdenticalRequestsInFlightAreSentOnceAndAllGetTheAnswer) {
  ResponseCache cache(m_dir.path() / "cache.db");
  RequestBroker broker = make(&cache);
  for (std::size_t i = 0; i < 5; ++i) {
    broker.submit(model_ticket(i), 0, request_for(i < 3 ? "same" : "other " + std::to_string(i)), 1,
                  0);
  }
  const std::vector<Reply> replies = drain(broker);
  EXPECT_EQ(m_transport.started.size(), 3u) << "one 'same' and the two others";
  ASSERT_EQ(replies.size(), 5u);
  std::size_t shared = 0;
  std::vector<bool> answered(5, false);
  for (const Reply& reply : replies) {
    ASSERT_TRUE(reply.result.has_value());
    answered[reply.ticket.case_index] = true;
    EXPECT_EQ(reply.result->body,
              request_for(reply.ticket.case_index < 3
                              ? "same"
                              : "other " + std::to_string(reply.ticket.case_index))
                  .body);
    if (reply.cached) {
      ++shared;
      EXPECT_EQ(reply.attempts, 0);
    }
  }
  EXPECT_EQ(shared, 2u) << "two of the three 'same' took the first one's answer";
  EXPECT_EQ(answered, std::vector<bool>(5, true));
}

TEST_F(Broker, RepeatsOfOneRequestStayIndependentSamples) {
  ResponseCache cache(m_dir.path() / "cache.db");
  RequestBroker broker = make(&cache);
  for (int sample = 0; sample < 4; ++sample) {
    broker.submit(Ticket{Ticket::Kind::model, 0, static_cast<std::size_t>(sample), 0}, 0,
                  request_for("same"), 1, sample);
  }
  const std::vector<Reply> replies = drain(broker);
  EXPECT_EQ(m_transport.started.size(), 4u);
  ASSERT_EQ(replies.size(), 4u);
  for (const Reply& reply : replies) {
    EXPECT_FALSE(reply.cached);
  }
}

TEST_F(Broker, WithoutTheCacheEveryRequestIsSent) {
  RequestBroker broker = make(nullptr);
  for (std::size_t i = 0; i < 3; ++i) {
    broker.submit(model_ticket(i), 0, request_for("same"), 1, 0);
  }
  EXPECT_EQ(drain(broker).size(), 3u);
  EXPECT_EQ(m_transport.started.size(), 3u);
}

TEST_F(Broker, AfterAFailureEachWaitingRequestIsSentOnItsOwn) {
  FakeTransport failing([](const HttpRequest&) -> TransferResult {
    return tl::unexpected(RequestError{ErrorKind::timeout, 0, "timed out"});
  });
  ResponseCache cache(m_dir.path() / "cache.db");
  RequestBroker::Endpoint endpoint;
  endpoint.limits.retry.max_retries = 0;
  RequestBroker broker(failing, {endpoint}, 8, m_clock, 0, &cache);
  for (std::size_t i = 0; i < 3; ++i) {
    broker.submit(model_ticket(i), 0, request_for("same"), 1, 0);
  }
  const std::vector<Reply> replies = drain(broker);
  EXPECT_EQ(failing.started.size(), 3u) << "failures are not shared, as the cache keeps none";
  ASSERT_EQ(replies.size(), 3u);
  for (const Reply& reply : replies) {
    ASSERT_FALSE(reply.result.has_value());
    EXPECT_EQ(reply.result.error().kind, ErrorKind::timeout);
    EXPECT_FALSE(reply.cached);
    EXPECT_EQ(reply.attempts, 1);
  }
}

TEST_F(Broker, AnAnswerTheRunDoesNotRememberIsNotShared) {
  ResponseCache cache(m_dir.path() / "cache.db");
  RequestBroker broker = make(&cache);
  broker.submit(model_ticket(0), 0, request_for("same"), 1, 0);
  broker.submit(model_ticket(1), 0, request_for("same"), 1, 0);
  // Say the run could not parse the answer (an HTTP 400, a body that is not JSON).
  const std::vector<Reply> replies = drain(broker, false);
  EXPECT_EQ(m_transport.started.size(), 2u);
  ASSERT_EQ(replies.size(), 2u);
  EXPECT_FALSE(replies[0].cached);
  EXPECT_FALSE(replies[1].cached);
}

TEST_F(Broker, AnAnsweredRequestIsNoLongerALeader) {
  ResponseCache cache(m_dir.path() / "cache.db");
  RequestBroker broker = make(&cache);
  broker.submit(model_ticket(0), 0, request_for("same"), 1, 0);
  ASSERT_EQ(drain(broker, false).size(), 1u);
  // The run did not remember that answer: the next identical request must be sent, not
  // wait for a leader that is gone.
  broker.submit(model_ticket(1), 0, request_for("same"), 1, 0);
  EXPECT_EQ(drain(broker).size(), 1u);
  EXPECT_EQ(m_transport.started.size(), 2u);
}

TEST_F(Broker, AStoppingRunSendsNoWaitingRequestOnItsOwn) {
  ResponseCache cache(m_dir.path() / "cache.db");
  RequestBroker broker = make(&cache);
  broker.submit(model_ticket(0), 0, request_for("same"), 1, 0);
  broker.submit(model_ticket(1), 0, request_for("same"), 1, 0);
  broker.drop_queued();  // nothing had started yet: the leader is dropped too
  EXPECT_TRUE(drain(broker, false).empty());
  EXPECT_TRUE(m_transport.started.empty());
}

/// A FakeTransport that notes how long each poll() may wait for the network.
class TimedTransport : public FakeTransport {
 public:
  using FakeTransport::FakeTransport;
  std::vector<FinishedTransfer> poll(std::chrono::milliseconds max_wait) override {
    waits.push_back(max_wait);
    return FakeTransport::poll(max_wait);
  }
  std::vector<std::chrono::milliseconds> waits;
};

using std::chrono::milliseconds;

/// One step of the run: each answer it could read is remembered (staged in the journal).
std::vector<std::string> step_and_remember(RequestBroker& broker, milliseconds max_wait) {
  std::vector<std::string> keys;
  for (Reply& reply : broker.step(max_wait)) {
    broker.remember(reply);
    keys.push_back(reply.cache_key);
  }
  return keys;
}

TEST_F(Broker, TheJournalCommitsWhenItsWindowClosesAndNotBefore) {
  const auto path = m_dir.path() / "cache.db";
  ResponseCache cache(path);
  RequestBroker::Endpoint endpoint;
  endpoint.limits.concurrency = 8;
  RequestBroker broker(m_transport, {endpoint}, 8, m_clock, 0, &cache,
                       JournalCadence{milliseconds(3), 64});
  for (std::size_t i = 0; i < 3; ++i) {
    broker.submit(model_ticket(i), 0, request_for("case " + std::to_string(i)), 1, 0);
  }
  std::vector<std::string> keys = step_and_remember(broker, milliseconds(0));
  ASSERT_EQ(keys.size(), 1u);  // the fake transport finishes one transfer per poll
  broker.commit_when_due();
  EXPECT_EQ(broker.uncommitted(), 1u) << "the window has just opened";
  m_clock.advance(milliseconds(2));
  keys.push_back(step_and_remember(broker, milliseconds(0)).at(0));
  broker.commit_when_due();
  EXPECT_EQ(broker.uncommitted(), 2u) << "2 ms into a 3 ms window";
  m_clock.advance(milliseconds(1));
  broker.commit_when_due();
  EXPECT_EQ(broker.uncommitted(), 0u) << "the window of the first answer closed";
  ResponseCache other(path);
  for (const std::string& key : keys) {
    EXPECT_TRUE(other.get(key).has_value());
  }
  // The next answer opens a window of its own.
  keys = step_and_remember(broker, milliseconds(0));
  ASSERT_EQ(keys.size(), 1u);
  broker.commit_when_due();
  EXPECT_EQ(broker.uncommitted(), 1u);
  m_clock.advance(milliseconds(3));
  broker.commit_when_due();
  EXPECT_EQ(broker.uncommitted(), 0u);
}

TEST_F(Broker, TheJournalCommitsOnceItHoldsAsManyAnswersAsRunAtOnce) {
  ResponseCache cache(m_dir.path() / "cache.db");
  RequestBroker::Endpoint endpoint;
  endpoint.limits.concurrency = 8;
  // A window of a minute and room for 64 answers: the concurrency of 4 closes it first.
  RequestBroker broker(m_transport, {endpoint}, 4, m_clock, 0, &cache,
                       JournalCadence{milliseconds(60'000), 64});
  m_transport.finish_per_poll = 8;
  for (std::size_t i = 0; i < 6; ++i) {
    broker.submit(model_ticket(i), 0, request_for("case " + std::to_string(i)), 1, 0);
  }
  ASSERT_EQ(step_and_remember(broker, milliseconds(0)).size(), 4u);
  broker.commit_when_due();
  EXPECT_EQ(broker.uncommitted(), 0u);
  ASSERT_EQ(step_and_remember(broker, milliseconds(0)).size(), 2u);
  broker.commit_when_due();
  EXPECT_EQ(broker.uncommitted(), 2u);
  broker.commit();  // the end of the run: whatever the window holds
  EXPECT_EQ(broker.uncommitted(), 0u);
}

TEST_F(Broker, AnOpenWindowShortensTheWaitForTheNetwork) {
  TimedTransport transport(answer_with_body);
  ResponseCache cache(m_dir.path() / "cache.db");
  RequestBroker::Endpoint endpoint;
  endpoint.limits.concurrency = 8;
  RequestBroker broker(transport, {endpoint}, 8, m_clock, 0, &cache,
                       JournalCadence{milliseconds(5), 64});
  for (std::size_t i = 0; i < 3; ++i) {
    broker.submit(model_ticket(i), 0, request_for("case " + std::to_string(i)), 1, 0);
  }
  ASSERT_EQ(step_and_remember(broker, milliseconds(100)).size(), 1u);
  m_clock.advance(milliseconds(2));
  ASSERT_EQ(step_and_remember(broker, milliseconds(100)).size(), 1u);
  m_clock.advance(milliseconds(4));  // past the window: the loop commits without waiting
  ASSERT_EQ(step_and_remember(broker, milliseconds(100)).size(), 1u);
  broker.commit_when_due();
  EXPECT_EQ(broker.uncommitted(), 0u);
  broker.submit(model_ticket(3), 0, request_for("case 3"), 1, 0);
  ASSERT_EQ(step_and_remember(broker, milliseconds(100)).size(), 1u);
  EXPECT_EQ(transport.waits, (std::vector<milliseconds>{milliseconds(100), milliseconds(3),
                                                        milliseconds(0), milliseconds(100)}))
      << "no window open; 3 ms left of 5; closed; none open after the commit";
}

TEST_F(Broker, WithoutTheCacheNothingShortensTheWait) {
  TimedTransport transport(answer_with_body);
  RequestBroker::Endpoint endpoint;
  endpoint.limits.concurrency = 8;
  RequestBroker broker(transport, {endpoint}, 8, m_clock, 0, nullptr);
  for (std::size_t i = 0; i < 2; ++i) {
    broker.submit(model_ticket(i), 0, request_for("case " + std::to_string(i)), 1, 0);
  }
  ASSERT_EQ(step_and_remember(broker, milliseconds(100)).size(), 1u);
  ASSERT_EQ(step_and_remember(broker, milliseconds(100)).size(), 1u);
  broker.commit_when_due();
  EXPECT_EQ(transport.waits, (std::vector<milliseconds>{milliseconds(100), milliseconds(100)}));
}

}  // namespace
}  // namespace promptbench
