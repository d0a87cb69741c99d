// SPDX-License-Identifier: Apache-2.0
// The config loader: what it accepts, and the exact located message for what it rejects.
#include <cstdlib>

#include <gtest/gtest.h>

#include "promptbench/config.hpp"
#include "unit/temp_dir.hpp"

namespace promptbench {
namespace {

class ConfigLoad : public ::testing::Test {
 protected:
  void SetUp() override {
    m_dir.write("data.jsonl", "{\"id\": \"1\", \"q\": \"hi\", \"a\": \"x\"}\n");
    m_dir.write("p.mustache", "Q: {{q}}\n");
  }

  /// Loads `text` as `name` inside the scratch dir; returns the error message or "".
  std::string error_of(const std::string& text, const std::string& name = "cfg.yaml") {
    try {
      (void)load_config(m_dir.write(name, text));
    } catch (const UserError& e) {
      return std::string(e.what()).substr(m_dir.path().string().size() + 1);
    }
    return "";
  }

  Config load(const std::string& text, const std::string& name = "cfg.yaml") {
    return load_config(m_dir.write(name, text));
  }

  testing::ScratchDir m_dir;
};

constexpr const char* kMinimal = R"(name: t
providers:
  - id: local
    base_url: http://127.0.0.1:9/v1
    model: m
prompts:
  - id: a
    template: "Q: {{q}}"
dataset: {path: data.jsonl, reference: a}
)";

TEST_F(ConfigLoad, ReadsMinimalConfigWithDefaults) {
  const Config config = load(kMinimal);
  ASSERT_EQ(config.providers.size(), 1u);
  EXPECT_EQ(config.providers[0].id, "local");
  EXPECT_EQ(config.providers[0].type, "openai");
  EXPECT_EQ(config.providers[0].timeout, std::chrono::seconds(60));
  EXPECT_EQ(config.providers[0].retries, 5);
  EXPECT_EQ(config.prompts[0].text, "Q: {{q}}");
  EXPECT_EQ(config.dataset.reference, "a");
  EXPECT_EQ(config.dataset.path, m_dir.path() / "data.jsonl");
  ASSERT_EQ(config.metrics.size(), 1u);
  EXPECT_EQ(config.metrics[0].name, "exact_match");
  EXPECT_EQ(config.sha256.size(), 64u);
}

TEST_F(ConfigLoad, ReadsEveryProviderSetting) {
  const Config config = load(R"(providers:
  - id: p
    type: openai
    base_url: https://example.invalid/v1/
    model: m
    api_key_env: SOME_KEY
    params: {temperature: 0, max_tokens: 16, stop: ["\n"]}
    concurrency: 4
    timeout: 1.5m
    connect_timeout: 250ms
    retries: 2
    rate_limit: {rpm: 60, tpm: 1000}
    max_response_bytes: 1MiB
    pricing: {prompt: 2.5, completion: 10}
prompts: [{id: a, file: p.mustache}]
dataset: data.jsonl
)");
  const ProviderConfig& p = config.providers[0];
  EXPECT_EQ(p.api_key_env, "SOME_KEY");
  EXPECT_EQ(p.params["max_tokens"], 16);
  EXPECT_EQ(p.params["stop"][0], "\n");
  EXPECT_EQ(p.concurrency, 4);
  EXPECT_EQ(p.timeout, std::chrono::seconds(90));
  EXPECT_EQ(p.connect_timeout, std::chrono::milliseconds(250));
  EXPECT_EQ(p.retries, 2);
  EXPECT_EQ(p.rate_limit.rpm, 60);
  EXPECT_EQ(p.max_response_bytes, 1u << 20);
  ASSERT_TRUE(p.pricing.has_value());
  EXPECT_EQ(p.pricing->prompt, 2.5);
  EXPECT_EQ(p.pricing->completion, 10);
  EXPECT_EQ(config.prompts[0].text, "Q: {{q}}\n");
  EXPECT_EQ(config.dataset.reference, "reference");
}

TEST_F(ConfigLoad, TheCostMetricNeedsPricingOnEveryProvider) {
  EXPECT_EQ(error_of(R"(providers:
  - {id: a, base_url: "http://h/v1", model: m, pricing: {prompt: 1, completion: 2}}
  - {id: b, base_url: "http://h/v1", model: m}
prompts: [{id: p, template: x}]
dataset: data.jsonl
metrics: [exact_match, cost]
)"),
            "cfg.yaml:6:24: metrics[1]: the cost metric needs 'pricing: {prompt, completion}' "
            "(USD per million tokens) on provider 'b' (providers[1])");
  EXPECT_EQ(error_of(R"(providers:
  - {id: a, base_url: "http://h/v1", model: m, pricing: {prompt: -1, completion: 2}}
prompts: [{id: p, template: x}]
dataset: data.jsonl
)"),
            "cfg.yaml:2:66: providers[0].pricing.prompt: must not be negative");
  EXPECT_EQ(error_of(R"(providers:
  - {id: a, base_url: "http://h/v1", model: m, pricing: {prompt: 1}}
prompts: [{id: p, template: x}]
dataset: data.jsonl
)"),
            "cfg.yaml:2:57: providers[0].pricing: missing required field 'completion'");
}

TEST_F(ConfigLoad, ReadsJudgesThatShareIdsWithProviders) {
  const Config config = load(R"(providers: [{id: a, base_url: "http://h/v1", model: m}]
judges: [{id: grader, base_url: "http://j/v1", model: big, api_key_env: JUDGE_KEY}]
prompts: [{id: p, template: x}]
dataset: data.jsonl
metrics: [{llm_judge: {judge: grader, rubric: "{{output}}"}}]
)");
  ASSERT_EQ(config.judges.size(), 1u);
  EXPECT_EQ(config.judges[0].model, "big");
  EXPECT_EQ(config.judges[0].field, "judges[0]");
  EXPECT_EQ(error_of(R"(providers: [{id: a, base_url: "http://h/v1", model: m}]
judges: [{id: a, base_url: "http://j/v1", model: big}]
prompts: [{id: p, template: x}]
dataset: data.jsonl
)"),
            "cfg.yaml:2:10: judges[0]: duplicate provider id 'a' (judges and providers share ids)");
}

TEST_F(ConfigLoad, QuotedScalarsStayStrings) {
  const Config config = load(R"(providers: [{id: p, base_url: "http://h/v1", model: "1.0"}]
prompts: [{id: "007", template: "{{q}}"}]
dataset: data.jsonl
)");
  EXPECT_EQ(config.providers[0].model, "1.0");
  EXPECT_EQ(config.prompts[0].id, "007");
}

TEST_F(ConfigLoad, ExpandsEnvironmentInBaseUrl) {
  ::setenv("PB_TEST_URL", "http://127.0.0.1:4242/v1", 1);
  const Config config = load(R"(providers: [{id: p, base_url: "${PB_TEST_URL}", model: m}]
prompts: [{id: a, template: x}]
dataset: data.jsonl
)");
  EXPECT_EQ(config.providers[0].base_url, "http://127.0.0.1:4242/v1");
  ::unsetenv("PB_TEST_URL");
  const Config fallback =
      load(R"(providers: [{id: p, base_url: "${PB_TEST_URL:-http://d/v1}", model: m}]
prompts: [{id: a, template: x}]
dataset: data.jsonl
)");
  EXPECT_EQ(fallback.providers[0].base_url, "http://d/v1");
}

TEST_F(ConfigLoad, ReadsJsonConfigWithLocations) {
  const Config config =
      load(R"({"providers": [{"id": "p", "base_url": "http://h/v1", "model": "m"}],
 "prompts": [{"id": "a", "messages": [{"role": "system", "content": "Be brief."},
                                      {"role": "user", "content": "{{q}}"}]}],
 "dataset": {"path": "data.jsonl"}})",
           "cfg.json");
  ASSERT_EQ(config.prompts[0].messages.size(), 2u);
  EXPECT_EQ(config.prompts[0].messages[1].content, "{{q}}");
  EXPECT_EQ(error_of(R"({"providers": [{"id": "p", "model": 3, "timeout": "soon"}]})", "bad.json"),
            "bad.json:1:51: providers[0].timeout: expected a duration like 30s, 500ms or 2m, got "
            "\"soon\"");
}

