// SPDX-License-Identifier: Apache-2.0
// Keeps schema/promptbench.schema.json, the config loader and the quickstart example in step.
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <unistd.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <valijson/adapters/nlohmann_json_adapter.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validator.hpp>

#include "config/document.hpp"
#include "promptbench/config.hpp"
#include "promptbench/error.hpp"
#include "promptbench/metric.hpp"
#include "promptbench/provider.hpp"

namespace {

namespace fs = std::filesystem;

const fs::path kSourceDir = fs::path(PROMPTBENCH_TEST_DATA_DIR) / ".." / "..";

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    ADD_FAILURE() << "cannot read " << path;
    return {};
  }
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

const nlohmann::json& schema_document() {
  static const nlohmann::json document =
      nlohmann::json::parse(read_file(kSourceDir / "schema" / "promptbench.schema.json"));
  return document;
}

const valijson::Schema& schema() {
  static const std::unique_ptr<valijson::Schema> parsed = [] {
    auto out = std::make_unique<valijson::Schema>();
    valijson::SchemaParser parser(valijson::SchemaParser::kDraft7);
    const valijson::adapters::NlohmannJsonAdapter adapter(schema_document());
    parser.populateSchema(adapter, *out);
    return out;
  }();
  return *parsed;
}

/// The YAML as the loader sees it: the project's own YAML reader, core-schema scalars.
nlohmann::json yaml_to_json(const std::string& yaml) {
  return promptbench::config::parse_yaml("test.yaml", yaml).root;
}

/// Empty when `config` validates; otherwise one line per schema error.
std::string schema_errors(const nlohmann::json& config) {
  valijson::Validator validator;
  valijson::ValidationResults results;
  const valijson::adapters::NlohmannJsonAdapter adapter(config);
  if (validator.validate(schema(), adapter, &results)) {
    return {};
  }
  std::string out;
  valijson::ValidationResults::Error error;
  while (results.popError(error)) {
    std::string context;
    for (const std::string& part : error.context) {
      context += part;
    }
    out += context + ": " + error.description + "\n";
  }
  return out.empty() ? "invalid\n" : out;
}

bool schema_accepts(const std::string& yaml) {
  return schema_errors(yaml_to_json(yaml)).empty();
}

/// Runs the real loader on `yaml` written to a fresh directory; empty when it loads,
/// else the UserError's message.
std::string loader_error(const std::string& yaml) {
  static std::atomic<int> counter{0};
  const fs::path dir =
      fs::temp_directory_path() /
      ("promptbench-schema-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
  fs::create_directories(dir);
  {
    std::ofstream(dir / "promptbench.yaml", std::ios::binary) << yaml;
    std::ofstream(dir / "prompt.mustache", std::ios::binary) << "Review: {{text}}\n";
    std::ofstream(dir / "data.jsonl", std::ios::binary) << R"({"text": "ok", "reference": "x"})"
                                                        << "\n";
    std::ofstream(dir / "d.csv", std::ios::binary) << "id,text,label\n1,ok,x\n";
  }
  std::string error;
  try {
    (void)promptbench::load_config(dir / "promptbench.yaml");
  } catch (const promptbench::UserError& e) {
    error = e.what();
  } catch (const std::exception& e) {
    ADD_FAILURE() << "the loader threw something other than a UserError: " << e.what();
    error = e.what();
  }
  fs::remove_all(dir);
  return error;
}

/// A small valid config; each case below changes one thing in it.
const std::string kProviders = R"(
providers:
  - {id: local, base_url: "http://127.0.0.1:8080/v1", model: demo}
)";
const std::string kPrompts = R"(
prompts:
  - {id: p, template: "Review: {{text}}"}
)";
const std::string kDataset = "dataset: data.jsonl\n";
const std::string kMinimal = kProviders + kPrompts + kDataset;

