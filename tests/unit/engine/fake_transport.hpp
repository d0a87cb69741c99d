// SPDX-License-Identifier: Apache-2.0
// A Transport that records what it is asked to send and answers from a script, so engine
// and runner logic can be tested without sockets or sleeping.
#pragma once

#include <algorithm>
#include <deque>
#include <functional>
#include <map>

#include "promptbench/transport.hpp"

namespace promptbench::testing {

class FakeTransport : public Transport {
 public:
  /// Decides the outcome of each request; the default answers 200 with an empty body.
  using Responder = std::function<TransferResult(const HttpRequest&)>;

  explicit FakeTransport(Responder responder = {}) : m_responder(std::move(responder)) {}

  void start(TransferId id, const HttpRequest& request, const TransferOptions& options) override {
    started.push_back(request);
    last_options = options;
    m_running.emplace(id, request);
    max_in_flight = std::max(max_in_flight, m_running.size());
    std::size_t same_url = 0;
    for (const auto& [other_id, other] : m_running) {
      same_url += other.url == request.url ? 1 : 0;
    }
    max_in_flight_by_url[request.url] = std::max(max_in_flight_by_url[request.url], same_url);
  }

  /// Finishes at most `finish_per_poll` transfers per call, oldest first.
  std::vector<FinishedTransfer> poll(std::chrono::milliseconds) override {
    ++polls;
    std::vector<FinishedTransfer> done = std::move(m_cancelled);
    m_cancelled.clear();
    while (!m_running.empty() && done.size() < finish_per_poll) {
      auto it = m_running.begin();
      HttpResponse ok;
      ok.status = 200;
      done.push_back({it->first, m_responder ? m_responder(it->second) : TransferResult(ok)});
      m_running.erase(it);
    }
    return done;
  }

  /// As the contract says: each cancelled transfer is reported once by the next poll().
  void cancel_all() override {
    cancelled += m_running.size();
    for (const auto& [id, request] : m_running) {
      m_cancelled.push_back(
          {id, tl::unexpected(RequestError{ErrorKind::cancelled, 0, "cancelled"})});
    }
    m_running.clear();
  }

  std::size_t in_flight() const override { return m_running.size(); }

  std::vector<HttpRequest> started;
  TransferOptions last_options;
  std::size_t max_in_flight = 0;
  std::map<std::string, std::size_t> max_in_flight_by_url;
  std::size_t finish_per_poll = 1;
  std::size_t polls = 0;
  std::size_t cancelled = 0;

 private:
  Responder m_responder;
  std::map<TransferId, HttpRequest> m_running;
  std::vector<FinishedTransfer> m_cancelled;
};

}  // namespace promptbench::testing