TEST_F(ConfigLoad, ReportsMalformedYamlAtLineAndColumn) {
  EXPECT_EQ(error_of("providers:\n  - id: a\n    model: [unclosed\n"),
            "cfg.yaml:4:1: end of sequence flow not found");
}

TEST_F(ConfigLoad, ReportsMalformedJsonAtLineAndColumn) {
  EXPECT_EQ(error_of("{\n  \"name\": \"x\",\n  \"providers\": [}\n", "cfg.json"),
            "cfg.json:3:17: syntax error while parsing value - unexpected '}'; expected '[', '{', "
            "or a literal");
}

TEST_F(ConfigLoad, SuggestsTheKeyMeantForAnUnknownKey) {
  EXPECT_EQ(error_of(R"(providers:
  - id: local
    model: m
    timeuot: 5s
prompts: [{id: a, template: x}]
dataset: data.jsonl
)"),
            "cfg.yaml:4:5: providers[0].timeuot: unknown key 'timeuot' (did you mean 'timeout'?)");
  EXPECT_EQ(error_of("promps: []\n"),
            "cfg.yaml:1:1: promps: unknown key 'promps' (did you mean 'prompts'?)");
  EXPECT_EQ(error_of("colour: red\n"), "cfg.yaml:1:1: colour: unknown key 'colour'");
}

