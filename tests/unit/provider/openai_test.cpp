// SPDX-License-Identifier: Apache-2.0
// The openai provider: request bodies and headers, and every shape of response it meets.
#include <cstdlib>

#include <gtest/gtest.h>

#include "promptbench/provider.hpp"

namespace promptbench {
namespace {

ProviderConfig config_for(std::string key_env = "") {
  ProviderConfig config;
  config.id = "local";
  config.base_url = "http://127.0.0.1:8080/v1/";
  config.model = "demo";
  config.api_key_env = std::move(key_env);
  config.params = {{"temperature", 0}, {"max_tokens", 16}};
  return config;
}

/// The case's row; the chat API sends only the rendered messages.
const nlohmann::json kVars = {{"text", "Hi"}, {"label", "positive"}};

HttpResponse openai_reply(int status, std::string body) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  r.latency_ms = 12.5;
  return r;
}

TEST(OpenAiProvider, BuildsChatCompletionsRequestWithParamsMerged) {
  const auto provider = make_provider(config_for());
  const HttpRequest request =
      provider->build_request({{{"system", "Be brief."}, {"user", "Hi \"there\""}}}, kVars);
  EXPECT_EQ(request.method, "POST");
  EXPECT_EQ(request.url, "http://127.0.0.1:8080/v1/chat/completions");
  const auto body = nlohmann::json::parse(request.body);
  EXPECT_EQ(body["model"], "demo");
  EXPECT_EQ(body["temperature"], 0);
  EXPECT_EQ(body["max_tokens"], 16);
  EXPECT_EQ(body["messages"][1]["content"], "Hi \"there\"");
  EXPECT_EQ(body["messages"][0]["role"], "system");
  EXPECT_FALSE(body.contains("label")) << "the case's fields are not sent";
  ASSERT_EQ(request.headers.size(), 1u);
  EXPECT_EQ(request.headers[0].name, "Content-Type");
}

TEST(OpenAiProvider, SendsTheKeyFromTheEnvironmentAsASecretHeader) {
  ::setenv("PB_UNIT_KEY", "sk-test-123", 1);
  const auto provider = make_provider(config_for("PB_UNIT_KEY"));
  const HttpRequest request = provider->build_request({{{"user", "x"}}}, kVars);
  ASSERT_EQ(request.headers.size(), 2u);
  EXPECT_EQ(request.headers[1].name, "Authorization");
  EXPECT_EQ(request.headers[1].value, "Bearer sk-test-123");
  EXPECT_TRUE(request.headers[1].secret);
  EXPECT_EQ(request.body.find("sk-test"), std::string::npos);
  ::unsetenv("PB_UNIT_KEY");
}

TEST(OpenAiProvider, AddsTheConfiguredHeadersToEveryRequest) {
  ::setenv("PB_UNIT_KEY", "sk-test-123", 1);
  ProviderConfig config = config_for("PB_UNIT_KEY");
  config.headers = {{"X-Org", "org-42", true}, {"X-Trace", "on", false}};
  const auto provider = make_provider(config);
  const HttpRequest request = provider->build_request({{{"user", "x"}}}, kVars);
  ASSERT_EQ(request.headers.size(), 4u);
  EXPECT_EQ(request.headers[2].name, "X-Org");
  EXPECT_EQ(request.headers[2].value, "org-42");
  EXPECT_TRUE(request.headers[2].secret);
  EXPECT_EQ(request.headers[3].name, "X-Trace");
  EXPECT_FALSE(request.headers[3].secret);
  ::unsetenv("PB_UNIT_KEY");
}

TEST(OpenAiProvider, AConfiguredAuthorizationHeaderReplacesTheBearerKey) {
  // A gateway that wants its own scheme: the configured header wins, whatever its case.
  ::setenv("PB_UNIT_KEY", "sk-test-123", 1);
  ProviderConfig config = config_for("PB_UNIT_KEY");
  config.headers = {{"authorization", "Token gw-1", true}};
  const HttpRequest request = make_provider(config)->build_request({{{"user", "x"}}}, kVars);
  ASSERT_EQ(request.headers.size(), 2u);
  EXPECT_EQ(request.headers[0].name, "Content-Type");
  EXPECT_EQ(request.headers[1].name, "authorization");
  EXPECT_EQ(request.headers[1].value, "Token gw-1");
  ::unsetenv("PB_UNIT_KEY");
}

TEST(OpenAiProvider, AcceptsOnlyItsStreamingOptions) {
  const ProviderInfo& info = provider_type("openai");
  const nlohmann::json none = nlohmann::json::object();
  EXPECT_NO_THROW(info.validate(ProviderOptions(none)));
  const nlohmann::json streaming = {{"stream", true}, {"idle_timeout", "5s"}};
  EXPECT_NO_THROW(info.validate(ProviderOptions(streaming)));
  const nlohmann::json not_bool = {{"stream", "true"}};
  try {
    info.validate(ProviderOptions(not_bool));
    FAIL() << "expected an error";
  } catch (const OptionError& e) {
    EXPECT_EQ(e.key(), "stream");
    EXPECT_EQ(std::string(e.what()), "expected true or false, got string");
  }
  const nlohmann::json bad_idle = {{"idle_timeout", "forever"}};
  EXPECT_THROW(info.validate(ProviderOptions(bad_idle)), OptionError);
  const nlohmann::json typo = {{"timeuot", "5s"}};
  try {
    info.validate(ProviderOptions(typo));
    FAIL() << "expected an error";
  } catch (const OptionError& e) {
    EXPECT_EQ(e.key(), "timeuot");
    EXPECT_EQ(std::string(e.what()), "unknown key 'timeuot' (did you mean 'timeout'?)");
  }
  const nlohmann::json foo = {{"foo", 1}};
  EXPECT_THROW(info.validate(ProviderOptions(foo)), OptionError);
}

TEST(OpenAiProvider, RefusesToStartWhenTheKeyVariableIsUnset) {
  ::unsetenv("PB_UNIT_ABSENT_KEY");
  ProviderConfig config = config_for("PB_UNIT_ABSENT_KEY");
  config.where = {"cfg.yaml", 3, 5};
  try {
    (void)make_provider(config);
    FAIL() << "expected an error";
  } catch (const UserError& e) {
    EXPECT_EQ(std::string(e.what()),
              "cfg.yaml:3:5: provider 'local': environment variable 'PB_UNIT_ABSENT_KEY' "
              "(api_key_env) is not set");
  }
}

TEST(OpenAiProvider, ParsesTextUsageAndFinishReason) {
  const auto provider = make_provider(config_for());
  const auto completion = provider->parse_response(openai_reply(200, R"({"choices":[{"index":0,
    "message":{"role":"assistant","content":"Positive."},"finish_reason":"stop"}],
    "usage":{"prompt_tokens":9,"completion_tokens":2,"total_tokens":11}})"));
  ASSERT_TRUE(completion) << completion.error().message;
  EXPECT_EQ(completion->text, "Positive.");
  EXPECT_EQ(completion->finish_reason, "stop");
  EXPECT_EQ(completion->usage.prompt_tokens, 9);
  EXPECT_EQ(completion->usage.completion_tokens, 2);
  EXPECT_DOUBLE_EQ(completion->latency_ms, 12.5);
}

