// SPDX-License-Identifier: Apache-2.0
// The provider types end to end: the real promptbench binary against promptbench-stub over
// real HTTP on 127.0.0.1. What goes over the wire (recorded by the stub with
// --record-requests), what comes back into the report (outputs, scores, usage, ttft, retries,
// replicas), and the engine's behaviour against each API's faults and rate-limit headers.
// Every expected score is counted here from the data the test generated and the stub's
// documented reply model (docs/STUB.md), never taken from promptbench.

#include "support/harness.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <cstddef>
#include <filesystem>
#include <map>
#include <random>
#include <regex>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace promptbench::testing {
namespace providers_test {
namespace {

using nlohmann::json;

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

json read_json(const std::filesystem::path& path) {
  return json::parse(read_file(path));
}

std::string to_jsonl(const std::vector<json>& rows) {
  std::string text;
  for (const json& row : rows) {
    text += row.dump() + "\n";
  }
  return text;
}

/// Words as the stub counts them: runs of non-whitespace (ASCII isspace).
std::size_t word_count(const std::string& text) {
  std::size_t words = 0;
  bool in_word = false;
  for (const char c : text) {
    const bool space = std::isspace(static_cast<unsigned char>(c)) != 0;
    words += !space && !in_word ? 1 : 0;
    in_word = !space;
  }
  return words;
}

json openai_provider(const std::string& id, const std::string& base_url,
                     const json& extra = json::object()) {
  json provider = {{"id", id}, {"type", "openai"}, {"base_url", base_url}, {"model", "gpt-test"}};
  provider.update(extra);
  return provider;
}

json anthropic_provider(const std::string& id, const std::string& base_url,
                        const json& extra = json::object()) {
  json provider = {
      {"id", id}, {"type", "anthropic"}, {"base_url", base_url}, {"model", "claude-test"}};
  provider.update(extra);
  return provider;
}

/// A config (JSON, which the loader reads like YAML) over data.jsonl with `reference` and id.
json make_config(const json& providers, const json& prompts, const std::string& reference,
                 const json& metrics = json::array({"exact_match"})) {
  return {{"name", "providers"},
          {"providers", providers},
          {"prompts", prompts},
          {"dataset", {{"path", "data.jsonl"}, {"reference", reference}, {"id", "id"}}},
          {"metrics", metrics}};
}

/// A prompt that sends `{{text}}` as the one user message.
json text_prompt(const std::string& id = "p") {
  return {{"id", id}, {"template", "{{text}}"}};
}

constexpr const char* kAnthropicKey = "sk-ant-providers-test-0a1b2c";

struct EvalRun {
  ProcessResult process;
  json report;  // null when no report was written
};

/// Writes the config, runs `promptbench eval cfg.json -q -o report.json ARGS` in `dir` and
/// reads the report. ANTHROPIC_API_KEY is set (the anthropic type's default key variable).
EvalRun eval(const TempDir& dir, const json& config, const std::vector<std::string>& args = {},
             RunOptions options = {}) {
  dir.write("cfg.json", config.dump(2));
  std::vector<std::string> argv = {"eval", "cfg.json", "-q", "-o", "report.json"};
  argv.insert(argv.end(), args.begin(), args.end());
  options.env.emplace_back("ANTHROPIC_API_KEY", kAnthropicKey);
  EvalRun run;
  run.process = promptbench(dir, argv, options);
  const auto report = dir.path() / "report.json";
  if (std::filesystem::exists(report)) {
    run.report = read_json(report);
  }
  return run;
}

/// variant id -> case id -> result.
using ResultMap = std::map<std::string, std::map<std::string, json>>;

ResultMap results_by_variant(const json& report) {
  ResultMap map;
  for (const json& c : report.at("cases")) {
    for (const json& result : c.at("results")) {
      map[result.at("variant").get<std::string>()][c.at("id").get<std::string>()] = result;
    }
  }
  return map;
}

/// A copy, so that a missing member reads as null rather than undefined behaviour.
json variant_of(const json& report, const std::string& id) {
  for (const json& variant : report.at("variants")) {
    if (variant.at("id") == id) {
      return variant;
    }
  }
  ADD_FAILURE() << "no variant " << id << " in the report";
  return json::object();
}

/// A result that has a score for `metric` and no error.
bool scored(const json& result, const std::string& metric = "exact_match") {
  return result.at("error").is_null() && result.at("scores").contains(metric);
}

/// Every variant of the report: `cases` results, all scored, exact_match 1 everywhere.
void expect_all_exact(json report, std::size_t cases) {
  ASSERT_TRUE(report.is_object()) << "no report";
  ASSERT_EQ(report["cases"].size(), cases);
  for (auto [variant, results] : results_by_variant(report)) {
    SCOPED_TRACE(variant);
    EXPECT_EQ(results.size(), cases);
    for (auto [case_id, result] : results) {
      ASSERT_TRUE(scored(result)) << case_id << ": " << result.dump();
      EXPECT_EQ(result["scores"]["exact_match"], 1) << case_id << ": " << result.dump();
    }
    EXPECT_EQ(variant_of(report, variant)["errors"], 0);
    EXPECT_EQ(variant_of(report, variant)["metrics"]["exact_match"]["n"], cases);
  }
}

/// The stub's `system` as text: a string, or the concatenated text blocks.
std::string system_text(const json& body) {
  if (!body.contains("system")) {
    return {};
  }
  if (body["system"].is_string()) {
    return body["system"];
  }
  std::string text;
  for (const json& block : body["system"]) {
    text += block.value("text", "");
  }
  return text;
}

// ---------------------------------------------------------------------------------------------
// 1. Anthropic: the Messages API request, and sentiment scores from the stub's own rule
// ---------------------------------------------------------------------------------------------

// Words of the stub's sentiment lexicon (docs/STUB.md, tests/support/stub/text_model.cpp) and
// words in neither list. The stub lowercases and strips ASCII punctuation before looking up.
const std::vector<std::string> kPositive = {"good",       "Great!",  "excellent", "love",
                                            "wonderful,", "amazing", "FUN"};
const std::vector<std::string> kNegative = {"bad",  "terrible", "Awful.", "boring",
                                            "dull", "waste",    "mess"};
const std::vector<std::string> kNeutral = {"the", "film",  "plot",   "was",  "actors",
                                           "and", "music", "ending", "seen", "twice"};

struct SentimentCase {
  std::string id;
  std::string text;
  std::string label;     // the reference
  std::string expected;  // what the stub's rule answers
};

std::vector<SentimentCase> sentiment_cases(int count, unsigned seed) {
  std::mt19937 rng(seed);
  std::vector<SentimentCase> cases;
  for (int i = 0; i < count; ++i) {
    const int positives = static_cast<int>(rng() % 3);
    const int negatives = static_cast<int>(rng() % 3);
    std::vector<std::string> words;
    for (int k = 0; k < positives; ++k) {
      words.push_back(kPositive[rng() % kPositive.size()]);
    }
    for (int k = 0; k < negatives; ++k) {
      words.push_back(kNegative[rng() % kNegative.size()]);
    }
    for (int k = 0; k < 2 + static_cast<int>(rng() % 3); ++k) {
      words.push_back(kNeutral[rng() % kNeutral.size()]);
    }
    std::shuffle(words.begin(), words.end(), rng);
    std::string text;
    for (const auto& word : words) {
      text += (text.empty() ? "" : " ") + word;
    }
    // More positive words than negative ones is positive; ties are negative.
    const std::string expected = positives > negatives ? "positive" : "negative";
    const bool agree = rng() % 10 < 7;
    const std::string label = agree ? expected : (expected == "positive" ? "negative" : "positive");
    cases.push_back({fmt::format("s{}", i), text, label, expected});
  }
  return cases;
}

TEST(ProvidersAnthropic, SendsTheMessagesRequestAndScoresTheStubsAnswers) {
  TempDir records;
  const auto log = records.path() / "requests.jsonl";
  StubServer stub({"--mode", "sentiment", "--require-api-key", "--record-requests", log.string()});
  TempDir dir;
  const auto cases = sentiment_cases(24, 20240611);
  std::vector<json> rows;
  std::size_t matches = 0;
  for (const auto& c : cases) {
    rows.push_back({{"id", c.id}, {"text", c.text}, {"label", c.label}});
    matches += c.label == c.expected ? 1 : 0;
  }
  // The data must make the metric discriminate.
  ASSERT_GT(matches, 0u);
  ASSERT_LT(matches, cases.size());
  dir.write("data.jsonl", to_jsonl(rows));

  const json providers = json::array(
      {anthropic_provider("claude", stub.base_url(), {{"model", "claude-default"}}),
       anthropic_provider(
           "capped", stub.base_url(),
           {{"model", "claude-capped"}, {"max_tokens", 77}, {"anthropic_version", "2024-10-22"}}),
       anthropic_provider("param", stub.base_url(),
                          {{"model", "claude-param"},
                           {"max_tokens", 77},
                           {"params", {{"max_tokens", 33}, {"temperature", 0}}}})});
  const json prompts = json::array(
      {{{"id", "label"},
        {"messages", json::array({{{"role", "system"}, {"content", "Case {{id}}: label reviews."}},
                                  {{"role", "system"}, {"content", "Answer in one word."}},
                                  {{"role", "user"}, {"content", "{{text}}"}}})}}});
  EvalRun run = eval(dir, make_config(providers, prompts, "label"));
  ASSERT_EQ(run.process.exit_code, 0) << run.process.err;

  // Scores: the stub's rule, counted here.
  const ResultMap results = results_by_variant(run.report);
  for (const std::string variant : {"label/claude", "label/capped", "label/param"}) {
    SCOPED_TRACE(variant);
    json summary = variant_of(run.report, variant);
    EXPECT_EQ(summary["errors"], 0);
    EXPECT_EQ(summary["metrics"]["exact_match"]["n"], cases.size());
    EXPECT_NEAR(summary["metrics"]["exact_match"]["mean"].get<double>(),
                static_cast<double>(matches) / static_cast<double>(cases.size()), 1e-12);
    ASSERT_EQ(results.count(variant), 1u);
    for (const auto& c : cases) {
      json result = results.at(variant).at(c.id);
      EXPECT_EQ(result["output"], c.expected) << c.id << ": " << c.text;
      EXPECT_EQ(result["scores"]["exact_match"], c.label == c.expected ? 1 : 0) << c.id;
      EXPECT_EQ(result["usage"]["completion_tokens"], 1) << result.dump();
    }
  }

  // The wire: every request as the Messages API wants it.
  const std::vector<json> requests = read_json_lines(log);
  ASSERT_EQ(requests.size(), 3 * cases.size());
  std::map<std::string, const SentimentCase*> by_id;
  for (const auto& c : cases) {
    by_id[c.id] = &c;
  }
  const std::map<std::string, std::pair<int, std::string>> expected_by_model = {
      {"claude-default", {4096, "2023-06-01"}},
      {"claude-capped", {77, "2024-10-22"}},
      {"claude-param", {33, "2023-06-01"}}};
  std::map<std::string, std::set<std::string>> seen;  // model -> case ids
  for (json request : requests) {
    SCOPED_TRACE(request.dump());
    EXPECT_EQ(request["method"], "POST");
    EXPECT_EQ(request["path"], "/v1/messages");
    const json& headers = request["headers"];
    EXPECT_EQ(headers.value("x-api-key", ""), kAnthropicKey);
    EXPECT_EQ(headers.value("content-type", ""), "application/json");
    EXPECT_FALSE(headers.contains("authorization")) << "the key goes in x-api-key only";
    const json body = json::parse(request["body"].get<std::string>());
    const std::string model = body.value("model", "");
    ASSERT_EQ(expected_by_model.count(model), 1u);
    EXPECT_EQ(headers.value("anthropic-version", ""), expected_by_model.at(model).second);
    EXPECT_EQ(body["max_tokens"], expected_by_model.at(model).first);
    ASSERT_TRUE(body["messages"].is_array());
    for (json message : body["messages"]) {
      EXPECT_NE(message["role"], "system");
    }
    // Both system messages, in order, in the top-level system.
    const std::string system = system_text(body);
    std::smatch id;
    ASSERT_TRUE(std::regex_search(system, id, std::regex("^Case (s[0-9]+): label reviews\\.")))
        << system;
    ASSERT_EQ(by_id.count(id[1]), 1u);
    const std::size_t second = system.find("Answer in one word.");
    EXPECT_NE(second, std::string::npos) << system;
    EXPECT_GT(second, system.find("label reviews.")) << system;
    EXPECT_EQ(body["messages"],
              json::array({{{"role", "user"}, {"content", by_id.at(id[1])->text}}}));
    if (model == "claude-param") {
      EXPECT_EQ(body["temperature"], 0);
    }
    seen[model].insert(id[1]);
  }
  for (auto [model, expected] : expected_by_model) {
    EXPECT_EQ(seen[model].size(), cases.size()) << model;
  }
  EXPECT_EQ(stub.stats()["by_status"], json({{"200", 3 * cases.size()}}));
}

// ---------------------------------------------------------------------------------------------
// 2. OpenAI: the chat completions request, plain and streamed
// ---------------------------------------------------------------------------------------------

TEST(ProvidersOpenAi, SendsTheBearerKeyModelMessagesAndAsksForUsageWhenStreaming) {
  TempDir records;
  const auto log = records.path() / "requests.jsonl";
  StubServer stub({"--record-requests", log.string()});
  TempDir dir;
  const int cases = 10;
  std::vector<json> rows;
  for (int i = 0; i < cases; ++i) {
    rows.push_back({{"id", fmt::format("o{}", i)}, {"text", fmt::format("echo number {} é", i)}});
  }
  dir.write("data.jsonl", to_jsonl(rows));
  const std::string key = "sk-openai-providers-test-9z8y7x";
  const json providers = json::array({openai_provider("plain", stub.base_url(),
                                                      {{"model", "gpt-plain"},
                                                       {"api_key_env", "PB_OPENAI_KEY"},
                                                       {"params", {{"temperature", 0}}}}),
                                      openai_provider("streamed", stub.base_url(),
                                                      {{"model", "gpt-streamed"},
                                                       {"api_key_env", "PB_OPENAI_KEY"},
                                                       {"stream", true},
                                                       {"params", {{"temperature", 0}}}})});
  const json prompts =
      json::array({{{"id", "chat"},
                    {"messages", json::array({{{"role", "system"}, {"content", "Repeat ({{id}})."}},
                                              {{"role", "user"}, {"content", "{{text}}"}}})}}});
  RunOptions options;
  options.env = {{"PB_OPENAI_KEY", key}};
  EvalRun run = eval(dir, make_config(providers, prompts, "text"), {}, options);
  ASSERT_EQ(run.process.exit_code, 0) << run.process.err;
  expect_all_exact(run.report, cases);
  ResultMap results = results_by_variant(run.report);
  for (auto [case_id, result] : results["chat/streamed"]) {
    EXPECT_TRUE(result.contains("ttft_ms")) << result.dump();
    EXPECT_TRUE(result["usage"].is_object() && result["usage"]["prompt_tokens"].is_number())
        << "include_usage gives the streamed answer its usage: " << result.dump();
  }
  for (auto [case_id, result] : results["chat/plain"]) {
    EXPECT_FALSE(result.contains("ttft_ms")) << result.dump();
  }

  const std::vector<json> requests = read_json_lines(log);
  ASSERT_EQ(requests.size(), 2u * cases);
  std::map<std::string, int> per_model;
  for (json request : requests) {
    SCOPED_TRACE(request.dump());
    EXPECT_EQ(request["method"], "POST");
    EXPECT_EQ(request["path"], "/v1/chat/completions");
    EXPECT_EQ(request["headers"].value("authorization", ""), "Bearer " + key);
    EXPECT_EQ(request["headers"].value("content-type", ""), "application/json");
    const json body = json::parse(request["body"].get<std::string>());
    const std::string model = body.value("model", "");
    ++per_model[model];
    ASSERT_TRUE(body["messages"].is_array());
    ASSERT_EQ(body["messages"].size(), 2u);
    EXPECT_EQ(body["messages"][0]["role"], "system");
    EXPECT_EQ(body["messages"][1]["role"], "user");
    std::smatch id;
    const std::string system = body["messages"][0]["content"];
    ASSERT_TRUE(std::regex_match(system, id, std::regex("Repeat \\(o([0-9]+)\\)\\."))) << system;
    EXPECT_EQ(body["messages"][1]["content"], fmt::format("echo number {} é", id[1].str()));
    EXPECT_EQ(body["temperature"], 0);
    if (model == "gpt-streamed") {
      EXPECT_EQ(body["stream"], true);
      EXPECT_EQ(body["stream_options"], json({{"include_usage", true}}));
    } else {
      EXPECT_NE(body.value("stream", false), true);
      EXPECT_FALSE(body.contains("stream_options"));
    }
  }
  EXPECT_EQ(per_model, (std::map<std::string, int>{{"gpt-plain", cases}, {"gpt-streamed", cases}}));
}

// ---------------------------------------------------------------------------------------------
// 3. type http: hostile prompt text, PUT, a secret header, token pointers
// ---------------------------------------------------------------------------------------------

const std::vector<std::string> kHostileTexts = {
    R"(She said "hi" and left)",
    R"(back\slash \\double\\ and a trailing \)",
    "line one\nline two\n\nline four",
    "tab\tseparated\tvalues",
    "CRLF\r\nline",
    "caf\u00e9 na\u00efve \u00e9t\u00e9",
    "\u65e5\u672c\u8a9e\u306e\u30c6\u30ad\u30b9\u30c8 \u65e5\u672c",
    "emoji \U0001F389\U0001F680 and a flag \U0001F1EF\U0001F1F5",
    "mustache {{x}} and {{{y}}} and {{#s}}in{{/s}} and {{> partial}}",
    "controls \x01\x02\x07 bell \x1b[31mred\x1b[0m \x7f del \x0b\x0c end",
    R"({"looks": "like json", "n": [1, 2]})",
    "  leading and trailing spaces  ",
    "combining e\u0301 and zero\u200bwidth and bidi \u202eabc\u202c",
    "</script><script>alert(1)</script> & &amp; <b>",
    R"(quote " backslash-quote \" and \u00e9 written out)",
};

/// Two http providers on /generate with `method` (the stub answers only that one): the body
/// leaf a sole tag, and a leaf rendered by Mustache to a string.
void expect_hostile_texts_echoed(const std::string& method) {
  TempDir records;
  const auto log = records.path() / "requests.jsonl";
  const std::string secret = "ck-providers-http-51e7-secret";
  StubServer stub({"--custom-method", method, "--require-header", "X-Custom-Key",
                   "--record-requests", log.string()});
  TempDir dir;
  std::vector<json> rows;
  for (std::size_t i = 0; i < kHostileTexts.size(); ++i) {
    rows.push_back({{"id", fmt::format("h{}", i)}, {"text", kHostileTexts[i]}});
  }
  dir.write("data.jsonl", to_jsonl(rows));
  const std::string url = fmt::format("http://127.0.0.1:{}/generate", stub.port());
  const json response = {{"text", "/result/answer"},
                         {"prompt_tokens", "/meta/tokens_in"},
                         {"completion_tokens", "/meta/tokens_out"}};
  const json headers = {{"X-Custom-Key", "${CUSTOM_KEY}"}};
  const json providers = json::array(
      {// A leaf that is exactly one tag takes the JSON value.
       {{"id", "sole"},
        {"type", "http"},
        {"url", url},
        {"method", method},
        {"headers", headers},
        {"body",
         {{"input", "{{prompt}}"},
          {"options", {{"case", "case {{id}}"}, {"messages", "{{messages}}"}, {"n", 1}}}}},
        {"response", response}},
       // A leaf with more than one tag is rendered by Mustache to a string.
       {{"id", "rendered"},
        {"type", "http"},
        {"url", url},
        {"method", method},
        {"headers", headers},
        {"body", {{"input", "{{prompt}}{{#absent}}never{{/absent}}"}, {"options", json::object()}}},
        {"response", response}}});
  RunOptions options;
  options.env = {{"CUSTOM_KEY", secret}};
  EvalRun run =
      eval(dir, make_config(providers, json::array({text_prompt("raw")}), "text"), {"-v"}, options);
  ASSERT_EQ(run.process.exit_code, 0) << run.process.err;
  expect_all_exact(run.report, kHostileTexts.size());
  const ResultMap results = results_by_variant(run.report);
  for (const std::string variant : {"raw/sole", "raw/rendered"}) {
    SCOPED_TRACE(variant);
    ASSERT_EQ(results.count(variant), 1u);
    for (std::size_t i = 0; i < kHostileTexts.size(); ++i) {
      json result = results.at(variant).at(fmt::format("h{}", i));
      // The echo is the text byte for byte, not merely equal after trimming.
      EXPECT_EQ(result["output"], kHostileTexts[i]) << i;
      const std::size_t words = word_count(kHostileTexts[i]);
      EXPECT_EQ(result["usage"]["prompt_tokens"], words) << i << ": " << result.dump();
      EXPECT_EQ(result["usage"]["completion_tokens"], std::max<std::size_t>(1, words)) << i;
    }
  }

  const std::vector<json> requests = read_json_lines(log);
  ASSERT_EQ(requests.size(), 2 * kHostileTexts.size());
  std::set<std::string> inputs;
  for (json request : requests) {
    SCOPED_TRACE(request.dump());
    EXPECT_EQ(request["method"], method);
    EXPECT_EQ(request["path"], "/generate");
    EXPECT_EQ(request["headers"].value("x-custom-key", ""), secret);
    const json body = json::parse(request["body"].get<std::string>(), nullptr, false);
    ASSERT_TRUE(body.is_object()) << "the body is JSON whatever the text";
    ASSERT_TRUE(body["input"].is_string());
    inputs.insert(body["input"].get<std::string>());
    if (body["options"].contains("case")) {
      std::smatch id;
      const std::string tag = body["options"]["case"];
      ASSERT_TRUE(std::regex_match(tag, id, std::regex("case h([0-9]+)"))) << tag;
      const std::string& text = kHostileTexts.at(std::stoul(id[1]));
      EXPECT_EQ(body["input"], text);
      EXPECT_EQ(body["options"]["messages"], json::array({{{"role", "user"}, {"content", text}}}));
      EXPECT_EQ(body["options"]["n"], 1);
    }
  }
  EXPECT_EQ(inputs, std::set<std::string>(kHostileTexts.begin(), kHostileTexts.end()));

  // The key went over the wire, and nowhere else.
  EXPECT_EQ(run.process.err.find(secret), std::string::npos) << run.process.err;
  EXPECT_EQ(run.process.out.find(secret), std::string::npos) << run.process.out;
  std::size_t files = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir.path())) {
    if (entry.is_regular_file()) {
      ++files;
      EXPECT_EQ(read_file(entry.path()).find(secret), std::string::npos) << entry.path();
    }
  }
  EXPECT_GE(files, 4u);  // config, data, report, cache
  EXPECT_TRUE(std::filesystem::exists(dir.path() / ".promptbench/cache.db"));
}

