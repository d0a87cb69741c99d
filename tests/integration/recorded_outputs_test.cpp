// SPDX-License-Identifier: Apache-2.0
// The `recorded` provider end to end: outputs produced elsewhere, scored to values the test
// computes by hand; a live run against the stub, re-scored from its own outputs, giving the
// same statistics and no difference in `compare`; and every way an outputs file can be wrong.

#include "support/harness.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace promptbench::testing {
namespace recorded_outputs_test {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

json read_json(const std::filesystem::path& path) {
  return json::parse(read_file(path));
}

/// Four cases whose labels are yes, no, yes, no.
constexpr const char* kFourCases = R"({"id": "g1", "label": "yes"}
{"id": "g2", "label": "no"}
{"id": "g3", "label": "yes"}
{"id": "g4", "label": "no"}
)";

/// One prompt on a recorded provider; exact_match as written and normalised, and latency.
constexpr const char* kRecordedConfig = R"yaml(name: recorded
providers:
  - {id: rec, type: recorded, path: outputs.jsonl}
prompts:
  - {id: p, template: "Is it {{label}}?"}
dataset: {path: data.jsonl, reference: label, id: id}
metrics:
  - exact_match
  - exact_match: {name: em_norm, normalize: [trim, lower]}
  - latency
@EXTRA@)yaml";

class RecordedOutputs : public ::testing::Test {
 protected:
  /// Writes the config (with `extra` appended), the four cases and `outputs`.
  void write(const std::string& outputs, const std::string& extra = "") {
    m_dir.write("promptbench.yaml", replace_all(kRecordedConfig, "@EXTRA@", extra));
    m_dir.write("data.jsonl", kFourCases);
    m_dir.write("outputs.jsonl", outputs);
  }

  ProcessResult eval(std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"eval", "promptbench.yaml", "-o", "report.json", "-q"};
    args.insert(args.end(), extra.begin(), extra.end());
    return promptbench(m_dir, args);
  }

  json report() const { return read_json(m_dir.path() / "report.json"); }

  TempDir m_dir;
};

// By hand: outputs yes, yes, "Yes ", no against yes, no, yes, no. exact_match as written
// matches g1 and g4 (0.5); normalised it also matches g3 (0.75). Latency: (10+20+30+40)/4.
constexpr const char* kKnownOutputs = R"({"id": "g1", "output": "yes", "latency_ms": 10}
{"id": "g2", "output": "yes", "latency_ms": 20}
{"id": "g3", "output": "Yes ", "latency_ms": 30, "usage": {"prompt_tokens": 5, "completion_tokens": 1}}
{"id": "g4", "output": "no", "latency_ms": 40}
)";

TEST_F(RecordedOutputs, ScoresRecordedOutputsToKnownValues) {
  write(kKnownOutputs);
  const ProcessResult result = eval();
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const json out = report();
  ASSERT_EQ(out["variants"].size(), 1u);
  const json& variant = out["variants"][0];
  EXPECT_EQ(variant["id"], "p/rec");
  EXPECT_DOUBLE_EQ(variant["metrics"]["exact_match"]["mean"].get<double>(), 0.5);
  EXPECT_DOUBLE_EQ(variant["metrics"]["em_norm"]["mean"].get<double>(), 0.75);
  EXPECT_DOUBLE_EQ(variant["metrics"]["latency"]["mean"].get<double>(), 25.0);
  EXPECT_EQ(variant["metrics"]["exact_match"]["n"], 4);
  EXPECT_EQ(variant["errors"], 0);
  const json& g3 = out["cases"][2]["results"][0];
  EXPECT_EQ(g3["output"], "Yes ");
  EXPECT_EQ(g3["cached"], false);
  EXPECT_EQ(g3["attempts"], 0);
  EXPECT_EQ(g3["usage"]["prompt_tokens"], 5);
  EXPECT_EQ(g3["usage"]["completion_tokens"], 1);
}

TEST_F(RecordedOutputs, GatesApplyToARecordedRun) {
  write(kKnownOutputs, "gates: [{metric: em_norm, min: 0.8}]\n");
  const ProcessResult failed = eval();
  EXPECT_EQ(failed.exit_code, 1) << failed.err;
  EXPECT_THAT(failed.err, HasSubstr("p/rec em_norm: mean 0.75 < min 0.8"));

  write(kKnownOutputs);
  const ProcessResult passed = eval({"--gate", "em_norm>=0.75", "--gate", "latency<=25"});
  EXPECT_EQ(passed.exit_code, 0) << passed.err;
  EXPECT_EQ(report()["gates"].size(), 2u);
}