TEST(OpenAiProvider, ANegativeTokenCountIsUnknownUsage) {
  const auto provider = make_provider(config_for());
  // The tool-call shape goes through the full reader, the plain one through the fast path.
  for (const char* message : {R"({"role":"assistant","content":"Positive."})",
                              R"({"content":null,"tool_calls":[{"id":"c","type":"function",
                                  "function":{"name":"f","arguments":"{}"}}]})"}) {
    const auto completion = provider->parse_response(
        openai_reply(200, std::string(R"({"choices":[{"message":)") + message +
                              R"(}],"usage":{"prompt_tokens":-9,"completion_tokens":2}})"));
    ASSERT_TRUE(completion) << completion.error().message;
    EXPECT_FALSE(completion->usage.prompt_tokens.has_value()) << message;
    EXPECT_EQ(completion->usage.completion_tokens, 2) << message;
  }
}

TEST(OpenAiProvider, JoinsContentPartsAndAcceptsNullContent) {
  const auto provider = make_provider(config_for());
  const auto parts = provider->parse_response(openai_reply(200, R"({"choices":[{"message":
    {"content":[{"type":"text","text":"a"},{"type":"text","text":"b"}]}}]})"));
  ASSERT_TRUE(parts);
  EXPECT_EQ(parts->text, "ab");
  EXPECT_FALSE(parts->usage.prompt_tokens.has_value());
  const auto null_content =
      provider->parse_response(openai_reply(200, R"({"choices":[{"message":{"content":null}}]})"));
  ASSERT_TRUE(null_content);
  EXPECT_EQ(null_content->text, "");
}

