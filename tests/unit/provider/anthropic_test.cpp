// SPDX-License-Identifier: Apache-2.0
// The anthropic provider: the Messages API's headers and body, whole and streamed answers,
// tool use, errors and the retry advice.
#include <cstdlib>
#include <optional>

#include <gtest/gtest.h>

#include "promptbench/provider.hpp"

namespace promptbench {
namespace {

constexpr const char* kKeyVariable = "ANTHROPIC_API_KEY";

/// Every test runs with ANTHROPIC_API_KEY set to a test key, and leaves it as it was.
class AnthropicProvider : public ::testing::Test {
 protected:
  void SetUp() override {
    if (const char* old = std::getenv(kKeyVariable)) {
      m_saved = old;
    }
    ::setenv(kKeyVariable, "sk-ant-test", 1);
  }
  void TearDown() override {
    if (m_saved) {
      ::setenv(kKeyVariable, m_saved->c_str(), 1);
    } else {
      ::unsetenv(kKeyVariable);
    }
  }

 private:
  std::optional<std::string> m_saved;
};

ProviderConfig anthropic_config(nlohmann::json options = nlohmann::json::object()) {
  ProviderConfig config;
  config.id = "claude";
  config.type = "anthropic";
  config.base_url = "http://127.0.0.1:8080/v1/";
  config.model = "claude-test";
  config.api_key_env = kKeyVariable;  // the loader's default for the type
  config.params = {{"temperature", 0}};
  config.options = std::move(options);
  return config;
}

const nlohmann::json kMessageVars = {{"text", "Hi"}, {"label", "positive"}};

HttpResponse anthropic_reply(int status, std::string body) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  r.latency_ms = 12.5;
  return r;
}

nlohmann::json body_of(const ProviderConfig& config, const RenderedPrompt& prompt) {
  return nlohmann::json::parse(make_provider(config)->build_request(prompt, kMessageVars).body);
}

TEST_F(AnthropicProvider, BuildsAMessagesRequestWithItsHeaders) {
  const HttpRequest request =
      make_provider(anthropic_config())->build_request({{{"user", "Hi"}}}, kMessageVars);
  EXPECT_EQ(request.method, "POST");
  EXPECT_EQ(request.url, "http://127.0.0.1:8080/v1/messages");
  ASSERT_EQ(request.headers.size(), 3u);
  EXPECT_EQ(request.headers[0].name, "x-api-key");
  EXPECT_EQ(request.headers[0].value, "sk-ant-test");
  EXPECT_TRUE(request.headers[0].secret);
  EXPECT_EQ(request.headers[1].name, "anthropic-version");
  EXPECT_EQ(request.headers[1].value, "2023-06-01");
  EXPECT_FALSE(request.headers[1].secret);
  EXPECT_EQ(request.headers[2].name, "content-type");
  EXPECT_EQ(request.headers[2].value, "application/json");
  EXPECT_EQ(request.body.find("sk-ant"), std::string::npos);
  EXPECT_FALSE(request.stream);
}

TEST_F(AnthropicProvider, DefaultsToTheAnthropicApi) {
  ProviderConfig config = anthropic_config();
  config.base_url.clear();
  EXPECT_EQ(make_provider(config)->build_request({{{"user", "x"}}}, kMessageVars).url,
            "https://api.anthropic.com/v1/messages");
}

TEST_F(AnthropicProvider, ANamedKeyVariableWinsOverTheDefault) {
  ::setenv("PB_UNIT_ANT_KEY", "sk-named", 1);
  ProviderConfig config = anthropic_config();
  config.api_key_env = "PB_UNIT_ANT_KEY";
  const HttpRequest request = make_provider(config)->build_request({{{"user", "x"}}}, kMessageVars);
  EXPECT_EQ(request.headers[0].value, "sk-named");
  ::unsetenv("PB_UNIT_ANT_KEY");
}

TEST_F(AnthropicProvider, RefusesToStartWithoutAKey) {
  ::unsetenv(kKeyVariable);
  ProviderConfig config = anthropic_config();
  config.where = {"cfg.yaml", 3, 5};
  try {
    (void)make_provider(config);
    FAIL() << "expected an error";
  } catch (const UserError& e) {
    EXPECT_EQ(std::string(e.what()),
              "cfg.yaml:3:5: provider 'claude': environment variable 'ANTHROPIC_API_KEY' "
              "(api_key_env) is not set");
  }
}

TEST_F(AnthropicProvider, TakesTheConfiguredVersionAndHeaders) {
  ProviderConfig config = anthropic_config({{"anthropic_version", "2024-10-22"}});
  config.headers = {{"X-Api-Key", "gw-key", true}, {"X-Trace", "on", false}};
  const HttpRequest request = make_provider(config)->build_request({{{"user", "x"}}}, kMessageVars);
  ASSERT_EQ(request.headers.size(), 4u);
  EXPECT_EQ(request.headers[0].name, "anthropic-version");
  EXPECT_EQ(request.headers[0].value, "2024-10-22");
  EXPECT_EQ(request.headers[2].name, "X-Api-Key") << "a configured header replaces the key";
  EXPECT_EQ(request.headers[2].value, "gw-key");
  EXPECT_EQ(request.headers[3].name, "X-Trace");
}

TEST_F(AnthropicProvider, PutsEverySystemMessageIntoSystemInOrder) {
  const nlohmann::json body = body_of(anthropic_config(), {{{"system", "Be brief."},
                                                            {"user", "u1"},
                                                            {"system", "Answer in French."},
                                                            {"assistant", "a1"},
                                                            {"user", "u2"},
                                                            {"user", "u3"}}});
  EXPECT_EQ(body["system"], "Be brief.\n\nAnswer in French.");
  const nlohmann::json expected = nlohmann::json::array({{{"role", "user"}, {"content", "u1"}},
                                                         {{"role", "assistant"}, {"content", "a1"}},
                                                         {{"role", "user"}, {"content", "u2"}},
                                                         {{"role", "user"}, {"content", "u3"}}});
  EXPECT_EQ(body["messages"], expected);
}

TEST_F(AnthropicProvider, SendsNoSystemWithoutSystemMessages) {
  const nlohmann::json body = body_of(anthropic_config(), {{{"user", "Hi"}}});
  EXPECT_FALSE(body.contains("system"));
  EXPECT_EQ(body["model"], "claude-test");
  EXPECT_EQ(body["temperature"], 0);
  EXPECT_FALSE(body.contains("stream"));
  EXPECT_FALSE(body.contains("label")) << "the case's fields are not sent";
}

TEST_F(AnthropicProvider, AlwaysSendsMaxTokens) {
  EXPECT_EQ(body_of(anthropic_config(), {{{"user", "x"}}})["max_tokens"], 4096);
  EXPECT_EQ(body_of(anthropic_config({{"max_tokens", 256}}), {{{"user", "x"}}})["max_tokens"], 256);
  ProviderConfig params = anthropic_config({{"max_tokens", 256}});
  params.params["max_tokens"] = 100;
  EXPECT_EQ(body_of(params, {{{"user", "x"}}})["max_tokens"], 100) << "params win";
}

TEST_F(AnthropicProvider, SendsHostileTextIntact) {
  const std::string hostile = "say \"hi\"\\n\\\\ \n\ttab \u00e9\u4e16\U0001F642 {{x}}";
  const nlohmann::json body =
      body_of(anthropic_config(), {{{"system", hostile}, {"user", hostile + "!"}}});
  EXPECT_EQ(body["system"], hostile);
  EXPECT_EQ(body["messages"][0]["content"], hostile + "!");
}

TEST_F(AnthropicProvider, StreamingAsksForEvents) {
  const HttpRequest request = make_provider(anthropic_config({{"stream", true}}))
                                  ->build_request({{{"user", "x"}}}, kMessageVars);
  EXPECT_EQ(nlohmann::json::parse(request.body)["stream"], true);
  EXPECT_TRUE(request.stream);
  EXPECT_EQ(request.idle_timeout, std::chrono::seconds(30));
  const HttpRequest idle = make_provider(anthropic_config({{"stream", true}, {"idle_timeout", 10}}))
                               ->build_request({{{"user", "x"}}}, kMessageVars);
  EXPECT_EQ(idle.idle_timeout, std::chrono::seconds(10));
}

TEST_F(AnthropicProvider, ChecksItsOptions) {
  const ProviderInfo& info = provider_type("anthropic");
  EXPECT_STREQ(info.description, "Anthropic Messages API");
  const nlohmann::json all = {{"stream", false},
                              {"idle_timeout", "45s"},
                              {"anthropic_version", "2023-06-01"},
                              {"max_tokens", 1024}};
  EXPECT_NO_THROW(info.validate(ProviderOptions(all)));
  const auto message_for = [&](const nlohmann::json& options) -> std::string {
    try {
      info.validate(ProviderOptions(options));
    } catch (const OptionError& e) {
      return e.key() + ": " + e.what();
    }
    return "no error";
  };
  EXPECT_EQ(message_for({{"max_token", 5}}),
            "max_token: unknown key 'max_token' (did you mean 'max_tokens'?)");
  EXPECT_EQ(message_for({{"max_tokens", 0}}), "max_tokens: expected a positive integer, got 0");
  EXPECT_EQ(message_for({{"max_tokens", "many"}}),
            "max_tokens: expected a positive integer, got \"many\"");
  EXPECT_EQ(message_for({{"anthropic_version", 2023}}),
            "anthropic_version: expected a version like \"2023-06-01\", got 2023");
  EXPECT_EQ(message_for({{"stream", 1}}), "stream: expected true or false, got number");
}

TEST_F(AnthropicProvider, EstimatesTokensWithTheDefaultMaxTokens) {
  const auto provider = make_provider(anthropic_config());
  const HttpRequest request = provider->build_request({{{"user", "x"}}}, kMessageVars);
  EXPECT_DOUBLE_EQ(provider->estimate_tokens(request),
                   static_cast<double>(request.body.size()) / 4.0 + 4096);
  ProviderConfig capped = anthropic_config({{"max_tokens", 300}});
  capped.params["max_tokens"] = 100;
  const auto with_params = make_provider(capped);
  const HttpRequest small = with_params->build_request({{{"user", "x"}}}, kMessageVars);
  EXPECT_DOUBLE_EQ(with_params->estimate_tokens(small),
                   static_cast<double>(small.body.size()) / 4.0 + 100);
}

// --- whole answers ----------------------------------------------------------------------

TEST_F(AnthropicProvider, ANegativeTokenCountIsUnknownUsage) {
  const auto completion =
      make_provider(anthropic_config())
          ->parse_response(anthropic_reply(
              200, R"({"content":[{"type":"text","text":"ok"}],"stop_reason":"end_turn",
      "usage":{"input_tokens":-25,"output_tokens":3}})"));
  ASSERT_TRUE(completion) << completion.error().message;
  EXPECT_FALSE(completion->usage.prompt_tokens.has_value());
  EXPECT_EQ(completion->usage.completion_tokens, 3);
}

TEST_F(AnthropicProvider, ParsesTextBlocksUsageAndStopReason) {
  const auto completion =
      make_provider(anthropic_config())
          ->parse_response(anthropic_reply(
              200, R"({"id":"msg_1","type":"message","role":"assistant","model":"claude-test",
      "content":[{"type":"text","text":"Bon"},{"type":"text","text":"jour."}],
      "stop_reason":"end_turn","stop_sequence":null,
      "usage":{"input_tokens":25,"output_tokens":3}})"));
  ASSERT_TRUE(completion) << completion.error().message;
  EXPECT_EQ(completion->text, "Bonjour.");
  EXPECT_EQ(completion->finish_reason, "end_turn");
  EXPECT_EQ(completion->usage.prompt_tokens, 25);
  EXPECT_EQ(completion->usage.completion_tokens, 3);
  EXPECT_DOUBLE_EQ(completion->latency_ms, 12.5);
  EXPECT_TRUE(completion->tool_calls.is_null());
  EXPECT_FALSE(completion->ttft_ms.has_value());
}

TEST_F(AnthropicProvider, ToolUseBlocksBecomeToolCalls) {
  const auto provider = make_provider(anthropic_config());
  const auto with_text = provider->parse_response(
      anthropic_reply(200, R"({"content":[{"type":"text","text":"Checking."},{"type":"tool_use",
      "id":"toolu_1","name":"get_weather","input":{"city":"Paris"}}],
      "stop_reason":"tool_use","usage":{"input_tokens":5,"output_tokens":9}})"));
  ASSERT_TRUE(with_text) << with_text.error().message;
  EXPECT_EQ(with_text->text,
            R"({"content":"Checking.","tool_calls":[{"arguments":{"city":"Paris"},)"
            R"("id":"toolu_1","name":"get_weather"}]})");
  EXPECT_EQ(with_text->tool_calls[0]["arguments"]["city"], "Paris");
  EXPECT_EQ(with_text->finish_reason, "tool_use");
  const auto only_tool = provider->parse_response(
      anthropic_reply(200, R"({"content":[{"type":"tool_use","id":"t","name":"f","input":{}}]})"));
  ASSERT_TRUE(only_tool) << only_tool.error().message;
  EXPECT_EQ(only_tool->text,
            R"({"content":null,"tool_calls":[{"arguments":{},"id":"t","name":"f"}]})");
}

