// SPDX-License-Identifier: Apache-2.0
// `promptbench compare` on reports the test writes itself, with differences whose
// significance is known exactly (McNemar's discordant counts), and every exit code.

#include "support/harness.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <string>
#include <vector>

namespace promptbench::testing {
namespace compare_test {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

/// A report with one variant `variant` and metrics exact_match (0/1, pass flags) and f1;
/// cases "q<first>".."q<first+n-1>"; `fails(i)` says which cases fail exact_match.
template <typename Fails>
json make_report(const std::string& variant, std::size_t n, Fails fails, std::size_t first = 0) {
  json cases = json::array();
  for (std::size_t i = first; i < first + n; ++i) {
    const bool failed = fails(i);
    const double em = failed ? 0.0 : 1.0;
    const double f1 = failed ? 0.25 : 0.75 + 0.01 * static_cast<double>(i % 7);
    cases.push_back({{"id", "q" + std::to_string(i)},
                     {"vars", {{"question", "?"}}},
                     {"reference", "yes"},
                     {"results",
                      {{{"variant", variant},
                        {"output", failed ? "no" : "yes"},
                        {"extracted", failed ? "no" : "yes"},
                        {"scores", {{"exact_match", em}, {"f1", f1}}},
                        {"pass", {{"exact_match", !failed}}},
                        {"latency_ms", 10.0},
                        {"cached", false},
                        {"usage", nullptr},
                        {"error", nullptr}}}}});
  }
  return {{"schema_version", 1},
          {"tool", {{"name", "promptbench"}, {"version", "0.1.0"}}},
          {"run", {{"name", "crafted"}, {"complete", true}, {"repeat", 1}}},
          {"variants",
           {{{"id", variant},
             {"prompt", "p"},
             {"provider", "stub"},
             {"model", "m"},
             {"cases", n},
             {"errors", 0},
             {"metrics",
              {{"exact_match", {{"n", n}, {"higher_is_better", true}}},
               {"f1", {{"n", n}, {"higher_is_better", true}}}}}}}},
          {"comparisons", json::array()},
          {"gates", json::array()},
          {"cases", cases}};
}

const auto kNone = [](std::size_t) { return false; };

class Compare : public ::testing::Test {
 protected:
  void SetUp() override {
    // 60 cases. The significant candidate fails 20 cases the base passes (b = 20, c = 0:
    // p = 2^-19); the noisy one fails 2 and fixes 1 (b = 2, c = 1: p = 1).
    m_dir.write("base.json",
                make_report("qa/stub", 60, [](std::size_t i) { return i == 59; }).dump(2));
    m_dir.write("worse.json",
                make_report("qa/stub", 60, [](std::size_t i) { return i < 20 || i == 59; }).dump());
    m_dir.write("noisy.json",
                make_report("qa/stub", 60, [](std::size_t i) { return i < 2; }).dump());
  }

  ProcessResult run(const std::vector<std::string>& args) { return promptbench(m_dir, args); }

