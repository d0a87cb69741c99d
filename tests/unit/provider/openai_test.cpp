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

HttpResponse response(int status, std::string body) {
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

TEST(OpenAiProvider, RejectsEveryOptionOfItsOwn) {
  const ProviderInfo& info = provider_type("openai");
  const nlohmann::json none = nlohmann::json::object();
  EXPECT_NO_THROW(info.validate(ProviderOptions(none)));
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
  const auto completion = provider->parse_response(response(200, R"({"choices":[{"index":0,
    "message":{"role":"assistant","content":"Positive."},"finish_reason":"stop"}],
    "usage":{"prompt_tokens":9,"completion_tokens":2,"total_tokens":11}})"));
  ASSERT_TRUE(completion) << completion.error().message;
  EXPECT_EQ(completion->text, "Positive.");
  EXPECT_EQ(completion->finish_reason, "stop");
  EXPECT_EQ(completion->usage.prompt_tokens, 9);
  EXPECT_EQ(completion->usage.completion_tokens, 2);
  EXPECT_DOUBLE_EQ(completion->latency_ms, 12.5);
}

TEST(OpenAiProvider, JoinsContentPartsAndAcceptsNullContent) {
  const auto provider = make_provider(config_for());
  const auto parts = provider->parse_response(response(200, R"({"choices":[{"message":
    {"content":[{"type":"text","text":"a"},{"type":"text","text":"b"}]}}]})"));
  ASSERT_TRUE(parts);
  EXPECT_EQ(parts->text, "ab");
  EXPECT_FALSE(parts->usage.prompt_tokens.has_value());
  const auto null_content =
      provider->parse_response(response(200, R"({"choices":[{"message":{"content":null}}]})"));
  ASSERT_TRUE(null_content);
  EXPECT_EQ(null_content->text, "");
}

TEST(OpenAiProvider, RecordsTheServersMessageForHttpErrors) {
  const auto provider = make_provider(config_for());
  const auto error = provider->parse_response(response(
      400, R"({"error":{"message":"max_tokens is too large","type":"invalid_request_error"}})"));
  ASSERT_FALSE(error);
  EXPECT_EQ(error.error().kind, ErrorKind::http_status);
  EXPECT_EQ(error.error().http_status, 400);
  EXPECT_EQ(error.error().message, "HTTP 400: max_tokens is too large");
  const auto plain = provider->parse_response(response(502, "Bad Gateway"));
  EXPECT_EQ(plain.error().message, "HTTP 502: Bad Gateway");
}

TEST(OpenAiProvider, CallsMalformedBodiesBadResponses) {
  const auto provider = make_provider(config_for());
  const auto not_json = provider->parse_response(response(200, "{\"choices\": [tru"));
  ASSERT_FALSE(not_json);
  EXPECT_EQ(not_json.error().kind, ErrorKind::bad_response);
  EXPECT_EQ(not_json.error().message, "response body is not valid JSON: '{\"choices\": [tru'");
  // The start of the body says what came instead: an HTML page, a proxy's notice.
  const std::string page = "<html>\n<head><title>502 Bad Gateway</title></head><body>" +
                           std::string(100, 'x') + "</body></html>";
  EXPECT_EQ(provider->parse_response(response(200, page)).error().message,
            "response body is not valid JSON: '<html> <head><title>502 Bad "
            "Gateway</title></head><body>xxxx...'");
  EXPECT_EQ(provider->parse_response(response(200, "")).error().message,
            "response body is not valid JSON: (empty)");
  const auto no_choices = provider->parse_response(response(200, R"({"choices":[]})"));
  EXPECT_EQ(no_choices.error().message, "response has no choices[0].message");
  const auto number =
      provider->parse_response(response(200, R"({"choices":[{"message":{"content":5}}]})"));
  EXPECT_EQ(number.error().message, "choices[0].message.content is not text");
}

}  // namespace
}  // namespace promptbench