TEST_F(AnthropicProvider, RecordsTheServersMessageForHttpErrors) {
  const auto provider = make_provider(anthropic_config());
  const HttpResponse overloaded = anthropic_reply(
      529, R"({"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}})");
  const auto error = provider->parse_response(overloaded);
  ASSERT_FALSE(error);
  EXPECT_EQ(error.error().kind, ErrorKind::http_status);
  EXPECT_EQ(error.error().message, "HTTP 529: Overloaded");
}

TEST_F(AnthropicProvider, AdvisesOnEveryStatus) {
  const auto provider = make_provider(anthropic_config());
  for (int status : {529, 429}) {
    EXPECT_EQ(provider->advise(anthropic_reply(status, "")), RetryAdvice::back_off) << status;
  }
  for (int status : {500, 502, 503, 504, 408}) {
    EXPECT_EQ(provider->advise(anthropic_reply(status, "")), RetryAdvice::retry) << status;
  }
  for (int status : {200, 400, 401, 403, 404, 413}) {
    EXPECT_EQ(provider->advise(anthropic_reply(status, "")), RetryAdvice::final) << status;
  }
}

TEST_F(AnthropicProvider, CallsMalformedBodiesBadResponses) {
  const auto provider = make_provider(anthropic_config());
  EXPECT_EQ(provider->parse_response(anthropic_reply(200, "<html>")).error().message,
            "response body is not a JSON object: '<html>'");
  EXPECT_EQ(provider->parse_response(anthropic_reply(200, R"({"content":"x"})")).error().message,
            "response has no content list");
  const std::string deep = "{\"content\":" + std::string(300, '[') + std::string(300, ']') + "}";
  EXPECT_EQ(provider->parse_response(anthropic_reply(200, deep)).error().message,
            "response body nests deeper than 100 levels");
}

