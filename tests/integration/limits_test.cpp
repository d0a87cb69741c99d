// SPDX-License-Identifier: Apache-2.0
// Resource limits over the real binary (README "Limits"): each hostile input or endpoint ends
// in a bounded, documented way -- a dataset row over max_row_bytes, a response that trickles
// forever or never ends, thousands of slow connections at once, an open-file limit too low.
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/harness.hpp"

namespace promptbench::testing {
namespace limits_test {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

std::string rows(int cases, int first = 0) {
  std::string out;
  for (int i = first; i < first + cases; ++i) {
    const std::string text = "t" + std::to_string(i);
    out += json{{"id", "c" + std::to_string(i)}, {"text", text}, {"label", text}}.dump() + "\n";
  }
  return out;
}

/// One provider with `provider_extra` (", timeout: 1s"), one prompt; `dataset_extra` goes
/// into the dataset mapping (", max_row_bytes: 1KiB").
std::string config(const StubServer& stub, const std::string& provider_extra,
                   const std::string& dataset_extra = "") {
  return "providers:\n  - {id: stub, base_url: \"" + stub.base_url() + "\", model: m" +
         provider_extra +
         "}\n"
         "prompts:\n  - {id: a, template: \"{{text}}\"}\n"
         "dataset: {path: cases.jsonl, reference: label, id: id" +
         dataset_extra +
         "}\n"
         "metrics: [exact_match]\n";
}

json read_report(const TempDir& dir) {
  return json::parse(read_file(dir.path() / "report.json"));
}

ProcessResult eval(const TempDir& dir, const std::vector<std::string>& extra = {}) {
  std::vector<std::string> args = {"eval", "promptbench.yaml", "-o", "report.json",
                                   "-q",   "--no-cache"};
  args.insert(args.end(), extra.begin(), extra.end());
  RunOptions options;
  options.timeout = std::chrono::seconds(90);  // a hang fails the test rather than the suite
  return promptbench(dir, args, options);
}

/// eval under `sh -c "ulimit ...; exec promptbench ..."`: the open-file limits of the child.
ProcessResult eval_with_ulimit(const TempDir& dir, const std::string& ulimit,
                               const std::vector<std::string>& extra) {
  std::string command = ulimit + " && exec '" + promptbench_bin() +
                        "' eval promptbench.yaml -o report.json -q --no-cache";
  for (const std::string& arg : extra) {
    command += " " + arg;
  }
  RunOptions options;
  options.working_dir = dir.path().string();
  options.unset_env = {"NO_COLOR"};
  options.timeout = std::chrono::seconds(90);
  return run_process({"/bin/sh", "-c", command}, options);
}

std::size_t hard_open_file_limit() {
  rlimit limits{};
  ::getrlimit(RLIMIT_NOFILE, &limits);
  return limits.rlim_max == RLIM_INFINITY ? SIZE_MAX : static_cast<std::size_t>(limits.rlim_max);
}

/// A server on 127.0.0.1 that answers each connection with a status line and then header
/// lines without end, until the client goes away (httplib cannot stream headers).
class EndlessHeaders {
 public:
  EndlessHeaders() {
    m_listener = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    if (::bind(m_listener, reinterpret_cast<sockaddr*>(&address), length) != 0 ||
        ::listen(m_listener, 16) != 0 ||
        ::getsockname(m_listener, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
      throw std::runtime_error("cannot listen");
    }
    m_port = ntohs(address.sin_port);
    m_thread = std::thread([this] { serve(); });
  }
  ~EndlessHeaders() {
    m_stopping = true;
    ::shutdown(m_listener, SHUT_RDWR);  // wakes accept()
    m_thread.join();
    ::close(m_listener);
  }
  EndlessHeaders(const EndlessHeaders&) = delete;
  EndlessHeaders& operator=(const EndlessHeaders&) = delete;

  [[nodiscard]] std::string base_url() const {
    return "http://127.0.0.1:" + std::to_string(m_port) + "/v1";
  }
  [[nodiscard]] int connections() const { return m_connections; }

 private:
  void serve() {
    while (!m_stopping) {
      const int client = ::accept(m_listener, nullptr, nullptr);
      if (client < 0) {
        return;
      }
      ++m_connections;
      char request[65536];
      (void)::recv(client, request, sizeof request, 0);
      const std::string status = "HTTP/1.1 200 OK\r\n";
      (void)::send(client, status.data(), status.size(), MSG_NOSIGNAL);
      std::string lines;
      for (int i = 0; i < 64; ++i) {
        lines += "X-Flood: " + std::string(1000, 'a') + "\r\n";
      }
      std::size_t sent = 0;
      for (ssize_t n = 0; n >= 0 && !m_stopping; sent += static_cast<std::size_t>(n)) {
        n = ::send(client, lines.data(), lines.size(), MSG_NOSIGNAL);
        if (sent > (std::size_t{1} << 30)) {
          break;  // 1 GiB of headers taken: the client has no limit; the test fails
        }
      }
      ::close(client);
    }
  }

  int m_listener = -1;
  int m_port = 0;
  std::atomic<bool> m_stopping{false};
  std::atomic<int> m_connections{0};
  std::thread m_thread;
};

TEST(Limits, ADatasetRowOverMaxRowBytesIsALocatedErrorBeforeAnythingIsSent) {
  StubServer stub;
  TempDir dir;
  const std::string long_row =
      json{{"id", "big"}, {"text", std::string(5000, 'x')}, {"label", "x"}}.dump();
  dir.write("cases.jsonl", rows(2) + long_row + "\n" + rows(2, 2));
  dir.write("promptbench.yaml", config(stub, "", ", max_row_bytes: 1KiB"));
  const ProcessResult run = eval(dir);
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_EQ(run.err,
            "promptbench: error: cases.jsonl:3: row is larger than max_row_bytes, 1 KiB (1024 "
            "bytes); raise dataset.max_row_bytes in the config to read it\n");
  EXPECT_EQ(stub.stats()["requests"], 0);
  // Raised, the same file runs.
  dir.write("promptbench.yaml", config(stub, "", ", max_row_bytes: 8KiB"));
  const ProcessResult roomy = eval(dir);
  EXPECT_EQ(roomy.exit_code, 0) << roomy.err;
}

class TrickledResponse : public ::testing::TestWithParam<bool> {};

// One byte every 50 ms keeps a connection busy forever, and a stream's idle limit never
// fires: the request's total timeout must end it, as a failed request (exit 3).
TEST_P(TrickledResponse, EndsAtTheTotalTimeoutAsAFailedRequest) {
  const bool stream = GetParam();
  StubServer stub({"--trickle-ms", "50"});
  TempDir dir;
  dir.write("cases.jsonl", rows(3));
  dir.write("promptbench.yaml", config(stub, std::string(", timeout: 1s, retries: 0") +
                                                 (stream ? ", stream: true" : "")));
  const ProcessResult run = eval(dir);
  ASSERT_FALSE(run.timed_out);
  EXPECT_EQ(run.exit_code, 3) << run.err;
  EXPECT_THAT(run.err, HasSubstr("promptbench: error: 3 of 3 requests failed (timeout: "
                                 "Operation timed out after "));
  const json report = read_report(dir);
  EXPECT_EQ(report["variants"][0]["errors_by_kind"]["timeout"], 3) << report["variants"].dump();
  EXPECT_EQ(stub.stats()["requests"], 3);
}

INSTANTIATE_TEST_SUITE_P(StreamedOrNot, TrickledResponse, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return std::string(info.param ? "Streamed" : "Whole");
                         });

// A body that never ends, as fast as it is read: max_response_bytes stops it, not memory.
TEST(Limits, AnEndlessResponseEndsAtMaxResponseBytes) {
  StubServer stub({"--endless-body"});
  TempDir dir;
  dir.write("cases.jsonl", rows(2));
  dir.write("promptbench.yaml",
            config(stub, ", timeout: 60s, retries: 0, max_response_bytes: 1MiB"));
  const ProcessResult run = eval(dir);
  ASSERT_FALSE(run.timed_out);
  EXPECT_EQ(run.exit_code, 3) << run.err;
  EXPECT_THAT(run.err, HasSubstr("promptbench: error: 2 of 2 requests failed (too_large: "
                                 "response larger than the 1048576 byte limit)"));
  EXPECT_EQ(read_report(dir)["variants"][0]["errors_by_kind"]["too_large"], 2);
}

// Header lines without end: libcurl's own bound (300 KiB of headers) ends the request as a
// network error, then a failed request. A libcurl without it would read the 1 GiB the
// server offers.
TEST(Limits, EndlessResponseHeadersEndAsAFailedRequest) {
  EndlessHeaders server;
  TempDir dir;
  dir.write("cases.jsonl", rows(1));
  dir.write("promptbench.yaml", "providers:\n  - {id: flood, base_url: \"" + server.base_url() +
                                    "\", model: m, retries: 0}\n"
                                    "prompts:\n  - {id: a, template: \"{{text}}\"}\n"
                                    "dataset: {path: cases.jsonl, reference: label, id: id}\n");
  const ProcessResult run = eval(dir);
  ASSERT_FALSE(run.timed_out);
  EXPECT_EQ(run.exit_code, 3) << run.err;
  EXPECT_THAT(run.err, HasSubstr("promptbench: error: 1 of 1 requests failed (network: Too "
                                 "large response headers: "));
  EXPECT_EQ(server.connections(), 1);
}

// 2,000 requests in flight at once, each answered after 3 s, from a process whose soft
// open-file limit (512) is far below that: promptbench raises it to fit, and every request
// is answered. (docs/BENCHMARKS.md has the 10,000 run.)
TEST(Limits, TwoThousandSlowConnectionsAtOnceWithALowSoftOpenFileLimit) {
  constexpr int kCases = 2000;
  if (hard_open_file_limit() < 2 * kCases + 200) {
    GTEST_SKIP() << "the hard open-file limit is below " << 2 * kCases + 200;
  }
  StubServer stub(
      {"--latency-ms", "3000", "--threads", "64", "--max-threads", "4096", "--no-compression"});
  TempDir dir;
  dir.write("cases.jsonl", rows(kCases));
  dir.write("promptbench.yaml", config(stub, ""));
  const ProcessResult run = eval_with_ulimit(dir, "ulimit -Sn 512", {"-j", "2000"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.err, "");
  const json report = read_report(dir);
  EXPECT_EQ(report["variants"][0]["metrics"]["exact_match"]["n"], kCases);
  const json stats = stub.stats();
  EXPECT_EQ(stats["requests"], kCases);
  // Far more at once than the soft limit of 512 would have let through.
  EXPECT_GT(stats["in_flight_max"].get<int>(), 512) << stats.dump();
  EXPECT_LE(stats["in_flight_max"].get<int>(), kCases);
}

// A hard limit too low for -j: the run goes on at what fits, says so, and never fails with
// "Too many open files".
TEST(Limits, AHardOpenFileLimitBelowTheConcurrencyRunsFewerAndSaysSo) {
  StubServer stub({"--latency-ms", "300", "--threads", "64", "--no-compression"});
  TempDir dir;
  dir.write("cases.jsonl", rows(400));
  dir.write("promptbench.yaml", config(stub, ""));
  const ProcessResult run = eval_with_ulimit(dir, "ulimit -n 200", {"-j", "1000"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.err,
            "promptbench: warning: 1000 requests in flight (-j 1000) need 1064 open files, over "
            "the hard open-file limit of 200 (ulimit -Hn); running 136 at most\n");
  EXPECT_EQ(read_report(dir)["variants"][0]["metrics"]["exact_match"]["n"], 400);
  EXPECT_LE(stub.stats()["in_flight_max"].get<int>(), 136);
}

}  // namespace
}  // namespace limits_test
}  // namespace promptbench::testing