TEST(OpenAiProvider, RecordsTheServersMessageForHttpErrors) {
  const auto provider = make_provider(config_for());
  const auto error = provider->parse_response(openai_reply(
      400, R"({"error":{"message":"max_tokens is too large","type":"invalid_request_error"}})"));
  ASSERT_FALSE(error);
  EXPECT_EQ(error.error().kind, ErrorKind::http_status);
  EXPECT_EQ(error.error().http_status, 400);
  EXPECT_EQ(error.error().message, "HTTP 400: max_tokens is too large");
  const auto plain = provider->parse_response(openai_reply(502, "Bad Gateway"));
  EXPECT_EQ(plain.error().message, "HTTP 502: Bad Gateway");
}

TEST(OpenAiProvider, CallsMalformedBodiesBadResponses) {
  const auto provider = make_provider(config_for());
  const auto not_json = provider->parse_response(openai_reply(200, "{\"choices\": [tru"));
  ASSERT_FALSE(not_json);
  EXPECT_EQ(not_json.error().kind, ErrorKind::bad_response);
  EXPECT_EQ(not_json.error().message, "response body is not valid JSON: '{\"choices\": [tru'");
  // The start of the body says what came instead: an HTML page, a proxy's notice.
  const std::string page = "<html>\n<head><title>502 Bad Gateway</title></head><body>" +
                           std::string(100, 'x') + "</body></html>";
  EXPECT_EQ(provider->parse_response(openai_reply(200, page)).error().message,
            "response body is not valid JSON: '<html> <head><title>502 Bad "
            "Gateway</title></head><body>xxxx...'");
  EXPECT_EQ(provider->parse_response(openai_reply(200, "")).error().message,
            "response body is not valid JSON: (empty)");
  const auto no_choices = provider->parse_response(openai_reply(200, R"({"choices":[]})"));
  EXPECT_EQ(no_choices.error().message, "response has no choices[0].message");
  const auto number =
      provider->parse_response(openai_reply(200, R"({"choices":[{"message":{"content":5}}]})"));
  EXPECT_EQ(number.error().message, "choices[0].message.content is not text");
  const std::string deep = "{\"choices\":" + std::string(300, '[') + std::string(300, ']') + "}";
  EXPECT_EQ(provider->parse_response(openai_reply(200, deep)).error().message,
            "response body nests deeper than 100 levels");
}

TEST(OpenAiProvider, SendsHostileTextIntactThroughTheJsonBody) {
  const std::string hostile = "say \"hi\"\\n\\\\ \n\ttab \u00e9\u4e16\U0001F642 </script> {{x}}";
  const HttpRequest request =
      make_provider(config_for())->build_request({{{"user", hostile}}}, kVars);
  EXPECT_EQ(nlohmann::json::parse(request.body)["messages"][0]["content"], hostile);
}

// --- tool calls -------------------------------------------------------------------------