TEST(ProvidersHttp, HostileTextsSurviveAPostBodyAndTheSecretHeaderStaysSecret) {
  expect_hostile_texts_echoed("POST");
}

TEST(ProvidersHttp, HostileTextsSurviveAPutBodyAndTheSecretHeaderStaysSecret) {
  expect_hostile_texts_echoed("PUT");
}

// ---------------------------------------------------------------------------------------------
// 4. Streamed and plain answers agree
// ---------------------------------------------------------------------------------------------

// Texts whose bytes are mostly multi-byte UTF-8, so that the stub's pieces (split at
// character boundaries) meet inside runs of them.
const std::vector<std::string> kUtf8Texts = {
    "\u65e5\u672c\u8a9e\u306e\u6587\u7ae0\u3067\u3059",
    "\u00e9\u00e8\u00ea\u00eb\u00e0\u00e2\u00e4\u00f4\u00f6\u00fb\u00fc\u00e7",
    "\U0001F389\U0001F680\U0001F30D\U0001F525\U0001F4A1\U0001F3B5",
    "mixed caf\u00e9 \u65e5\u672c \U0001F389 text",
    "\u041f\u0440\u0438\u0432\u0435\u0442 \u043c\u0438\u0440 \u0437\u0434\u0435\u0441\u044c",
    "\u0645\u0631\u062d\u0628\u0627 \u0628\u0627\u0644\u0639\u0627\u0644\u0645",
    "plain ascii words only here",
    "a\u00e9b\u65e5c\U0001F389d\u00e9e\u65e5f\U0001F389g",
    "\u4e00",
    "\U0001F600",
    "line\nbreak and \"quotes\"",
    "\u00df\u00e6\u00f8\u00e5 \u0153 \u2603 \u2764\ufe0f",
};

