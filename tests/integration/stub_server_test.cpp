// SPDX-License-Identifier: Apache-2.0
// promptbench-stub's newer surface over real HTTP on 127.0.0.1: the Anthropic Messages route,
// OpenAI streaming details, tool calls, the first-token delay, the newer faults, rate-limit
// headers, the custom /generate service, request recording and --exit-after.

#include "support/harness.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <ctime>
#include <optional>
#include <random>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace promptbench::testing {
namespace stub_server_test {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;
using Headers = std::vector<std::pair<std::string, std::string>>;
using Clock = std::chrono::steady_clock;

// ---------------------------------------------------------------------------------------------
// Requests and event streams
// ---------------------------------------------------------------------------------------------

const Headers kAnthropicHeaders = {{"anthropic-version", "2023-06-01"}};

HttpResponse post(const StubServer& stub, const std::string& path, const json& body,
                  const Headers& headers = {}) {
  return http_request(stub.port(), "POST", path, body.dump(), headers);
}

json anthropic_body(const std::string& text, const json& extra = json::object()) {
  json body = {{"model", "claude-test"},
               {"max_tokens", 64},
               {"messages", json::array({{{"role", "user"}, {"content", text}}})}};
  body.update(extra);
  return body;
}

json chat_body(const std::string& text, const json& extra = json::object()) {
  json body = {{"model", "gpt-test"},
               {"messages", json::array({{{"role", "user"}, {"content", text}}})}};
  body.update(extra);
  return body;
}

std::string error_message(const HttpResponse& response) {
  return json::parse(response.body).at("error").at("message");
}

struct SseEvent {
  std::string name;  // the "event:" line, empty without one
  std::string data;  // the "data:" line
};

// Splits a text/event-stream body into its events; every event must end with a blank line.
std::vector<SseEvent> parse_events(const std::string& body) {
  std::vector<SseEvent> events;
  for (std::size_t pos = 0; pos < body.size();) {
    const std::size_t end = body.find("\n\n", pos);
    if (end == std::string::npos) {
      throw std::runtime_error("unterminated event in " + body.substr(pos));
    }
    SseEvent event;
    std::istringstream lines(body.substr(pos, end - pos));
    for (std::string line; std::getline(lines, line);) {
      if (line.rfind("event: ", 0) == 0) {
        event.name = line.substr(7);
      } else if (line.rfind("data: ", 0) == 0) {
        event.data = line.substr(6);
      }
    }
    events.push_back(event);
    pos = end + 2;
  }
  return events;
}

std::vector<std::string> names_of(const std::vector<SseEvent>& events) {
  std::vector<std::string> names;
  for (const auto& event : events) {
    names.push_back(event.name);
  }
  return names;
}

// The OpenAI chunks of a stream, parsed, up to (without) "data: [DONE]".
std::vector<json> chat_chunks(const std::string& body, bool* done = nullptr) {
  std::vector<json> chunks;
  bool saw_done = false;
  for (const auto& event : parse_events(body)) {
    EXPECT_FALSE(saw_done) << "an event after [DONE]: " << event.data;
    if (event.data == "[DONE]") {
      saw_done = true;
    } else {
      chunks.push_back(json::parse(event.data));
    }
  }
  if (done != nullptr) {
    *done = saw_done;
  }
  return chunks;
}

// One request over a raw socket, noting when each piece of the answer arrived: for measuring
// the time between the first byte and the first content token.
struct TimedResponse {
  std::string raw;  // status line, headers and the chunked body as received
  std::vector<std::pair<Clock::time_point, std::size_t>> arrivals;  // (when, raw size then)

  // When the first occurrence of `needle` had fully arrived.
  std::optional<Clock::time_point> arrival_of(const std::string& needle) const {
    const std::size_t at = raw.find(needle);
    if (at == std::string::npos) {
      return std::nullopt;
    }
    for (const auto& [when, size] : arrivals) {
      if (size >= at + needle.size()) {
        return when;
      }
    }
    return std::nullopt;
  }
};

TimedResponse timed_post(int port, const std::string& path, const json& body,
                         const Headers& headers = {}) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    throw std::runtime_error("socket failed");
  }
  timeval timeout{10, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    ::close(fd);
    throw std::runtime_error("connect failed");
  }
  const std::string payload = body.dump();
  std::string request =
      "POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n" +
      "Content-Type: application/json\r\nContent-Length: " + std::to_string(payload.size()) +
      "\r\n";
  for (const auto& [name, value] : headers) {
    request += name + ": " + value + "\r\n";
  }
  request += "\r\n" + payload;
  if (::send(fd, request.data(), request.size(), MSG_NOSIGNAL) !=
      static_cast<ssize_t>(request.size())) {
    ::close(fd);
    throw std::runtime_error("send failed");
  }
  TimedResponse response;
  char buffer[4096];
  for (;;) {
    const ssize_t n = ::recv(fd, buffer, sizeof(buffer), 0);
    if (n <= 0) {
      break;
    }
    response.raw.append(buffer, static_cast<std::size_t>(n));
    response.arrivals.emplace_back(Clock::now(), response.raw.size());
  }
  ::close(fd);
  return response;
}