std::string with_provider(const std::string& extra) {
  return "providers:\n  - {id: local, model: demo, " + extra + "}\n" + kPrompts + kDataset;
}
std::string with_prompt(const std::string& prompt) {
  return kProviders + "prompts:\n  - " + prompt + "\n" + kDataset;
}
std::string with(const std::string& extra) {
  return kMinimal + extra + "\n";
}

struct Case {
  const char* what;
  std::string yaml;
  bool valid;
};

/// Configs on which the schema and the loader must agree (and both be right).
std::vector<Case> agreement_cases() {
  return {
      {"a minimal config", kMinimal, true},
      {"a name and a description", with("name: demo\ndescription: a run"), true},
      {"a global concurrency", with("concurrency: 64"), true},
      {"a zero global concurrency", with("concurrency: 0"), false},
      {"an unknown top-level key", with("providerz: []"), false},
      {"no providers", kPrompts + kDataset, false},
      {"an empty provider list", "providers: []\n" + kPrompts + kDataset, false},
      {"no dataset", kProviders + kPrompts, false},
      {"every provider key",
       with_provider("type: openai, base_url: \"https://example.com/v1\", api_key_env: KEY, "
                     "params: {temperature: 0}, concurrency: 4, timeout: 90, "
                     "connect_timeout: 500ms, retries: 0, rate_limit: {rpm: 60, tpm: 1000}, "
                     "max_response_bytes: 1048576"),
       true},
      {"a base URL from the environment",
       with_provider("base_url: \"${PROMPTBENCH_SCHEMA_TEST_UNSET:-http://localhost:1/v1}\""),
       true},
      {"an integer provider id", "providers:\n  - {id: 7, model: demo}\n" + kPrompts + kDataset,
       true},
      {"a provider without a model", "providers:\n  - {id: local}\n" + kPrompts + kDataset, false},
      {"a provider without an id", "providers:\n  - {model: demo}\n" + kPrompts + kDataset, false},
      {"an unknown provider type", with_provider("type: openia"), false},
      {"an unknown provider key", with_provider("temperature: 0"), false},
      {"a base URL that is not http", with_provider("base_url: ftp://example.com"), false},
      {"a timeout in minutes", with_provider("timeout: 2min"), true},
      {"a fractional timeout", with_provider("timeout: 1.5"), true},
      {"a timeout in words", with_provider("timeout: 30 seconds"), false},
      {"a negative timeout", with_provider("timeout: -1"), false},
      {"a zero timeout", with_provider("timeout: 0"), false},
      {"a zero connect timeout", with_provider("connect_timeout: 0"), false},
      {"a timeout as a list", with_provider("timeout: [30]"), false},
      {"a response size in MiB", with_provider("max_response_bytes: 16MiB"), true},
      {"a response size with a space", with_provider("max_response_bytes: 16 MiB"), false},
      {"a zero response size", with_provider("max_response_bytes: 0"), false},
      {"too many retries", with_provider("retries: 101"), false},
      {"a fractional provider concurrency", with_provider("concurrency: 1.5"), false},
      {"a negative rate limit", with_provider("rate_limit: {rpm: -1}"), false},
      {"a zero rate limit", with_provider("rate_limit: {tpm: 0}"), false},
      {"an unknown rate limit key", with_provider("rate_limit: {rps: 1}"), false},
      {"params that are not a mapping", with_provider("params: [1]"), false},
      {"headers",
       with_provider("headers: {X-Org: acme, X-Token: \"${PROMPTBENCH_SCHEMA_TEST_UNSET:-t}\"}"),
       true},
      {"headers that are not a mapping", with_provider("headers: [X-Org]"), false},
      {"a header name with a space", with_provider("headers: {\"X Org\": acme}"), false},
      {"a header value that is a list", with_provider("headers: {X-Org: [a]}"), false},
      {"an unknown provider option", with_provider("deployment: d1"), false},
      {"a prompt from a file", with_prompt("{id: p, file: prompt.mustache}"), true},
      {"a chat prompt",
       with_prompt("{id: p, messages: [{role: system, content: Be brief.}, "
                   "{role: user, content: \"{{text}}\"}]}"),
       true},
      {"a prompt with both template and file",
       with_prompt("{id: p, template: x, file: prompt.mustache}"), false},
      {"a prompt with template and messages",
       with_prompt("{id: p, template: x, messages: [{role: user, content: x}]}"), false},
      {"a prompt with no text", with_prompt("{id: p}"), false},
      {"a prompt without an id", with_prompt("{template: x}"), false},
      {"an empty message list", with_prompt("{id: p, messages: []}"), false},
      {"a message with an unknown role",
       with_prompt("{id: p, messages: [{role: bot, content: x}]}"), false},
      {"a message without content", with_prompt("{id: p, messages: [{role: user}]}"), false},
      {"an unknown prompt key", with_prompt("{id: p, template: x, temperature: 0}"), false},
      {"a prompt with its own extract",
       with_prompt("{id: p, template: x, extract: {regex: \"(yes|no)\", group: 1}}"), true},
      {"a dataset mapping",
       kProviders + kPrompts + "dataset: {path: d.csv, reference: label, id: id, format: csv}\n",
       true},
      {"a bad dataset format", kProviders + kPrompts + "dataset: {path: d.txt, format: tsv}\n",
       false},
      {"a dataset without a path", kProviders + kPrompts + "dataset: {reference: label}\n", false},
      {"an unknown dataset key", kProviders + kPrompts + "dataset: {path: d.jsonl, ref: x}\n",
       false},
      {"an empty dataset path", kProviders + kPrompts + "dataset: \"\"\n", false},
      {"a dataset row limit",
       kProviders + kPrompts + "dataset: {path: data.jsonl, max_row_bytes: 64KiB}\n", true},
      {"a zero dataset row limit",
       kProviders + kPrompts + "dataset: {path: data.jsonl, max_row_bytes: 0}\n", false},
      {"dev/test splits with a salt",
       kProviders + kPrompts +
           "dataset: {path: data.jsonl, split: {dev: 0.8, test: 0.2, salt: x}}\n",
       true},
      {"a split share above 1",
       kProviders + kPrompts + "dataset: {path: data.jsonl, split: {dev: 1.5}}\n", false},
      {"a split of no shares", kProviders + kPrompts + "dataset: {path: data.jsonl, split: {}}\n",
       false},
      {"a split named train",
       kProviders + kPrompts + "dataset: {path: data.jsonl, split: {train: 0.8, test: 0.2}}\n",
       false},
      {"a split field", kProviders + kPrompts + "dataset: {path: data.jsonl, split_field: part}\n",
       true},
      {"a split and a split field",
       kProviders + kPrompts +
           "dataset: {path: data.jsonl, split: {dev: 0.5}, split_field: part}\n",
       false},
      {"a holdout guard",
       kProviders + kPrompts +
           "dataset: {path: data.jsonl, split: {test: 0.2}}\nholdout: {max_looks: 3}\n",
       true},
      {"a holdout guard of no looks",
       kProviders + kPrompts +
           "dataset: {path: data.jsonl, split: {test: 0.2}}\nholdout: {max_looks: 0}\n",
       false},
      {"an extract mapping",
       with("extract: {json_pointer: /answer, first_line: true, regex: \"\\\\d+\", "
            "group: 0, match: last, trim: true}"),
       true},
      {"an extract list", with("extract: [{regex: \"(a|b)\", group: 1}, {trim: true}]"), true},
      {"an extract group without a regex", with("extract: {group: 1}"), false},
      {"an extract match that is neither first nor last",
       with("extract: {regex: x, match: middle}"), false},
      {"a JSON pointer without a slash", with("extract: {json_pointer: answer}"), false},
      {"an unknown extract key", with("extract: {regexp: x}"), false},
      {"an extract trim that is not a boolean", with("extract: {trim: yes}"), false},
      {"an empty metric list", with("metrics: []"), true},
      {"metrics by name and with parameters",
       with("metrics:\n  - exact_match: {normalize: lower, threshold: 1}\n"
            "  - contains: {normalize: [trim, lower], name: has_label}\n"
            "  - latency:\n  - regex: {pattern: \"^(yes|no)$\", negate: true}"),
       true},
      {"an unknown metric", with("metrics: [exact_macth]"), false},
      {"a regex metric without a pattern", with("metrics: [regex]"), false},
      {"a regex metric with no parameters", with("metrics: [{regex: }]"), false},
      {"a metric mapping with two metrics", with("metrics: [{exact_match: {}, contains: {}}]"),
       false},
      {"an unknown metric parameter", with("metrics: [{exact_match: {normalise: [lower]}}]"),
       false},
      {"an unknown normalizer", with("metrics: [{exact_match: {normalize: [upper]}}]"), false},
      {"a threshold that is not a number", with("metrics: [{latency: {threshold: fast}}]"), false},
      {"metric parameters that are not a mapping", with("metrics: [{exact_match: [lower]}]"),
       false},
      {"a gate with min and max",
       with("gates: [{metric: exact_match, min: 0.5, max: 1, variant: p/local}]"), true},
      {"a gate with only max", with("metrics: [latency]\ngates: [{metric: latency, max: 500}]"),
       true},
      {"a gate without min or max", with("gates: [{metric: exact_match}]"), false},
      {"a gate without a metric", with("gates: [{min: 0.5}]"), false},
      {"a gate with an unknown key", with("gates: [{metric: exact_match, minimum: 0.5}]"), false},
      {"a gate bound that is not a number", with("gates: [{metric: exact_match, min: high}]"),
       false},
      {"a gate on the interval", with("gates: [{metric: exact_match, min: 0.5, on: ci_low}]"),
       true},
      {"a gate on the mean", with("gates: [{metric: exact_match, max: 0.9, on: mean}]"), true},
      {"a gate on an unknown basis", with("gates: [{metric: exact_match, min: 0.5, on: median}]"),
       false},
      {"a baseline variant", with("baseline: p/local"), true},
      {"a baseline prompt", with("baseline: p"), true},
      {"an empty baseline", with("baseline: \"\""), false},
      {"a repeat", with("repeat: 3"), true},
      {"a zero repeat", with("repeat: 0"), false},
      {"a fractional repeat", with("repeat: 1.5"), false},
      {"slices and their minimum", with("slices: [language, topic]\nslice_min_cases: 10"), true},
      {"slices as a string", with("slices: language"), false},
      {"a zero slice minimum", with("slices: [language]\nslice_min_cases: 0"), false},
      {"a gate on one slice",
       with("slices: [language]\ngates: [{metric: exact_match, min: 1, slice: {language: de}}]"),
       true},
      {"a gate on every slice",
       with("slices: [language]\ngates: [{metric: exact_match, min: 1, slice: each}]"), true},
      {"a gate on a list of slices",
       with("slices: [language]\ngates: [{metric: exact_match, min: 1, slice: [de]}]"), false},
  };
}

