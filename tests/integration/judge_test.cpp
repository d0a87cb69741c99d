// SPDX-License-Identifier: Apache-2.0
// llm_judge and command metrics through the real binary. The stub runs in echo mode, so the
// model's output is the case's text and the judge's reply is the rendered rubric itself:
// the verdict a test expects follows from the data it wrote, through every stage (rubric
// rendering, the judge request, parsing, the report).

#include <sys/stat.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include "support/harness.hpp"

namespace promptbench::testing {
namespace judge_test {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

std::string judge_config(const StubServer& stub, const std::string& metrics) {
  return "name: judged\n"
         "providers:\n"
         "  - {id: model, base_url: \"" +
         stub.base_url() +
         "\", model: m}\n"
         "judges:\n"
         "  - {id: grader, base_url: \"" +
         stub.base_url() +
         "\", model: judge-model}\n"
         "prompts:\n"
         "  - {id: echo, template: \"{{text}}\"}\n"
         "dataset: {path: cases.jsonl, reference: label, id: id}\n"
         "metrics:\n" +
         metrics;
}

// The output is the text; the rubric quotes it last, so the judge's (echoed) reply ends with
// the output's own "Score: N" -- or holds no score at all.
constexpr const char* kCases =
    R"({"id": "a", "text": "Score: 9", "label": "x"}
{"id": "b", "text": "Score: 4", "label": "y"}
{"id": "c", "text": "I cannot rate this", "label": "z"}
{"id": "d", "text": "Score: 7/10", "label": "w"}
)";

constexpr const char* kScoreJudge =
    "  - llm_judge:\n"
    "      judge: grader\n"
    "      threshold: 7\n"
    "      rubric: \"Reference: {{reference}}. Rate the answer from 0 to 10.\\nAnswer: "
    "{{output}}\"\n";

json result_of(const json& report, const std::string& id) {
  for (const json& c : report.at("cases")) {
    if (c.at("id") == id) {
      return c.at("results").at(0);
    }
  }
  ADD_FAILURE() << "no case " << id;
  return json::object();
}

TEST(LlmJudge, ScoresEachOutputThroughTheJudgeAndKeepsPromptAndReply) {
  StubServer stub;
  TempDir dir;
  dir.write("promptbench.yaml", judge_config(stub, kScoreJudge));
  dir.write("cases.jsonl", kCases);
  const ProcessResult result = promptbench(dir, {"eval", "-o", "report.json", "-q"});
  // Case c's verdict is unreadable: a failure of the judge, so the run fails (exit 3).
  ASSERT_EQ(result.exit_code, 3) << result.err;
  EXPECT_THAT(result.err, HasSubstr("promptbench: error: 1 of 4 judge requests failed "
                                    "(unreadable_verdict: the judge's reply holds no score"));
  EXPECT_THAT(result.err, HasSubstr("); first: case c, variant echo/model, judge grader\n"));
  // One request per case for the model and one per answered case for the judge.
  EXPECT_EQ(stub.stats()["requests"], 8);

  const json report = json::parse(read_file(dir.path() / "report.json"));
  const json a = result_of(report, "a");
  EXPECT_EQ(a["scores"]["llm_judge"], 9);
  EXPECT_EQ(a["pass"]["llm_judge"], true);
  const json& audit = a["details"]["llm_judge"];
  EXPECT_EQ(audit["judge"], "grader");
  ASSERT_EQ(audit["prompt"].size(), 1u);
  EXPECT_EQ(audit["prompt"][0]["role"], "user");
  EXPECT_EQ(audit["prompt"][0]["content"],
            "Reference: x. Rate the answer from 0 to 10.\nAnswer: Score: 9");
  EXPECT_EQ(audit["reply"], audit["prompt"][0]["content"]);  // the stub echoes

  EXPECT_EQ(result_of(report, "b")["pass"]["llm_judge"], false);
  EXPECT_EQ(result_of(report, "d")["scores"]["llm_judge"], 7);
  // An unreadable verdict is an error on the case, never a zero.
  const json c = result_of(report, "c");
  EXPECT_FALSE(c["scores"].contains("llm_judge"));
  EXPECT_THAT(c["score_errors"]["llm_judge"].get<std::string>(),
              HasSubstr("the judge's reply holds no score"));
  const json& summary = report["variants"][0]["metrics"]["llm_judge"];
  EXPECT_EQ(summary["n"], 3);
  EXPECT_DOUBLE_EQ(summary["mean"].get<double>(), (9.0 + 4.0 + 7.0) / 3.0);
}

TEST(LlmJudge, JudgeRepliesComeFromTheCacheOnARerun) {
  StubServer stub;
  TempDir dir;
  dir.write("promptbench.yaml", judge_config(stub, kScoreJudge));
  dir.write("cases.jsonl", kCases);
  ASSERT_EQ(promptbench(dir, {"eval", "-o", "first.json", "-q"}).exit_code, 3);  // case c
  const int first = stub.stats()["requests"];
  const ProcessResult again = promptbench(dir, {"eval", "-o", "second.json", "-q"});
  ASSERT_EQ(again.exit_code, 3) << again.err;
  EXPECT_EQ(stub.stats()["requests"], first);
  const json report = json::parse(read_file(dir.path() / "second.json"));
  EXPECT_EQ(result_of(report, "a")["details"]["llm_judge"]["cached"], true);
  EXPECT_EQ(result_of(report, "a")["scores"]["llm_judge"], 9);
}

TEST(LlmJudge, PassFailVerdicts) {
  StubServer stub;
  TempDir dir;
  dir.write("promptbench.yaml",
            judge_config(stub,
                         "  - llm_judge: {judge: grader, format: pass_fail, rubric: \"Grade: "
                         "{{output}}\"}\n"));
  dir.write("cases.jsonl", R"({"id": "1", "text": "Verdict: PASS", "label": "x"}
{"id": "2", "text": "Verdict: fail", "label": "x"}
)");
  const ProcessResult result = promptbench(dir, {"eval", "-o", "report.json", "-q"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const json report = json::parse(read_file(dir.path() / "report.json"));
  EXPECT_EQ(result_of(report, "1")["pass"]["llm_judge"], true);
  EXPECT_EQ(result_of(report, "2")["scores"]["llm_judge"], 0);
  EXPECT_DOUBLE_EQ(report["variants"][0]["metrics"]["llm_judge"]["mean"].get<double>(), 0.5);
}

TEST(LlmJudge, ARubricVariableTheCaseLacksStopsTheRunBeforeAnyRequest) {
  StubServer stub;
  TempDir dir;
  dir.write("promptbench.yaml",
            judge_config(stub, "  - llm_judge: {judge: grader, rubric: \"{{question}}\"}\n"));
  dir.write("cases.jsonl", kCases);
  const ProcessResult result = promptbench(dir, {"eval", "-o", "report.json", "-q"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_THAT(result.err, HasSubstr("prompt 'llm_judge rubric': case 'a' has no variable "
                                    "'question'"));
  EXPECT_EQ(stub.stats()["requests"], 0);
}

TEST(LlmJudge, AnUnknownJudgeIsALocatedConfigError) {
  StubServer stub;
  TempDir dir;
  dir.write("promptbench.yaml",
            judge_config(stub, "  - llm_judge: {judge: gradr, rubric: \"{{output}}\"}\n"));
  dir.write("cases.jsonl", kCases);
  const ProcessResult result = promptbench(dir, {"validate"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_EQ(result.err,
            "promptbench: error: promptbench.yaml:10:17: metrics[0].llm_judge.judge: 'gradr' "
            "names no entry of judges or providers (did you mean 'grader'?)\n");
}

TEST(CommandScorer, ScoresThroughALongLivedProcessAndRecordsItsFailures) {
  StubServer stub;
  TempDir dir;
  // Scores 1 when the output starts with "yes"; crashes on "crash"; counts its requests to
  // show that one process served the cases before the crash (-j 1 keeps them in order).
  const auto script = dir.write("scorer.sh", R"(#!/bin/sh
n=0
while IFS= read -r line; do
  n=$((n + 1))
  case "$line" in
    *'"output":"crash"'*) exit 9 ;;
    *'"output":"yes'*) echo "{\"score\": 1, \"reason\": \"request $n\"}" ;;
    *) echo "{\"score\": 0, \"reason\": \"request $n\"}" ;;
  esac
done
)");
  ::chmod(script.c_str(), 0755);
  dir.write("promptbench.yaml",
            judge_config(stub, "  - command: {run: ./scorer.sh, timeout: 5s, name: scorer}\n"));
  // Distinct texts: two equal requests would be one (the second answered from the cache).
  dir.write("cases.jsonl", R"({"id": "1", "text": "yes 1", "label": "x"}
{"id": "2", "text": "no 2", "label": "x"}
{"id": "3", "text": "crash", "label": "x"}
{"id": "4", "text": "yes 4", "label": "x"}
)");
  const ProcessResult result = promptbench(dir, {"eval", "-o", "report.json", "-q", "-j", "1"});
  // The crash is a failure of the run's machinery: reported, and exit 3.
  ASSERT_EQ(result.exit_code, 3) << result.err;
  EXPECT_THAT(result.err, HasSubstr("promptbench: error: 1 of 4 scorer calls failed (scorer: the "
                                    "scorer exited with status 9 before replying); first: case "
                                    "3, variant echo/model, metric scorer\n"));
  const json report = json::parse(read_file(dir.path() / "report.json"));
  EXPECT_EQ(result_of(report, "1")["scores"]["scorer"], 1);
  EXPECT_EQ(result_of(report, "2")["scores"]["scorer"], 0);
  EXPECT_EQ(result_of(report, "2")["details"]["scorer"]["reason"], "request 2");
  EXPECT_EQ(result_of(report, "3")["score_errors"]["scorer"],
            "the scorer exited with status 9 before replying");
  // A fresh scorer after the crash: its first request.
  EXPECT_EQ(result_of(report, "4")["details"]["scorer"]["reason"], "request 1");
  EXPECT_EQ(report["variants"][0]["metrics"]["scorer"]["n"], 3);
}

}  // namespace
}  // namespace judge_test
}  // namespace promptbench::testing

namespace promptbench::testing {
namespace judge_test {
namespace {

// sacrebleu's README example (test/test_bleu.py test_corpus_bleu_cases): corpus BLEU 48.530827
// over three segments with two references each. The stub echoes each hypothesis.
TEST(CorpusBleu, TheVariantSummaryHasSacrebleusCorpusScore) {
  StubServer stub;
  TempDir dir;
  dir.write("promptbench.yaml", "providers: [{id: model, base_url: \"" + stub.base_url() +
                                    "\", model: m}]\n"
                                    "prompts: [{id: echo, template: \"{{text}}\"}]\n"
                                    "dataset: {path: cases.jsonl, reference: refs}\n"
                                    "metrics: [bleu]\n");
  dir.write(
      "cases.jsonl",
      R"({"text": "The dog bit the man.", "refs": ["The dog bit the man.", "The dog had bit the man."]}
{"text": "It wasn't surprising.", "refs": ["It was not unexpected.", "No one was surprised."]}
{"text": "The man had just bitten him.", "refs": ["The man bit him first.", "The man had bitten the dog."]}
)");
  const ProcessResult result = promptbench(dir, {"eval", "-o", "report.json", "-q"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const json report = json::parse(read_file(dir.path() / "report.json"));
  const json& bleu = report["variants"][0]["metrics"]["bleu"];
  EXPECT_NEAR(bleu["corpus"].get<double>(), 48.530827, 1e-6);
  // The mean of the sentence scores is a different figure.
  EXPECT_GT(std::abs(bleu["mean"].get<double>() - 48.530827), 0.5);
}

}  // namespace
}  // namespace judge_test
}  // namespace promptbench::testing

namespace promptbench::testing {
namespace judge_test {
namespace {

// The documented example scorer (docs/SCORERS.md) through the real binary.
TEST(ExampleScorer, KeywordRecallScoresTheShareOfReferenceWords) {
  if (run_process({"/bin/sh", "-c", "command -v python3"}).exit_code != 0) {
    GTEST_SKIP() << "python3 is not installed; the example scorer is a Python script";
  }
  StubServer stub;
  TempDir dir;
  const std::string scorer =
      std::string(PROMPTBENCH_SOURCE_DIR) + "/examples/scorers/keyword_recall.py";
  dir.write("promptbench.yaml", "providers: [{id: model, base_url: \"" + stub.base_url() +
                                    "\", model: m}]\n"
                                    "prompts: [{id: echo, template: \"{{text}}\"}]\n"
                                    "dataset: {path: cases.jsonl, reference: label, id: id}\n"
                                    "metrics:\n"
                                    "  - command: {run: [python3, \"" +
                                    scorer + "\"], name: recall}\n");
  dir.write("cases.jsonl", R"({"id": "all", "text": "Paris is in France", "label": "Paris, France"}
{"id": "half", "text": "Lyon is in France", "label": "Paris, France"}
{"id": "none", "text": "no idea", "label": "Paris, France"}
)");
  const ProcessResult result = promptbench(dir, {"eval", "-o", "report.json", "-q"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const json report = json::parse(read_file(dir.path() / "report.json"));
  EXPECT_EQ(result_of(report, "all")["scores"]["recall"], 1.0);
  EXPECT_EQ(result_of(report, "half")["scores"]["recall"], 0.5);
  EXPECT_EQ(result_of(report, "half")["pass"]["recall"], true);
  EXPECT_EQ(result_of(report, "half")["details"]["recall"]["reason"], "missing: paris");
  EXPECT_EQ(result_of(report, "none")["pass"]["recall"], false);
}

}  // namespace
}  // namespace judge_test
}  // namespace promptbench::testing