std::int64_t milliseconds(Clock::duration duration) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(duration).count();
}

// ---------------------------------------------------------------------------------------------
// Anthropic Messages
// ---------------------------------------------------------------------------------------------

TEST(StubAnthropic, RejectsASystemRoleMessageWithTheRealApisWords) {
  StubServer stub;
  json body = anthropic_body("hi");
  body["messages"] = json::array(
      {{{"role", "system"}, {"content", "be brief"}}, {{"role", "user"}, {"content", "hi"}}});
  const auto response = post(stub, "/v1/messages", body, kAnthropicHeaders);
  EXPECT_EQ(response.status, 400);
  EXPECT_EQ(json::parse(response.body),
            json::parse(R"({"type":"error","error":{"type":"invalid_request_error","message":)"
                        R"("messages: Unexpected role \"system\". The Messages API accepts a )"
                        R"(top-level `system` parameter, not \"system\" as an input message )"
                        R"(role."}})"));
}

TEST(StubAnthropic, RequiresMaxTokens) {
  StubServer stub;
  json body = anthropic_body("hi");
  body.erase("max_tokens");
  const auto response = post(stub, "/v1/messages", body, kAnthropicHeaders);
  EXPECT_EQ(response.status, 400);
  EXPECT_EQ(error_message(response), "max_tokens: Field required");
  body["max_tokens"] = 0;
  EXPECT_EQ(error_message(post(stub, "/v1/messages", body, kAnthropicHeaders)),
            "max_tokens: Input should be greater than or equal to 1");
}

TEST(StubAnthropic, RequiresTheAnthropicVersionHeader) {
  StubServer stub;
  const auto response = post(stub, "/v1/messages", anthropic_body("hi"));
  EXPECT_EQ(response.status, 400);
  EXPECT_EQ(json::parse(response.body)["type"], "error");
  EXPECT_EQ(json::parse(response.body)["error"]["type"], "invalid_request_error");
  EXPECT_EQ(error_message(response), "anthropic-version: header is required");
}

TEST(StubAnthropic, ValidatesTheRestOfTheBodyLikeTheRealApi) {
  StubServer stub;
  const auto problem = [&stub](const json& body) {
    return error_message(post(stub, "/messages", body, kAnthropicHeaders));
  };
  json body = anthropic_body("hi");
  body["messages"] = json::array({{{"role", "assistant"}, {"content", "hello"}}});
  EXPECT_EQ(problem(body), "messages: first message must use the \"user\" role");
  EXPECT_EQ(problem(anthropic_body("hi", {{"model", ""}})),
            "model: String should have at least 1 character");
  EXPECT_EQ(problem(anthropic_body("hi", {{"messages", json::array()}})),
            "messages: at least one message is required");
  EXPECT_EQ(problem(anthropic_body("hi", {{"system", 42}})),
            "system: Input should be a valid string or a list of text blocks");
  EXPECT_EQ(problem(anthropic_body("hi", {{"stream", "yes"}})),
            "stream: Input should be a valid boolean");
  EXPECT_EQ(problem(json::array()), "The request body must be a JSON object");
  body = anthropic_body("hi");
  body["messages"][0]["content"] = json::array({{{"type", "video"}}});
  EXPECT_EQ(problem(body),
            "messages.0.content.0.type: Input tag 'video' found using 'type' does not match any "
            "of the expected tags: 'text', 'tool_use', 'tool_result'");
}

TEST(StubAnthropic, RequiresAnApiKeyOnlyWhenStartedWithRequireApiKey) {
  StubServer open;
  EXPECT_EQ(post(open, "/v1/messages", anthropic_body("hi"), kAnthropicHeaders).status, 200);
  StubServer guarded({"--require-api-key"});
  const auto response = post(guarded, "/v1/messages", anthropic_body("hi"), kAnthropicHeaders);
  EXPECT_EQ(response.status, 401);
  EXPECT_EQ(json::parse(response.body),
            json::parse(R"({"type":"error","error":{"type":"authentication_error",)"
                        R"("message":"x-api-key header is required"}})"));
  Headers with_key = kAnthropicHeaders;
  with_key.emplace_back("x-api-key", "sk-test");
  EXPECT_EQ(post(guarded, "/v1/messages", anthropic_body("hi"), with_key).status, 200);
}

TEST(StubAnthropic, AnswersAPlainMessage) {
  StubServer stub;
  json body = anthropic_body("ignored");
  body["system"] = json::array({{{"type", "text"}, {"text", "You are terse."}}});
  body["messages"] =
      json::array({{{"role", "user"}, {"content", "first question"}},
                   {{"role", "assistant"}, {"content", "an answer"}},
                   {{"role", "user"},
                    {"content", json::array({{{"type", "text"}, {"text", "so "}},
                                             {{"type", "text"}, {"text", "what"}}})}}});
  const auto response = post(stub, "/v1/messages", body, kAnthropicHeaders);
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(json::parse(response.body), json::parse(R"({
    "id": "msg_stub_1", "type": "message", "role": "assistant", "model": "claude-test",
    "content": [{"type": "text", "text": "so what"}],
    "stop_reason": "end_turn", "stop_sequence": null,
    "usage": {"input_tokens": 9, "output_tokens": 2}})"));
}

