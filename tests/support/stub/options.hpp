// SPDX-License-Identifier: Apache-2.0
// promptbench-stub's options: one struct with every default, and the CLI flags bound to it.
#pragma once

#include <CLI/CLI.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace promptbench::stub {

struct StubOptions {
  std::string host = "127.0.0.1";  // address to bind
  int port = 0;                    // 0 = let the kernel pick a free port
  std::string port_file;           // if set, the chosen port is written here (atomically)
  std::string stats_file;          // if set, /stats JSON is written here on shutdown
  std::size_t threads = 64;        // worker threads started up front
  std::size_t max_threads = 1024;  // the pool grows up to this so every connection has a thread
  int backlog = 1024;              // listen() backlog; httplib's own default is only 5
  int keep_alive_timeout_s = 5;    // idle keep-alive connections are closed after this
  int latency_ms = 0;              // delay before every answer
  std::string mode = "echo";       // echo | sentiment
  std::uint64_t seed = 1;          // seed of the fault PRNG
  double fail_500 = 0.0;           // probability of a 500 answer
  double fail_429 = 0.0;           // probability of a 429 answer
  double fail_400 = 0.0;           // probability of an injected 400 answer
  double drop = 0.0;               // probability of closing the connection without an answer
  double malformed = 0.0;          // probability of a 200 answer whose body is not JSON
  int retry_after_s = 1;           // value of Retry-After on injected 429s
  int retry_after_ms = -1;         // if >= 0, send retry-after-ms instead of Retry-After
  std::uint64_t fail_first = 0;    // the first N requests (since start or /reset) get a 500
  bool no_compression = false;     // never compress (else httplib brotli/gzips JSON if accepted)
  int answer_status = 0;           // canned answer: this status (0 = none unless a body is set)
  std::string answer_body;         // canned answer body; {authorization} = the request's header
  double answer_rate = 1.0;        // probability of the canned answer (when one is set)

  bool require_api_key = false;  // Anthropic route: 401 authentication_error without x-api-key
  std::vector<std::string> require_headers;  // every answer route: 401 when one is missing
  int first_token_delay_ms = 0;  // streams: pause after the opening events, before content
  double fail_529 = 0.0;         // probability of "overloaded" (529 Anthropic, 503 elsewhere)
  double stream_error = 0.0;     // probability that a stream breaks off after one delta
  std::uint64_t exit_after = 0;  // _exit(0) after this many successful answers (0 = never)
  std::uint64_t ratelimit_requests = 0;  // requests per window (0 = no limit and no headers)
  int ratelimit_window_ms = 1000;        // length of the fixed rate-limit window
  std::string custom_method = "POST";    // the method /generate answers
  std::string record_requests;           // if set, every request is appended here as JSON
  int trickle_ms = 0;         // if > 0, answer 200 with a body of one byte every N ms, forever
  bool endless_body = false;  // answer 200 with a body of 64 KiB chunks, as fast as read, forever

  [[nodiscard]] bool canned() const { return answer_status != 0 || !answer_body.empty(); }
  [[nodiscard]] bool endless() const { return trickle_ms > 0 || endless_body; }
};

// Binds every flag of promptbench-stub to `options`.
void add_options(CLI::App& app, StubOptions& options);

}  // namespace promptbench::stub
