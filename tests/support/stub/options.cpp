// SPDX-License-Identifier: Apache-2.0
// promptbench-stub's command line: every flag with its help text (docs/STUB.md has the table).
#include "options.hpp"

namespace promptbench::stub {

namespace {

void add_server_options(CLI::App& app, StubOptions& options) {
  app.add_option("--host", options.host, "Address to listen on")->capture_default_str();
  app.add_option("--port", options.port, "Port to listen on; 0 picks a free port")
      ->capture_default_str()
      ->check(CLI::Range(0, 65535));
  app.add_option("--port-file", options.port_file,
                 "Also write the chosen port to this file (written atomically)");
  app.add_option("--stats-file", options.stats_file, "On shutdown write the /stats JSON here");
  app.add_option("--threads", options.threads,
                 "Worker threads started up front (each open connection holds one)")
      ->capture_default_str()
      ->check(CLI::Range(1, 100000));
  app.add_option("--max-threads", options.max_threads,
                 "Upper bound the pool grows to when every thread is busy")
      ->capture_default_str()
      ->check(CLI::Range(1, 100000));
  app.add_option("--backlog", options.backlog, "listen() backlog")
      ->capture_default_str()
      ->check(CLI::Range(1, 65535));
  app.add_option("--keep-alive-timeout", options.keep_alive_timeout_s,
                 "Seconds an idle keep-alive connection is kept open")
      ->capture_default_str()
      ->check(CLI::Range(0, 3600));
  app.add_option("--latency-ms", options.latency_ms, "Delay before each answer")
      ->capture_default_str()
      ->check(CLI::Range(0, 3600000));
  app.add_option("--mode", options.mode,
                 "echo: reply with the last user message; sentiment: tiny lexicon classifier")
      ->capture_default_str()
      ->check(CLI::IsMember({"echo", "sentiment"}));
  app.add_flag("--no-compression", options.no_compression,
               "Never compress answers (by default httplib compresses JSON answers with brotli "
               "or gzip when the client accepts it)");
}

void add_fault_options(CLI::App& app, StubOptions& options) {
  app.add_option("--seed", options.seed, "Seed of the fault PRNG")->capture_default_str();
  const auto probability = CLI::Range(0.0, 1.0);
  app.add_option("--fail-500", options.fail_500, "Probability of a 500 answer")
      ->capture_default_str()
      ->check(probability);
  app.add_option("--fail-429", options.fail_429, "Probability of a 429 answer")
      ->capture_default_str()
      ->check(probability);
  app.add_option("--fail-400", options.fail_400, "Probability of an injected 400 answer")
      ->capture_default_str()
      ->check(probability);
  app.add_option("--drop", options.drop, "Probability of closing the connection without any answer")
      ->capture_default_str()
      ->check(probability);
  app.add_option("--malformed", options.malformed,
                 "Probability of a 200 answer whose body is not valid JSON")
      ->capture_default_str()
      ->check(probability);
  app.add_option("--answer-status", options.answer_status,
                 "Answer chat requests with this HTTP status instead (a canned answer)")
      ->check(CLI::Range(100, 599));
  app.add_option("--answer-body", options.answer_body,
                 "Body of the canned answer (default empty; {authorization} is replaced by the "
                 "request's Authorization header, like a server that echoes it)");
  app.add_option("--answer-rate", options.answer_rate,
                 "Probability of the canned answer (default 1: every request)")
      ->capture_default_str()
      ->check(probability);
  app.add_option("--retry-after", options.retry_after_s, "Retry-After seconds on 429 answers")
      ->capture_default_str()
      ->check(CLI::Range(0, 86400));
  app.add_option("--retry-after-ms", options.retry_after_ms,
                 "Send retry-after-ms: MS on 429 answers instead of Retry-After")
      ->check(CLI::Range(0, 86400000));
  app.add_option("--fail-first", options.fail_first,
                 "The first N requests (since start or POST /reset) get a 500")
      ->capture_default_str();
  app.add_option("--fail-529", options.fail_529,
                 "Probability of an overloaded answer: 529 overloaded_error on /v1/messages, 503 "
                 "on the other routes (one more PRNG draw per request when non-zero)")
      ->capture_default_str()
      ->check(probability);
  app.add_option("--stream-error", options.stream_error,
                 "Probability that a streamed answer (HTTP 200) breaks off after its first "
                 "content delta with an error event (one more PRNG draw when non-zero)")
      ->capture_default_str()
      ->check(probability);
  app.add_option("--trickle-ms", options.trickle_ms,
                 "Answer every request on an answer route with 200 and a body that never ends: "
                 "one byte every N ms (a server that trickles; the client's timeout must end it)")
      ->check(CLI::Range(1, 3600000));
  app.add_flag("--endless-body", options.endless_body,
               "Answer every request on an answer route with 200 and a body that never ends: "
               "64 KiB chunks as fast as the client reads them (its size limit must end it)");
  app.add_option("--exit-after", options.exit_after,
                 "Exit at once (_exit(0), no stats file) after this many complete successful "
                 "answers on any route; 0 = never")
      ->capture_default_str();
}

void add_api_options(CLI::App& app, StubOptions& options) {
  app.add_flag("--require-api-key", options.require_api_key,
               "POST /v1/messages answers 401 authentication_error without an x-api-key header");
  app.add_option("--require-header", options.require_headers,
                 "Every answer route answers 401 when this request header is missing "
                 "(repeatable)");
  app.add_option("--first-token-delay-ms", options.first_token_delay_ms,
                 "Streamed answers: send the headers and the opening events (OpenAI: the "
                 "role-only chunk; Anthropic: message_start, content_block_start, ping) at "
                 "once, then wait this long before the first content delta")
      ->capture_default_str()
      ->check(CLI::Range(0, 3600000));
  app.add_option("--ratelimit-requests", options.ratelimit_requests,
                 "Allow this many requests per fixed window (the window opens at the first "
                 "request after the last one ended); more get 429 with retry-after; every "
                 "answer carries rate-limit headers. 0 = no limit and no headers")
      ->capture_default_str();
  app.add_option("--ratelimit-window-ms", options.ratelimit_window_ms,
                 "Length of the rate-limit window")
      ->capture_default_str()
      ->check(CLI::Range(1, 86400000));
  app.add_option("--custom-method", options.custom_method,
                 "The method the custom JSON route /generate answers (others get 405)")
      ->capture_default_str()
      ->check(CLI::IsMember({"POST", "PUT", "PATCH"}));
  app.add_option("--record-requests", options.record_requests,
                 "Append every request (but GET /stats and POST /reset) to this file as one "
                 "JSON line {method, path, headers (lower-case names), body}");
}

}  // namespace

void add_options(CLI::App& app, StubOptions& options) {
  add_server_options(app, options);
  add_fault_options(app, options);
  add_api_options(app, options);
}

}  // namespace promptbench::stub