TEST(ProvidersStreaming, StreamedAndPlainAnswersGiveIdenticalOutputsAndScores) {
  StubServer stub;
  TempDir dir;
  std::vector<json> rows;
  for (std::size_t i = 0; i < kUtf8Texts.size(); ++i) {
    // Every third reference differs, so the scores are not all the same.
    rows.push_back({{"id", fmt::format("u{}", i)},
                    {"text", kUtf8Texts[i]},
                    {"label", i % 3 == 2 ? "something else" : kUtf8Texts[i]}});
  }
  dir.write("data.jsonl", to_jsonl(rows));
  const json providers =
      json::array({openai_provider("oa", stub.base_url()),
                   openai_provider("oa_stream", stub.base_url(), {{"stream", true}}),
                   anthropic_provider("an", stub.base_url()),
                   anthropic_provider("an_stream", stub.base_url(), {{"stream", true}})});
  EvalRun run = eval(dir, make_config(providers, json::array({text_prompt()}), "label"));
  ASSERT_EQ(run.process.exit_code, 0) << run.process.err;
  const ResultMap results = results_by_variant(run.report);
  for (auto [plain, streamed] : std::vector<std::pair<std::string, std::string>>{
           {"p/oa", "p/oa_stream"}, {"p/an", "p/an_stream"}}) {
    SCOPED_TRACE(streamed);
    ASSERT_EQ(results.count(plain), 1u);
    ASSERT_EQ(results.count(streamed), 1u);
    for (std::size_t i = 0; i < kUtf8Texts.size(); ++i) {
      const std::string id = fmt::format("u{}", i);
      json a = results.at(plain).at(id);
      json b = results.at(streamed).at(id);
      EXPECT_EQ(a["output"], kUtf8Texts[i]) << id;
      EXPECT_EQ(b["output"], a["output"]) << id;
      EXPECT_EQ(b["scores"], a["scores"]) << id;
      EXPECT_EQ(a["scores"]["exact_match"], i % 3 == 2 ? 0 : 1) << id;
      EXPECT_EQ(b["usage"], a["usage"]) << id;
      EXPECT_FALSE(a.contains("ttft_ms")) << id;
      EXPECT_TRUE(b.contains("ttft_ms")) << id;
    }
    EXPECT_EQ(variant_of(run.report, streamed)["metrics"]["exact_match"],
              variant_of(run.report, plain)["metrics"]["exact_match"]);
  }
}

