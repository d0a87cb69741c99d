// SPDX-License-Identifier: Apache-2.0
// Keep-alive connection reuse at concurrency above 1: a run opens as many connections as it
// keeps requests in flight, not one per request. The stub does not count connections, so a
// relay in front of it does: every connection promptbench opens passes through it.
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/harness.hpp"

namespace promptbench::testing::connection_reuse_test {
namespace {

using nlohmann::json;

int listen_on_loopback(int& port) {
  const int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  if (::bind(listener, reinterpret_cast<sockaddr*>(&address), length) != 0 ||
      ::listen(listener, 256) != 0 ||
      ::getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    throw std::runtime_error("cannot listen");
  }
  port = ntohs(address.sin_port);
  return listener;
}

int connect_to_loopback(int port) {
  const int socket = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  if (::connect(socket, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    ::close(socket);
    return -1;
  }
  return socket;
}

/// Relays every connection it accepts to `target_port` on 127.0.0.1, counting them.
class CountingRelay {
 public:
  explicit CountingRelay(int target_port) : m_target(target_port) {
    m_listener = listen_on_loopback(m_port);
    m_acceptor = std::thread([this] { accept_all(); });
  }
  ~CountingRelay() {
    m_stopping = true;
    ::shutdown(m_listener, SHUT_RDWR);  // wakes accept()
    m_acceptor.join();
    for (std::thread& relay : m_relays) {
      relay.join();  // each notices m_stopping within its poll interval
    }
    ::close(m_listener);
  }
  CountingRelay(const CountingRelay&) = delete;
  CountingRelay& operator=(const CountingRelay&) = delete;

  [[nodiscard]] std::string base_url() const {
    return "http://127.0.0.1:" + std::to_string(m_port) + "/v1";
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
      m_relays.emplace_back([this, client] { relay(client); });
    }
  }

  void relay(int client) {
    const int server = connect_to_loopback(m_target);
    pollfd ends[2] = {{client, POLLIN, 0}, {server, POLLIN, 0}};
    char buffer[65536];
    while (server >= 0 && !m_stopping) {
      if (::poll(ends, 2, 100) <= 0) {
        continue;
      }
      bool open = true;
      for (int from = 0; from < 2 && open; ++from) {
        if (ends[from].revents == 0) {
          continue;
        }
        const ssize_t n = ::recv(ends[from].fd, buffer, sizeof buffer, 0);
        open = n > 0 &&
               ::send(ends[1 - from].fd, buffer, static_cast<std::size_t>(n), MSG_NOSIGNAL) == n;
      }
      if (!open) {
        break;  // either side closed: close both, as a direct connection would end
      }
    }
    if (server >= 0) {
      ::close(server);
    }
    ::close(client);
  }

  int m_target;
  int m_listener = -1;
  int m_port = 0;
  std::atomic<bool> m_stopping{false};
  std::atomic<int> m_connections{0};
  std::vector<std::thread> m_relays;  ///< touched by the acceptor only, joined after it
  std::thread m_acceptor;
};

std::string rows(int cases) {
  std::string out;
  for (int i = 0; i < cases; ++i) {
    const std::string text = "t" + std::to_string(i);
    out += json{{"id", "c" + std::to_string(i)}, {"text", text}, {"label", text}}.dump() + "\n";
  }
  return out;
}

class ConnectionReuse : public ::testing::TestWithParam<bool> {};

// 200 requests, 8 at a time, each taking a few milliseconds so that they overlap: 8
// connections carry them all. Without keep-alive reuse there would be 200.
TEST_P(ConnectionReuse, TwoHundredCasesAtDashJ8OpenAtMost8Connections) {
  const bool stream = GetParam();
  StubServer stub({"--latency-ms", "5"});
  CountingRelay relay(stub.port());
  TempDir dir;
  dir.write("cases.jsonl", rows(200));
  dir.write("promptbench.yaml", "providers:\n  - {id: stub, base_url: \"" + relay.base_url() +
                                    "\", model: m" + (stream ? ", stream: true" : "") +
                                    "}\n"
                                    "prompts:\n  - {id: a, template: \"{{text}}\"}\n"
                                    "dataset: {path: cases.jsonl, reference: label, id: id}\n"
                                    "metrics: [exact_match]\n");
  const ProcessResult run = promptbench(
      dir, {"eval", "promptbench.yaml", "-o", "report.json", "-q", "--no-cache", "-j", "8"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const json stats = stub.stats();
  EXPECT_EQ(stats["requests"], 200) << stats.dump();
  EXPECT_EQ(stats["by_status"]["200"], 200) << stats.dump();
  EXPECT_EQ(stats["in_flight_max"], 8) << stats.dump();
  EXPECT_GE(relay.connections(), 1);
  EXPECT_LE(relay.connections(), 8);
  const json report = json::parse(read_file(dir.path() / "report.json"));
  EXPECT_EQ(report["variants"][0]["metrics"]["exact_match"]["mean"], 1.0)
      << report["variants"][0].dump();
}

INSTANTIATE_TEST_SUITE_P(StreamedOrNot, ConnectionReuse, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return std::string(info.param ? "Streamed" : "Whole");
                         });

}  // namespace
}  // namespace promptbench::testing::connection_reuse_test
