// SPDX-License-Identifier: Apache-2.0
// What every answer route of promptbench-stub shares: the request prologue (admission,
// latency, required headers, rate limit), error bodies in each API's shape, injected faults,
// rate-limit headers, JSON and server-sent-event answers, and the count behind --exit-after.
#pragma once

#include "options.hpp"
#include "state.hpp"

#include <httplib.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace promptbench::stub {

// What a handler needs; both outlive the server.
struct Context {
  const StubOptions& options;
  StubState& state;
};

// A route's own work after the prologue: it answers `res` (a fault, a 400 or a success) and
// returns the tokens a successful answer used (0 otherwise), for the rate-limit headers.
using RouteHandler = std::uint64_t (*)(const Context&, const StubState::Admission&,
                                       const httplib::Request&, httplib::Response&);

// Runs a request on an answer route: counts it (StubState::admit), sleeps --latency-ms,
// answers 401 for a missing required header and 429 over the rate limit, else calls `handler`;
// then adds the rate-limit headers when --ratelimit-requests is set. Never throws.
void serve(const Context& context, Route route, RouteHandler handler, const httplib::Request& req,
           httplib::Response& res);

// An error body in the route's API shape: OpenAI {"error":{"message","type"}}, Anthropic
// {"type":"error","error":{"type","message"}}, the custom service {"error":"message"}.
std::string error_body(Route route, const std::string& type, const std::string& message);
void answer_error(const Context& context, Route route, httplib::Response& res, int status,
                  const std::string& type, const std::string& message);

// httplib 0.11 compresses an answer whose Content-Type is exactly "application/json" when the
// client accepts br or gzip, and has no switch to turn that off; it leaves other types alone.
const char* json_type(const StubOptions& options);
void answer_json(httplib::Response& res, int status, const std::string& body,
                 const char* content_type = "application/json");

// Answers an injected fault in the route's shape; false if the admission carries none.
// `stream` shapes a malformed answer as a broken event stream.
bool answer_fault(const Context& context, Route route, const httplib::Request& req,
                  httplib::Response& res, const StubState::Admission& admission, bool stream);

// A streamed answer in three parts. `opening` is written at once (after the headers);
// --first-token-delay-ms passes; then `content` and `closing`. With `error_event` set, the
// stream breaks off after the first content event with it instead (--stream-error).
struct StreamPlan {
  std::vector<std::string> opening;
  std::vector<std::string> content;
  std::vector<std::string> closing;
  std::string error_event;
};

// Sends the plan as a text/event-stream answer, each event its own HTTP chunk written straight
// to the socket (TCP_NODELAY), so a client sees the opening before the delay ends. A stream
// that ends normally counts toward --exit-after.
void answer_stream(const Context& context, httplib::Response& res, StreamPlan plan);

// --trickle-ms / --endless-body: a 200 whose body never ends (application/octet-stream, which
// httplib does not compress, so every byte leaves as it is written). It stops when the client
// goes away or the server shuts down.
void answer_endless(const Context& context, httplib::Response& res);

// "data: JSON\n\n" (OpenAI) and "event: NAME\ndata: JSON\n\n" (Anthropic).
std::string sse_data(const nlohmann::json& data);
std::string sse_event(const std::string& name, const nlohmann::json& data);

// --exit-after N: no more than N successful answers are ever written (see reserve_answer).
void limit_answers(std::uint64_t budget);

// Marks the answer this thread is about to write (its body set, not yet sent) as a complete
// success, for --exit-after; the server's logger, which runs once the answer is written, takes
// the mark (take_answer_mark).
void mark_answer_complete();
bool take_answer_mark();

// 2026-12-02T10:00:01.250Z: RFC 3339 in UTC with milliseconds (Anthropic's reset headers).
std::string rfc3339_utc(std::chrono::system_clock::time_point time);
// 250ms, 1s, 1.5s, 6m0s, 1h2m3s: Go's duration format (OpenAI's reset headers).
std::string go_duration(std::chrono::milliseconds duration);

}  // namespace promptbench::stub