// ---------------------------------------------------------------------------------------------
// 5. Time to first token
// ---------------------------------------------------------------------------------------------

constexpr int kFirstTokenDelayMs = 200;
// The stub sends the opening events at once and the first content after the delay; a ttft
// measured at the first byte would be near 0. The slack above covers a loaded 2-core machine.
constexpr double kTtftLow = kFirstTokenDelayMs - 5.0;
constexpr double kTtftHigh = kFirstTokenDelayMs + 80.0;

TEST(ProvidersTtft, IsTheFirstContentTokenAndGatesOnIt) {
  StubServer stub({"--first-token-delay-ms", fmt::format("{}", kFirstTokenDelayMs)});
  TempDir dir;
  const int cases = 10;
  std::vector<json> rows;
  for (int i = 0; i < cases; ++i) {
    rows.push_back({{"id", fmt::format("t{}", i)}, {"text", fmt::format("first token {}", i)}});
  }
  dir.write("data.jsonl", to_jsonl(rows));
  const json providers =
      json::array({openai_provider("oa", stub.base_url(), {{"stream", true}}),
                   anthropic_provider("an", stub.base_url(), {{"stream", true}})});
  const json config =
      make_config(providers, json::array({text_prompt()}), "text", {"exact_match", "ttft"});

  EvalRun run = eval(dir, config, {"--no-cache", "--gate", "ttft<=1000"});
  ASSERT_EQ(run.process.exit_code, 0) << run.process.err;
  expect_all_exact(run.report, cases);
  for (auto [variant, results] : results_by_variant(run.report)) {
    SCOPED_TRACE(variant);
    for (auto [case_id, result] : results) {
      ASSERT_TRUE(result.contains("ttft_ms")) << result.dump();
      const double ttft = result["ttft_ms"];
      EXPECT_GE(ttft, kTtftLow) << case_id;
      EXPECT_LE(ttft, kTtftHigh) << case_id;
      // Both run from the request's start: the first token cannot come after the last byte.
      EXPECT_GE(result["latency_ms"].get<double>(), ttft) << case_id;
      // completion tokens / (latency - ttft): present for a stream with usage.
      EXPECT_TRUE(result["output_tokens_per_second"].is_number()) << result.dump();
      ASSERT_TRUE(result["scores"].contains("ttft")) << result.dump();
      EXPECT_DOUBLE_EQ(result["scores"]["ttft"].get<double>(), ttft) << case_id;
    }
    json summary = variant_of(run.report, variant);
    ASSERT_TRUE(summary.contains("ttft_ms")) << summary.dump();
    ASSERT_TRUE(summary["ttft_ms"]["p50"].is_number()) << summary.dump();
    EXPECT_GE(summary["ttft_ms"]["p50"].get<double>(), kTtftLow);
    EXPECT_LE(summary["ttft_ms"]["p50"].get<double>(), kTtftHigh);
    EXPECT_FALSE(summary["metrics"]["ttft"]["higher_is_better"].get<bool>());
    EXPECT_EQ(summary["metrics"]["ttft"]["n"], cases);
  }
  ASSERT_EQ(run.report["gates"].size(), 2u);
  for (json gate : run.report["gates"]) {
    EXPECT_TRUE(gate["passed"].get<bool>()) << gate.dump();
  }

  EvalRun strict = eval(dir, config, {"--no-cache", "--gate", "ttft<=50"});
  EXPECT_EQ(strict.process.exit_code, 1) << strict.process.err;
  EXPECT_NE(strict.process.err.find("gate failed"), std::string::npos) << strict.process.err;
  ASSERT_TRUE(strict.report.is_object());
  ASSERT_EQ(strict.report["gates"].size(), 2u);
  for (json gate : strict.report["gates"]) {
    EXPECT_FALSE(gate["passed"].get<bool>()) << gate.dump();
  }
}

