// SPDX-License-Identifier: Apache-2.0
// The config keys behind comparisons and gates -- baseline, repeat, gates[].on -- and the
// exact located message for each mistake.
#include <gtest/gtest.h>

#include "promptbench/config.hpp"
#include "unit/temp_dir.hpp"

namespace promptbench {
namespace {

class ComparisonSettings : public ::testing::Test {
 protected:
  void SetUp() override {
    m_dir.write("data.jsonl", "{\"id\": \"1\", \"q\": \"hi\", \"a\": \"x\"}\n");
  }

  /// kBase plus `extra`, loaded; the error message without the scratch folder, or "".
  std::string error_of(const std::string& extra) {
    try {
      (void)load(extra);
    } catch (const UserError& e) {
      return std::string(e.what()).substr(m_dir.path().string().size() + 1);
    }
    return "";
  }

  Config load(const std::string& extra) {
    return load_config(m_dir.write("cfg.yaml", kBase + extra));
  }

  // Lines 1-11; whatever a test adds starts on line 12.
  static constexpr const char* kBase = R"(providers:
  - {id: local, base_url: "http://127.0.0.1:9/v1", model: m}
  - {id: big, base_url: "http://127.0.0.1:9/v1", model: n}
prompts:
  - {id: terse, template: "Q: {{q}}"}
  - {id: chat, template: "Question: {{q}}"}
dataset: {path: data.jsonl, reference: a}
metrics:
  - exact_match
  - latency
name: t
)";

