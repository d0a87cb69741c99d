// SPDX-License-Identifier: Apache-2.0
// `promptbench eval` against the stub: comparisons with the baseline, gates (config and
// --gate) with their exit codes and messages, and --repeat. The stub echoes the last user
// message, so a prompt that sends the label is always right and one that sends a decoy is
// right exactly where the test made the decoy equal the label.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include "support/harness.hpp"

namespace promptbench::testing {
namespace comparison_gate_test {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

constexpr std::size_t kCases = 60;
constexpr std::size_t kDecoyRight = 18;  // the first 18 decoys equal the label

std::string dataset() {
  std::string text;
  for (std::size_t i = 0; i < kCases; ++i) {
    const std::string label = i % 2 == 0 ? "red" : "blue";
    const std::string decoy = i < kDecoyRight ? label : "green";
    text += json{{"id", "c" + std::to_string(i)}, {"label", label}, {"decoy", decoy}}.dump() + "\n";
  }
  return text;
}

// Three prompts on one stub: `decoy` (right 18 of 60), `label` (always right), `also` (the
// decoy again, in another wording: the same 18 of 60). The system message keeps every
// request body distinct.
constexpr const char* kConfig = R"yaml(name: comparisons
providers:
  - id: stub
    base_url: @URL@
    model: echo
    retries: 0
prompts:
  - id: decoy
    messages:
      - {role: system, content: "Case {{id}}."}
      - {role: user, content: "{{decoy}}"}
  - id: label
    messages:
      - {role: system, content: "Case {{id}}, labelled."}
      - {role: user, content: "{{label}}"}
  - id: also
    messages:
      - {role: system, content: "Again, case {{id}}."}
      - {role: user, content: "{{decoy}}"}
dataset: {path: cases.jsonl, reference: label, id: id}
metrics:
  - exact_match
@EXTRA@)yaml";

class EvalComparisons : public ::testing::Test {
 protected:
  void write_config(const std::string& extra = "") {
    m_dir.write("promptbench.yaml",
                replace_all(replace_all(kConfig, "@URL@", m_stub.base_url()), "@EXTRA@", extra));
    m_dir.write("cases.jsonl", dataset());
  }

  ProcessResult eval(const std::vector<std::string>& extra_args = {}) {
    std::vector<std::string> argv = {promptbench_bin(), "eval",       "-o",
                                     "report.json",     "--no-cache", "--color",
                                     "never",           "--progress", "never"};
    argv.insert(argv.end(), extra_args.begin(), extra_args.end());
    RunOptions options;
    options.working_dir = m_dir.path().string();
    options.timeout = std::chrono::seconds(60);
    return run_process(argv, options);
  }

  json report() const { return json::parse(read_file(m_dir.path() / "report.json")); }