TEST_F(ConfigLoad, ReportsWrongTypeWithFieldPath) {
  EXPECT_EQ(error_of(R"(providers:
  - id: local
    model: m
    concurrency: many
prompts: [{id: a, template: x}]
dataset: data.jsonl
)"),
            "cfg.yaml:4:18: providers[0].concurrency: expected an integer, got string");
  EXPECT_EQ(error_of("providers: {id: x}\n"),
            "cfg.yaml:1:12: providers: expected a list, got mapping");
}

TEST_F(ConfigLoad, ReportsMissingRequiredFields) {
  EXPECT_EQ(error_of("providers:\n  - id: local\n"),
            "cfg.yaml:2:5: providers[0]: missing required field 'model'");
  EXPECT_EQ(error_of("name: x\n"), "cfg.yaml:1:1: missing required field 'providers'");
}

TEST_F(ConfigLoad, RejectsDuplicateIds) {
  EXPECT_EQ(error_of(R"(providers: [{id: p, model: m}]
prompts:
  - {id: a, template: x}
  - {id: a, template: y}
dataset: data.jsonl
)"),
            "cfg.yaml:4:5: prompts[1]: duplicate prompt id 'a'");
}

TEST_F(ConfigLoad, RejectsPromptWithTwoSources) {
  EXPECT_EQ(error_of(R"(providers: [{id: p, model: m}]
prompts:
  - {id: a, template: x, file: p.mustache}
dataset: data.jsonl
)"),
            "cfg.yaml:3:5: prompts[0]: a prompt needs exactly one of 'template', 'file' or "
            "'messages'");
}

TEST_F(ConfigLoad, ReportsMissingPromptFile) {
  EXPECT_EQ(error_of(R"(providers: [{id: p, model: m}]
prompts:
  - {id: a, file: nope.mustache}
dataset: data.jsonl
)"),
            "cfg.yaml:3:19: prompts[0].file: prompt file 'nope.mustache' not found");
}