// --- streamed answers -------------------------------------------------------------------

/// A streamed 200 answer: each block of SSE text arrives whole, `ms` after the start.
HttpResponse anthropic_streamed(const std::vector<std::pair<std::string, double>>& blocks) {
  HttpResponse r;
  r.status = 200;
  r.latency_ms = 90;
  for (const auto& [text, ms] : blocks) {
    r.body += text;
    r.arrivals.push_back({r.body.size(), ms});
  }
  return r;
}

/// One event as the API sends it: named, its data repeating the name as `type`.
std::string event(const std::string& type, nlohmann::json data = nlohmann::json::object()) {
  data["type"] = type;
  return "event: " + type + "\ndata: " + data.dump() + "\n\n";
}

std::string message_start() {
  return event("message_start", {{"message",
                                  {{"id", "msg_1"},
                                   {"role", "assistant"},
                                   {"content", nlohmann::json::array()},
                                   {"stop_reason", nullptr},
                                   {"usage", {{"input_tokens", 25}, {"output_tokens", 1}}}}}});
}

std::string text_start(int index) {
  return event("content_block_start",
               {{"index", index}, {"content_block", {{"type", "text"}, {"text", ""}}}});
}

std::string text_delta(int index, const std::string& text) {
  return event("content_block_delta",
               {{"index", index}, {"delta", {{"type", "text_delta"}, {"text", text}}}});
}