TEST(StubAnthropic, SentimentHonoursOneWordInTheSystemPrompt) {
  StubServer stub({"--mode", "sentiment"});
  const json body = anthropic_body("I loved this great film", {{"system", "Answer in one word."}});
  const auto response = post(stub, "/v1/messages", body, kAnthropicHeaders);
  EXPECT_EQ(json::parse(response.body)["content"][0]["text"], "positive");
  const auto plain = post(stub, "/v1/messages", anthropic_body("a boring film"), kAnthropicHeaders);
  EXPECT_EQ(json::parse(plain.body)["content"][0]["text"], "The sentiment is negative.");
}

TEST(StubAnthropic, StreamsTheRealEventSequenceAssemblingToThePlainText) {
  StubServer stub({"--mode", "sentiment"});
  const json body = anthropic_body("what a wonderful day, héllo");
  const auto plain = post(stub, "/v1/messages", body, kAnthropicHeaders);
  const auto streamed =
      post(stub, "/v1/messages", anthropic_body("what a wonderful day, héllo", {{"stream", true}}),
           kAnthropicHeaders);
  ASSERT_EQ(streamed.status, 200);
  EXPECT_EQ(streamed.header("Content-Type").value_or(""), "text/event-stream");
  const auto events = parse_events(streamed.body);
  EXPECT_EQ(
      names_of(events),
      (std::vector<std::string>{"message_start", "content_block_start", "ping",
                                "content_block_delta", "content_block_delta", "content_block_delta",
                                "content_block_stop", "message_delta", "message_stop"}));
  std::string text;
  for (const auto& event : events) {
    const json data = json::parse(event.data);
    EXPECT_EQ(data["type"], event.name);
    if (event.name == "content_block_delta") {
      EXPECT_EQ(data["index"], 0);
      EXPECT_EQ(data["delta"]["type"], "text_delta");
      text += data["delta"]["text"].get<std::string>();
    }
  }
  const json message = json::parse(plain.body);
  EXPECT_EQ(text, message["content"][0]["text"]);
  EXPECT_EQ(text, "The sentiment is positive.");
  const json start = json::parse(events[0].data)["message"];
  EXPECT_EQ(start["id"], "msg_stub_2");
  EXPECT_EQ(start["content"], json::array());
  EXPECT_TRUE(start["stop_reason"].is_null());
  EXPECT_EQ(start["usage"], json({{"input_tokens", 5}, {"output_tokens", 1}}));
  EXPECT_EQ(json::parse(events[1].data)["content_block"], json({{"type", "text"}, {"text", ""}}));
  EXPECT_EQ(json::parse(events[7].data),
            json::parse(R"({"type":"message_delta","delta":{"stop_reason":"end_turn",)"
                        R"("stop_sequence":null},"usage":{"output_tokens":4}})"));
}

// ---------------------------------------------------------------------------------------------
// OpenAI streaming
// ---------------------------------------------------------------------------------------------

TEST(StubOpenAiStream, SendsUsageOnlyWhenIncludeUsageIsAskedFor) {
  StubServer stub;
  const auto without =
      post(stub, "/v1/chat/completions", chat_body("one two three", {{"stream", true}}));
  bool done = false;
  const auto plain_chunks = chat_chunks(without.body, &done);
  EXPECT_TRUE(done);
  for (const auto& chunk : plain_chunks) {
    EXPECT_FALSE(chunk.contains("usage")) << chunk;
  }
  EXPECT_EQ(plain_chunks.back()["choices"][0]["finish_reason"], "stop");

  const auto with =
      post(stub, "/v1/chat/completions",
           chat_body("one two three",
                     {{"stream", true}, {"stream_options", {{"include_usage", true}}}}));
  const auto chunks = chat_chunks(with.body, &done);
  EXPECT_TRUE(done);
  ASSERT_GE(chunks.size(), 3u);
  const json& last = chunks.back();
  EXPECT_EQ(last["choices"], json::array());
  EXPECT_EQ(last["usage"],
            json({{"prompt_tokens", 3}, {"completion_tokens", 3}, {"total_tokens", 6}}));
  for (std::size_t i = 0; i + 1 < chunks.size(); ++i) {
    EXPECT_TRUE(chunks[i]["usage"].is_null()) << chunks[i];
  }
  EXPECT_EQ(chunks[chunks.size() - 2]["choices"][0]["finish_reason"], "stop");
}