/// Every key of the object at `pointer` in the schema document.
std::set<std::string> schema_keys(const std::string& pointer) {
  std::set<std::string> keys;
  for (const auto& [key, value] :
       schema_document().at(nlohmann::json::json_pointer(pointer)).items()) {
    keys.insert(key);
  }
  return keys;
}

std::set<std::string> schema_strings(const std::string& pointer) {
  std::set<std::string> strings;
  for (const auto& value : schema_document().at(nlohmann::json::json_pointer(pointer))) {
    strings.insert(value.get<std::string>());
  }
  return strings;
}

std::string joined(const std::set<std::string>& names) {
  std::string out;
  for (const std::string& name : names) {
    out += (out.empty() ? "" : ", ") + name;
  }
  return out;
}

}  // namespace

TEST(ConfigSchema, IsAValidDraft07Schema) {
  EXPECT_EQ(schema_document().value("$schema", ""), "http://json-schema.org/draft-07/schema#");
  valijson::Schema parsed;
  valijson::SchemaParser parser(valijson::SchemaParser::kDraft7);
  const valijson::adapters::NlohmannJsonAdapter adapter(schema_document());
  EXPECT_NO_THROW(parser.populateSchema(adapter, parsed));
}

TEST(ConfigSchema, DescribesEveryPropertyInOneLine) {
  // Editors show these on hover and completion.
  std::vector<std::string> undescribed;
  std::function<void(const nlohmann::json&, const std::string&)> walk =
      [&](const nlohmann::json& node, const std::string& path) {
        if (node.is_array()) {
          for (std::size_t i = 0; i < node.size(); ++i) {
            walk(node[i], path + "/" + std::to_string(i));
          }
          return;
        }
        if (!node.is_object()) {
          return;
        }
        if (auto properties = node.find("properties"); properties != node.end()) {
          for (const auto& [key, property] : properties->items()) {
            // A bare {"$ref": ...} takes its description from the definition.
            const bool has_text =
                property.contains("description") &&
                property["description"].get<std::string>().find('\n') == std::string::npos;
            if (!has_text && !(property.size() == 1 && property.contains("$ref"))) {
              undescribed.push_back(path + "/properties/" + key);
            }
          }
        }
        for (const auto& [key, child] : node.items()) {
          walk(child, path + "/" + key);
        }
      };
  walk(schema_document(), "");
  EXPECT_TRUE(undescribed.empty()) << "properties without a one-line description: "
                                   << joined({undescribed.begin(), undescribed.end()});
}