TEST(ProvidersTtft, AStreamThatGoesQuietIsEndedByItsIdleTimeout) {
  // The stub holds the first token back for 1.5 s; the stream may be quiet for 200 ms only.
  StubServer stub({"--first-token-delay-ms", "1500"});
  TempDir dir;
  dir.write("data.jsonl", to_jsonl({{{"id", "q0"}, {"text", "quiet"}}}));
  const json providers = json::array({openai_provider(
      "oa", stub.base_url(), {{"stream", true}, {"idle_timeout", "200ms"}, {"retries", 0}})});
  const auto started = std::chrono::steady_clock::now();
  EvalRun run =
      eval(dir, make_config(providers, json::array({text_prompt()}), "text"), {"--no-cache"});
  const auto took = std::chrono::steady_clock::now() - started;
  EXPECT_EQ(run.process.exit_code, 3) << run.process.err;
  ASSERT_TRUE(run.report.is_object()) << run.process.err;
  const json result = run.report["cases"][0]["results"][0];
  EXPECT_EQ(result["error"]["kind"], "timeout") << result.dump();
  EXPECT_EQ(result["error"]["message"], "the stream sent nothing for 200 ms (idle_timeout)");
  EXPECT_NE(run.process.err.find("idle_timeout"), std::string::npos) << run.process.err;
  EXPECT_LT(took, std::chrono::milliseconds(1400));  // it did not wait for the token
}