TEST_F(ConfigLoad, SuggestsProviderTypeAndMetricNames) {
  EXPECT_EQ(error_of(R"(providers: [{id: p, type: opanai, model: m}]
prompts: [{id: a, template: x}]
dataset: data.jsonl
)"),
            "cfg.yaml:1:27: providers[0].type: unknown provider type 'opanai' (did you mean "
            "'openai'?)");
  EXPECT_EQ(error_of(R"(providers: [{id: p, model: m}]
prompts: [{id: a, template: x}]
dataset: data.jsonl
metrics:
  - exact_mach
)"),
            "cfg.yaml:5:5: metrics[0]: unknown metric 'exact_mach' (did you mean 'exact_match'?)");
}

TEST_F(ConfigLoad, LocatesBadMetricParameters) {
  EXPECT_EQ(error_of(R"(providers: [{id: p, model: m}]
prompts: [{id: a, template: x}]
dataset: data.jsonl
metrics:
  - exact_match: {normalise: [lower]}
)"),
            "cfg.yaml:5:19: metrics[0].exact_match.normalise: unknown parameter 'normalise' (did "
            "you mean 'normalize'?)");
}

TEST_F(ConfigLoad, RejectsGateOnUnknownMetric) {
  EXPECT_EQ(error_of(R"(providers: [{id: p, model: m}]
prompts: [{id: a, template: x}]
dataset: data.jsonl
metrics: [exact_match, contains]
gates:
  - {metric: contain, min: 0.5}
)"),
            "cfg.yaml:6:14: gates[0].metric: gate names metric 'contain', which is not in "
            "'metrics' (did you mean 'contains'?)");
}

TEST_F(ConfigLoad, ReadsExtractionInOrder) {
  const Config config = load(R"cfg(providers: [{id: p, model: m}]
prompts:
  - id: a
    template: x
    extract: [{first_line: true}, {regex: "(yes|no)", group: 1, match: last}]
dataset: data.jsonl
extract: {regex: "\\d+", trim: true}
)cfg");
  ASSERT_EQ(config.extract.size(), 2u);
  EXPECT_EQ(config.extract[0].kind, ExtractStep::Kind::regex);
  EXPECT_EQ(config.extract[0].pattern, "\\d+");
  EXPECT_EQ(config.extract[1].kind, ExtractStep::Kind::trim);
  const auto& own = *config.prompts[0].extract;
  ASSERT_EQ(own.size(), 2u);
  EXPECT_EQ(own[0].kind, ExtractStep::Kind::first_line);
  EXPECT_EQ(own[1].group, 1);
  EXPECT_TRUE(own[1].last);
}

TEST_F(ConfigLoad, ReportsMissingConfigFile) {
  try {
    (void)load_config(m_dir.path() / "absent.yaml");
    FAIL() << "expected an error";
  } catch (const UserError& e) {
    EXPECT_EQ(std::string(e.what()),
              (m_dir.path() / "absent.yaml").string() + ": config file not found");
  }
}

/// A config whose provider has `setting` on line 4 (at column 5).
std::string with_provider_setting(const std::string& setting) {
  return "providers:\n  - id: local\n    model: m\n    " + setting +
         "\nprompts: [{id: a, template: x}]\ndataset: data.jsonl\n";
}

TEST_F(ConfigLoad, RejectsBaseUrlsThatCannotWork) {
  EXPECT_EQ(error_of(with_provider_setting("base_url: http://127.0.0.1:70000/v1")),
            "cfg.yaml:4:15: providers[0].base_url: expected a port from 1 to 65535 in "
            "'http://127.0.0.1:70000/v1'");
  EXPECT_EQ(error_of(with_provider_setting("base_url: http://h:0/v1")),
            "cfg.yaml:4:15: providers[0].base_url: expected a port from 1 to 65535 in "
            "'http://h:0/v1'");
  EXPECT_EQ(error_of(with_provider_setting("base_url: localhost:8080/v1")),
            "cfg.yaml:4:15: providers[0].base_url: expected an http:// or https:// URL, got "
            "'localhost:8080/v1'");
  EXPECT_EQ(error_of(with_provider_setting("base_url: http:///v1")),
            "cfg.yaml:4:15: providers[0].base_url: no host in 'http:///v1'");
  EXPECT_EQ(error_of(with_provider_setting("base_url: http://:8080/v1")),
            "cfg.yaml:4:15: providers[0].base_url: no host in 'http://:8080/v1'");
  EXPECT_EQ(error_of(with_provider_setting("base_url: \"http://my host/v1\"")),
            "cfg.yaml:4:15: providers[0].base_url: 'http://my host/v1' is not a valid URL (bad "
            "hostname)");
  EXPECT_EQ(load(with_provider_setting("base_url: http://[::1]:65535/v1")).providers[0].base_url,
            "http://[::1]:65535/v1");
}