TEST(ConfigSchema, AcceptsTheShippedQuickstartConfig) {
  const nlohmann::json config = yaml_to_json(read_file(kSourceDir / "promptbench.yaml"));
  EXPECT_EQ(schema_errors(config), "");
}

TEST(ConfigSchema, AcceptsAMinimalConfig) {
  EXPECT_EQ(schema_errors(yaml_to_json(kMinimal)), "");
}

TEST(ConfigSchema, RejectsUnknownTopLevelKey) {
  EXPECT_FALSE(schema_accepts(with("verbose: true")));
}

TEST(ConfigSchema, RejectsProviderWithoutModel) {
  EXPECT_FALSE(schema_accepts("providers:\n  - {id: local}\n" + kPrompts + kDataset));
}

TEST(ConfigSchema, RejectsPromptWithBothTemplateAndFile) {
  EXPECT_FALSE(schema_accepts(with_prompt("{id: p, template: x, file: prompt.mustache}")));
}

TEST(ConfigSchema, RejectsBadDatasetFormat) {
  EXPECT_FALSE(schema_accepts(kProviders + kPrompts + "dataset: {path: d.tsv, format: tsv}\n"));
}

TEST(ConfigSchema, RejectsGateWithoutMinOrMax) {
  EXPECT_FALSE(schema_accepts(with("gates: [{metric: exact_match, variant: p/local}]")));
}

