// SPDX-License-Identifier: Apache-2.0
// A reference per metric (`reference: FIELD`), end to end against the stub: one dataset holds
// the answer for exact_match, keywords for contains and a number for numeric; each is scored
// against its own field, the report and the comparisons name the field, a merge of shards
// names it the same way, a row lacking a field stops the run before anything is sent, and a
// bad `reference:` is exit 2 at its file:line:col.

#include "support/harness.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <map>
#include <string>
#include <vector>

namespace promptbench::testing {
namespace metric_reference_test {
namespace {

using nlohmann::json;
using nlohmann::ordered_json;
using ::testing::HasSubstr;

// The stub echoes the last user turn, so each output is the row's `answer`. `label` is the
// dataset's reference (exact_match), `keywords` contains' and `n` numeric's.
constexpr const char* kRows =
    R"({"id": "a", "answer": "42 apples", "label": "42 apples", "keywords": ["apple"], "n": 42}
{"id": "b", "answer": "7 pears", "label": "seven pears", "keywords": ["pear", "fig"], "n": 8}
{"id": "c", "answer": "3 plums", "label": "3 plums", "keywords": "cherry", "n": "3"}
{"id": "d", "answer": "10 figs", "label": "ten", "keywords": ["FIGS"], "n": 10.0}
)";

// Two prompts with the same output (the system turn is not echoed), so there are comparisons.
constexpr const char* kConfig = R"(providers:
  - {id: stub, base_url: @URL@, model: m, retries: 0}
prompts:
  - {id: plain, template: "{{answer}}"}
  - id: chat
    messages:
      - {role: system, content: "Repeat the text."}
      - {role: user, content: "{{answer}}"}
dataset: {path: data.jsonl, reference: label, id: id}
metrics:
  - exact_match
  - contains: {reference: keywords}
  - numeric: {reference: n, name: count}
)";

struct Expected {
  int exact_match;
  int contains;
  int count;
};

const std::map<std::string, Expected> kExpected = {
    {"a", {1, 1, 1}}, {"b", {0, 1, 0}}, {"c", {1, 0, 1}}, {"d", {0, 1, 1}}};

std::string config_for(const StubServer& stub) {
  return replace_all(kConfig, "@URL@", stub.base_url());
}

ordered_json read_ordered(const std::filesystem::path& path) {
  return ordered_json::parse(read_file(path));
}

std::vector<std::string> keys_of(const ordered_json& object) {
  std::vector<std::string> keys;
  for (const auto& [key, value] : object.items()) {
    keys.push_back(key);
  }
  return keys;
}

TEST(MetricReference, ScoresEachMetricAgainstItsOwnFieldAndNamesItInTheReport) {
  StubServer stub;
  TempDir dir;
  dir.write("data.jsonl", kRows);
  dir.write("promptbench.yaml", config_for(stub));
  const ProcessResult run = promptbench(dir, {"eval", "-o", "report.json", "--no-cache", "-q"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(stub.stats()["requests"], 8);

  const ordered_json report = read_ordered(dir.path() / "report.json");
  ASSERT_EQ(report["cases"].size(), 4u);
  for (const auto& report_case : report["cases"]) {
    const Expected& expected = kExpected.at(report_case["id"].get<std::string>());
    for (const auto& result : report_case["results"]) {
      SCOPED_TRACE(report_case["id"].get<std::string>() + " " +
                   result["variant"].get<std::string>());
      EXPECT_EQ(result["scores"]["exact_match"], expected.exact_match);
      EXPECT_EQ(result["scores"]["contains"], expected.contains);
      EXPECT_EQ(result["scores"]["count"], expected.count);
    }
  }
  ASSERT_EQ(report["variants"].size(), 2u);
  for (const auto& variant : report["variants"]) {
    const auto& metrics = variant["metrics"];
    EXPECT_EQ(metrics["exact_match"]["mean"], 0.5);
    EXPECT_EQ(metrics["contains"]["mean"], 0.75);
    EXPECT_EQ(metrics["count"]["mean"], 0.75);
    EXPECT_FALSE(metrics["exact_match"].contains("reference"));  // the dataset's: not named
    EXPECT_EQ(metrics["contains"]["reference"], "keywords");
    EXPECT_EQ(metrics["count"]["reference"], "n");
  }
  // One comparison per metric; the field follows the metric's name.
  ASSERT_EQ(report["comparisons"].size(), 3u);
  std::map<std::string, ordered_json> comparisons;
  for (const auto& comparison : report["comparisons"]) {
    comparisons[comparison["metric"].get<std::string>()] = comparison;
  }
  EXPECT_FALSE(comparisons["exact_match"].contains("reference"));
  EXPECT_EQ(comparisons["contains"]["reference"], "keywords");
  EXPECT_EQ(comparisons["count"]["reference"], "n");
  const std::vector<std::string> keys = keys_of(comparisons["contains"]);
  ASSERT_GE(keys.size(), 3u);
  EXPECT_EQ(keys[0], "metric");
  EXPECT_EQ(keys[1], "reference");
  EXPECT_EQ(keys[2], "baseline");

  // compare names the field in its table too.
  const ProcessResult compared = promptbench(dir, {"compare", "report.json", "report.json"});
  ASSERT_EQ(compared.exit_code, 0) << compared.err;
  EXPECT_THAT(compared.out, HasSubstr("contains (keywords)"));
  EXPECT_THAT(compared.out, HasSubstr("count (n)"));
}

TEST(MetricReference, AMergeOfShardsNamesTheFieldsAsTheSingleRunDoes) {
  StubServer stub;
  TempDir dir;
  dir.write("data.jsonl", kRows);
  dir.write("promptbench.yaml", config_for(stub));
  const ProcessResult whole = promptbench(dir, {"eval", "-o", "whole.json", "-q"});
  ASSERT_EQ(whole.exit_code, 0) << whole.err;
  for (const char* shard : {"0", "1"}) {
    const ProcessResult part = promptbench(dir, {"eval", "--shard", std::string(shard) + "/2", "-o",
                                                 std::string(shard) + ".json", "-q"});
    ASSERT_EQ(part.exit_code, 0) << part.err;
  }
  const ProcessResult merged =
      promptbench(dir, {"merge", "0.json", "1.json", "-o", "m.json", "-q"});
  ASSERT_EQ(merged.exit_code, 0) << merged.err;
  // The merge recomputes the summary from the cases under the plan the parts' heads record;
  // eval wrote its own from the run: the two agree byte for byte.
  const ordered_json single = read_ordered(dir.path() / "whole.json");
  const ordered_json combined = read_ordered(dir.path() / "m.json");
  ASSERT_EQ(combined["variants"].size(), single["variants"].size());
  for (std::size_t v = 0; v < single["variants"].size(); ++v) {
    // Latencies and cache hits differ between the runs; the metrics may not.
    EXPECT_EQ(combined["variants"][v]["metrics"].dump(), single["variants"][v]["metrics"].dump());
  }
  EXPECT_EQ(combined["comparisons"].dump(), single["comparisons"].dump());
  EXPECT_EQ(combined["variants"][0]["metrics"]["contains"]["reference"], "keywords");
}

TEST(MetricReference, ARowWithoutAMetricsFieldStopsTheRunBeforeAnythingIsSent) {
  StubServer stub;
  TempDir dir;
  dir.write(
      "data.jsonl",
      std::string(kRows) + R"({"id": "e", "answer": "1 kiwi", "label": "1 kiwi", "n": 1})" + "\n");
  dir.write("promptbench.yaml", config_for(stub));
  const ProcessResult run = promptbench(dir, {"eval", "-o", "report.json", "--no-cache"});
  EXPECT_EQ(run.exit_code, 2) << run.err;
  EXPECT_EQ(run.err,
            "promptbench: error: data.jsonl:5: case 'e': missing field \"keywords\", the reference "
            "of metric 'contains'\n");
  EXPECT_EQ(stub.stats()["requests"], 0);
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "report.json"));

  dir.write("data.jsonl", std::string(kRows) +
                              R"({"id": "e", "answer": "1 kiwi", "label": "1 kiwi", )"
                              R"("keywords": "kiwi", "n": null})" +
                              "\n");
  const ProcessResult null_field = promptbench(dir, {"eval", "-o", "report.json", "--no-cache"});
  EXPECT_EQ(null_field.exit_code, 2) << null_field.err;
  EXPECT_EQ(null_field.err,
            "promptbench: error: data.jsonl:5: case 'e': field \"n\", the reference of metric "
            "'count', is null\n");
  EXPECT_EQ(stub.stats()["requests"], 0);
}

TEST(MetricReference, ABadReferenceValueIsExit2AtItsLocation) {
  TempDir dir;
  dir.write("data.jsonl", kRows);
  const std::string base = replace_all(kConfig, "@URL@", "http://127.0.0.1:9/v1");
  for (const auto& [value, message] : std::vector<std::pair<std::string, std::string>>{
           {"42", "expected a dataset field's name (a string), got number"},
           {"\"\"", "expected a dataset field's name, got an empty string"},
           {"[a, b]", "expected a dataset field's name (a string), got list"}}) {
    SCOPED_TRACE(value);
    dir.write("promptbench.yaml", replace_all(base, "contains: {reference: keywords}",
                                              "contains: {reference: " + value + "}"));
    const ProcessResult result = promptbench(dir, {"validate"});
    EXPECT_EQ(result.exit_code, 2) << result.err;
    EXPECT_EQ(result.err,
              "promptbench: error: promptbench.yaml:12:16: "
              "metrics[1].contains.reference: " +
                  message + "\n");
  }
}

}  // namespace
}  // namespace metric_reference_test
}  // namespace promptbench::testing