  StubServer m_stub;
  TempDir m_dir;
};

/// Exact McNemar p with no discordant pair in the baseline's favour: 2 * (1/2)^c.
double mcnemar_all_one_way(std::size_t c) {
  return std::ldexp(2.0, -static_cast<int>(c));
}

TEST_F(EvalComparisons, ComparesEveryVariantWithTheBaselineAndGivesVerdicts) {
  write_config("baseline: decoy\n");
  const ProcessResult result = eval();
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const json comparisons = report().at("comparisons");
  ASSERT_EQ(comparisons.size(), 2u) << comparisons.dump(2);

  const json& better = comparisons[0];
  EXPECT_EQ(better["metric"], "exact_match");
  EXPECT_EQ(better["baseline"], "decoy/stub");
  EXPECT_EQ(better["variant"], "label/stub");
  EXPECT_EQ(better["n"], kCases);
  EXPECT_NEAR(better["mean_diff"].get<double>(), 42.0 / 60.0, 1e-12);
  EXPECT_EQ(better["test"], "mcnemar_exact");
  // 42 cases only the variant gets right, none only the baseline: p = 2 / 2^42; Holm over
  // two comparisons doubles it (the other one's p is 1).
  EXPECT_NEAR(better["p_value"].get<double>(), mcnemar_all_one_way(42), 1e-20);
  EXPECT_NEAR(better["p_adjusted"].get<double>(), 2 * mcnemar_all_one_way(42), 1e-20);
  EXPECT_EQ(better["verdict"], "better");
  const double low = better["ci95"][0];
  const double high = better["ci95"][1];
  EXPECT_LT(low, 0.7);
  EXPECT_GT(high, 0.7);
  EXPECT_GT(low, 0.5);

  const json& same = comparisons[1];
  EXPECT_EQ(same["variant"], "also/stub");
  EXPECT_EQ(same["mean_diff"], 0.0);
  EXPECT_EQ(same["p_value"], 1.0);
  EXPECT_EQ(same["verdict"], "no_significant_difference");

  EXPECT_THAT(result.out, HasSubstr("vs baseline decoy/stub (variant - baseline, paired 95% CI, "
                                    "Holm-adjusted p):\n"));
  EXPECT_THAT(result.out, ::testing::ContainsRegex(
                              "\n  label/stub  exact_match  \\+0\\.700 \\[\\+0\\.[0-9]{3}, "
                              "\\+0\\.[0-9]{3}\\]  p<0\\.0001  better\n"));
  EXPECT_THAT(result.out, HasSubstr("\n  also/stub   exact_match  +0.000 [+0.000, +0.000]  "
                                    "p=1.0000  no significant difference\n"));
}

TEST_F(EvalComparisons, ComparesWithTheFirstVariantWithoutABaseline) {
  write_config();
  const ProcessResult result = eval({"--prompt", "label", "--prompt", "decoy"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const json comparisons = report().at("comparisons");
  ASSERT_EQ(comparisons.size(), 1u);
  EXPECT_EQ(comparisons[0]["baseline"], "decoy/stub");  // first in the config's order
  EXPECT_EQ(comparisons[0]["variant"], "label/stub");
  EXPECT_EQ(comparisons[0]["verdict"], "better");
  write_config("baseline: label/stub\n");
  ASSERT_EQ(eval({"--prompt", "label", "--prompt", "decoy"}).exit_code, 0);
  EXPECT_EQ(report()["comparisons"][0]["baseline"], "label/stub");
  EXPECT_EQ(report()["comparisons"][0]["verdict"], "worse");
}

TEST_F(EvalComparisons, FailsAGateWithExitOneAndSaysByHowMuch) {
  write_config("gates:\n  - {metric: exact_match, min: 0.5}\n");
  const ProcessResult result = eval();
  EXPECT_EQ(result.exit_code, 1) << result.err;
  EXPECT_EQ(result.err,
            "promptbench: gate failed (2 of 3): decoy/stub exact_match: mean 0.3 < min 0.5 (short "
            "by 0.2)\n"
            "promptbench: gate failed (2 of 3): also/stub exact_match: mean 0.3 < min 0.5 (short "
            "by 0.2)\n");
  EXPECT_THAT(result.out, HasSubstr("\ngates: 2 of 3 failed\n"));
  const json gates = report().at("gates");
  ASSERT_EQ(gates.size(), 3u);
  EXPECT_EQ(gates[0]["variant"], "decoy/stub");
  EXPECT_EQ(gates[0]["on"], "mean");
  EXPECT_EQ(gates[0]["passed"], false);
  EXPECT_NEAR(gates[0]["value"].get<double>(), 0.3, 1e-12);
  EXPECT_NEAR(gates[0]["shortfall"].get<double>(), 0.2, 1e-12);
  EXPECT_EQ(gates[1]["variant"], "label/stub");
  EXPECT_EQ(gates[1]["passed"], true);
  EXPECT_TRUE(gates[1]["shortfall"].is_null());
}

TEST_F(EvalComparisons, GatesOnTheIntervalsLowerEnd) {
  // label/stub: 60 of 60, mean 1; Wilson's lower end is 60 / (60 + 1.96^2) = 0.93983.
  write_config("gates:\n  - {metric: exact_match, min: 0.95, on: ci_low, variant: label/stub}\n");
  const ProcessResult result = eval({"-q"});
  EXPECT_EQ(result.exit_code, 1) << result.err;
  EXPECT_EQ(result.err,
            "promptbench: gate failed (1 of 1): label/stub exact_match: ci_low 0.9398 < min 0.95 "
            "(short by 0.01017; mean 1)\n");
  EXPECT_EQ(result.out, "");
  const json gate = report().at("gates").at(0);
  EXPECT_EQ(gate["on"], "ci_low");
  EXPECT_NEAR(gate["ci95"][0].get<double>(), 60 / (60 + 1.959963984540054 * 1.959963984540054),
              1e-9);
  write_config("gates:\n  - {metric: exact_match, min: 0.9, on: ci_low, variant: label/stub}\n");
  EXPECT_EQ(eval({"-q"}).exit_code, 0);
}

TEST_F(EvalComparisons, GatesOnTheIntervalsLowerEndFromTheCommandLine) {
  write_config();
  const ProcessResult failing = eval({"-q", "--gate", "label/stub:exact_match>=0.95 on ci_low"});
  EXPECT_EQ(failing.exit_code, 1) << failing.err;
  EXPECT_EQ(failing.err,
            "promptbench: gate failed (1 of 1): label/stub exact_match: ci_low 0.9398 < min 0.95 "
            "(short by 0.01017; mean 1)\n");
  EXPECT_EQ(report().at("gates").at(0)["on"], "ci_low");
  EXPECT_EQ(eval({"-q", "--gate", "label/stub:exact_match>=0.95"}).exit_code, 0);  // the mean
}

TEST_F(EvalComparisons, TakesGatesFromTheCommandLine) {
  write_config();
  const ProcessResult passing =
      eval({"--gate", "label/stub:exact_match>=0.99", "--gate", "exact_match<=1"});
  EXPECT_EQ(passing.exit_code, 0) << passing.err;
  EXPECT_EQ(report()["gates"].size(), 4u);  // one variant + three variants
  EXPECT_THAT(passing.out, HasSubstr("\ngates: all 4 passed\n"));

  const ProcessResult failing = eval({"--gate", "also/stub:exact_match >= 0.35"});
  EXPECT_EQ(failing.exit_code, 1);
  EXPECT_EQ(failing.err,
            "promptbench: gate failed (1 of 1): also/stub exact_match: mean 0.3 < min 0.35 (short "
            "by 0.05)\n");
}

TEST_F(EvalComparisons, RejectsAMalformedGateFlagWithExitTwoBeforeSending) {
  write_config();
  struct Bad {
    std::string flag;
    std::string message;
  };
  const std::string syntax =
      "expected METRIC>=VALUE or METRIC<=VALUE, optionally VARIANT:METRIC>=VALUE and a final "
      "'on ci_low' or 'on mean' (e.g. exact_match>=0.8 on ci_low)";
  for (const Bad& bad : {
           Bad{"exact_match>0.8", "--gate 'exact_match>0.8': " + syntax},
           Bad{"exact_match>=lots",
               "--gate 'exact_match>=lots': 'lots' is not a number; " + syntax},
           Bad{"exact_mach>=0.8",
               "--gate 'exact_mach>=0.8': no metric 'exact_mach' in the config "
               "(did you mean 'exact_match'?)"},
           Bad{"label/stu:exact_match>=0.8",
               "--gate 'label/stu:exact_match>=0.8': no variant 'label/stu' (variants are "
               "prompt/provider pairs) (did you mean 'label/stub'?)"},
       }) {
    SCOPED_TRACE(bad.flag);
    const ProcessResult result = eval({"--gate", bad.flag});
    EXPECT_EQ(result.exit_code, 2);
    EXPECT_EQ(result.err, "promptbench: error: " + bad.message + "\n");
  }
  EXPECT_EQ(m_stub.stats()["requests"], 0);
}

TEST_F(EvalComparisons, RejectsABaselineNamingNoVariantWithItsLocation) {
  write_config("baseline: labl\n");  // line 23
  const ProcessResult result = eval();
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_EQ(result.err,
            "promptbench: error: promptbench.yaml:23:11: baseline: 'labl' names no variant or "
            "prompt (did you mean 'label'?)\n");
}

TEST_F(EvalComparisons, RepeatsEveryRequestKTimesAndClustersByCase) {
  write_config();
  const ProcessResult result = eval({"--repeat", "3", "--prompt", "label", "--prompt", "decoy"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const json stats = m_stub.stats();
  EXPECT_EQ(stats["requests"], kCases * 2 * 3);
  EXPECT_EQ(stats["unique_bodies"], kCases * 2);
  EXPECT_EQ(stats["max_requests_per_body"], 3);
  const json r = report();
  EXPECT_EQ(r["run"]["repeat"], 3);
  for (const json& c : r["cases"]) {
    ASSERT_EQ(c["results"].size(), 6u);
    for (std::size_t i = 0; i < 6; ++i) {
      EXPECT_EQ(c["results"][i]["variant"], i < 3 ? "decoy/stub" : "label/stub");
      EXPECT_EQ(c["results"][i]["repeat"], i % 3);
    }
  }
  // The case is the unit: n counts cases, not samples; the deterministic stub answers the
  // same three times, so the figures equal a single run's.
  EXPECT_EQ(r["variants"][0]["metrics"]["exact_match"]["n"], kCases);
  EXPECT_NEAR(r["variants"][0]["metrics"]["exact_match"]["mean"].get<double>(), 0.3, 1e-12);
  EXPECT_EQ(r["comparisons"][0]["n"], kCases);
  EXPECT_EQ(r["comparisons"][0]["test"], "mcnemar_exact");
}

TEST_F(EvalComparisons, CountsRepeatsInTheDryRunPlan) {
  write_config("repeat: 2\n");
  const ProcessResult result = eval({"--dry-run"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(
      result.out,
      HasSubstr("dry run: 60 cases x 3 variants x 2 repeats = 360 requests; nothing sent\n"));
  EXPECT_EQ(m_stub.stats()["requests"], 0);
}

TEST_F(EvalComparisons, RejectsARepeatOutOfRange) {
  write_config();
  const ProcessResult result = eval({"--repeat", "0"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_THAT(result.err, HasSubstr("--repeat"));
  EXPECT_EQ(m_stub.stats()["requests"], 0);
}

}  // namespace
}  // namespace comparison_gate_test
}  // namespace promptbench::testing