TEST(StubOpenAiStream, TheFirstChunkCarriesTheRoleAndNoText) {
  StubServer stub;
  const auto response =
      post(stub, "/chat/completions", chat_body("streamed reply", {{"stream", true}}));
  const auto chunks = chat_chunks(response.body);
  ASSERT_EQ(chunks.size(), 5u) << response.body;  // role, 3 pieces, finish
  EXPECT_EQ(chunks[0]["choices"][0]["delta"], json({{"role", "assistant"}, {"content", ""}}));
  std::string text;
  for (std::size_t i = 1; i < 4; ++i) {
    EXPECT_FALSE(chunks[i]["choices"][0]["delta"].contains("role"));
    text += chunks[i]["choices"][0]["delta"]["content"].get<std::string>();
  }
  EXPECT_EQ(text, "streamed reply");
  EXPECT_EQ(chunks[4]["choices"][0]["delta"], json::object());
}

TEST(StubOpenAiStream, StreamOptionsWithoutStreamIsRejectedLikeOpenAi) {
  StubServer stub;
  const auto response = post(stub, "/v1/chat/completions",
                             chat_body("x", {{"stream_options", {{"include_usage", true}}}}));
  EXPECT_EQ(response.status, 400);
  EXPECT_EQ(error_message(response),
            "The 'stream_options' parameter is only allowed when 'stream' is enabled.");
}

// ---------------------------------------------------------------------------------------------
// First-token delay
// ---------------------------------------------------------------------------------------------

// The opening events arrive at once; the first content arrives only after the delay. A few
// milliseconds of slack allow for the test thread being scheduled late for the first read.
void expect_first_token_gap(const TimedResponse& response, const std::string& opening,
                            const std::string& content, Clock::time_point sent, int delay_ms) {
  ASSERT_FALSE(response.arrivals.empty());
  const auto first_byte = response.arrivals.front().first;
  const auto opened = response.arrival_of(opening);
  const auto first_content = response.arrival_of(content);
  ASSERT_TRUE(opened && first_content) << response.raw;
  EXPECT_LT(milliseconds(*opened - sent), delay_ms) << "the opening events were held back";
  EXPECT_GE(milliseconds(*first_content - first_byte), delay_ms - 5) << response.raw;
  EXPECT_LT(milliseconds(*first_content - first_byte), delay_ms + 1000);
}

TEST(StubFirstTokenDelay, SeparatesTheRoleChunkFromTheFirstContentOnChat) {
  constexpr int kDelayMs = 250;
  StubServer stub({"--first-token-delay-ms", std::to_string(kDelayMs)});
  const auto sent = Clock::now();
  const auto response = timed_post(stub.port(), "/v1/chat/completions",
                                   chat_body("alpha beta gamma", {{"stream", true}}));
  expect_first_token_gap(response, R"("role":"assistant")", "alpha", sent, kDelayMs);
}

TEST(StubFirstTokenDelay, SeparatesMessageStartAndPingFromTheFirstDeltaOnMessages) {
  constexpr int kDelayMs = 250;
  StubServer stub({"--first-token-delay-ms", std::to_string(kDelayMs)});
  const auto sent = Clock::now();
  const auto response =
      timed_post(stub.port(), "/v1/messages",
                 anthropic_body("alpha beta gamma", {{"stream", true}}), kAnthropicHeaders);
  expect_first_token_gap(response, "event: ping", "alpha", sent, kDelayMs);
}

TEST(StubFirstTokenDelay, DoesNotDelayAPlainAnswer) {
  StubServer stub({"--first-token-delay-ms", "2000"});
  const auto sent = Clock::now();
  EXPECT_EQ(post(stub, "/v1/chat/completions", chat_body("x")).status, 200);
  EXPECT_LT(milliseconds(Clock::now() - sent), 1000);
}

// ---------------------------------------------------------------------------------------------
// Faults
// ---------------------------------------------------------------------------------------------

TEST(StubFaults, Fail529IsOverloadedOnMessagesAnd503OnChat) {
  StubServer stub({"--fail-529", "1"});
  const auto anthropic = post(stub, "/v1/messages", anthropic_body("hi"), kAnthropicHeaders);
  EXPECT_EQ(anthropic.status, 529);
  EXPECT_EQ(json::parse(anthropic.body),
            json::parse(
                R"({"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}})"));
  const auto chat = post(stub, "/v1/chat/completions", chat_body("hi"));
  EXPECT_EQ(chat.status, 503);
  EXPECT_EQ(json::parse(chat.body)["error"]["type"], "server_error");
  EXPECT_EQ(stub.stats()["overloaded"], 2);
}

TEST(StubFaults, TheOlderFaultsAnswerInEachRoutesShape) {
  StubServer failing({"--fail-500", "1"});
  const auto anthropic = post(failing, "/v1/messages", anthropic_body("hi"), kAnthropicHeaders);
  EXPECT_EQ(anthropic.status, 500);
  EXPECT_EQ(json::parse(anthropic.body),
            json::parse(R"({"type":"error","error":{"type":"api_error",)"
                        R"("message":"stub: injected server error"}})"));
  const auto custom = post(failing, "/generate", {{"input", "x"}});
  EXPECT_EQ(custom.status, 500);
  EXPECT_EQ(json::parse(custom.body), json({{"error", "stub: injected server error"}}));

  StubServer malformed({"--malformed", "1"});
  const auto stream =
      post(malformed, "/v1/messages", anthropic_body("hi", {{"stream", true}}), kAnthropicHeaders);
  EXPECT_EQ(stream.status, 200);
  const auto events = parse_events(stream.body);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].name, "message_start");
  EXPECT_TRUE(json::parse(events[0].data, nullptr, false).is_discarded()) << events[0].data;
  EXPECT_EQ(malformed.stats()["malformed"], 1);
}