// ---------------------------------------------------------------------------------------------
// 6. Overloaded answers and error events inside streams
// ---------------------------------------------------------------------------------------------

std::vector<json> echo_rows(int cases, const std::string& prefix) {
  std::vector<json> rows;
  for (int i = 0; i < cases; ++i) {
    rows.push_back({{"id", fmt::format("{}{}", prefix, i)},
                    {"text", fmt::format("alpha beta gamma delta {} {}", prefix, i)}});
  }
  return rows;
}

/// Every case scored, nothing failed, and some results took more than one attempt.
void expect_recovered(EvalRun run, int cases) {
  ASSERT_EQ(run.process.exit_code, 0) << run.process.err;
  expect_all_exact(run.report, static_cast<std::size_t>(cases));
  EXPECT_EQ(run.report["run"]["errors"]["failed"], 0) << run.report["run"]["errors"].dump();
  EXPECT_EQ(run.report["run"]["errors"]["requests"]["failed"], 0);
  for (auto [variant, results] : results_by_variant(run.report)) {
    int retried = 0;
    for (auto [case_id, result] : results) {
      retried += result["attempts"].get<int>() > 1 ? 1 : 0;
    }
    EXPECT_GT(retried, 0) << variant;
  }
}

TEST(ProvidersFaults, Overloaded529AnswersAreRetriedUntilEveryCaseIsScored) {
  StubServer stub({"--fail-529", "0.3", "--seed", "5"});
  TempDir dir;
  const int cases = 60;
  dir.write("data.jsonl", to_jsonl(echo_rows(cases, "o")));
  const json providers = json::array({anthropic_provider("an", stub.base_url())});
  EvalRun run = eval(dir, make_config(providers, json::array({text_prompt()}), "text"));
  expect_recovered(run, cases);
  const json stats = stub.stats();
  EXPECT_GT(stats["overloaded"].get<int>(), 0) << stats.dump();
  EXPECT_GT(stats["by_status"].value("529", 0), 0) << stats.dump();
  EXPECT_EQ(stats["by_status"]["200"], cases) << stats.dump();
  json variant = variant_of(run.report, "p/an");
  EXPECT_EQ(variant["attempts"].get<int>(), stats["requests"].get<int>());
}