std::string block_stop(int index) {
  return event("content_block_stop", {{"index", index}});
}

std::string message_end(const std::string& stop_reason, int output_tokens) {
  return event("message_delta", {{"delta", {{"stop_reason", stop_reason}}},
                                 {"usage", {{"output_tokens", output_tokens}}}}) +
         event("message_stop");
}

ProviderConfig anthropic_streaming_config() {
  return anthropic_config({{"stream", true}});
}

TEST_F(AnthropicProvider, StreamedTextIsByteIdenticalToTheWholeAnswer) {
  const std::vector<std::string> pieces = {"Gr\u00fc", "\u00dfe, \u4e16", "\u754c \U0001F642",
                                           " \"q\" \\ \n\t", "end"};
  std::vector<std::pair<std::string, double>> blocks = {{message_start(), 1}, {text_start(0), 2}};
  std::string whole_text;
  for (const auto& piece : pieces) {
    whole_text += piece;
    blocks.emplace_back(text_delta(0, piece), 3);
  }
  blocks.emplace_back(event("ping"), 4);
  blocks.emplace_back(block_stop(0) + message_end("end_turn", 15), 5);
  const auto stream =
      make_provider(anthropic_streaming_config())->parse_response(anthropic_streamed(blocks));
  ASSERT_TRUE(stream) << stream.error().message;

  const nlohmann::json document = {{"content", {{{"type", "text"}, {"text", whole_text}}}},
                                   {"stop_reason", "end_turn"},
                                   {"usage", {{"input_tokens", 25}, {"output_tokens", 15}}}};
  const auto whole =
      make_provider(anthropic_config())->parse_response(anthropic_reply(200, document.dump()));
  ASSERT_TRUE(whole) << whole.error().message;
  EXPECT_EQ(stream->text, whole->text);
  EXPECT_EQ(stream->text, "Gr\u00fc\u00dfe, \u4e16\u754c \U0001F642 \"q\" \\ \n\tend");
  EXPECT_EQ(stream->finish_reason, "end_turn");
  EXPECT_EQ(stream->usage.prompt_tokens, 25);
  EXPECT_EQ(stream->usage.completion_tokens, 15);
  EXPECT_DOUBLE_EQ(stream->latency_ms, 90);
}