TEST_F(RecordedOutputs, ACaseWithoutAnOutputIsAnErrorOnThatCase) {
  write(R"({"id": "g1", "output": "yes"}
{"id": "g2", "output": "no"}
{"id": "g4", "output": "no"}
)");
  const ProcessResult result = eval();
  EXPECT_EQ(result.exit_code, 3) << result.err;
  EXPECT_THAT(result.err, HasSubstr("1 of 4 requests failed (not_recorded: no recorded output for "
                                    "case 'g3' (prompt 'p') in outputs.jsonl)"));
  const json out = report();
  const json& g3 = out["cases"][2]["results"][0];
  EXPECT_EQ(g3["error"]["kind"], "not_recorded");
  EXPECT_EQ(g3["error"]["message"],
            "no recorded output for case 'g3' (prompt 'p') in outputs.jsonl");
  EXPECT_TRUE(g3["output"].is_null());
  // The other three are scored; the missing one is no 0 but an error.
  EXPECT_EQ(out["variants"][0]["metrics"]["exact_match"]["n"], 3);
  EXPECT_DOUBLE_EQ(out["variants"][0]["metrics"]["exact_match"]["mean"].get<double>(), 1.0);
  EXPECT_EQ(out["variants"][0]["errors"], 1);
}

TEST_F(RecordedOutputs, ALineWhoseIdIsInNoCaseExitsTwoNamingTheLine) {
  write(R"({"id": "g1", "output": "yes"}

{"id": "g9", "output": "no"}
)");
  const ProcessResult result = eval();
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_EQ(result.err,
            "promptbench: error: outputs.jsonl:3: id 'g9' names no case of data.jsonl\n");
  EXPECT_FALSE(std::filesystem::exists(m_dir.path() / "report.json"));
}

TEST_F(RecordedOutputs, AMalformedLineExitsTwoNamingTheLine) {
  write("{\"id\": \"g1\", \"output\": \"yes\"}\n{\"id\": \"g2\", \"output\": \"no\"\n");
  const ProcessResult malformed = eval();
  EXPECT_EQ(malformed.exit_code, 2);
  EXPECT_THAT(malformed.err,
              ::testing::StartsWith("promptbench: error: outputs.jsonl:2: malformed JSON: "));

  write("{\"id\": \"g1\", \"output\": 42}\n");
  const ProcessResult wrong_type = eval();
  EXPECT_EQ(wrong_type.exit_code, 2);
  EXPECT_EQ(wrong_type.err,
            "promptbench: error: outputs.jsonl:1: field \"output\" must be a string, got number\n");

  write("{\"id\": \"g1\", \"output\": \"yes\", \"prompt\": \"q\"}\n");
  const ProcessResult unknown_prompt = eval();
  EXPECT_EQ(unknown_prompt.exit_code, 2);
  EXPECT_EQ(unknown_prompt.err,
            "promptbench: error: outputs.jsonl:1: prompt 'q' names no prompt of the config\n");
}

TEST_F(RecordedOutputs, DryRunAndRenderSayNothingIsSent) {
  write(kKnownOutputs);
  const ProcessResult dry = promptbench(m_dir, {"eval", "promptbench.yaml", "--dry-run"});
  EXPECT_EQ(dry.exit_code, 0) << dry.err;
  EXPECT_THAT(dry.out, HasSubstr("dry run: 4 cases x 1 variant = 0 requests (1 variant recorded); "
                                 "nothing sent\n"));
  EXPECT_THAT(dry.out,
              HasSubstr("  p/rec  -> recorded outputs in outputs.jsonl (sends nothing)\n"));

  const ProcessResult render = promptbench(m_dir, {"render", "promptbench.yaml"});
  EXPECT_EQ(render.exit_code, 2);
  EXPECT_EQ(render.err,
            "promptbench: error: promptbench.yaml:3:5: providers[0]: provider 'rec' is recorded: "
            "it sends no request; its outputs come from outputs.jsonl\n");
}

// ---------------------------------------------------------------------------------------------
// A live run, then the same outputs recorded
// ---------------------------------------------------------------------------------------------

/// Two prompts on the stub, which echoes the user's message; exact_match, f1, latency, tokens
/// and cost. The recorded config differs only in its provider, which keeps the id `stub`, so
/// both reports have the variants plain/stub and chat/stub.
constexpr const char* kLiveConfig = R"yaml(name: live-or-recorded
providers:
  - @PROVIDER@
prompts:
  - id: plain
    template: "Question {{id}}. ANSWER={{answer}}"
    extract: {regex: "ANSWER=(.*)", group: 1}
  - id: chat
    messages:
      - {role: system, content: "Case {{id}}: repeat the user's text."}
      - {role: user, content: "{{answer}}"}
dataset: {path: data.jsonl, reference: label, id: id}
metrics:
  - exact_match: {normalize: [trim, lower]}
  - f1
  - latency
  - tokens
  - cost
)yaml";