// Every request takes five draws of mt19937_64(seed), and one more for --fail-529 when it is
// set: the sequence older seeds rely on does not move.
TEST(StubFaults, TheNewFaultsDrawAfterTheFiveOldDrawsOnlyWhenSet) {
  const auto expected = [](double fail_500, double fail_529) {
    std::mt19937_64 rng(7);
    const auto draw = [&rng] { return static_cast<double>(rng() >> 11) * 0x1.0p-53; };
    std::vector<int> statuses;
    for (int i = 0; i < 12; ++i) {
      double draws[5];
      for (double& value : draws) {
        value = draw();
      }
      const double overload = fail_529 > 0 ? draw() : 1.0;
      statuses.push_back(draws[1] < fail_500 ? 500 : overload < fail_529 ? 503 : 200);
    }
    return statuses;
  };
  const auto observed = [](const std::vector<std::string>& args) {
    StubServer stub(args);
    std::vector<int> statuses;
    for (int i = 0; i < 12; ++i) {
      statuses.push_back(post(stub, "/v1/chat/completions", chat_body("x")).status);
    }
    return statuses;
  };
  EXPECT_EQ(observed({"--seed", "7", "--fail-500", "0.3"}), expected(0.3, 0));
  EXPECT_EQ(observed({"--seed", "7", "--fail-500", "0.3", "--fail-529", "0.4"}),
            expected(0.3, 0.4));
}

TEST(StubFaults, AStreamErrorOnMessagesFollowsTheFirstDelta) {
  StubServer stub({"--stream-error", "1"});
  const auto response =
      post(stub, "/v1/messages", anthropic_body("alpha beta gamma", {{"stream", true}}),
           kAnthropicHeaders);
  EXPECT_EQ(response.status, 200);
  const auto events = parse_events(response.body);
  EXPECT_EQ(names_of(events), (std::vector<std::string>{"message_start", "content_block_start",
                                                        "ping", "content_block_delta", "error"}));
  EXPECT_EQ(json::parse(events.back().data),
            json::parse(
                R"({"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}})"));
  EXPECT_EQ(stub.stats()["stream_errors"], 1);
}

TEST(StubFaults, AStreamErrorOnChatFollowsTheFirstDeltaWithoutDone) {
  StubServer stub({"--stream-error", "1"});
  const auto response =
      post(stub, "/v1/chat/completions", chat_body("alpha beta gamma", {{"stream", true}}));
  EXPECT_EQ(response.status, 200);
  bool done = true;
  const auto chunks = chat_chunks(response.body, &done);
  EXPECT_FALSE(done);
  ASSERT_EQ(chunks.size(), 3u) << response.body;
  EXPECT_EQ(chunks[1]["choices"][0]["delta"]["content"], "alpha");
  EXPECT_EQ(
      chunks[2],
      json::parse(R"({"error":{"message":"stub: injected stream error","type":"server_error"}})"));
  // A plain answer has nothing to break off.
  EXPECT_EQ(post(stub, "/v1/chat/completions", chat_body("x")).status, 200);
  EXPECT_EQ(stub.stats()["stream_errors"], 1);
}

// ---------------------------------------------------------------------------------------------
// Tool calls
// ---------------------------------------------------------------------------------------------

// Properties deliberately out of alphabetical order: "the first" is the one written first.
const json kSchema = json::parse(
    R"({"type":"object","properties":{"zcity":{"type":"string"},"aunit":{"type":"string"}}})");

std::string chat_tools_body(bool stream) {
  // Dumped by hand so that the schema's property order survives.
  return std::string(R"({"model":"gpt-test","stream":)") + (stream ? "true" : "false") +
         R"(,"messages":[{"role":"user","content":"  Paris, France \n"}],)" +
         R"("tools":[{"type":"function","function":{"name":"get_weather","parameters":)" +
         R"({"type":"object","properties":{"zcity":{"type":"string"},"aunit":{}}}}},)" +
         R"({"type":"function","function":{"name":"other","parameters":{}}}]})";
}

std::string anthropic_tools_body(bool stream) {
  return std::string(R"({"model":"claude-test","max_tokens":64,"stream":)") +
         (stream ? "true" : "false") +
         R"(,"messages":[{"role":"user","content":"  Paris, France \n"}],)" +
         R"("tools":[{"name":"get_weather","description":"Weather",)" +
         R"("input_schema":{"type":"object","properties":{"zcity":{"type":"string"},"aunit":{}}}}]})";
}