  testing::ScratchDir m_dir;
};

TEST_F(ComparisonSettings, DefaultsToNoBaselineOneRepeatAndGatesOnTheMean) {
  const Config config = load("gates: [{metric: exact_match, min: 0.5}]\n");
  EXPECT_EQ(config.baseline, "");
  EXPECT_EQ(config.repeat, 1);
  ASSERT_EQ(config.gates.size(), 1u);
  EXPECT_EQ(config.gates[0].on, GateOn::mean);
}

TEST_F(ComparisonSettings, ReadsABaselineVariantOrPrompt) {
  const Config variant = load("baseline: chat/big\n");
  EXPECT_EQ(variant.baseline, "chat/big");
  EXPECT_EQ(variant.baseline_where.line, 12u);
  EXPECT_EQ(variant.baseline_where.column, 11u);
  EXPECT_EQ(load("baseline: chat\n").baseline, "chat");
}

TEST_F(ComparisonSettings, RejectsABaselineNamingNoVariantWithASuggestion) {
  EXPECT_EQ(error_of("baseline: chat/bgi\n"),
            "cfg.yaml:12:11: baseline: 'chat/bgi' names no variant or prompt (did you mean "
            "'chat/big'?)");
  EXPECT_EQ(error_of("baseline: nothing-like-it\n"),
            "cfg.yaml:12:11: baseline: 'nothing-like-it' names no variant or prompt (variants "
            "are prompt/provider pairs, e.g. 'terse/local')");
}

TEST_F(ComparisonSettings, RejectsAGateVariantNamingNoVariant) {
  EXPECT_EQ(error_of("gates: [{metric: latency, max: 10, variant: chat/locl}]\n"),
            "cfg.yaml:12:45: gates[0].variant: 'chat/locl' names no variant (did you mean "
            "'chat/local'?)");
  // A prompt id is not enough for a gate: it checks one variant.
  EXPECT_NE(error_of("gates: [{metric: latency, max: 10, variant: chat}]\n"), "");
}

TEST_F(ComparisonSettings, ReadsGatesOnTheIntervalsLowerEnd) {
  const Config config = load("gates: [{metric: exact_match, min: 0.5, on: ci_low}]\n");
  ASSERT_EQ(config.gates.size(), 1u);
  EXPECT_EQ(config.gates[0].on, GateOn::ci_low);
}

TEST_F(ComparisonSettings, RejectsAnUnknownGateBasis) {
  EXPECT_EQ(error_of("gates: [{metric: exact_match, min: 0.5, on: ci_lo}]\n"),
            "cfg.yaml:12:45: gates[0].on: expected mean or ci_low, got 'ci_lo' (did you mean "
            "'ci_low'?)");
}

TEST_F(ComparisonSettings, ReadsTheSignificanceLevelAndMinimumEffect) {
  const Config defaults = load("");
  EXPECT_EQ(defaults.alpha, 0.05);
  EXPECT_EQ(defaults.min_effect, 0);
  const Config set = load("alpha: 0.01\nmin_effect: 0.02\n");
  EXPECT_EQ(set.alpha, 0.01);
  EXPECT_EQ(set.min_effect, 0.02);
  EXPECT_EQ(error_of("alpha: 1\n"),
            "cfg.yaml:12:8: alpha: expected a significance level between 0 and 1 (exclusive), "
            "got 1");
  EXPECT_EQ(error_of("alpha: 0\n"),
            "cfg.yaml:12:8: alpha: expected a significance level between 0 and 1 (exclusive), "
            "got 0");
  EXPECT_EQ(error_of("min_effect: -0.1\n"),
            "cfg.yaml:12:13: min_effect: expected a difference of 0 or more, got -0.1");
  EXPECT_NE(error_of("alpha: high\n"), "");
}

TEST_F(ComparisonSettings, ReadsTheErrorAllowanceAsACountOrAPercentage) {
  EXPECT_FALSE(load("").max_errors);
  const Config count = load("max_errors: 12\n");
  ASSERT_TRUE(count.max_errors);
  EXPECT_EQ(count.max_errors->of(1000), 12u);
  const Config percent = load("max_errors: 2.5%\n");
  ASSERT_TRUE(percent.max_errors);
  EXPECT_EQ(percent.max_errors->of(1000), 25u);
  EXPECT_EQ(percent.max_errors->of(39), 0u);  // 0.975 rounds down: never more than asked
  EXPECT_EQ(error_of("max_errors: lots\n"),
            "cfg.yaml:12:13: max_errors: expected a count like 10 or a percentage like 5%, got "
            "'lots'");
  EXPECT_EQ(error_of("max_errors: -1\n"),
            "cfg.yaml:12:13: max_errors: expected a count like 10 or a percentage like 5%, got -1");
  EXPECT_EQ(error_of("max_errors: 101%\n"),
            "cfg.yaml:12:13: max_errors: expected a count like 10 or a percentage like 5%, got "
            "'101%'");
}

TEST_F(ComparisonSettings, ReadsHowManyUnscoredResultsAGateTolerates) {
  const Config strict = load("gates: [{metric: exact_match, min: 0.5}]\n");
  EXPECT_EQ(strict.gates[0].max_unscored.of(100), 0u);
  const Config tolerant = load("gates: [{metric: exact_match, min: 0.5, max_unscored: 10%}]\n");
  EXPECT_EQ(tolerant.gates[0].max_unscored.of(200), 20u);
  EXPECT_EQ(error_of("gates: [{metric: exact_match, min: 0.5, max_unscored: some}]\n"),
            "cfg.yaml:12:55: gates[0].max_unscored: expected a count like 10 or a percentage "
            "like 5%, got 'some'");
}

TEST(ParseAllowance, TakesWholeCountsAndPercentagesUpTo100) {
  EXPECT_EQ(parse_allowance("0")->of(50), 0u);
  EXPECT_EQ(parse_allowance("7")->of(50), 7u);
  EXPECT_EQ(parse_allowance("100%")->of(50), 50u);
  EXPECT_EQ(parse_allowance("0.5%")->of(1000), 5u);
  for (const char* bad : {"", "%", "1.5", "-3", "5 %", "1e3", "100.1%", ".5%", "5.%", "1..2%",
                          "99999999999999999999"}) {
    EXPECT_FALSE(parse_allowance(bad)) << bad;
  }
}

TEST_F(ComparisonSettings, ReadsRepeatWithinItsRange) {
  EXPECT_EQ(load("repeat: 5\n").repeat, 5);
  EXPECT_NE(error_of("repeat: 0\n"), "");
  EXPECT_NE(error_of("repeat: 1001\n"), "");
  EXPECT_NE(error_of("repeat: two\n"), "");
}

// --gate, checked against the same config.
class GateFlag : public ComparisonSettings {
 protected:
  /// The message parse_gate_flag throws for `text`, or "".
  std::string flag_error(const std::string& text) {
    const Config config = load("");
    try {
      (void)parse_gate_flag(config, text);
    } catch (const UserError& e) {
      return e.what();
    }
    return "";
  }
};

TEST_F(GateFlag, ParsesAMinimumOnEveryVariant) {
  const GateConfig gate = parse_gate_flag(load(""), "exact_match>=0.8");
  EXPECT_EQ(gate.metric, "exact_match");
  EXPECT_EQ(gate.min, 0.8);
  EXPECT_FALSE(gate.max);
  EXPECT_EQ(gate.variant, "");
  EXPECT_EQ(gate.on, GateOn::mean);
}

TEST_F(GateFlag, ParsesAMaximumForOneVariantWithSpaces) {
  const GateConfig gate = parse_gate_flag(load(""), " chat/big : latency <= 250 ");
  EXPECT_EQ(gate.metric, "latency");
  EXPECT_EQ(gate.variant, "chat/big");
  EXPECT_FALSE(gate.min);
  EXPECT_EQ(gate.max, 250);
}

TEST_F(GateFlag, HoldsTheIntervalsPessimisticEndWhenAskedTo) {
  const GateConfig low = parse_gate_flag(load(""), "chat/big:exact_match>=0.8 on ci_low");
  EXPECT_EQ(low.on, GateOn::ci_low);
  EXPECT_EQ(low.min, 0.8);
  EXPECT_EQ(low.variant, "chat/big");
  const GateConfig high = parse_gate_flag(load(""), "latency <= 250  on  ci_low ");
  EXPECT_EQ(high.on, GateOn::ci_low);
  EXPECT_EQ(high.max, 250);
  EXPECT_EQ(parse_gate_flag(load(""), "exact_match>=0.8 on mean").on, GateOn::mean);
  EXPECT_EQ(flag_error("exact_match>=0.8 on median"),
            "--gate 'exact_match>=0.8 on median': 'on median' is neither 'on mean' nor 'on "
            "ci_low'");
}

TEST_F(GateFlag, RejectsMalformedText) {
  const std::string syntax =
      "expected METRIC>=VALUE or METRIC<=VALUE, optionally VARIANT:METRIC>=VALUE and a final "
      "'on ci_low' or 'on mean' (e.g. exact_match>=0.8 on ci_low)";
  EXPECT_EQ(flag_error("exact_match>0.8"), "--gate 'exact_match>0.8': " + syntax);
  EXPECT_EQ(flag_error("exact_match"), "--gate 'exact_match': " + syntax);
  EXPECT_EQ(flag_error(">=0.8"), "--gate '>=0.8': " + syntax);
  EXPECT_EQ(flag_error(":exact_match>=0.8"), "--gate ':exact_match>=0.8': " + syntax);
  EXPECT_EQ(flag_error("exact_match>=0.8<=0.9"), "--gate 'exact_match>=0.8<=0.9': " + syntax);
  EXPECT_EQ(flag_error("exact_match>=high"),
            "--gate 'exact_match>=high': 'high' is not a number; " + syntax);
  EXPECT_EQ(flag_error("exact_match>=0.8x"),
            "--gate 'exact_match>=0.8x': '0.8x' is not a number; " + syntax);
  EXPECT_EQ(flag_error("exact_match>="), "--gate 'exact_match>=': '' is not a number; " + syntax);
  EXPECT_EQ(flag_error("exact_match>=nan"),
            "--gate 'exact_match>=nan': 'nan' is not a number; " + syntax);
}

TEST_F(GateFlag, RejectsAnUnknownMetricOrVariantWithASuggestion) {
  EXPECT_EQ(flag_error("exact_mach>=0.8"),
            "--gate 'exact_mach>=0.8': no metric 'exact_mach' in the config (did you mean "
            "'exact_match'?)");
  EXPECT_EQ(flag_error("chat/bgi:exact_match>=0.8"),
            "--gate 'chat/bgi:exact_match>=0.8': no variant 'chat/bgi' (variants are "
            "prompt/provider pairs) (did you mean 'chat/big'?)");
}

}  // namespace
}  // namespace promptbench