TEST(OpenAiProvider, ToolCallsBecomeTheTextAndTheCompletionsCalls) {
  const auto provider = make_provider(config_for());
  const auto completion = provider->parse_response(openai_reply(200, R"({"choices":[{"message":
    {"role":"assistant","content":null,"tool_calls":[
      {"id":"call_1","type":"function","function":{"name":"get_weather",
       "arguments":"{\"city\":\"Paris\"}"}},
      {"id":"call_2","type":"function","function":{"name":"note","arguments":"{\"oops"}}]},
    "finish_reason":"tool_calls"}],"usage":{"prompt_tokens":20,"completion_tokens":7}})"));
  ASSERT_TRUE(completion) << completion.error().message;
  EXPECT_EQ(completion->text,
            R"({"content":null,"tool_calls":[{"arguments":{"city":"Paris"},"id":"call_1",)"
            R"("name":"get_weather"},{"arguments":"{\"oops","id":"call_2","name":"note"}]})");
  ASSERT_EQ(completion->tool_calls.size(), 2u);
  EXPECT_EQ(completion->tool_calls[0]["arguments"]["city"], "Paris");
  EXPECT_EQ(completion->tool_calls[1]["arguments"], "{\"oops") << "kept as the model wrote it";
  EXPECT_EQ(completion->finish_reason, "tool_calls");
  EXPECT_EQ(completion->usage.completion_tokens, 7);
}

TEST(OpenAiProvider, ToolCallsKeepTheTextBesideThem) {
  const auto completion =
      make_provider(config_for())
          ->parse_response(openai_reply(
              200, R"({"choices":[{"message":{"content":"Checking.","tool_calls":[{"id":"c",
      "type":"function","function":{"name":"f","arguments":"{}"}}]}}]})"));
  ASSERT_TRUE(completion) << completion.error().message;
  EXPECT_EQ(completion->text,
            R"({"content":"Checking.","tool_calls":[{"arguments":{},"id":"c","name":"f"}]})");
}

TEST(OpenAiProvider, AnAnswerWithoutToolCallsHasNoToolCalls) {
  const auto completion =
      make_provider(config_for())
          ->parse_response(
              openai_reply(200, R"({"choices":[{"message":{"content":"x","tool_calls":[]}}]})"));
  ASSERT_TRUE(completion);
  EXPECT_EQ(completion->text, "x");
  EXPECT_TRUE(completion->tool_calls.is_null());
}

// --- streaming --------------------------------------------------------------------------

ProviderConfig streaming_config() {
  ProviderConfig config = config_for();
  config.options = {{"stream", true}};
  return config;
}

/// A streamed 200 answer: each block of SSE text arrives whole, `ms` after the start.
HttpResponse streamed(const std::vector<std::pair<std::string, double>>& blocks) {
  HttpResponse r;
  r.status = 200;
  r.latency_ms = 80;
  for (const auto& [text, ms] : blocks) {
    r.body += text;
    r.arrivals.push_back({r.body.size(), ms});
  }
  return r;
}

/// One chat.completion.chunk event whose choices[0] has `delta` (and `finish_reason`).
std::string chunk(const nlohmann::json& delta, const nlohmann::json& finish_reason = nullptr) {
  const nlohmann::json choice = {{"index", 0}, {"delta", delta}, {"finish_reason", finish_reason}};
  return "data: " +
         nlohmann::json{{"object", "chat.completion.chunk"},
                        {"choices", nlohmann::json::array({choice})},
                        {"usage", nullptr}}
             .dump() +
         "\n\n";
}

const std::string kUsageChunk =
    "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":4}}\n\n";
const std::string kDone = "data: [DONE]\n\n";

TEST(OpenAiProvider, StreamingAsksForEventsAndTheUsageChunk) {
  const HttpRequest request =
      make_provider(streaming_config())->build_request({{{"user", "x"}}}, kVars);
  const auto body = nlohmann::json::parse(request.body);
  EXPECT_EQ(body["stream"], true);
  EXPECT_EQ(body["stream_options"], nlohmann::json({{"include_usage", true}}));
  EXPECT_TRUE(request.stream);
  EXPECT_EQ(request.idle_timeout, std::chrono::seconds(30));

  const HttpRequest whole = make_provider(config_for())->build_request({{{"user", "x"}}}, kVars);
  EXPECT_FALSE(nlohmann::json::parse(whole.body).contains("stream"));
  EXPECT_FALSE(whole.stream);
  EXPECT_EQ(whole.idle_timeout.count(), 0);
}