TEST(StubTools, ChatAnswersACallToTheFirstToolPlainAndStreamed) {
  StubServer stub;
  const auto plain =
      http_request(stub.port(), "POST", "/v1/chat/completions", chat_tools_body(false));
  ASSERT_EQ(plain.status, 200) << plain.body;
  const json choice = json::parse(plain.body)["choices"][0];
  EXPECT_EQ(choice["finish_reason"], "tool_calls");
  EXPECT_EQ(choice["message"], json::parse(R"({"role":"assistant","content":null,"tool_calls":[
      {"id":"call_1","type":"function",
       "function":{"name":"get_weather","arguments":"{\"zcity\":\"Paris, France\"}"}}]})"));

  const auto streamed =
      http_request(stub.port(), "POST", "/v1/chat/completions", chat_tools_body(true));
  const auto chunks = chat_chunks(streamed.body);
  ASSERT_EQ(chunks.size(), 5u) << streamed.body;  // the call, 3 argument pieces, finish
  EXPECT_EQ(chunks[0]["choices"][0]["delta"], json::parse(R"({"role":"assistant","content":null,
      "tool_calls":[{"index":0,"id":"call_2","type":"function",
                     "function":{"name":"get_weather","arguments":""}}]})"));
  std::string arguments;
  for (std::size_t i = 1; i < 4; ++i) {
    const json& call = chunks[i]["choices"][0]["delta"]["tool_calls"][0];
    EXPECT_EQ(call["index"], 0);
    EXPECT_FALSE(call["function"].contains("name"));
    arguments += call["function"]["arguments"].get<std::string>();
  }
  EXPECT_EQ(arguments, R"({"zcity":"Paris, France"})");
  EXPECT_EQ(chunks[4]["choices"][0]["finish_reason"], "tool_calls");
}

TEST(StubTools, MessagesAnswersToolUsePlainAndStreamed) {
  StubServer stub;
  Headers headers = kAnthropicHeaders;
  const auto plain =
      http_request(stub.port(), "POST", "/v1/messages", anthropic_tools_body(false), headers);
  ASSERT_EQ(plain.status, 200) << plain.body;
  const json message = json::parse(plain.body);
  EXPECT_EQ(message["stop_reason"], "tool_use");
  EXPECT_EQ(message["content"], json::parse(R"([{"type":"tool_use","id":"toolu_1",
      "name":"get_weather","input":{"zcity":"Paris, France"}}])"));

  const auto streamed =
      http_request(stub.port(), "POST", "/v1/messages", anthropic_tools_body(true), headers);
  const auto events = parse_events(streamed.body);
  ASSERT_EQ(
      names_of(events),
      (std::vector<std::string>{"message_start", "content_block_start", "ping",
                                "content_block_delta", "content_block_delta", "content_block_delta",
                                "content_block_stop", "message_delta", "message_stop"}));
  EXPECT_EQ(json::parse(events[1].data)["content_block"],
            json::parse(R"({"type":"tool_use","id":"toolu_2","name":"get_weather","input":{}})"));
  std::string partial;
  for (std::size_t i = 3; i < 6; ++i) {
    const json delta = json::parse(events[i].data)["delta"];
    EXPECT_EQ(delta["type"], "input_json_delta");
    partial += delta["partial_json"].get<std::string>();
  }
  EXPECT_EQ(json::parse(partial), json({{"zcity", "Paris, France"}}));
  EXPECT_EQ(json::parse(events[7].data)["delta"]["stop_reason"], "tool_use");
}

TEST(StubTools, AToolWithoutPropertiesTakesInputAndAToolResultGetsText) {
  StubServer stub;
  json body = chat_body("look it up");
  body["tools"] = json::array({{{"type", "function"}, {"function", {{"name", "search"}}}}});
  const json call = json::parse(post(stub, "/v1/chat/completions", body).body)["choices"][0];
  EXPECT_EQ(call["message"]["tool_calls"][0]["function"]["arguments"], R"({"input":"look it up"})");
  // The conversation continues with the tool's result: a text answer, not another call.
  body["messages"].push_back(call["message"]);
  body["messages"].push_back({{"role", "tool"}, {"tool_call_id", "call_1"}, {"content", "42"}});
  const json answer = json::parse(post(stub, "/v1/chat/completions", body).body)["choices"][0];
  EXPECT_EQ(answer["finish_reason"], "stop");
  EXPECT_EQ(answer["message"]["content"], "look it up");

  json anthropic = anthropic_body("look it up");
  anthropic["tools"] = json::array({{{"name", "search"}, {"input_schema", {{"type", "object"}}}}});
  anthropic["messages"].push_back(
      {{"role", "assistant"},
       {"content", json::array({{{"type", "tool_use"},
                                 {"id", "toolu_1"},
                                 {"name", "search"},
                                 {"input", {{"input", "look it up"}}}}})}});
  anthropic["messages"].push_back(
      {{"role", "user"},
       {"content",
        json::array({{{"type", "tool_result"}, {"tool_use_id", "toolu_1"}, {"content", "42"}}})}});
  const json reply = json::parse(post(stub, "/v1/messages", anthropic, kAnthropicHeaders).body);
  EXPECT_EQ(reply["stop_reason"], "end_turn") << reply;
  EXPECT_EQ(reply["content"][0]["text"], "look it up");
}