TEST_F(AnthropicProvider, TimeToFirstTokenIsTheFirstTextNotMessageStart) {
  const auto completion =
      make_provider(anthropic_streaming_config())
          ->parse_response(anthropic_streamed({{message_start(), 100},
                                               {text_start(0), 120},
                                               {event("ping"), 150},
                                               {text_delta(0, ""), 170},
                                               {text_delta(0, "Hi"), 240},
                                               {text_delta(0, "!"), 260},
                                               {block_stop(0), 270},
                                               {message_end("end_turn", 2), 280}}));
  ASSERT_TRUE(completion) << completion.error().message;
  EXPECT_EQ(completion->text, "Hi!");
  EXPECT_EQ(completion->ttft_ms, 240.0);
}

TEST_F(AnthropicProvider, ReadsAStreamWithCrLfLineEnds) {
  const std::string body = message_start() + text_start(0) + text_delta(0, "a\nb") + block_stop(0) +
                           message_end("end_turn", 3);
  std::string crlf;
  for (char c : body) {
    crlf += c == '\n' ? std::string("\r\n") : std::string(1, c);
  }
  const auto completion =
      make_provider(anthropic_streaming_config())->parse_response(anthropic_streamed({{crlf, 7}}));
  ASSERT_TRUE(completion) << completion.error().message;
  EXPECT_EQ(completion->text, "a\nb");
  EXPECT_EQ(completion->finish_reason, "end_turn");
  EXPECT_EQ(completion->ttft_ms, 7.0);
}

TEST_F(AnthropicProvider, StreamedToolUseMatchesTheWholeAnswer) {
  const auto json_delta = [](int index, const std::string& partial) {
    return event(
        "content_block_delta",
        {{"index", index}, {"delta", {{"type", "input_json_delta"}, {"partial_json", partial}}}});
  };
  const auto stream =
      make_provider(anthropic_streaming_config())
          ->parse_response(anthropic_streamed(
              {{message_start(), 10},
               {text_start(0), 20},
               {text_delta(0, "Checking."), 30},
               {block_stop(0), 31},
               {event("content_block_start", {{"index", 1},
                                              {"content_block",
                                               {{"type", "tool_use"},
                                                {"id", "toolu_1"},
                                                {"name", "get_weather"},
                                                {"input", nlohmann::json::object()}}}}),
                40},
               {json_delta(1, ""), 41},
               {json_delta(1, "{\"city\": \"Pa"), 45},
               {json_delta(1, "ris\"}"), 50},
               {block_stop(1), 51},
               {message_end("tool_use", 40), 60}}));
  ASSERT_TRUE(stream) << stream.error().message;
  const auto whole =
      make_provider(anthropic_config())
          ->parse_response(anthropic_reply(200, R"({"content":[{"type":"text","text":"Checking."},
                             {"type":"tool_use","id":"toolu_1","name":"get_weather",
                             "input":{"city":"Paris"}}],"stop_reason":"tool_use"})"));
  ASSERT_TRUE(whole) << whole.error().message;
  EXPECT_EQ(stream->text, whole->text);
  EXPECT_EQ(stream->tool_calls, whole->tool_calls);
  EXPECT_EQ(stream->text, R"({"content":"Checking.","tool_calls":[{"arguments":{"city":"Paris"},)"
                          R"("id":"toolu_1","name":"get_weather"}]})");
  EXPECT_EQ(stream->finish_reason, "tool_use");
  EXPECT_EQ(stream->usage.completion_tokens, 40);
  EXPECT_EQ(stream->ttft_ms, 30.0);
}

