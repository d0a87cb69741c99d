// SPDX-License-Identifier: Apache-2.0
// The request prologue, error shapes, faults and streaming shared by the stub's answer routes.
#include "answer.hpp"

#include "http_server.hpp"

#include <time.h>
#include <unistd.h>

#include <atomic>

#include <cstdio>
#include <iostream>
#include <thread>

namespace promptbench::stub {

using nlohmann::json;

namespace {

// Set by the thread writing a successful answer; httplib serves a connection, handler and
// content provider and logger alike, on one thread.
thread_local bool t_answer_complete = false;

// --exit-after's budget: how many successful answers may be written before the process exits.
std::atomic<std::uint64_t> g_answer_budget{0};  // 0: no limit
std::atomic<std::uint64_t> g_answers_reserved{0};

// Takes one of the budget's answers before a byte of it is written. The logger counts answers
// only once they are written, so without this two threads could both write an answer while the
// count stood below the budget and a client would get one more than --exit-after allows. A
// thread over the budget never answers: it waits for the last allowed answer's logger to end
// the process (bounded, in case that answer's client went away).
void reserve_answer() {
  const std::uint64_t budget = g_answer_budget.load();
  if (budget == 0 || ++g_answers_reserved <= budget) {
    return;
  }
  for (int i = 0; i < 3000; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ::_exit(0);
}

std::string fault_id(Route route, std::uint64_t number) {
  return (route == Route::Messages ? "msg_stub_" : "stub-") + std::to_string(number);
}

// A 200 whose body breaks off mid-JSON, in the shape the route would have answered.
void answer_malformed(const Context& context, Route route, httplib::Response& res,
                      const std::string& id, bool stream) {
  res.status = 200;
  if (route == Route::Chat && stream) {
    res.set_content("data: {\"id\":\"" + id + "\",\"object\":\"chat.completion.chunk\"," +
                        "\"choices\":[{\n\ndata: [DONE]\n\n",
                    "text/event-stream");
  } else if (route == Route::Chat) {
    res.set_content("{\"id\":\"" + id + "\",\"object\":\"chat.completion\",\"choices\":[{" +
                        "\"index\":0,\"message\":",
                    json_type(context.options));
  } else if (route == Route::Messages && stream) {
    res.set_content("event: message_start\ndata: {\"type\":\"message_start\",\"message\":{" +
                        std::string("\"id\":\"") + id + "\",\n\n",
                    "text/event-stream");
  } else if (route == Route::Messages) {
    res.set_content("{\"id\":\"" + id + "\",\"type\":\"message\",\"content\":[{" +
                        "\"type\":\"text\",\"text\":",
                    json_type(context.options));
  } else {
    res.set_content("{\"result\":{\"answer\":", json_type(context.options));
  }
}

void answer_canned(const Context& context, const httplib::Request& req, httplib::Response& res) {
  std::string body = context.options.answer_body;
  const std::string placeholder = "{authorization}";
  const std::string authorization = req.get_header_value("Authorization");
  for (std::size_t at = body.find(placeholder); at != std::string::npos;
       at = body.find(placeholder, at + authorization.size())) {
    body.replace(at, placeholder.size(), authorization);
  }
  res.status = context.options.answer_status != 0 ? context.options.answer_status : 200;
  res.set_content(body,
                  !body.empty() && body.front() == '<' ? "text/html" : json_type(context.options));
}

// The first required header the request lacks (--require-header, then x-api-key for
// --require-api-key on the Anthropic route), or "" if it has them all.
std::string missing_header(const Context& context, Route route, const httplib::Request& req) {
  for (const auto& name : context.options.require_headers) {
    if (!req.has_header(name.c_str())) {
      return name;
    }
  }
  if (route == Route::Messages && context.options.require_api_key && !req.has_header("x-api-key")) {
    return "x-api-key";
  }
  return {};
}

void answer_unauthorized(const Context& context, Route route, httplib::Response& res,
                         const std::string& header) {
  if (route == Route::Messages) {
    answer_error(context, route, res, 401, "authentication_error", header + " header is required");
  } else {
    answer_error(context, route, res, 401, "invalid_request_error",
                 "stub: missing required header " + header);
  }
}

// Rounded up: a reset announced a moment early would send a client that waits exactly as
// long as told into the old window.
std::chrono::milliseconds until(std::chrono::steady_clock::time_point time) {
  const auto left =
      std::chrono::ceil<std::chrono::milliseconds>(time - std::chrono::steady_clock::now());
  return std::max(left, std::chrono::milliseconds(0));
}

void answer_rate_limited(const Context& context, Route route, httplib::Response& res,
                         const RateWindow& window) {
  const std::string message = "stub: rate limit of " + std::to_string(window.limit) +
                              " requests per " +
                              std::to_string(context.options.ratelimit_window_ms) + " ms reached";
  res.set_header("retry-after", std::to_string((until(window.reset).count() + 999) / 1000));
  if (route == Route::Chat) {
    const json body = {{"error",
                        {{"message", message},
                         {"type", "requests"},
                         {"param", nullptr},
                         {"code", "rate_limit_exceeded"}}}};
    answer_json(res, 429, body.dump(), json_type(context.options));
  } else {
    answer_error(context, route, res, 429, "rate_limit_error", message);
  }
}

void set_rate_limit_headers(Route route, httplib::Response& res, const RateWindow& window,
                            std::uint64_t tokens_left) {
  if (route == Route::Messages) {
    const std::string reset = rfc3339_utc(std::chrono::system_clock::now() + until(window.reset));
    res.set_header("anthropic-ratelimit-requests-limit", std::to_string(window.limit));
    res.set_header("anthropic-ratelimit-requests-remaining", std::to_string(window.remaining));
    res.set_header("anthropic-ratelimit-requests-reset", reset);
    res.set_header("anthropic-ratelimit-tokens-limit", std::to_string(kTokensPerWindow));
    res.set_header("anthropic-ratelimit-tokens-remaining", std::to_string(tokens_left));
    res.set_header("anthropic-ratelimit-tokens-reset", reset);
  } else {
    const std::string reset = go_duration(until(window.reset));
    res.set_header("x-ratelimit-limit-requests", std::to_string(window.limit));
    res.set_header("x-ratelimit-remaining-requests", std::to_string(window.remaining));
    res.set_header("x-ratelimit-reset-requests", reset);
    res.set_header("x-ratelimit-limit-tokens", std::to_string(kTokensPerWindow));
    res.set_header("x-ratelimit-remaining-tokens", std::to_string(tokens_left));
    res.set_header("x-ratelimit-reset-tokens", reset);
  }
}

}  // namespace

void serve(const Context& context, Route route, RouteHandler handler, const httplib::Request& req,
           httplib::Response& res) {
  t_answer_complete = false;
  try {
    InFlight in_flight(context.state);
    const std::string missing = missing_header(context, route, req);
    const auto admission =
        context.state.admit(route, req.body, req.has_header("Authorization"), missing.empty());
    if (context.options.latency_ms > 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(context.options.latency_ms));
    }
    std::uint64_t tokens = 0;
    if (!missing.empty()) {
      answer_unauthorized(context, route, res, missing);
      context.state.record_answer(admission.body_hash, res.status, false, false);
    } else if (admission.rate_limited) {
      answer_rate_limited(context, route, res, admission.window);
      context.state.record_answer(admission.body_hash, res.status, false, false);
    } else if (context.options.endless()) {
      answer_endless(context, res);
    } else {
      tokens = handler(context, admission, req, res);
    }
    if (admission.window.limit > 0) {
      set_rate_limit_headers(route, res, admission.window,
                             context.state.consume_tokens(admission.window.window, tokens));
    }
  } catch (const std::exception& e) {
    t_answer_complete = false;
    answer_error(context, route, res, 500, route == Route::Messages ? "api_error" : "server_error",
                 std::string("stub: internal error: ") + e.what());
  }
}

std::string error_body(Route route, const std::string& type, const std::string& message) {
  switch (route) {
    case Route::Chat:
      return json{{"error", {{"message", message}, {"type", type}}}}.dump();
    case Route::Messages:
      return json{{"type", "error"}, {"error", {{"type", type}, {"message", message}}}}.dump();
    case Route::Generate:
      break;
  }
  return json{{"error", message}}.dump();
}

void answer_error(const Context& context, Route route, httplib::Response& res, int status,
                  const std::string& type, const std::string& message) {
  answer_json(res, status, error_body(route, type, message), json_type(context.options));
}

const char* json_type(const StubOptions& options) {
  return options.no_compression ? "application/json; charset=utf-8" : "application/json";
}

void answer_json(httplib::Response& res, int status, const std::string& body,
                 const char* content_type) {
  res.status = status;
  res.set_content(body, content_type);
}

bool answer_fault(const Context& context, Route route, const httplib::Request& req,
                  httplib::Response& res, const StubState::Admission& admission, bool stream) {
  const bool anthropic = route == Route::Messages;
  switch (admission.fault) {
    case Fault::None:
      return false;
    case Fault::Drop:
      context.state.record_drop();
      if (!drop_connection(req)) {
        // Fallback, never expected on Linux: promise a body and break off before it.
        std::cerr << "promptbench-stub: could not find the socket to drop; truncating\n";
        res.set_content_provider(
            1024, "application/json",
            [](std::size_t, std::size_t, httplib::DataSink&) { return false; });
      }
      return true;
    case Fault::FailFirst:
    case Fault::Status500:
      answer_error(context, route, res, 500, anthropic ? "api_error" : "server_error",
                   "stub: injected server error");
      break;
    case Fault::Status429:
      if (context.options.retry_after_ms >= 0) {
        res.set_header("retry-after-ms", std::to_string(context.options.retry_after_ms));
      } else {
        res.set_header("Retry-After", std::to_string(context.options.retry_after_s));
      }
      answer_error(context, route, res, 429, "rate_limit_error", "stub: injected rate limit");
      break;
    case Fault::Status400:
      answer_error(context, route, res, 400, "invalid_request_error", "stub: invalid request");
      break;
    case Fault::Overloaded:
      // Anthropic's own overload status; OpenAI-style servers say 503.
      context.state.record_overloaded();
      if (anthropic) {
        answer_error(context, route, res, 529, "overloaded_error", "Overloaded");
      } else {
        answer_error(context, route, res, 503, "server_error",
                     "The server is overloaded or not ready yet.");
      }
      break;
    case Fault::Canned:
      answer_canned(context, req, res);
      break;
    case Fault::Malformed:
      answer_malformed(context, route, res, fault_id(route, admission.number), stream);
      context.state.record_answer(admission.body_hash, 200, false, true);
      return true;
  }
  context.state.record_answer(admission.body_hash, res.status, false, false);
  return true;
}

void answer_stream(const Context& context, httplib::Response& res, StreamPlan plan) {
  res.status = 200;
  res.set_header("Cache-Control", "no-cache");
  const int delay_ms = context.options.first_token_delay_ms;
  res.set_chunked_content_provider("text/event-stream", [plan = std::move(plan), delay_ms](
                                                            std::size_t, httplib::DataSink& sink) {
    if (plan.error_event.empty()) {
      reserve_answer();  // a stream that breaks off is no successful answer
    }
    const auto write = [&sink](const std::string& event) {
      return sink.write(event.data(), event.size());
    };
    for (const auto& event : plan.opening) {
      if (!write(event)) {
        return false;
      }
    }
    if (delay_ms > 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
    }
    for (std::size_t i = 0; i < plan.content.size(); ++i) {
      if (!write(plan.content[i])) {
        return false;
      }
      if (i == 0 && !plan.error_event.empty()) {
        const bool written = write(plan.error_event);
        sink.done();
        return written;
      }
    }
    for (const auto& event : plan.closing) {
      if (!write(event)) {
        return false;
      }
    }
    sink.done();
    t_answer_complete = true;  // reserved before the first byte
    return true;
  });
}

void answer_endless(const Context& context, httplib::Response& res) {
  res.status = 200;
  const int trickle_ms = context.options.trickle_ms;
  std::string piece(trickle_ms > 0 ? 1 : std::size_t{64} * 1024, ' ');
  res.set_chunked_content_provider(
      "application/octet-stream",
      [trickle_ms, piece = std::move(piece)](std::size_t, httplib::DataSink& sink) {
        if (!sink.write(piece.data(), piece.size())) {
          return false;  // the client is gone
        }
        if (trickle_ms > 0) {
          std::this_thread::sleep_for(std::chrono::milliseconds(trickle_ms));
        }
        return true;  // httplib calls again, until the client or the server stops
      });
}

std::string sse_data(const json& data) {
  return "data: " + data.dump() + "\n\n";
}

std::string sse_event(const std::string& name, const json& data) {
  return "event: " + name + "\ndata: " + data.dump() + "\n\n";
}

void limit_answers(std::uint64_t budget) {
  g_answer_budget = budget;
}

void mark_answer_complete() {
  reserve_answer();
  t_answer_complete = true;
}

bool take_answer_mark() {
  const bool marked = t_answer_complete;
  t_answer_complete = false;
  return marked;
}

std::string rfc3339_utc(std::chrono::system_clock::time_point time) {
  const auto since_epoch =
      std::chrono::ceil<std::chrono::milliseconds>(time.time_since_epoch()).count();
  const std::time_t seconds = static_cast<std::time_t>(since_epoch / 1000);
  std::tm utc{};
  ::gmtime_r(&seconds, &utc);
  char text[64];
  std::snprintf(text, sizeof(text), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900,
                utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                static_cast<int>(since_epoch % 1000));
  return text;
}

std::string go_duration(std::chrono::milliseconds duration) {
  const auto ms = duration.count();
  if (ms == 0) {
    return "0s";
  }
  if (ms < 1000) {
    return std::to_string(ms) + "ms";
  }
  std::string seconds = std::to_string(ms / 1000 % 60);
  if (const auto fraction = ms % 1000; fraction != 0) {
    char digits[8];
    std::snprintf(digits, sizeof(digits), ".%03d", static_cast<int>(fraction));
    std::string decimals = digits;
    while (decimals.back() == '0') {
      decimals.pop_back();
    }
    seconds += decimals;
  }
  seconds += "s";
  const auto minutes = ms / 60000 % 60;
  const auto hours = ms / 3600000;
  if (hours > 0) {
    return std::to_string(hours) + "h" + std::to_string(minutes) + "m" + seconds;
  }
  if (minutes > 0) {
    return std::to_string(minutes) + "m" + seconds;
  }
  return seconds;
}

}  // namespace promptbench::stub