TEST(OpenAiProvider, TakesTheConfiguredIdleTimeout) {
  ProviderConfig config = streaming_config();
  config.options["idle_timeout"] = "2500ms";
  const HttpRequest request = make_provider(config)->build_request({{{"user", "x"}}}, kVars);
  EXPECT_EQ(request.idle_timeout, std::chrono::milliseconds(2500));
}

TEST(OpenAiProvider, StreamInParamsStreamsLikeTheOption) {
  ProviderConfig config = config_for();
  config.params["stream"] = true;
  const auto provider = make_provider(config);
  const HttpRequest request = provider->build_request({{{"user", "x"}}}, kVars);
  EXPECT_TRUE(request.stream);
  EXPECT_EQ(nlohmann::json::parse(request.body)["stream_options"]["include_usage"], true);
  const auto completion =
      provider->parse_response(streamed({{chunk({{"content", "ok"}}), 10},
                                         {chunk(nlohmann::json::object(), "stop"), 11},
                                         {kDone, 12}}));
  ASSERT_TRUE(completion) << completion.error().message;
  EXPECT_EQ(completion->text, "ok");
}

TEST(OpenAiProvider, StreamedTextIsByteIdenticalToTheWholeAnswer) {
  const std::vector<std::string> pieces = {"Gr\u00fc", "\u00dfe, \u4e16", "\u754c \U0001F642",
                                           " \"q\" \\ \n\t", "end"};
  std::string whole_text;
  std::vector<std::pair<std::string, double>> blocks = {
      {chunk({{"role", "assistant"}, {"content", ""}}), 1}};
  for (const auto& piece : pieces) {
    whole_text += piece;
    blocks.emplace_back(chunk({{"content", piece}}), 2);
  }
  blocks.emplace_back(chunk(nlohmann::json::object(), "stop"), 3);
  blocks.emplace_back(kUsageChunk, 4);
  blocks.emplace_back(kDone, 5);
  const auto provider = make_provider(streaming_config());
  const auto stream = provider->parse_response(streamed(blocks));
  ASSERT_TRUE(stream) << stream.error().message;

  const nlohmann::json document = {
      {"choices", {{{"message", {{"content", whole_text}}}, {"finish_reason", "stop"}}}},
      {"usage", {{"prompt_tokens", 9}, {"completion_tokens", 4}}}};
  const auto whole =
      make_provider(config_for())->parse_response(openai_reply(200, document.dump()));
  ASSERT_TRUE(whole) << whole.error().message;
  EXPECT_EQ(stream->text, whole->text);
  EXPECT_EQ(stream->text, "Gr\u00fc\u00dfe, \u4e16\u754c \U0001F642 \"q\" \\ \n\tend");
  EXPECT_EQ(stream->finish_reason, "stop");
  EXPECT_EQ(stream->usage.prompt_tokens, 9);
  EXPECT_EQ(stream->usage.completion_tokens, 4);
  EXPECT_TRUE(stream->tool_calls.is_null());
}

TEST(OpenAiProvider, TimeToFirstTokenIsTheFirstContentNotTheRoleChunk) {
  const auto completion = make_provider(streaming_config())
                              ->parse_response(streamed({
                                  {chunk({{"role", "assistant"}, {"content", ""}}), 100},
                                  {": keep-alive\n\n", 150},
                                  {chunk({{"content", nullptr}}), 180},
                                  {chunk({{"content", "Hel"}}), 250},
                                  {chunk({{"content", "lo"}}), 300},
                                  {chunk(nlohmann::json::object(), "stop"), 320},
                                  {kUsageChunk, 330},
                                  {kDone, 331},
                              }));
  ASSERT_TRUE(completion) << completion.error().message;
  EXPECT_EQ(completion->text, "Hello");
  EXPECT_EQ(completion->ttft_ms, 250.0);
  EXPECT_DOUBLE_EQ(completion->latency_ms, 80);
}