TEST(ConfigSchema, AgreesWithTheLoaderOnValidAndInvalidConfigs) {
  for (const Case& c : agreement_cases()) {
    SCOPED_TRACE(std::string(c.what) + ":\n" + c.yaml);
    const std::string schema_says = schema_errors(yaml_to_json(c.yaml));
    const std::string loader_says = loader_error(c.yaml);
    if (c.valid) {
      EXPECT_EQ(schema_says, "") << "the schema rejects " << c.what;
      EXPECT_EQ(loader_says, "") << "the loader rejects " << c.what;
    } else {
      EXPECT_NE(schema_says, "") << "the schema accepts " << c.what;
      EXPECT_NE(loader_says, "") << "the loader accepts " << c.what;
    }
  }
}

TEST(ConfigSchema, LeavesCrossReferencesToTheLoader) {
  // What JSON Schema cannot express: unique ids, gates naming a configured metric or a
  // variant, a baseline naming a variant, and ${VAR} without a default needing VAR set. The
  // loader catches these; the schema may not.
  const std::vector<Case> cases = {
      {"duplicate provider ids",
       "providers:\n  - {id: a, model: m}\n  - {id: a, model: n}\n" + kPrompts + kDataset, false},
      {"duplicate prompt ids",
       kProviders + "prompts:\n  - {id: p, template: x}\n  - {id: p, template: y}\n" + kDataset,
       false},
      {"a gate on a metric not in metrics",
       with("metrics: [contains]\ngates: [{metric: exact_match, min: 1}]"), false},
      {"a gate on a variant the config cannot run",
       with("gates: [{metric: exact_match, min: 1, variant: q/local}]"), false},
      {"a baseline naming no variant", with("baseline: q/local"), false},
      {"a gate slice on a field not in slices",
       with("slices: [language]\ngates: [{metric: exact_match, min: 1, slice: {topic: x}}]"),
       false},
      {"a gate slice without slices",
       with("gates: [{metric: exact_match, min: 1, slice: each}]"), false},
      {"an unset variable in the base URL",
       with_provider("base_url: \"${PROMPTBENCH_SCHEMA_TEST_UNSET}/v1\""), false},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    EXPECT_TRUE(schema_accepts(c.yaml));
    EXPECT_NE(loader_error(c.yaml), "");
  }
}

