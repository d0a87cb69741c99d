// SPDX-License-Identifier: Apache-2.0
// A provider entry: the registry's word on types and options, located at the key, and the
// `headers:` map -- ${VAR} expansion, secrets kept out of logs and cache keys.
#include <algorithm>
#include <cstdlib>

#include <gtest/gtest.h>

#include "promptbench/cache.hpp"
#include "promptbench/config.hpp"
#include "promptbench/provider.hpp"
#include "promptbench/redact.hpp"
#include "unit/temp_dir.hpp"

namespace promptbench {
namespace {

class ProviderEntry : public ::testing::Test {
 protected:
  void SetUp() override { m_dir.write("data.jsonl", "{\"q\": \"hi\", \"a\": \"x\"}\n"); }
  void TearDown() override { clear_secrets(); }

  /// A config whose only provider has `setting` on line 4, at column 5.
  static std::string with_setting(const std::string& setting) {
    return "providers:\n  - id: local\n    model: m\n    " + setting +
           "\nprompts: [{id: a, template: x}]\ndataset: {path: data.jsonl, reference: a}\n";
  }

  std::string error_of(const std::string& text) {
    try {
      (void)load_config(m_dir.write("cfg.yaml", text));
    } catch (const UserError& e) {
      return std::string(e.what()).substr(m_dir.path().string().size() + 1);
    }
    return "";
  }

  Config load(const std::string& text) { return load_config(m_dir.write("cfg.yaml", text)); }