TEST(OpenAiProvider, TimeToFirstTokenIsFromTheArrivalThatCompletesTheEvent) {
  // The transport cuts the body anywhere, here in the middle of the first content event.
  HttpResponse r = streamed({{chunk({{"role", "assistant"}}), 40}});
  const std::string content = chunk({{"content", "\u4e16"}});
  const std::size_t cut = r.body.size() + content.find("\u4e16") + 1;  // inside the character
  r.body += content + chunk(nlohmann::json::object(), "stop") + kDone;
  r.arrivals.push_back({cut, 70});
  r.arrivals.push_back({r.body.size(), 95});
  const auto completion = make_provider(streaming_config())->parse_response(r);
  ASSERT_TRUE(completion) << completion.error().message;
  EXPECT_EQ(completion->text, "\u4e16");
  EXPECT_EQ(completion->ttft_ms, 95.0);
}

TEST(OpenAiProvider, ReadsAStreamWithCrLfLineEnds) {
  std::string body = chunk({{"content", "a\nb"}}) + chunk(nlohmann::json::object(), "stop") + kDone;
  std::string crlf;
  for (char c : body) {
    crlf += c == '\n' ? std::string("\r\n") : std::string(1, c);
  }
  const auto completion = make_provider(streaming_config())->parse_response(streamed({{crlf, 5}}));
  ASSERT_TRUE(completion) << completion.error().message;
  EXPECT_EQ(completion->text, "a\nb") << "only the SSE lines end in CRLF; the JSON's \\n stays";
  EXPECT_EQ(completion->ttft_ms, 5.0);
}

TEST(OpenAiProvider, AnErrorChunkIsAStreamErrorThatIsRetried) {
  const auto provider = make_provider(streaming_config());
  const HttpResponse r = streamed(
      {{chunk({{"content", "partial"}}), 10},
       {"data: {\"error\":{\"message\":\"The server had an error\",\"type\":\"server_error\"}}\n\n",
        20}});
  const auto completion = provider->parse_response(r);
  ASSERT_FALSE(completion);
  EXPECT_EQ(completion.error().kind, ErrorKind::stream_error);
  EXPECT_EQ(completion.error().message, "The server had an error");
  EXPECT_EQ(provider->advise(r), RetryAdvice::back_off);

  const HttpResponse limited = streamed(
      {{"event: error\ndata: {\"error\":{\"message\":\"Slow down\",\"type\":\"rate_limit_error\"}}"
        "\n\n",
        20}});
  EXPECT_EQ(provider->parse_response(limited).error().message, "Slow down");
  EXPECT_EQ(provider->advise(limited), RetryAdvice::back_off);
}

TEST(OpenAiProvider, AStreamThatStopsEarlyIsAStreamError) {
  const auto provider = make_provider(streaming_config());
  const HttpResponse cut = streamed({{chunk({{"role", "assistant"}}), 10},
                                     {chunk({{"content", "Hal"}}), 20},
                                     {"data: {\"choices\":[{\"index\":0,\"delta\":{\"cont", 30}});
  const auto completion = provider->parse_response(cut);
  ASSERT_FALSE(completion);
  EXPECT_EQ(completion.error().kind, ErrorKind::stream_error);
  EXPECT_EQ(completion.error().message, "stream ended before its last event");
  EXPECT_EQ(provider->advise(cut),
            RetryAdvice::retry /* cut short: the next attempt may be whole */);
  // A finish_reason without [DONE] is a whole answer (only the usage chunk may be missing).
  const HttpResponse whole =
      streamed({{chunk({{"content", "Hi"}}), 10}, {chunk(nlohmann::json::object(), "length"), 20}});
  EXPECT_EQ(provider->advise(whole), RetryAdvice::final);
  const auto finished = provider->parse_response(whole);
  ASSERT_TRUE(finished) << finished.error().message;
  EXPECT_EQ(finished->finish_reason, "length");
  EXPECT_FALSE(finished->usage.prompt_tokens.has_value());
}