std::string dataset_of(std::size_t count) {
  const std::vector<std::string> labels = {"red", "green", "blue"};
  std::string text;
  for (std::size_t i = 0; i < count; ++i) {
    const std::string& label = labels[i % labels.size()];
    // Every third answer is another label, every fifth is padded and upper-cased.
    std::string answer = i % 3 == 2 ? labels[(i + 1) % labels.size()] : label;
    if (i % 5 == 0) {
      answer = " " + std::string(1, static_cast<char>(answer[0] - 'a' + 'A')) + answer.substr(1);
    }
    text +=
        json{{"id", "c" + std::to_string(i)}, {"answer", answer}, {"label", label}}.dump() + "\n";
  }
  return text;
}

/// The outputs of a report as a recorded provider reads them: one line per result, naming
/// its prompt, with the latency and usage the live run measured.
std::string outputs_of(const json& report) {
  std::string text;
  for (const json& c : report.at("cases")) {
    for (const json& result : c.at("results")) {
      const std::string variant = result.at("variant");
      json line = {{"id", c.at("id")},
                   {"prompt", variant.substr(0, variant.find('/'))},
                   {"output", result.at("output")},
                   {"latency_ms", result.at("latency_ms")},
                   {"usage", result.at("usage")}};
      text += line.dump() + "\n";
    }
  }
  return text;
}

TEST(RecordedOutputsOfALiveRun, ScoreLikeTheLiveRunAndCompareFindsNoDifference) {
  TempDir dir;
  StubServer stub;
  const std::string pricing = "pricing: {prompt: 1.5, completion: 4}";
  dir.write("data.jsonl", dataset_of(60));
  dir.write("live.yaml", replace_all(kLiveConfig, "@PROVIDER@",
                                     "{id: stub, base_url: " + stub.base_url() +
                                         ", model: echo-model, " + pricing + "}"));
  dir.write("recorded.yaml",
            replace_all(kLiveConfig, "@PROVIDER@",
                        "{id: stub, type: recorded, path: out/outputs.jsonl, " + pricing + "}"));

  const ProcessResult live = promptbench(dir, {"eval", "live.yaml", "-o", "live.json", "-q"});
  ASSERT_EQ(live.exit_code, 0) << live.err;
  const json live_report = read_json(dir.path() / "live.json");
  EXPECT_EQ(stub.stats()["requests"], 120);
  dir.write("out/outputs.jsonl", outputs_of(live_report));

  const ProcessResult recorded =
      promptbench(dir, {"eval", "recorded.yaml", "-o", "recorded.json", "-q", "--no-cache"});
  ASSERT_EQ(recorded.exit_code, 0) << recorded.err;
  EXPECT_EQ(stub.stats()["requests"], 120) << "a recorded run sent a request";
  const json recorded_report = read_json(dir.path() / "recorded.json");

  // Every variant: the same statistics of every metric, latency percentiles, tokens and cost;
  // only the model (a recorded provider names none) and the attempts (nothing was sent) differ.
  ASSERT_EQ(recorded_report["variants"].size(), 2u);
  for (std::size_t v = 0; v < 2; ++v) {
    json want = live_report["variants"][v];
    json got = recorded_report["variants"][v];
    SCOPED_TRACE(want["id"].get<std::string>());
    EXPECT_EQ(got["metrics"], want["metrics"]);
    EXPECT_EQ(got["attempts"], 0);
    for (json* variant : {&want, &got}) {
      variant->erase("model");
      variant->erase("attempts");
    }
    EXPECT_EQ(got, want);
  }
  // Case by case, the same scores.
  for (std::size_t i = 0; i < 60; ++i) {
    for (std::size_t r = 0; r < 2; ++r) {
      EXPECT_EQ(recorded_report["cases"][i]["results"][r]["scores"],
                live_report["cases"][i]["results"][r]["scores"])
          << "case " << i;
    }
  }
  // The live run's comparisons (chat against plain) are the recorded run's too.
  EXPECT_EQ(recorded_report["comparisons"], live_report["comparisons"]);

  const ProcessResult compared = promptbench(
      dir, {"compare", "live.json", "recorded.json", "--fail-on-regression", "--format", "json"});
  ASSERT_EQ(compared.exit_code, 0) << compared.err;
  const json comparison = json::parse(compared.out);
  EXPECT_EQ(comparison["regression"], false);
  EXPECT_EQ(comparison["overlap"]["common"], 60);
  ASSERT_EQ(comparison["comparisons"].size(), 10u);  // 2 variants x 5 metrics
  for (const json& c : comparison["comparisons"]) {
    SCOPED_TRACE(c.dump());
    EXPECT_EQ(c["verdict"], "no_significant_difference");
    EXPECT_DOUBLE_EQ(c["mean_diff"].get<double>(), 0.0);
  }
}

}  // namespace
}  // namespace recorded_outputs_test
}  // namespace promptbench::testing