  testing::ScratchDir m_dir;
};

TEST_F(ProviderEntry, OpenAiRejectsAnUnknownOptionAtItsKey) {
  EXPECT_EQ(error_of(with_setting("foo: 1")), "cfg.yaml:4:5: providers[0].foo: unknown key 'foo'");
  EXPECT_EQ(error_of(with_setting("heders: {X-Org: a}")),
            "cfg.yaml:4:5: providers[0].heders: unknown key 'heders' (did you mean 'headers'?)");
  // The same check for judges, in flow style.
  EXPECT_EQ(
      error_of("providers: [{id: p, model: m}]\njudges: [{id: j, model: m, temprature: 0}]\n"
               "prompts: [{id: a, template: x}]\ndataset: {path: data.jsonl, reference: a}\n"),
      "cfg.yaml:2:28: judges[0].temprature: unknown key 'temprature'");
}

TEST_F(ProviderEntry, AnUnknownTypeIsLocatedAtTheTypeBeforeItsOptionsAreChecked) {
  EXPECT_EQ(error_of(with_setting("type: opneai\n    foo: 1")),
            "cfg.yaml:4:11: providers[0].type: unknown provider type 'opneai' (did you mean "
            "'openai'?)");
  EXPECT_EQ(error_of(with_setting("type: bedrock")),
            "cfg.yaml:4:11: providers[0].type: unknown provider type 'bedrock'");
}

TEST_F(ProviderEntry, KeepsOnlyTheTypesOwnKeysAsOptions) {
  const Config config = load(with_setting("timeout: 5s"));
  EXPECT_EQ(config.providers[0].options, nlohmann::json::object());
}

TEST_F(ProviderEntry, ATypesDefaultKeyVariableIsAppliedUnlessTheEntryNamesOne) {
  EXPECT_EQ(load(with_setting("type: anthropic")).providers[0].api_key_env, "ANTHROPIC_API_KEY");
  EXPECT_EQ(load(with_setting("type: anthropic\n    api_key_env: MY_KEY")).providers[0].api_key_env,
            "MY_KEY");
  EXPECT_EQ(load(with_setting("type: openai")).providers[0].api_key_env, "");
}

TEST_F(ProviderEntry, ReadsReplicasAsBaseUrls) {
  const Config config =
      load(with_setting("base_urls: [\"http://10.0.0.1:8000/v1/\", http://10.0.0.2:8000/v1]"));
  EXPECT_EQ(config.providers[0].base_urls,
            (std::vector<std::string>{"http://10.0.0.1:8000/v1", "http://10.0.0.2:8000/v1"}));
  EXPECT_EQ(config.providers[0].base_url, "http://10.0.0.1:8000/v1");
  EXPECT_EQ(error_of(with_setting("base_url: http://a/v1\n    base_urls: [http://b/v1]")),
            "cfg.yaml:5:16: providers[0].base_urls: give either base_url or base_urls, not both");
  EXPECT_EQ(error_of(with_setting("base_urls: []")),
            "cfg.yaml:4:16: providers[0].base_urls: base_urls needs at least one URL");
  EXPECT_EQ(error_of(with_setting("base_urls: [http://a/v1, http://a/v1/]")),
            "cfg.yaml:4:30: providers[0].base_urls[1]: 'http://a/v1' is listed twice");
  EXPECT_NE(error_of(with_setting("base_urls: [ftp://a/v1]")).find("providers[0].base_urls[0]"),
            std::string::npos);
}

TEST_F(ProviderEntry, ReadsHeadersWithLiteralValuesAsNonSecret) {
  const Config config = load(with_setting("headers: {X-Org: acme, X-Count: 3}"));
  const auto& headers = config.providers[0].headers;
  ASSERT_EQ(headers.size(), 2u);
  EXPECT_EQ(headers[0].name, "X-Count");  // in key order
  EXPECT_EQ(headers[0].value, "3");
  EXPECT_FALSE(headers[0].secret);
  EXPECT_EQ(headers[1].name, "X-Org");
  EXPECT_EQ(headers[1].value, "acme");
  EXPECT_FALSE(headers[1].secret);
}

TEST_F(ProviderEntry, AHeaderFromTheEnvironmentIsASecretEverywhere) {
  ::setenv("PB_UNIT_ORG_ID", "org-secret-4711", 1);
  const Config config = load(with_setting(
      R"(headers: {X-Org: "${PB_UNIT_ORG_ID}", X-Team: "team-${PB_UNIT_UNSET_TEAM:-blue}"})"));
  ::unsetenv("PB_UNIT_ORG_ID");
  const auto& headers = config.providers[0].headers;
  ASSERT_EQ(headers.size(), 2u);
  EXPECT_EQ(headers[0].value, "org-secret-4711");
  EXPECT_TRUE(headers[0].secret);
  EXPECT_EQ(headers[1].value, "team-blue");  // the default: not from the environment
  EXPECT_FALSE(headers[1].secret);
  // Redacted wherever it would be written.
  EXPECT_EQ(redact("sent X-Org: org-secret-4711"), "sent X-Org: <redacted>");

  // Sent with every request, but never part of the cache key: a new token must not throw
  // away every cached answer, and the key must not be derivable from the cache.
  const auto provider = make_provider(config.providers[0]);
  const HttpRequest request = provider->build_request({{{"user", "x"}}}, nlohmann::json::object());
  const auto sent = std::find_if(request.headers.begin(), request.headers.end(),
                                 [](const HttpHeader& h) { return h.name == "X-Org"; });
  ASSERT_NE(sent, request.headers.end());
  EXPECT_EQ(sent->value, "org-secret-4711");
  EXPECT_TRUE(sent->secret);
  HttpRequest other_token = request;
  for (HttpHeader& header : other_token.headers) {
    if (header.name == "X-Org") {
      header.value = "org-other-0815";
    }
  }
  EXPECT_EQ(cache_key(request, 1), cache_key(other_token, 1));
  HttpRequest other_team = request;
  for (HttpHeader& header : other_team.headers) {
    if (header.name == "X-Team") {
      header.value = "team-red";
    }
  }
  EXPECT_NE(cache_key(request, 1), cache_key(other_team, 1));  // a literal header counts
}

TEST_F(ProviderEntry, JudgesTakeHeadersToo) {
  const Config config = load(
      "providers: [{id: p, model: m}]\njudges: [{id: j, model: m, headers: {X-Org: a1}}]\n"
      "prompts: [{id: a, template: x}]\ndataset: {path: data.jsonl, reference: a}\n");
  ASSERT_EQ(config.judges[0].headers.size(), 1u);
  EXPECT_EQ(config.judges[0].headers[0].value, "a1");
}

TEST_F(ProviderEntry, RejectsMalformedHeadersWhereTheyAre) {
  EXPECT_EQ(error_of(with_setting("headers: [X-Org]")),
            "cfg.yaml:4:14: providers[0].headers: expected a mapping, got list");
  EXPECT_EQ(error_of(with_setting("headers: {X Org: a}")),
            "cfg.yaml:4:15: providers[0].headers.X Org: 'X Org' is not a valid header name "
            "(letters, digits and !#$%&'*+-.^_`|~ only)");
  EXPECT_EQ(error_of(with_setting("headers: {X-Org: [a, b]}")),
            "cfg.yaml:4:22: providers[0].headers.X-Org: expected a string, got list");
  EXPECT_EQ(error_of(with_setting("headers: {X-Org: \"\"}")),
            "cfg.yaml:4:22: providers[0].headers.X-Org: must not be empty");
  EXPECT_EQ(error_of(with_setting("headers: {X-Org: \"${PB_UNIT_UNSET_ORG:-}\"}")),
            "cfg.yaml:4:22: providers[0].headers.X-Org: must not be empty after ${VAR} expansion");
  EXPECT_EQ(error_of(with_setting("headers: {X-Org: \"a\\r\\nX-Admin: 1\"}")),
            "cfg.yaml:4:22: providers[0].headers.X-Org: a header value must not hold a line "
            "break or a NUL byte");
  EXPECT_EQ(error_of(with_setting("headers: {X-Org: \"${PB_UNIT_UNSET_ORG}\"}")),
            "cfg.yaml:4:22: providers[0].headers.X-Org: environment variable 'PB_UNIT_UNSET_ORG' "
            "is not set");
  EXPECT_EQ(error_of(with_setting("headers: {X-Org: a, x-org: b}")),
            "cfg.yaml:4:25: providers[0].headers.x-org: header 'x-org' is given twice (header "
            "names ignore case)");
}

}  // namespace
}  // namespace promptbench
