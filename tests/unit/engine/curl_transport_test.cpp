// SPDX-License-Identifier: Apache-2.0
// The libcurl transport against small servers on 127.0.0.1: answers and connection reuse,
// the timeouts libcurl's timer drives with no byte moving, a stream's idle limit, cancelling
// what is in flight, a refused connection, and a signal ending the wait.
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "promptbench/transport.hpp"

namespace promptbench::testing::curl_transport_test {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;

/// Serves each connection on a thread of its own with `serve(client)`; counts connections.
class TinyServer {
 public:
  using Serve = std::function<void(int client, const std::atomic<bool>& stopping)>;

  explicit TinyServer(Serve serve) : m_serve(std::move(serve)) {
    m_listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    if (::bind(m_listener, reinterpret_cast<sockaddr*>(&address), length) != 0 ||
        ::listen(m_listener, 64) != 0 ||
        ::getsockname(m_listener, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
      throw std::runtime_error("cannot listen");
    }
    m_port = ntohs(address.sin_port);
    m_acceptor = std::thread([this] { accept_all(); });
  }
  ~TinyServer() {
    m_stopping = true;
    ::shutdown(m_listener, SHUT_RDWR);  // wakes accept()
    m_acceptor.join();
    {
      const std::lock_guard lock(m_mutex);
      for (const int client : m_clients) {
        ::shutdown(client, SHUT_RDWR);  // wakes recv()
      }
    }
    for (std::thread& thread : m_threads) {
      thread.join();
    }
    for (const int client : m_clients) {
      ::close(client);
    }
    ::close(m_listener);
  }
  TinyServer(const TinyServer&) = delete;
  TinyServer& operator=(const TinyServer&) = delete;

  [[nodiscard]] std::string url() const {
    return "http://127.0.0.1:" + std::to_string(m_port) + "/v1/chat";
  }
  [[nodiscard]] int connections() const { return m_connections; }

 private:
  void accept_all() {
    while (!m_stopping) {
      const int client = ::accept4(m_listener, nullptr, nullptr, SOCK_CLOEXEC);
      if (client < 0) {
        return;
      }
      ++m_connections;
      const std::lock_guard lock(m_mutex);
      m_clients.push_back(client);
      m_threads.emplace_back([this, client] { m_serve(client, m_stopping); });
    }
  }

  Serve m_serve;
  int m_listener = -1;
  int m_port = 0;
  std::atomic<bool> m_stopping{false};
  std::atomic<int> m_connections{0};
  std::mutex m_mutex;
  std::vector<int> m_clients;
  std::vector<std::thread> m_threads;
  std::thread m_acceptor;
};

/// Reads one request (head and Content-Length body); false when the client went away.
bool read_request(int client, std::string& pending) {
  std::size_t head_end = std::string::npos;
  std::size_t body = 0;
  while (true) {
    if (head_end == std::string::npos) {
      head_end = pending.find("\r\n\r\n");
      if (head_end != std::string::npos) {
        const std::size_t field = pending.find("Content-Length: ");
        if (field != std::string::npos && field < head_end) {
          body = std::stoul(pending.substr(field + 16));
        }
      }
    }
    if (head_end != std::string::npos && pending.size() >= head_end + 4 + body) {
      pending.erase(0, head_end + 4 + body);
      return true;
    }
    char buffer[4096];
    const ssize_t n = ::recv(client, buffer, sizeof buffer, 0);
    if (n <= 0) {
      return false;
    }
    pending.append(buffer, static_cast<std::size_t>(n));
  }
}

void send_all(int client, const std::string& data) {
  (void)::send(client, data.data(), data.size(), MSG_NOSIGNAL);
}

/// Answers every request on the connection with 200 "ok", keeping it open.
void answer_ok(int client, const std::atomic<bool>& /*stopping*/) {
  std::string pending;
  while (read_request(client, pending)) {
    send_all(client, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-Served: Yes\r\n\r\nok");
  }
}

/// Reads the request and never answers, until the test ends.
void stay_silent(int client, const std::atomic<bool>& /*stopping*/) {
  std::string pending;
  while (read_request(client, pending)) {
  }
}

/// A chunked stream: `pieces` chunks `gap` apart, then the end.
TinyServer::Serve stream_pieces(int pieces, std::chrono::milliseconds gap) {
  return [pieces, gap](int client, const std::atomic<bool>& stopping) {
    std::string pending;
    if (!read_request(client, pending)) {
      return;
    }
    send_all(client, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
    for (int i = 0; i < pieces && !stopping; ++i) {
      send_all(client, "5\r\npiece\r\n");
      std::this_thread::sleep_for(gap);
    }
    send_all(client, "0\r\n\r\n");
    stay_silent(client, stopping);
  };
}

/// One streamed piece, then silence.
void stream_then_stall(int client, const std::atomic<bool>& stopping) {
  std::string pending;
  if (!read_request(client, pending)) {
    return;
  }
  send_all(client, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\npiece\r\n");
  stay_silent(client, stopping);
}

HttpRequest request_to(const std::string& url, std::string body = "{}") {
  HttpRequest request;
  request.url = url;
  request.headers = {{"Content-Type", "application/json", false}};
  request.body = std::move(body);
  return request;
}

/// Polls until `count` transfers ended (or 20 s passed, which fails the test).
std::map<TransferId, TransferResult> wait_for(Transport& transport, std::size_t count) {
  std::map<TransferId, TransferResult> ended;
  const auto give_up = std::chrono::steady_clock::now() + 20s;
  while (ended.size() < count && std::chrono::steady_clock::now() < give_up) {
    for (FinishedTransfer& finished : transport.poll(50ms)) {
      EXPECT_TRUE(ended.emplace(finished.id, std::move(finished.result)).second)
          << "transfer " << finished.id << " reported twice";
    }
  }
  EXPECT_EQ(ended.size(), count);
  return ended;
}

TEST(CurlTransport, AnswersEveryRequestAndReusesItsConnections) {
  TinyServer server(&answer_ok);
  auto transport = make_curl_transport();
  constexpr int kWide = 4;
  TransferId id = 0;
  for (int round = 0; round < 5; ++round) {
    for (int i = 0; i < kWide; ++i) {
      ++id;
      transport->start(id, request_to(server.url(), "{\"n\":" + std::to_string(id) + "}"), {});
    }
    EXPECT_EQ(transport->in_flight(), static_cast<std::size_t>(kWide));
    for (auto& [ended, result] : wait_for(*transport, kWide)) {
      ASSERT_TRUE(result.has_value()) << ended << ": " << result.error().message;
      EXPECT_EQ(result->status, 200);
      EXPECT_EQ(result->body, "ok");
      const std::string* served = result->header("x-served");
      ASSERT_NE(served, nullptr);
      EXPECT_EQ(*served, "Yes");
    }
    EXPECT_EQ(transport->in_flight(), 0u);
  }
  // 20 requests, never more than 4 at once: the connections of the first round carry the rest.
  EXPECT_LE(server.connections(), kWide);
}

// No byte moves: only libcurl's timer, through the socket interface, can end the request.
TEST(CurlTransport, TheTotalTimeoutEndsARequestThatIsNeverAnswered) {
  TinyServer server(&stay_silent);
  auto transport = make_curl_transport();
  TransferOptions options;
  options.total_timeout = 300ms;
  transport->start(7, request_to(server.url()), options);
  auto ended = wait_for(*transport, 1);
  ASSERT_EQ(ended.count(7), 1u);
  ASSERT_FALSE(ended.at(7).has_value());
  EXPECT_EQ(ended.at(7).error().kind, ErrorKind::timeout);
  EXPECT_THAT(ended.at(7).error().message, HasSubstr("timed out"));
  EXPECT_EQ(transport->in_flight(), 0u);
}

TEST(CurlTransport, AStreamThatStopsSendingEndsAtItsIdleLimit) {
  TinyServer server(&stream_then_stall);
  auto transport = make_curl_transport();
  HttpRequest request = request_to(server.url());
  request.stream = true;
  request.idle_timeout = 200ms;
  TransferOptions options;
  options.total_timeout = 60s;  // far off: the idle limit must end it
  transport->start(1, request, options);
  auto ended = wait_for(*transport, 1);
  ASSERT_EQ(ended.count(1), 1u);
  ASSERT_FALSE(ended.at(1).has_value());
  EXPECT_EQ(ended.at(1).error().kind, ErrorKind::timeout);
  EXPECT_EQ(ended.at(1).error().message, "the stream sent nothing for 200 ms (idle_timeout)");
  EXPECT_EQ(transport->in_flight(), 0u);
}

// The stream lasts twice its idle limit but never pauses that long: the idle check found
// due early is put back, and the stream ends normally with every piece's arrival.
TEST(CurlTransport, AStreamThatKeepsSendingOutlivesItsIdleLimit) {
  TinyServer server(stream_pieces(20, 50ms));
  auto transport = make_curl_transport();
  HttpRequest request = request_to(server.url());
  request.stream = true;
  request.idle_timeout = 500ms;
  transport->start(1, request, {});
  auto ended = wait_for(*transport, 1);
  ASSERT_EQ(ended.count(1), 1u);
  ASSERT_TRUE(ended.at(1).has_value()) << ended.at(1).error().message;
  std::string pieces;
  for (int i = 0; i < 20; ++i) {
    pieces += "piece";
  }
  EXPECT_EQ(ended.at(1)->body, pieces);
  const std::vector<BodyArrival>& arrivals = ended.at(1)->arrivals;
  ASSERT_FALSE(arrivals.empty());
  EXPECT_EQ(arrivals.back().end, 100u);
  EXPECT_GE(ended.at(1)->latency_ms, arrivals.back().ms);
}

TEST(CurlTransport, CancelAllReportsEachTransferInFlightOnceAndTheTransportGoesOn) {
  TinyServer silent(&stay_silent);
  auto transport = make_curl_transport();
  for (TransferId id = 1; id <= 3; ++id) {
    transport->start(id, request_to(silent.url()), {});
  }
  for (int turn = 0; turn < 5; ++turn) {
    EXPECT_TRUE(transport->poll(20ms).empty());  // connected and sent, never answered
  }
  transport->cancel_all();
  EXPECT_EQ(transport->in_flight(), 0u);
  std::vector<TransferId> cancelled;
  for (FinishedTransfer& finished : transport->poll(0ms)) {
    ASSERT_FALSE(finished.result.has_value());
    EXPECT_EQ(finished.result.error().kind, ErrorKind::cancelled);
    cancelled.push_back(finished.id);
  }
  EXPECT_THAT(cancelled, ::testing::UnorderedElementsAre(1u, 2u, 3u));
  EXPECT_TRUE(transport->poll(0ms).empty());

  TinyServer answering(&answer_ok);
  transport->start(4, request_to(answering.url()), {});
  auto ended = wait_for(*transport, 1);
  ASSERT_EQ(ended.count(4), 1u);
  ASSERT_TRUE(ended.at(4).has_value()) << ended.at(4).error().message;
  EXPECT_EQ(ended.at(4)->status, 200);
}

TEST(CurlTransport, ARefusedConnectionIsANetworkErrorWithNoConnection) {
  int port = 0;
  {
    TinyServer gone(&answer_ok);  // a port that was free a moment ago and is closed now
    port = std::stoi(gone.url().substr(std::string("http://127.0.0.1:").size()));
  }
  auto transport = make_curl_transport();
  transport->start(1, request_to("http://127.0.0.1:" + std::to_string(port) + "/v1/chat"), {});
  auto ended = wait_for(*transport, 1);
  ASSERT_EQ(ended.count(1), 1u);
  ASSERT_FALSE(ended.at(1).has_value());
  EXPECT_EQ(ended.at(1).error().kind, ErrorKind::network);
  EXPECT_TRUE(ended.at(1).error().no_connection);
}

extern "C" void on_test_signal(int) {}

// Ctrl-C reaches the run loop through a flag it reads between polls: a signal must end the
// transport's wait (epoll_wait's EINTR) rather than be retried until the wait is over.
TEST(CurlTransport, ASignalEndsTheWait) {
  TinyServer server(&stay_silent);
  auto transport = make_curl_transport();
  transport->start(1, request_to(server.url()), {});
  for (int turn = 0; turn < 5; ++turn) {
    EXPECT_TRUE(transport->poll(20ms).empty());  // sent: now only the total timeout is due
  }
  struct sigaction action {};
  struct sigaction previous {};
  action.sa_handler = &on_test_signal;  // no SA_RESTART, as eval's interrupt handler
  sigemptyset(&action.sa_mask);
  ASSERT_EQ(::sigaction(SIGUSR1, &action, &previous), 0);
  std::atomic<bool> returned{false};
  const pthread_t waiter = ::pthread_self();
  std::thread signaller([&] {
    while (!returned) {  // again and again: the first may come before the wait begins
      std::this_thread::sleep_for(20ms);
      ::pthread_kill(waiter, SIGUSR1);
    }
  });
  const auto before = std::chrono::steady_clock::now();
  const auto ended = transport->poll(60s);
  const auto waited = std::chrono::steady_clock::now() - before;
  returned = true;
  signaller.join();
  ::sigaction(SIGUSR1, &previous, nullptr);
  EXPECT_TRUE(ended.empty());
  EXPECT_LT(waited, 30s);  // not a timing bound: a wait that ignores signals lasts 60 s
  transport->cancel_all();
}

}  // namespace
}  // namespace promptbench::testing::curl_transport_test
