// SPDX-License-Identifier: Apache-2.0
// Tests of the judge-verdict parsers and of the llm_judge metric's own side (its prompt and
// its parameters; the round trip through a judge endpoint is in tests/integration).
#include "metric/verdict.hpp"

#include <gtest/gtest.h>

#include "unit/metric/scoring.hpp"
#include "unit/temp_dir.hpp"

namespace promptbench {
namespace {

using nlohmann::json;

double score_of(std::string_view reply, double max_score = 10) {
  const auto value = parse_score_verdict(reply, max_score);
  EXPECT_TRUE(value.has_value()) << reply << ": " << value.error();
  return value.value_or(-1);
}

TEST(ScoreVerdict, ReadsTheCommonShapes) {
  EXPECT_EQ(score_of("Score: 7"), 7);
  EXPECT_EQ(score_of("The answer is mostly right.\n**Rating:** 8/10"), 8);
  EXPECT_EQ(score_of("I would give it a score of 6.5 out of 10."), 6.5);
  EXPECT_EQ(score_of("{\"score\": 3, \"reason\": \"vague\"}"), 3);
  EXPECT_EQ(score_of("```json\n{\"rating\": 9}\n```"), 9);
  EXPECT_EQ(score_of("7/10"), 7);
  EXPECT_EQ(score_of(" 8.\n"), 8);
}

TEST(ScoreVerdict, TakesTheLastLabelledScore) {
  // Judges reason first ("a score of 10 would need...") and conclude last.
  EXPECT_EQ(score_of("A score of 10 would need citations.\nFinal score: 6"), 6);
}

TEST(ScoreVerdict, RescalesAFractionOverAnotherScale) {
  EXPECT_EQ(score_of("Score: 4/5"), 8);
  EXPECT_EQ(score_of("4 out of 5", 5), 4);
}

TEST(ScoreVerdict, RefusesToGuess) {
  EXPECT_EQ(parse_score_verdict("It is a fine answer.", 10).error(),
            "the judge's reply holds no score: 'It is a fine answer.'");
  EXPECT_EQ(parse_score_verdict("Score: 12", 10).error(),
            "the judge's score 12 is outside 0..10: 'Score: 12'");
  EXPECT_EQ(parse_score_verdict("", 10).error(), "the judge's reply holds no score: ''");
  const std::string rambling(1000, 'x');
  EXPECT_EQ(parse_score_verdict(rambling, 10).error().size(),
            std::string("the judge's reply holds no score: ''").size() + 160 + 3);
}

TEST(PassFailVerdict, ReadsLabelsJsonAndLoneWords) {
  EXPECT_EQ(parse_pass_fail_verdict("Reasoning...\nVerdict: PASS").value(), true);
  EXPECT_EQ(parse_pass_fail_verdict("Result: **fail**").value(), false);
  EXPECT_EQ(parse_pass_fail_verdict("{\"pass\": false}").value(), false);
  EXPECT_EQ(parse_pass_fail_verdict("{\"verdict\": \"pass\"}").value(), true);
  EXPECT_EQ(parse_pass_fail_verdict("The answer passed every check.").value(), true);
  EXPECT_EQ(parse_pass_fail_verdict("Yes.").value(), true);
  EXPECT_EQ(parse_pass_fail_verdict("incorrect").value(), false);
  // Both words, but a label decides.
  EXPECT_EQ(parse_pass_fail_verdict("It would fail on dates, but overall\nVerdict: pass").value(),
            true);
}

TEST(PassFailVerdict, RefusesToGuess) {
  EXPECT_EQ(parse_pass_fail_verdict("Parts pass, parts fail.").error(),
            "the judge's reply says both pass and fail without a 'Verdict:': 'Parts pass, parts "
            "fail.'");
  EXPECT_EQ(parse_pass_fail_verdict("Looks reasonable").error(),
            "the judge's reply holds no pass/fail verdict: 'Looks reasonable'");
  // "passage" and "failure" are not verdicts.
  EXPECT_FALSE(parse_pass_fail_verdict("The passage has a failure mode").has_value());
}

const JudgedMetric& as_judged(const Metric& metric) {
  return dynamic_cast<const JudgedMetric&>(metric);
}

TEST(LlmJudgeMetric, RendersTheRubricWithTheCaseAndTheOutput) {
  const auto metric = testing::metric_named(
      "llm_judge", {{"judge", "grader"},
                    {"system", "You grade answers."},
                    {"rubric", "Q: {{q}}\nExpected: {{reference}}\nGot: {{output}}"}});
  EXPECT_EQ(as_judged(*metric).judge_id(), "grader");
  const std::string output = "Paris";
  const json reference = "paris";
  const json vars = {{"q", "Capital of France?"}};
  const Completion completion;
  const RenderedPrompt prompt = as_judged(*metric).judge_prompt(
      ScoreInput{output, output, reference, vars, completion, nullptr, "7"});
  ASSERT_EQ(prompt.messages.size(), 2u);
  EXPECT_EQ(prompt.messages[0].role, "system");
  EXPECT_EQ(prompt.messages[0].content, "You grade answers.");
  EXPECT_EQ(prompt.messages[1].content, "Q: Capital of France?\nExpected: paris\nGot: Paris");
}

TEST(LlmJudgeMetric, AppliesTheThresholdOrThePassFailVerdict) {
  const auto scored = testing::metric_named(
      "llm_judge", {{"judge", "g"}, {"rubric", "{{output}}"}, {"threshold", 7}});
  EXPECT_EQ(as_judged(*scored).verdict("Score: 7")->pass, true);
  EXPECT_EQ(as_judged(*scored).verdict("Score: 6")->pass, false);
  const auto graded = testing::metric_named(
      "llm_judge", {{"judge", "g"}, {"rubric", "{{output}}"}, {"format", "pass_fail"}});
  EXPECT_EQ(as_judged(*graded).verdict("FAIL")->value, 0);
  EXPECT_EQ(as_judged(*graded).verdict("PASS")->pass, true);
}

TEST(LlmJudgeMetric, ReadsTheRubricFromAFileBesideTheConfig) {
  testing::ScratchDir dir;
  dir.write("rubrics/r.mustache", "Rate {{output}}.");
  MetricConfig config =
      testing::metric_config("llm_judge", {{"judge", "g"}, {"rubric_file", "rubrics/r.mustache"}});
  config.base_dir = dir.path();
  const auto metric = make_metric(config);
  const std::string output = "it";
  const json null = nullptr;
  const json vars = json::object();
  const Completion completion;
  EXPECT_EQ(as_judged(*metric)
                .judge_prompt(ScoreInput{output, output, null, vars, completion, nullptr, "1"})
                .messages.at(0)
                .content,
            "Rate it.");
}

TEST(LlmJudgeMetric, ChecksItsParameters) {
  using testing::param_error;
  EXPECT_EQ(param_error("llm_judge", {{"rubric", "x"}}),
            "judge: missing required parameter 'judge' (a judges[] or providers[] id)");
  EXPECT_EQ(param_error("llm_judge", {{"judge", "g"}}),
            ": needs exactly one of 'rubric' (the text) or 'rubric_file' (a path)");
  EXPECT_EQ(param_error("llm_judge", {{"judge", "g"}, {"rubric", "x"}, {"rubric_file", "y"}}),
            "rubric_file: needs exactly one of 'rubric' (the text) or 'rubric_file' (a path)");
  EXPECT_EQ(param_error("llm_judge", {{"judge", "g"}, {"rubric", "x"}, {"format", "stars"}}),
            "format: expected score or pass_fail, got 'stars'");
  EXPECT_EQ(param_error("llm_judge", {{"judge", "g"}, {"rubric", "x"}, {"max_score", 0}}),
            "max_score: must be greater than 0");
  EXPECT_EQ(param_error("llm_judge", {{"judge", "g"}, {"rubric_file", "/nonexistent/r.txt"}}),
            "rubric_file: cannot read the rubric file '/nonexistent/r.txt'");
}

}  // namespace
}  // namespace promptbench