TEST(ConfigSchema, ListsEveryRegisteredProviderType) {
  std::set<std::string> registered;
  for (const auto& info : promptbench::provider_registry()) {
    registered.insert(info.type);
  }
  EXPECT_EQ(joined(schema_strings("/definitions/provider/properties/type/enum")),
            joined(registered))
      << "update definitions.provider.properties.type in schema/promptbench.schema.json";
}

TEST(ConfigSchema, ListsEveryRegisteredMetric) {
  std::set<std::string> registered;
  for (const auto& info : promptbench::metric_registry()) {
    registered.insert(info.name);
  }
  EXPECT_EQ(joined(schema_keys("/definitions/metricWithParams/properties")), joined(registered))
      << "describe each metric's parameters in definitions.metricWithParams of "
         "schema/promptbench.schema.json";
}

TEST(ConfigSchema, OffersBareNamesExactlyForMetricsThatNeedNoParameters) {
  std::set<std::string> parameterless;
  for (const auto& info : promptbench::metric_registry()) {
    promptbench::MetricConfig config;
    config.name = info.name;
    try {
      (void)promptbench::make_metric(config);
      parameterless.insert(info.name);
    } catch (const promptbench::ParamError&) {
      // needs a parameter: only the mapping form is valid
    }
  }
  EXPECT_EQ(joined(schema_strings("/definitions/metric/oneOf/0/enum")), joined(parameterless))
      << "update definitions.metric.oneOf[0].enum in schema/promptbench.schema.json";
}