TEST_F(ConfigLoad, RequiresTimeoutsGreaterThanZero) {
  EXPECT_EQ(error_of(with_provider_setting("timeout: 0")),
            "cfg.yaml:4:14: providers[0].timeout: must be greater than 0, got 0");
  EXPECT_EQ(error_of(with_provider_setting("connect_timeout: 0ms")),
            "cfg.yaml:4:22: providers[0].connect_timeout: must be greater than 0, got 0ms");
  EXPECT_EQ(error_of(with_provider_setting("timeout: -5s")),
            "cfg.yaml:4:14: providers[0].timeout: must be greater than 0, got -5s");
  EXPECT_EQ(error_of(with_provider_setting("connect_timeout: -1.5")),
            "cfg.yaml:4:22: providers[0].connect_timeout: must be greater than 0, got -1.5");
  EXPECT_EQ(error_of(with_provider_setting("timeout: -soon")),
            "cfg.yaml:4:14: providers[0].timeout: expected a duration like 30s, 500ms or 2m, got "
            "\"-soon\"");
  EXPECT_EQ(load(with_provider_setting("timeout: 1ms")).providers[0].timeout,
            std::chrono::milliseconds(1));
}

TEST_F(ConfigLoad, RequiresRateLimitsGreaterThanZero) {
  EXPECT_EQ(error_of(with_provider_setting("rate_limit: {rpm: 0}")),
            "cfg.yaml:4:23: providers[0].rate_limit.rpm: must be greater than 0, got 0 (omit it "
            "for no limit)");
  EXPECT_EQ(error_of(with_provider_setting("rate_limit: {rpm: 60, tpm: -1}")),
            "cfg.yaml:4:32: providers[0].rate_limit.tpm: must be greater than 0, got -1 (omit it "
            "for no limit)");
  EXPECT_EQ(error_of(with_provider_setting("rate_limit: {rpm: .inf}")),
            "cfg.yaml:4:23: providers[0].rate_limit.rpm: expected a finite number, got .inf");
}

constexpr const char* kWithGate = R"(providers: [{id: local, model: m}]
prompts: [{id: a, template: x}]
dataset: data.jsonl
metrics: [exact_match]
gates:
  - {metric: exact_match, @GATE@}
)";

std::string with_gate(const std::string& bounds) {
  std::string text = kWithGate;
  return text.replace(text.find("@GATE@"), 6, bounds);
}

TEST_F(ConfigLoad, RejectsGatesNoValueCanPass) {
  EXPECT_EQ(error_of(with_gate("min: 0.9, max: 0.5")),
            "cfg.yaml:6:32: gates[0].min: 0.9 is greater than max 0.5; no value can pass");
  EXPECT_EQ(error_of(with_gate("min: .inf")),
            "cfg.yaml:6:32: gates[0].min: expected a finite number, got .inf");
  EXPECT_EQ(error_of(with_gate("max: -.Inf")),
            "cfg.yaml:6:32: gates[0].max: expected a finite number, got -.inf");
  EXPECT_EQ(error_of(with_gate("min: 0.5, max: .nan")),
            "cfg.yaml:6:42: gates[0].max: expected a finite number, got .nan");
  EXPECT_EQ(load(with_gate("min: 0.5, max: 0.5")).gates.size(), 1u);
}