TEST(ProvidersFaults, ErrorEventsInStreamsAreRetriedOnBothApis) {
  StubServer stub({"--stream-error", "0.3", "--seed", "8"});
  TempDir dir;
  const int cases = 60;
  dir.write("data.jsonl", to_jsonl(echo_rows(cases, "e")));
  const json providers =
      json::array({openai_provider("oa", stub.base_url(), {{"stream", true}}),
                   anthropic_provider("an", stub.base_url(), {{"stream", true}})});
  EvalRun run = eval(dir, make_config(providers, json::array({text_prompt()}), "text"));
  expect_recovered(run, cases);
  const json stats = stub.stats();
  EXPECT_GT(stats["stream_errors"].get<int>(), 0) << stats.dump();
  EXPECT_EQ(stats["by_route"]["chat"].get<int>() + stats["by_route"]["messages"].get<int>(),
            stats["requests"].get<int>());
  EXPECT_EQ(stats["requests"].get<int>(), 2 * cases + stats["stream_errors"].get<int>())
      << "each broken stream was sent again once, and nothing else: " << stats.dump();
  const int attempts = variant_of(run.report, "p/oa")["attempts"].get<int>() +
                       variant_of(run.report, "p/an")["attempts"].get<int>();
  EXPECT_EQ(attempts, stats["requests"].get<int>());
}

// ---------------------------------------------------------------------------------------------
// 7. Replicas: one of two goes away part-way
// ---------------------------------------------------------------------------------------------

TEST(ProvidersReplicas, ALostReplicasCasesMoveToTheOtherAndNothingIsLost) {
  StubServer a;
  StubServer b({"--exit-after", "10"});
  TempDir dir;
  const int cases = 60;
  dir.write("data.jsonl", to_jsonl(echo_rows(cases, "r")));
  const json providers = json::array({{{"id", "pool"},
                                       {"type", "openai"},
                                       {"base_urls", json::array({a.base_url(), b.base_url()})},
                                       {"model", "gpt-test"},
                                       {"concurrency", 4}}});
  EvalRun run = eval(dir, make_config(providers, json::array({text_prompt()}), "text"));
  ASSERT_EQ(run.process.exit_code, 0) << run.process.err;
  expect_all_exact(run.report, cases);
  EXPECT_EQ(run.report["run"]["errors"]["failed"], 0);
  EXPECT_FALSE(b.process().is_running()) << "the replica should have gone away";

  json replicas = run.report["run"]["replicas"];
  ASSERT_TRUE(replicas.is_array()) << run.report["run"].dump();
  ASSERT_EQ(replicas.size(), 2u) << replicas.dump();
  json first;
  json second;
  for (json replica : replicas) {
    EXPECT_EQ(replica["provider"], "pool");
    if (replica["base_url"] == a.base_url()) {
      first = replica;
    } else if (replica["base_url"] == b.base_url()) {
      second = replica;
    }
  }
  ASSERT_TRUE(first.is_object() && second.is_object()) << replicas.dump();
  EXPECT_GE(second["requests"].get<int>(), 10) << replicas.dump();
  EXPECT_GE(second["failures"].get<int>(), 1) << replicas.dump();
  EXPECT_EQ(first["failures"], 0) << replicas.dump();
  // B answered exactly 10 before it exited; A answered the rest, once each.
  EXPECT_EQ(second["requests"].get<int>() - second["failures"].get<int>(), 10) << replicas.dump();
  EXPECT_EQ(first["requests"].get<int>(), cases - 10) << replicas.dump();
  const json stats = a.stats();
  EXPECT_EQ(stats["requests"], first["requests"]);
  EXPECT_EQ(stats["bodies_answered_ok_more_than_once"], 0);
}

// ---------------------------------------------------------------------------------------------
// 8. Tool calls
// ---------------------------------------------------------------------------------------------

const std::vector<std::string> kCities = {"Paris",
                                          "New York",
                                          "S\u00e3o Paulo",
                                          "Z\u00fcrich",
                                          "\u6771\u4eac",
                                          "Buenos Aires",
                                          "Krak\u00f3w",
                                          "Cape Town",
                                          "Reykjav\u00edk",
                                          "Ho Chi Minh City",
                                          "\u041c\u043e\u0441\u043a\u0432\u0430",
                                          "Rio de Janeiro"};