TEST_F(AnthropicProvider, ATimeToFirstTokenMayBeAToolCall) {
  const auto stream =
      make_provider(anthropic_streaming_config())
          ->parse_response(anthropic_streamed(
              {{message_start(), 10},
               {event("content_block_start", {{"index", 0},
                                              {"content_block",
                                               {{"type", "tool_use"},
                                                {"id", "t"},
                                                {"name", "f"},
                                                {"input", nlohmann::json::object()}}}}),
                35},
               {block_stop(0), 36},
               {message_end("tool_use", 4), 37}}));
  ASSERT_TRUE(stream) << stream.error().message;
  EXPECT_EQ(stream->text,
            R"({"content":null,"tool_calls":[{"arguments":{},"id":"t","name":"f"}]})");
  EXPECT_EQ(stream->ttft_ms, 35.0);
}

TEST_F(AnthropicProvider, AnErrorEventIsAStreamErrorWithItsAdvice) {
  const auto provider = make_provider(anthropic_streaming_config());
  const auto failing = [](const std::string& type, const std::string& message) {
    return anthropic_streamed({{message_start() + text_start(0) + text_delta(0, "Hal"), 10},
                               {"event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"" +
                                    type + "\",\"message\":\"" + message + "\"}}\n\n",
                                20}});
  };
  const HttpResponse overloaded = failing("overloaded_error", "Overloaded");
  const auto completion = provider->parse_response(overloaded);
  ASSERT_FALSE(completion);
  EXPECT_EQ(completion.error().kind, ErrorKind::stream_error);
  EXPECT_EQ(completion.error().message, "Overloaded");
  EXPECT_EQ(provider->advise(overloaded), RetryAdvice::back_off);
  EXPECT_EQ(provider->advise(failing("rate_limit_error", "Slow down")), RetryAdvice::back_off);
  const HttpResponse api_error = failing("api_error", "Internal server error");
  EXPECT_EQ(provider->advise(api_error), RetryAdvice::back_off);
  EXPECT_EQ(provider->advise(failing("invalid_request_error", "Bad")), RetryAdvice::retry);
  EXPECT_EQ(provider->parse_response(api_error).error().message, "Internal server error");
}

TEST_F(AnthropicProvider, AStreamWithoutMessageStopIsAStreamError) {
  const auto provider = make_provider(anthropic_streaming_config());
  const HttpResponse cut = anthropic_streamed({{message_start(), 10},
                                               {text_start(0), 20},
                                               {text_delta(0, "Hal"), 30},
                                               {"event: content_block_delta\ndata: {\"ty", 40}});
  const auto completion = provider->parse_response(cut);
  ASSERT_FALSE(completion);
  EXPECT_EQ(completion.error().kind, ErrorKind::stream_error);
  EXPECT_EQ(completion.error().message, "stream ended before its last event");
  EXPECT_EQ(provider->advise(cut),
            RetryAdvice::retry /* cut short: the next attempt may be whole */);
}

TEST_F(AnthropicProvider, AnEventThatIsNotJsonIsABadResponse) {
  const auto completion =
      make_provider(anthropic_streaming_config())
          ->parse_response(anthropic_streamed({{message_start() +
                                                    "event: content_block_delta\ndata: "
                                                    "<oops>\n\n" +
                                                    message_end("end_turn", 1),
                                                5}}));
  ASSERT_FALSE(completion);
  EXPECT_EQ(completion.error().kind, ErrorKind::bad_response);
  EXPECT_EQ(completion.error().message, "stream event is not a JSON object: '<oops>'");
}

TEST_F(AnthropicProvider, StreamInParamsStreamsLikeTheOption) {
  ProviderConfig config = anthropic_config();
  config.params["stream"] = true;
  const auto provider = make_provider(config);
  EXPECT_TRUE(provider->build_request({{{"user", "x"}}}, kMessageVars).stream);
  const auto completion = provider->parse_response(anthropic_streamed(
      {{message_start() + text_start(0) + text_delta(0, "ok") + message_end("end_turn", 1), 3}}));
  ASSERT_TRUE(completion) << completion.error().message;
  EXPECT_EQ(completion->text, "ok");
}

}  // namespace
}  // namespace promptbench