TEST(QuickstartConfig, LoadsWithTheRealLoader) {
  const promptbench::Config config = promptbench::load_config(kSourceDir / "promptbench.yaml");
  EXPECT_EQ(config.name, "sentiment");

  ASSERT_EQ(config.providers.size(), 1u);
  const promptbench::ProviderConfig& provider = config.providers[0];
  EXPECT_EQ(provider.id, "local");
  EXPECT_EQ(provider.type, "openai");
  EXPECT_EQ(provider.model, "demo");
  EXPECT_EQ(provider.api_key_env, "");
  const char* base_url = std::getenv("PROMPTBENCH_BASE_URL");
  EXPECT_EQ(provider.base_url, base_url != nullptr && *base_url != '\0'
                                   ? std::string(base_url)
                                   : std::string("http://127.0.0.1:8080/v1"));
  EXPECT_EQ(provider.params, nlohmann::json::parse(R"({"temperature": 0, "max_tokens": 16})"));
  EXPECT_EQ(provider.concurrency, 16);
  EXPECT_EQ(provider.timeout, std::chrono::seconds(30));

  ASSERT_EQ(config.prompts.size(), 3u);
  EXPECT_EQ(config.prompts[0].id, "terse");
  EXPECT_EQ(config.prompts[1].id, "fewshot");
  EXPECT_EQ(config.prompts[2].id, "chat");
  // The stub answers with a bare label only when asked for "one word".
  EXPECT_EQ(config.prompts[0].text.find("one word"), std::string::npos);
  EXPECT_NE(config.prompts[0].text.find("{{text}}"), std::string::npos);
  EXPECT_NE(config.prompts[1].text.find("Answer with one word"), std::string::npos);
  EXPECT_NE(config.prompts[1].text.find("{{text}}"), std::string::npos);
  ASSERT_EQ(config.prompts[2].messages.size(), 2u);
  EXPECT_EQ(config.prompts[2].messages[0].role, "system");
  EXPECT_NE(config.prompts[2].messages[0].content.find("Answer with one word."), std::string::npos);
  EXPECT_EQ(config.prompts[2].messages[1].role, "user");
  EXPECT_EQ(config.prompts[2].messages[1].content, "{{text}}");

  EXPECT_EQ(config.dataset.display_path,
            (kSourceDir / "datasets" / "sentiment.jsonl").lexically_normal().string());
  EXPECT_TRUE(fs::is_regular_file(config.dataset.path));
  EXPECT_EQ(config.dataset.reference, "label");
  EXPECT_EQ(config.dataset.id, "id");
  EXPECT_TRUE(config.extract.empty());

  ASSERT_EQ(config.metrics.size(), 3u);
  EXPECT_EQ(config.metrics[0].name, "exact_match");
  EXPECT_EQ(config.metrics[0].params,
            nlohmann::json::parse(R"({"normalize": ["trim", "lower", "strip_punctuation"]})"));
  EXPECT_EQ(config.metrics[1].name, "contains");
  EXPECT_EQ(config.metrics[2].name, "latency");

  ASSERT_EQ(config.gates.size(), 1u);
  EXPECT_EQ(config.gates[0].metric, "exact_match");
  EXPECT_EQ(config.gates[0].min, 0.6);
  EXPECT_FALSE(config.gates[0].max.has_value());
  EXPECT_EQ(config.gates[0].variant, "chat/local");
}

TEST(QuickstartDataset, HasAtLeast120BalancedLabelledReviews) {
  std::ifstream in(kSourceDir / "datasets" / "sentiment.jsonl");
  ASSERT_TRUE(in);
  std::set<std::string> ids;
  std::set<std::string> texts;
  std::map<std::string, int> labels;
  std::string line;
  int rows = 0;
  while (std::getline(in, line)) {
    ++rows;
    SCOPED_TRACE("line " + std::to_string(rows));
    const nlohmann::json row = nlohmann::json::parse(line);
    ASSERT_TRUE(row.is_object());
    EXPECT_EQ(row.size(), 3u);
    EXPECT_TRUE(ids.insert(row.at("id").get<std::string>()).second) << "duplicate id";
    EXPECT_TRUE(texts.insert(row.at("text").get<std::string>()).second) << "duplicate text";
    ++labels[row.at("label").get<std::string>()];
  }
  EXPECT_GE(rows, 120);
  EXPECT_EQ(labels.size(), 2u);
  EXPECT_GE(labels["positive"] * 10, rows * 4) << "fewer than 40% positive";
  EXPECT_GE(labels["negative"] * 10, rows * 4) << "fewer than 40% negative";
}