// ---------------------------------------------------------------------------------------------
// The custom JSON service
// ---------------------------------------------------------------------------------------------

TEST(StubGenerate, AnswersResultAndMeta) {
  StubServer stub({"--mode", "sentiment"});
  const auto response =
      post(stub, "/generate",
           {{"input", "Great fun, one word please"}, {"options", {{"temperature", 0}}}});
  ASSERT_EQ(response.status, 200);
  EXPECT_EQ(
      json::parse(response.body),
      json::parse(R"({"result":{"answer":"positive"},"meta":{"tokens_in":5,"tokens_out":1}})"));
}

TEST(StubGenerate, RejectsABodyWithoutInput) {
  StubServer stub;
  const auto response = post(stub, "/generate", {{"prompt", "x"}});
  EXPECT_EQ(response.status, 400);
  EXPECT_EQ(json::parse(response.body), json({{"error", "stub: \"input\" must be a string"}}));
  EXPECT_EQ(post(stub, "/generate", {{"input", "x"}, {"options", 3}}).status, 400);
}

TEST(StubGenerate, AnswersOnlyTheCustomMethod) {
  StubServer stub({"--custom-method", "PUT"});
  const std::string body = json{{"input", "hello"}}.dump();
  const auto put = http_request(stub.port(), "PUT", "/generate", body);
  EXPECT_EQ(put.status, 200);
  EXPECT_EQ(json::parse(put.body)["result"]["answer"], "hello");
  const auto posted = http_request(stub.port(), "POST", "/generate", body);
  EXPECT_EQ(posted.status, 405);
  EXPECT_EQ(posted.header("Allow").value_or(""), "PUT");
}

TEST(StubRequireHeader, EveryAnswerRouteAnswers401WithoutIt) {
  StubServer stub({"--require-header", "X-Tenant"});
  EXPECT_EQ(post(stub, "/generate", {{"input", "x"}}).status, 401);
  EXPECT_EQ(post(stub, "/v1/chat/completions", chat_body("x")).status, 401);
  const auto messages = post(stub, "/v1/messages", anthropic_body("x"), kAnthropicHeaders);
  EXPECT_EQ(messages.status, 401);
  EXPECT_EQ(json::parse(messages.body)["error"]["type"], "authentication_error");
  EXPECT_EQ(post(stub, "/generate", {{"input", "x"}}, {{"x-tenant", "a"}}).status, 200);
}

// ---------------------------------------------------------------------------------------------
// Recording, rate limits, stats, --exit-after
// ---------------------------------------------------------------------------------------------

TEST(StubRecording, RecordsEachRequestsMethodPathHeadersAndRawBody) {
  TempDir dir;
  const auto file = dir.path() / "requests.jsonl";
  StubServer stub({"--record-requests", file.string()});
  const std::string body =
      R"({"model": "gpt-test",  "messages": [{"role":"user","content":"hé"}]})";
  http_request(stub.port(), "POST", "/v1/chat/completions", body,
               {{"Authorization", "Bearer sk-1"}, {"X-Trace-Id", "trace-7"}});
  http_request(stub.port(), "GET", "/v1/models");
  stub.stats();  // the test's own call is not recorded
  std::istringstream lines(read_file(file));
  std::vector<json> records;
  for (std::string line; std::getline(lines, line);) {
    records.push_back(json::parse(line));
  }
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0]["method"], "POST");
  EXPECT_EQ(records[0]["path"], "/v1/chat/completions");
  EXPECT_EQ(records[0]["body"], body);
  EXPECT_EQ(records[0]["headers"]["authorization"], "Bearer sk-1");
  EXPECT_EQ(records[0]["headers"]["x-trace-id"], "trace-7");
  EXPECT_EQ(records[0]["headers"]["content-type"], "application/json");
  EXPECT_FALSE(records[0]["headers"].contains("remote_addr"));
  EXPECT_EQ(records[1]["method"], "GET");
  EXPECT_EQ(records[1]["path"], "/v1/models");
}

