// SPDX-License-Identifier: Apache-2.0
// What the Provider base class does for every type: the case's variables reach
// build_request, the key and configured headers, the server's message on a non-2xx answer,
// the token estimate, option checks and the registry's word on which types exist.
#include <cstdlib>

#include <gtest/gtest.h>

#include "promptbench/provider.hpp"

namespace promptbench {
namespace {

/// A provider type of the test's own: it sends the case's variables as the body, so a test
/// sees exactly what build_request was given.
class EchoVarsProvider final : public Provider {
 public:
  using Provider::Provider;

  HttpRequest build_request(const RenderedPrompt& prompt,
                            const nlohmann::json& vars) const override {
    HttpRequest request;
    request.url = "http://127.0.0.1:1/echo";
    request.body = nlohmann::json{{"vars", vars}, {"messages", prompt.messages.size()}}.dump();
    if (!api_key().empty()) {
      request.headers.push_back({"X-Key", api_key(), true});
    }
    add_configured_headers(request);
    return request;
  }

 protected:
  tl::expected<Completion, RequestError> parse_success(
      const HttpResponse& response) const override {
    Completion completion;
    completion.text = response.body;
    completion.latency_ms = response.latency_ms;
    return completion;
  }
};

ProviderConfig config_with_params(nlohmann::json params) {
  ProviderConfig config;
  config.id = "echo";
  config.type = "echo";
  config.model = "m";
  config.params = std::move(params);
  return config;
}

HttpResponse response(int status, std::string body) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

TEST(Provider, BuildRequestSeesTheCasesVariables) {
  const EchoVarsProvider provider(config_with_params(nlohmann::json::object()));
  const nlohmann::json vars = {{"question", "2+2?"}, {"answer", "4"}};
  const HttpRequest request = provider.build_request({{{"user", "2+2?"}}}, vars);
  EXPECT_EQ(nlohmann::json::parse(request.body)["vars"], vars);
}

TEST(Provider, EstimatesTokensFromTheBodyAndTheAnswerCap) {
  const HttpRequest request{"POST", "http://h/", {}, std::string(400, 'x')};
  EXPECT_DOUBLE_EQ(
      EchoVarsProvider(config_with_params(nlohmann::json::object())).estimate_tokens(request),
      100.0);
  EXPECT_DOUBLE_EQ(
      EchoVarsProvider(config_with_params({{"max_tokens", 16}})).estimate_tokens(request), 116.0);
  EXPECT_DOUBLE_EQ(EchoVarsProvider(config_with_params({{"max_completion_tokens", 50}}))
                       .estimate_tokens(request),
                   150.0);
  // A cap that is not a number is the server's problem, not the estimate's.
  EXPECT_DOUBLE_EQ(
      EchoVarsProvider(config_with_params({{"max_tokens", "lots"}})).estimate_tokens(request),
      100.0);
}

TEST(Provider, ANon2xxAnswerIsAnHttpStatusErrorWithTheServersMessage) {
  const EchoVarsProvider provider(config_with_params(nlohmann::json::object()));
  const auto nested =
      provider.parse_response(response(429, R"({"error":{"message":"slow down"}})"));
  ASSERT_FALSE(nested);
  EXPECT_EQ(nested.error().kind, ErrorKind::http_status);
  EXPECT_EQ(nested.error().http_status, 429);
  EXPECT_EQ(nested.error().message, "HTTP 429: slow down");
  EXPECT_EQ(provider.parse_response(response(500, R"({"error":"boom"})")).error().message,
            "HTTP 500: boom");
  EXPECT_EQ(
      provider.parse_response(response(404, R"({"message":"no such model"})")).error().message,
      "HTTP 404: no such model");
  EXPECT_EQ(provider.parse_response(response(503, std::string(300, 'z'))).error().message,
            "HTTP 503: " + std::string(200, 'z') + "...");
  const auto ok = provider.parse_response(response(200, "fine"));
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->text, "fine");
}

TEST(Provider, ReadsTheKeyOnceAndAddsTheConfiguredHeadersLast) {
  ::setenv("PB_UNIT_ECHO_KEY", "k-echo-123", 1);
  ProviderConfig config = config_with_params(nlohmann::json::object());
  config.api_key_env = "PB_UNIT_ECHO_KEY";
  config.headers = {{"X-Org", "acme", false}, {"x-key", "override", true}};
  const EchoVarsProvider provider(config);
  ::unsetenv("PB_UNIT_ECHO_KEY");  // read when the provider was made, not per request
  const HttpRequest request = provider.build_request({{{"user", "x"}}}, nlohmann::json::object());
  ASSERT_EQ(request.headers.size(), 2u);
  EXPECT_EQ(request.headers[0].name, "X-Org");
  EXPECT_FALSE(request.headers[0].secret);
  EXPECT_EQ(request.headers[1].name, "x-key");  // the provider's X-Key gave way
  EXPECT_EQ(request.headers[1].value, "override");
  EXPECT_TRUE(request.headers[1].secret);
}

TEST(Provider, AMissingKeyVariableIsALocatedError) {
  ::unsetenv("PB_UNIT_ECHO_ABSENT");
  ProviderConfig config = config_with_params(nlohmann::json::object());
  config.api_key_env = "PB_UNIT_ECHO_ABSENT";
  config.where = {"cfg.yaml", 2, 5};
  config.field = "providers[1]";
  try {
    (void)EchoVarsProvider(config);
    FAIL() << "expected an error";
  } catch (const UserError& e) {
    EXPECT_EQ(std::string(e.what()),
              "cfg.yaml:2:5: providers[1].api_key_env: provider 'echo': environment variable "
              "'PB_UNIT_ECHO_ABSENT' (api_key_env) is not set");
  }
}

TEST(ProviderOptions, AllowsKnownKeysAndSuggestsFromTheirsAndTheCommonOnes) {
  const nlohmann::json options = {{"deployment", "d1"}};
  EXPECT_NO_THROW(ProviderOptions(options).allow_only({"deployment", "api_version"}));
  const nlohmann::json typo = {{"api_verison", "2024"}};
  try {
    ProviderOptions(typo).allow_only({"deployment", "api_version"});
    FAIL() << "expected an error";
  } catch (const OptionError& e) {
    EXPECT_EQ(e.key(), "api_verison");
    EXPECT_EQ(std::string(e.what()), "unknown key 'api_verison' (did you mean 'api_version'?)");
  }
  const nlohmann::json common_typo = {{"heders", nlohmann::json::object()}};
  try {
    ProviderOptions(common_typo).allow_only({});
    FAIL() << "expected an error";
  } catch (const OptionError& e) {
    EXPECT_EQ(std::string(e.what()), "unknown key 'heders' (did you mean 'headers'?)");
  }
  const nlohmann::json far = {{"zzzzzz", 1}};
  EXPECT_THROW(ProviderOptions(far).allow_only({}), OptionError);
}

TEST(ProviderRegistry, AloneDecidesWhichTypesExist) {
  EXPECT_STREQ(provider_type("openai").type, "openai");
  for (const ProviderInfo& info : provider_registry()) {
    EXPECT_NE(info.make, nullptr) << info.type;
    EXPECT_NE(info.validate, nullptr) << info.type;
  }
  try {
    (void)provider_type("opanai");
    FAIL() << "expected an error";
  } catch (const OptionError& e) {
    EXPECT_EQ(e.key(), "type");
    EXPECT_EQ(std::string(e.what()), "unknown provider type 'opanai' (did you mean 'openai'?)");
  }
  ProviderConfig config = config_with_params(nlohmann::json::object());
  config.type = "anthropix-unknown-type";
  config.where = {"cfg.yaml", 3, 5};
  config.field = "providers[0]";
  try {
    (void)make_provider(config);
    FAIL() << "expected an error";
  } catch (const UserError& e) {
    EXPECT_EQ(std::string(e.what()),
              "cfg.yaml:3:5: providers[0].type: unknown provider type 'anthropix-unknown-type'");
  }
}

}  // namespace
}  // namespace promptbench