TEST(ProvidersTools, ToolCallArgumentsAreExtractedOnBothApisPlainAndStreamed) {
  StubServer stub;
  TempDir dir;
  std::vector<json> rows;
  for (std::size_t i = 0; i < kCities.size(); ++i) {
    rows.push_back({{"id", fmt::format("c{}", i)}, {"city", kCities[i]}});
  }
  dir.write("data.jsonl", to_jsonl(rows));
  const json parameters = {{"type", "object"},
                           {"properties", {{"city", {{"type", "string"}}}}},
                           {"required", json::array({"city"})}};
  const json openai_tools = {{"tools", json::array({{{"type", "function"},
                                                     {"function",
                                                      {{"name", "get_weather"},
                                                       {"description", "The weather in a city"},
                                                       {"parameters", parameters}}}}})}};
  const json anthropic_tools = {{"tools", json::array({{{"name", "get_weather"},
                                                        {"description", "The weather in a city"},
                                                        {"input_schema", parameters}}})}};
  const json providers = json::array(
      {openai_provider("oa", stub.base_url(), {{"params", openai_tools}}),
       openai_provider("oa_stream", stub.base_url(), {{"params", openai_tools}, {"stream", true}}),
       anthropic_provider("an", stub.base_url(), {{"params", anthropic_tools}}),
       anthropic_provider("an_stream", stub.base_url(),
                          {{"params", anthropic_tools}, {"stream", true}})});
  json config =
      make_config(providers, json::array({{{"id", "w"}, {"template", "{{city}}"}}}), "city");
  config["extract"] = {{"json_pointer", "/tool_calls/0/arguments/city"}};
  EvalRun run = eval(dir, config);
  ASSERT_EQ(run.process.exit_code, 0) << run.process.err;
  expect_all_exact(run.report, kCities.size());
  for (auto [variant, results] : results_by_variant(run.report)) {
    SCOPED_TRACE(variant);
    for (std::size_t i = 0; i < kCities.size(); ++i) {
      json result = results.at(fmt::format("c{}", i));
      EXPECT_EQ(result["extracted"], kCities[i]);
      const json output = json::parse(result["output"].get<std::string>(), nullptr, false);
      ASSERT_TRUE(output.is_object()) << result.dump();
      EXPECT_TRUE(output["content"].is_null()) << result.dump();
      ASSERT_EQ(output["tool_calls"].size(), 1u) << result.dump();
      EXPECT_EQ(output["tool_calls"][0]["name"], "get_weather");
      EXPECT_EQ(output["tool_calls"][0]["arguments"], json({{"city", kCities[i]}}));
    }
  }
}

// ---------------------------------------------------------------------------------------------
// 9. Pacing from rate-limit headers
// ---------------------------------------------------------------------------------------------

/// 20 cases at concurrency 1 against a stub that allows 5 requests per 500 ms window: the
/// engine must hold back until the reset the headers announce, so the stub never says 429.
void expect_paced(const std::string& type) {
  StubServer stub({"--ratelimit-requests", "5", "--ratelimit-window-ms", "500"});
  TempDir dir;
  const int cases = 20;
  dir.write("data.jsonl", to_jsonl(echo_rows(cases, "l")));
  const json provider = type == "openai"
                            ? openai_provider("api", stub.base_url(), {{"concurrency", 1}})
                            : anthropic_provider("api", stub.base_url(), {{"concurrency", 1}});
  EvalRun run =
      eval(dir, make_config(json::array({provider}), json::array({text_prompt()}), "text"));
  ASSERT_EQ(run.process.exit_code, 0) << run.process.err;
  expect_all_exact(run.report, cases);
  const json stats = stub.stats();
  EXPECT_EQ(stats["rate_limited"], 0) << stats.dump();
  EXPECT_EQ(stats["requests"], cases) << stats.dump();
  EXPECT_EQ(stats["by_status"], json({{"200", cases}})) << stats.dump();
  EXPECT_EQ(variant_of(run.report, "p/api")["retries"], 0);
}

TEST(ProvidersRateLimit, TheEnginePacesItselfFromOpenAiHeaders) {
  expect_paced("openai");
}

TEST(ProvidersRateLimit, TheEnginePacesItselfFromAnthropicHeaders) {
  expect_paced("anthropic");
}

// ---------------------------------------------------------------------------------------------
// 10. The cache replays ttft
// ---------------------------------------------------------------------------------------------

TEST(ProvidersCache, ACachedStreamedAnswerKeepsItsTtft) {
  StubServer stub({"--first-token-delay-ms", "60"});
  TempDir dir;
  const int cases = 10;
  dir.write("data.jsonl", to_jsonl(echo_rows(cases, "k")));
  const json providers =
      json::array({openai_provider("oa", stub.base_url(), {{"stream", true}}),
                   anthropic_provider("an", stub.base_url(), {{"stream", true}})});
  const json config =
      make_config(providers, json::array({text_prompt()}), "text", {"exact_match", "ttft"});
  const std::vector<std::string> args = {"--cache", "answers.db"};
  EvalRun first = eval(dir, config, args);
  ASSERT_EQ(first.process.exit_code, 0) << first.process.err;
  const int sent = stub.stats()["requests"].get<int>();
  EXPECT_EQ(sent, 2 * cases);
  EvalRun second = eval(dir, config, args);
  ASSERT_EQ(second.process.exit_code, 0) << second.process.err;
  EXPECT_EQ(stub.stats()["requests"], sent) << "the second run is answered from the cache";

  const ResultMap before = results_by_variant(first.report);
  const ResultMap after = results_by_variant(second.report);
  ASSERT_EQ(after.size(), 2u);
  for (auto [variant, results] : after) {
    SCOPED_TRACE(variant);
    EXPECT_EQ(variant_of(second.report, variant)["cache_hits"], cases);
    for (auto [case_id, result] : results) {
      json original = before.at(variant).at(case_id);
      EXPECT_EQ(original["cached"], false) << case_id;
      EXPECT_EQ(result["cached"], true) << case_id;
      ASSERT_TRUE(original.contains("ttft_ms")) << original.dump();
      ASSERT_TRUE(result.contains("ttft_ms")) << "the cache lost the ttft: " << result.dump();
      EXPECT_EQ(result["ttft_ms"], original["ttft_ms"]) << case_id;
      EXPECT_EQ(result["latency_ms"], original["latency_ms"]) << case_id;
      EXPECT_EQ(result["output"], original["output"]) << case_id;
      EXPECT_EQ(result["scores"], original["scores"]) << case_id;
    }
    EXPECT_EQ(variant_of(second.report, variant)["ttft_ms"],
              variant_of(first.report, variant)["ttft_ms"]);
  }
}

}  // namespace
}  // namespace providers_test
}  // namespace promptbench::testing