TEST(StubRateLimit, CountsDownEachApisHeadersAndAnswers429OverTheLimit) {
  StubServer stub({"--ratelimit-requests", "2", "--ratelimit-window-ms", "60000"});
  const auto first = post(stub, "/v1/messages", anthropic_body("one two"), kAnthropicHeaders);
  EXPECT_EQ(first.header("anthropic-ratelimit-requests-limit").value_or(""), "2");
  EXPECT_EQ(first.header("anthropic-ratelimit-requests-remaining").value_or(""), "1");
  EXPECT_EQ(first.header("anthropic-ratelimit-tokens-limit").value_or(""), "1000000");
  EXPECT_EQ(first.header("anthropic-ratelimit-tokens-remaining").value_or(""), "999996");
  const std::string reset = first.header("anthropic-ratelimit-requests-reset").value_or("");
  ASSERT_TRUE(std::regex_match(reset, std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)")))
      << reset;
  std::tm utc{};
  ASSERT_NE(::strptime(reset.c_str(), "%Y-%m-%dT%H:%M:%S", &utc), nullptr);
  const auto in_seconds = ::timegm(&utc) - std::time(nullptr);
  EXPECT_GE(in_seconds, 57);
  EXPECT_LE(in_seconds, 61);

  const auto second = post(stub, "/v1/chat/completions", chat_body("x"));
  EXPECT_EQ(second.status, 200);
  EXPECT_EQ(second.header("x-ratelimit-limit-requests").value_or(""), "2");
  EXPECT_EQ(second.header("x-ratelimit-remaining-requests").value_or(""), "0");
  EXPECT_EQ(second.header("x-ratelimit-limit-tokens").value_or(""), "1000000");
  const std::string duration = second.header("x-ratelimit-reset-requests").value_or("");
  EXPECT_TRUE(std::regex_match(duration, std::regex(R"(5\d(\.\d{1,3})?s|1m0s)"))) << duration;

  const auto third = post(stub, "/v1/chat/completions", chat_body("x"));
  EXPECT_EQ(third.status, 429);
  EXPECT_EQ(third.header("retry-after").value_or(""), "60");
  EXPECT_EQ(third.header("x-ratelimit-remaining-requests").value_or(""), "0");
  EXPECT_EQ(json::parse(third.body)["error"]["code"], "rate_limit_exceeded");
  const auto fourth = post(stub, "/v1/messages", anthropic_body("x"), kAnthropicHeaders);
  EXPECT_EQ(fourth.status, 429);
  EXPECT_EQ(json::parse(fourth.body)["error"]["type"], "rate_limit_error");
  const json stats = stub.stats();
  EXPECT_EQ(stats["rate_limited"], 2);
  EXPECT_EQ(stats["by_status"]["429"], 2);
}

TEST(StubRateLimit, ANewWindowStartsAfterTheOldOneEnds) {
  StubServer stub({"--ratelimit-requests", "1", "--ratelimit-window-ms", "150"});
  EXPECT_EQ(post(stub, "/generate", {{"input", "x"}}).status, 200);
  const auto limited = post(stub, "/generate", {{"input", "x"}});
  EXPECT_EQ(limited.status, 429);
  EXPECT_EQ(limited.header("retry-after").value_or(""), "1");
  std::this_thread::sleep_for(200ms);
  const auto again = post(stub, "/generate", {{"input", "x"}});
  EXPECT_EQ(again.status, 200);
  EXPECT_EQ(again.header("x-ratelimit-remaining-requests").value_or(""), "0");
}

TEST(StubStats, CountsRequestsByRoute) {
  StubServer stub;
  post(stub, "/v1/chat/completions", chat_body("x"));
  post(stub, "/chat/completions", chat_body("x"));
  post(stub, "/messages", anthropic_body("x"), kAnthropicHeaders);
  post(stub, "/generate", {{"input", "x"}});
  const json stats = stub.stats();
  EXPECT_EQ(stats["by_route"], json({{"chat", 2}, {"messages", 1}, {"generate", 1}}));
  EXPECT_EQ(stats["requests"], 4);
  EXPECT_EQ(stats["rate_limited"], 0);
  EXPECT_EQ(stats["stream_errors"], 0);
  EXPECT_EQ(stats["overloaded"], 0);
}

TEST(StubExitAfter, ExitsAtOnceAfterTheNthSuccessfulAnswer) {
  StubServer stub({"--exit-after", "2"});
  EXPECT_EQ(post(stub, "/v1/messages", anthropic_body("x")).status, 400);  // does not count
  EXPECT_EQ(post(stub, "/v1/chat/completions", chat_body("first")).status, 200);
  ASSERT_TRUE(stub.process().is_running());
  const auto last =
      post(stub, "/v1/messages", anthropic_body("second", {{"stream", true}}), kAnthropicHeaders);
  EXPECT_EQ(last.status, 200);
  EXPECT_EQ(parse_events(last.body).back().name, "message_stop") << "the answer went out whole";
  const auto result = stub.process().wait_for(5s);
  ASSERT_TRUE(result) << "the stub is still running";
  EXPECT_EQ(result->exit_code, 0) << result->err;
  EXPECT_THROW(post(stub, "/generate", {{"input", "x"}}), std::runtime_error);
}

TEST(StubHelp, DescribesEveryNewOption) {
  const auto result = run_process({stub_bin(), "--help"});
  EXPECT_EQ(result.exit_code, 0);
  for (const char* option : {"--require-api-key", "--require-header", "--first-token-delay-ms",
                             "--fail-529", "--stream-error", "--exit-after", "--ratelimit-requests",
                             "--ratelimit-window-ms", "--custom-method", "--record-requests"}) {
    EXPECT_NE(result.out.find(option), std::string::npos) << option;
  }
}

}  // namespace
}  // namespace stub_server_test
}  // namespace promptbench::testing