TEST(OpenAiProvider, StreamedToolCallsMatchTheWholeAnswer) {
  auto call_delta = [](nlohmann::json call) {
    return chunk({{"tool_calls", nlohmann::json::array({std::move(call)})}});
  };
  const auto stream =
      make_provider(streaming_config())
          ->parse_response(streamed({
              {chunk({{"role", "assistant"}, {"content", nullptr}}), 10},
              {call_delta({{"index", 0},
                           {"id", "call_1"},
                           {"type", "function"},
                           {"function", {{"name", "get_weather"}, {"arguments", ""}}}}),
               40},
              {call_delta({{"index", 0}, {"function", {{"arguments", "{\"ci"}}}}), 50},
              {call_delta({{"index", 1},
                           {"id", "call_2"},
                           {"type", "function"},
                           {"function", {{"name", "note"}, {"arguments", "{\"oops"}}}}),
               55},
              {call_delta({{"index", 0}, {"function", {{"arguments", "ty\":\"Paris\"}"}}}}), 60},
              {chunk(nlohmann::json::object(), "tool_calls"), 70},
              {kUsageChunk, 71},
              {kDone, 72},
          }));
  ASSERT_TRUE(stream) << stream.error().message;
  const nlohmann::json whole_message = {
      {"content", nullptr},
      {"tool_calls",
       {{{"id", "call_1"},
         {"type", "function"},
         {"function", {{"name", "get_weather"}, {"arguments", "{\"city\":\"Paris\"}"}}}},
        {{"id", "call_2"},
         {"type", "function"},
         {"function", {{"name", "note"}, {"arguments", "{\"oops"}}}}}}};
  const auto whole =
      make_provider(config_for())
          ->parse_response(openai_reply(
              200, nlohmann::json{{"choices",
                                   {{{"message", whole_message}, {"finish_reason", "tool_calls"}}}}}
                       .dump()));
  ASSERT_TRUE(whole) << whole.error().message;
  EXPECT_EQ(stream->text, whole->text);
  EXPECT_EQ(stream->tool_calls, whole->tool_calls);
  EXPECT_EQ(stream->text,
            R"({"content":null,"tool_calls":[{"arguments":{"city":"Paris"},"id":"call_1",)"
            R"("name":"get_weather"},{"arguments":"{\"oops","id":"call_2","name":"note"}]})");
  EXPECT_EQ(stream->ttft_ms, 40.0) << "the first tool call is the first content";
  EXPECT_EQ(stream->finish_reason, "tool_calls");
}

TEST(OpenAiProvider, AServerThatIgnoresStreamIsReadAsAWholeAnswer) {
  const auto completion =
      make_provider(streaming_config())
          ->parse_response(openai_reply(200, R"({"choices":[{"message":{"content":"whole"}}]})"));
  ASSERT_TRUE(completion) << completion.error().message;
  EXPECT_EQ(completion->text, "whole");
  EXPECT_FALSE(completion->ttft_ms.has_value());
}

TEST(OpenAiProvider, AChunkThatIsNotJsonIsABadResponse) {
  const auto completion = make_provider(streaming_config())
                              ->parse_response(streamed({{"data: <html>\n\n", 1}, {kDone, 2}}));
  ASSERT_FALSE(completion);
  EXPECT_EQ(completion.error().kind, ErrorKind::bad_response);
  EXPECT_EQ(completion.error().message, "stream event is not a JSON object: '<html>'");
}

TEST(OpenAiProvider, AdvisesOnStatusesLikeTheBaseClass) {
  const auto provider = make_provider(streaming_config());
  EXPECT_EQ(provider->advise(openai_reply(429, "")), RetryAdvice::back_off);
  EXPECT_EQ(provider->advise(openai_reply(503, "")), RetryAdvice::retry);
  EXPECT_EQ(provider->advise(openai_reply(400, "")), RetryAdvice::final);
  EXPECT_EQ(provider->advise(streamed({{chunk({{"content", "x"}}, "stop"), 1}, {kDone, 2}})),
            RetryAdvice::final);
}

}  // namespace
}  // namespace promptbench