  TempDir m_dir;
};

TEST_F(Compare, SignificantRegressionFailsWithFailOnRegression) {
  const ProcessResult result = run(
      {"compare", "base.json", "worse.json", "--metric", "exact_match", "--fail-on-regression"});
  EXPECT_EQ(result.exit_code, 1) << result.err;
  EXPECT_THAT(result.out, HasSubstr("overlap:   60 cases in both, 0 only in base.json, 0 only in "
                                    "worse.json\n"));
  EXPECT_THAT(result.out, HasSubstr("exact_match  qa/stub   qa/stub    60  -0.3333"));
  EXPECT_THAT(result.out, HasSubstr("mcnemar_exact  <0.0001  <0.0001   worse\n"));
  EXPECT_THAT(result.err,
              ::testing::StartsWith("promptbench: regression: exact_match qa/stub -> qa/stub: mean "
                                    "-0.3333 (95% CI ["));
}

TEST_F(Compare, RegressionWithoutTheFlagExitsZero) {
  const ProcessResult result = run({"compare", "base.json", "worse.json"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(result.out, HasSubstr("2 worse, 0 better, 0 no significant difference"));
  EXPECT_EQ(result.err, "");
}

TEST_F(Compare, NoiseIsNoSignificantDifferenceAndPasses) {
  const ProcessResult result =
      run({"compare", "base.json", "noisy.json", "--fail-on-regression", "--format", "json"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  const json out = json::parse(result.out);
  EXPECT_EQ(out["regression"], false);
  ASSERT_EQ(out["comparisons"].size(), 2u);
  const json& em = out["comparisons"][0];
  EXPECT_EQ(em["metric"], "exact_match");
  EXPECT_EQ(em["baseline"], "qa/stub");
  EXPECT_EQ(em["variant"], "qa/stub");
  EXPECT_EQ(em["n"], 60);
  EXPECT_EQ(em["test"], "mcnemar_exact");
  EXPECT_DOUBLE_EQ(em["p_value"].get<double>(), 1.0);
  EXPECT_EQ(em["verdict"], "no_significant_difference");
  for (const char* key : {"mean_diff", "ci95", "p_adjusted"}) {
    EXPECT_TRUE(em.contains(key)) << key;
  }
  EXPECT_EQ(out["comparisons"][1]["test"], "permutation");
}

TEST_F(Compare, MinEffectLargerThanTheDropPasses) {
  const ProcessResult result = run({"compare", "base.json", "worse.json", "--metric", "exact_match",
                                    "--fail-on-regression", "--min-effect", "0.5"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(result.out, HasSubstr("no significant difference\n"));
}

TEST_F(Compare, MarkdownHasTheComparisonTable) {
  const ProcessResult result =
      run({"compare", "base.json", "worse.json", "--metric", "exact_match", "--format", "md"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(result.out, ::testing::StartsWith("### promptbench compare\n\n"));
  EXPECT_THAT(result.out, HasSubstr("| metric | baseline | variant | n | Δ mean | 95% CI |"));
  EXPECT_THAT(result.out, HasSubstr("| exact_match | qa/stub | qa/stub | 60 | -0.3333 |"));
  EXPECT_THAT(result.out, HasSubstr("| ❌ worse |\n"));
}

TEST_F(Compare, MismatchedCaseSetsReportTheOverlap) {
  // Cases q30..q89 against q0..q59: 30 in common, half of either report.
  m_dir.write("shifted.json", make_report("qa/stub", 60, kNone, 30).dump());
  const ProcessResult result = run({"compare", "base.json", "shifted.json"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(result.out, HasSubstr("overlap:   30 cases in both, 30 only in base.json, 30 only "
                                    "in shifted.json\n"));
  EXPECT_THAT(result.out, HasSubstr("\nexact_match  qa/stub   qa/stub    30  "));
}

TEST_F(Compare, OverlapBelowTheMinimumIsRefused) {
  m_dir.write("shifted.json", make_report("qa/stub", 60, kNone, 45).dump());
  ProcessResult result = run({"compare", "base.json", "shifted.json"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_EQ(result.out, "");
  EXPECT_EQ(result.err,
            "promptbench: error: base.json and shifted.json have 15 cases in common (45 only in "
            "base.json, 45 only in shifted.json); at least 50% of the smaller report's 60 cases "
            "must be in both (--min-overlap 0.5) for a paired comparison\n");
  result = run({"compare", "base.json", "shifted.json", "--min-overlap", "0.25"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
}

TEST_F(Compare, VariantsWithDifferentIdsArePairedAsTold) {
  json two = make_report("qa/stub", 60, kNone);
  two["variants"].push_back(two["variants"][0]);
  two["variants"][1]["id"] = "qa/other";
  m_dir.write("two.json", two.dump());
  ProcessResult result = run({"compare", "base.json", "two.json", "--variant", "qa/stub:qa/othr"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_EQ(result.err,
            "promptbench: error: --variant qa/stub:qa/othr: two.json has no variant 'qa/othr' "
            "(did you mean 'qa/other'?); it has: qa/stub, qa/other\n");
  result = run({"compare", "base.json", "two.json", "--variant", "qa-stub"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_EQ(result.err,
            "promptbench: error: --variant: expected BASE_ID:CANDIDATE_ID (e.g. "
            "terse/local:terse/local), got 'qa-stub'\n");
}

TEST_F(Compare, MalformedReportIsAnInputError) {
  m_dir.write("broken.json", "{\"schema_version\": 1,\n \"variants\": [\n");
  ProcessResult result = run({"compare", "base.json", "broken.json"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_THAT(result.err, ::testing::StartsWith(
                              "promptbench: error: broken.json:3:1: not a valid JSON report: "));

  result = run({"compare", "base.json", "missing.json"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_EQ(result.err,
            "promptbench: error: missing.json: cannot read the report: No such file or "
            "directory\n");

  json v2 = make_report("qa/stub", 60, kNone);
  v2["schema_version"] = 2;
  m_dir.write("v2.json", v2.dump());
  result = run({"compare", "v2.json", "base.json"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_EQ(result.err,
            "promptbench: error: v2.json: schema_version: unsupported version 2 (this promptbench "
            "reads version 1)\n");

  json bad_case = make_report("qa/stub", 60, kNone);
  bad_case["cases"][3]["results"][0]["scores"]["f1"] = "high";
  m_dir.write("bad_case.json", bad_case.dump());
  result = run({"compare", "base.json", "bad_case.json"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_EQ(
      result.err,
      "promptbench: error: bad_case.json: cases[3].results[0].scores.f1: expected a number or "
      "null, got a string\n");
}

TEST_F(Compare, UsageErrorsExitTwo) {
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"compare", "base.json"},
        {"compare", "base.json", "noisy.json", "--format", "html"},
        {"compare", "base.json", "noisy.json", "--alpha", "2"},
        {"compare", "base.json", "noisy.json", "--metric", "exact"}}) {
    const ProcessResult result = run(args);
    EXPECT_EQ(result.exit_code, 2) << args.back() << ": " << result.err;
    EXPECT_THAT(result.err, ::testing::StartsWith("promptbench: error: ")) << args.back();
  }
}

}  // namespace
}  // namespace compare_test
}  // namespace promptbench::testing