TEST_F(ConfigLoad, RejectsANullReferenceField) {
  EXPECT_EQ(error_of(R"(providers: [{id: local, model: m}]
prompts: [{id: a, template: x}]
dataset: {path: data.jsonl, reference: null}
)"),
            "cfg.yaml:3:40: dataset.reference: expected a string, got null");
}

TEST_F(ConfigLoad, WithoutMetricsScoresExactMatch) {
  const Config config = load(kMinimal);
  ASSERT_EQ(config.metrics.size(), 1u);
  EXPECT_EQ(config.metrics[0].name, "exact_match");
}

TEST_F(ConfigLoad, ReportsInvalidUtf8InAPromptFileAtItsByte) {
  m_dir.write("bad.mustache", "Q: {{q}}\nCaf\xE9: {{q}}\n");
  EXPECT_EQ(error_of(R"(providers: [{id: local, model: m}]
prompts: [{id: a, file: bad.mustache}]
dataset: data.jsonl
)"),
            "bad.mustache:2:4: invalid UTF-8 (byte 0xE9); save the file as UTF-8");
}

TEST_F(ConfigLoad, RefusesAPromptFileLargerThan16MiB) {
  m_dir.write("big.mustache", std::string((std::size_t{16} << 20) + 1, 'x'));
  EXPECT_EQ(error_of(R"(providers: [{id: local, model: m}]
prompts: [{id: a, file: big.mustache}]
dataset: data.jsonl
)"),
            "big.mustache: the file is larger than 16 MiB, the limit for a config or template "
            "file");
}

TEST(ParseDuration, AcceptsUnitsAndPlainSeconds) {
  EXPECT_EQ(parse_duration("30s"), std::chrono::seconds(30));
  EXPECT_EQ(parse_duration("500ms"), std::chrono::milliseconds(500));
  EXPECT_EQ(parse_duration("2m"), std::chrono::minutes(2));
  EXPECT_EQ(parse_duration("1h"), std::chrono::hours(1));
  EXPECT_EQ(parse_duration("2.5"), std::chrono::milliseconds(2500));
  EXPECT_EQ(parse_duration("soon"), std::nullopt);
  EXPECT_EQ(parse_duration("-1s"), std::nullopt);
  EXPECT_EQ(parse_duration("5 parsecs"), std::nullopt);
}

// Found by fuzz_flags (docs/FUZZING.md): beyond long long milliseconds llround wrapped the
// duration to a negative one.
TEST(ParseDuration, RefusesDurationsTooLongToHold) {
  EXPECT_EQ(parse_duration("510055105510055100"), std::nullopt);
  EXPECT_EQ(parse_duration("1e300h"), std::nullopt);
  EXPECT_EQ(parse_duration("1000000000000ms"), std::chrono::milliseconds(1'000'000'000'000));
  EXPECT_EQ(parse_duration("1000000000001ms"), std::nullopt);
}

}  // namespace
TEST_F(ConfigLoad, APromptsParamsMergeOverItsProvidersParams) {
  const Config config = load(R"(providers:
  - {id: local, model: m, params: {temperature: 0, max_tokens: 16, top_p: 0.9}}
prompts:
  - {id: cold, template: x}
  - {id: warm, template: x, params: {temperature: 0.7, top_p: null, seed: 3}}
dataset: data.jsonl
)");
  EXPECT_TRUE(config.prompts[0].params.empty());
  EXPECT_EQ(provider_for_prompt(config.providers[0], config.prompts[0]).params,
            config.providers[0].params);
  EXPECT_EQ(provider_for_prompt(config.providers[0], config.prompts[1]).params,
            nlohmann::json::parse(R"({"temperature": 0.7, "max_tokens": 16, "seed": 3})"));
  EXPECT_EQ(error_of(R"(providers: [{id: local, model: m}]
prompts:
  - {id: warm, template: x, params: [0.7]}
dataset: data.jsonl
)"),
            "cfg.yaml:3:37: prompts[0].params: expected a mapping, got list");
}

}  // namespace promptbench
